import type { AccountRecord } from '../accounts/account-registry.js';
import { displayName } from '../accounts/account-service.js';
import { TokenTrayError } from '../shared/errors.js';
import { GOOGLE_ISSUER } from '../oauth/provider-profile.js';

/** The facts of every "sign this account in again" failure; `scope` names what the new grant needs. */
export const signInAgain = (account: AccountRecord, scope?: string) =>
  ({ facts: { remedy: 'sign-in-again', account: displayName(account), accountId: account.id, ...(scope ? { scope } : {}) } }) as const;

/** Why the account must sign in again; kept as its status reason, so it names no command or button. */
export function reauthReason(account: AccountRecord, description: string | undefined): string {
  if (description && /invalid_rapt/i.test(description)) {
    return `Google asks ${displayName(account)} to re-authenticate: the Workspace administrator's session control requires a fresh sign-in (invalid_rapt).`;
  }
  // Named by the issuer, not the flavor: a Google-like issuer elsewhere is not Google, nor are its rules.
  if (account.issuer === GOOGLE_ISSUER) {
    return (
      `Google no longer accepts the refresh token of ${displayName(account)} (invalid_grant): it was revoked, the password changed, or it expired. ` +
      `If the OAuth client's consent screen is in "Testing" status, Google expires its refresh tokens after 7 days; publish the app ("In production") to keep them.`
    );
  }
  return `${account.issuer} no longer accepts the refresh token of ${displayName(account)} (invalid_grant): it was revoked or expired.`;
}

/** An account marked "sign in again" gives no token until it has. */
export function assertReady(account: AccountRecord): void {
  if (account.status === 'signin_required') {
    throw new TokenTrayError('REAUTH_REQUIRED', account.statusReason ?? `${displayName(account)} needs to sign in again.`, signInAgain(account));
  }
}
