import type { AccountRecord } from '../accounts/account-registry.js';
import { displayName } from '../accounts/account-service.js';
import { TokenTrayError } from '../shared/errors.js';
import { signInAgain } from './reauth.js';

/** Google names email and profile both ways: short in requests, by URL in granted scopes. */
const GOOGLE_SCOPE_ALIASES: Readonly<Record<string, string>> = {
  email: 'https://www.googleapis.com/auth/userinfo.email',
  profile: 'https://www.googleapis.com/auth/userinfo.profile',
};

/**
 * OpenID Connect's identity scopes: every sign-in asks openid, and issuers often leave these out of
 * a token response's `scope` (their grant shows in the ID token). A finite set, so counting them
 * in cannot grow the cache without bound; the issuer still refuses one it did not grant.
 */
const IDENTITY_SCOPES = new Set(['openid', 'email', 'profile']);

/** The requested scopes a user account's grant does not cover. */
function scopesOutsideGrant(wanted: readonly string[], granted: readonly string[], flavor: AccountRecord['flavor']): string[] {
  const has = (scope: string) => {
    if (granted.includes(scope) || IDENTITY_SCOPES.has(scope)) return true;
    if (flavor !== 'google') return false;
    const alias = GOOGLE_SCOPE_ALIASES[scope] ?? Object.keys(GOOGLE_SCOPE_ALIASES).find((k) => GOOGLE_SCOPE_ALIASES[k] === scope);
    return alias !== undefined && granted.includes(alias);
  };
  return wanted.filter((s) => !has(s));
}

/** A down-scoped request outside the grant would only be refused by the issuer: refuse it here. */
export function assertWithinGrant(account: AccountRecord, wanted: readonly string[]): void {
  const missing = scopesOutsideGrant(wanted, account.scopes, account.flavor);
  if (missing.length === 0) return;
  const all = [...account.scopes.filter((s) => s !== 'offline_access'), ...missing].join(',');
  throw new TokenTrayError(
    'SCOPE_NOT_GRANTED',
    `${displayName(account)} did not grant ${missing.join(', ')}: a down-scoped token can only narrow the scopes granted at sign-in (${account.scopes.join(' ')}).`,
    signInAgain(account, all),
  );
}
