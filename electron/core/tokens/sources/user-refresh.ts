import type { AccountRecord } from '../../accounts/account-registry.js';
import { displayName } from '../../accounts/account-service.js';
import { TokenTrayError } from '../../shared/errors.js';
import { assertIssuedTokens } from '../../shared/sanitize.js';
import { scopeKey } from '../../oauth/scopes.js';
import { reauthReason, signInAgain } from '../reauth.js';
import { assertWithinGrant } from '../scope-policy.js';
import type { GrantedTokens } from '../../oauth/oidc.js';
import type { Minted, SourceContext, SourceFactory, TokenPlan } from '../token-source.js';

/**
 * A user account signed in at an issuer: tokens from the refresh-token grant (openid-client, loaded
 * only when a refresh is due). One response gives the access token and the own ID token.
 */
export const userRefreshSource: SourceFactory = (context) => ({
  access(account, scopes) {
    if (scopes) assertWithinGrant(account, scopes);
    // Prefixed so that no scope string can name another kind of cached token (sa:, imp:).
    const key = scopes ? `s:${scopeKey(scopes)}` : '';
    return refreshPlan({ bucket: 'access', key }, async () => {
      const { tokens, after } = await refresh(context, account, key, scopes);
      return { ...after, token: tokens.access, ...(tokens.id ? { also: [[{ bucket: 'id' }, tokens.id]] } : {}) };
    });
  },
  id(account, { audience }) {
    if (audience) {
      throw new TokenTrayError(
        'AUDIENCE_NOT_SUPPORTED',
        `Google issues ID tokens of a user account (${displayName(account)}) only for the OAuth client it signed in with, so TokenTray cannot make one for ${audience}.`,
        { facts: { remedy: 'impersonate-or-use-key' } },
      );
    }
    return refreshPlan({ bucket: 'id' }, async () => {
      const { tokens, after } = await refresh(context, account, '', undefined);
      return { ...after, token: tokens.id, also: [[{ bucket: 'access', key: '' }, tokens.access]] };
    });
  },
});

const refreshPlan = (slot: TokenPlan['slot'], mint: () => Promise<Minted>): TokenPlan => ({ slot, mint, underLock: true });

/**
 * The refresh itself, under the account's lock. What must be stored with the tokens is returned
 * (`after`), for the cache to write in its one write: a rotated refresh token first, then the
 * registry's granted scopes once the tokens are in.
 */
async function refresh(
  context: SourceContext,
  account: AccountRecord,
  key: string,
  scopes: string[] | undefined,
): Promise<{ tokens: GrantedTokens; after: Pick<Minted, 'refreshToken' | 'afterStore'> }> {
  const { accounts, now } = context;
  // Read inside the lock: another process may have stored a rotated refresh token meanwhile. An
  // item of the old layout has its client secret moved to the client's own item first.
  const { client, refreshToken } = await accounts.clientOf(account, { migrateLegacy: true });
  const { refreshGrant } = await import('../../oauth/oidc.js');
  const what = `refreshing the token of ${displayName(account)}`;
  const outcome = await refreshGrant({ issuer: account.issuer, flavor: account.flavor }, client, refreshToken, {
    ...(scopes ? { scopes } : {}),
    now: now(),
    what,
  });
  if ('rejected' in outcome) {
    const reason = reauthReason(account, outcome.rejected.description);
    await accounts.markSigninRequired(account.id, reason);
    throw new TokenTrayError('REAUTH_REQUIRED', reason, signInAgain(account));
  }
  const tokens = outcome.granted;
  // Google sends no new refresh token on refresh: keep ours. A rotating issuer sends one.
  assertIssuedTokens(account.issuer, { refreshToken: tokens.refreshToken });
  const rotated = tokens.refreshToken && tokens.refreshToken !== refreshToken ? tokens.refreshToken : undefined;
  try {
    assertIssuedTokens(account.issuer, { accessToken: tokens.access.token, idToken: tokens.id?.token, scope: tokens.scopes?.join(' ') });
  } catch (err) {
    // The rest of the answer is refused, but the old refresh token is spent: keep the new one.
    if (rotated) await accounts.saveRefreshToken(account.id, rotated);
    throw err;
  }
  const granted = key === '' && tokens.scopes && scopeKey(tokens.scopes) !== scopeKey(account.scopes) ? tokens.scopes : undefined;
  return {
    tokens,
    after: { ...(rotated ? { refreshToken: rotated } : {}), ...(granted ? { afterStore: () => accounts.updateScopes(account.id, granted) } : {}) },
  };
}
