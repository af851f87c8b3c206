import type { AccountRecord } from '../../storage/account-registry.js';
import { displayName } from '../../storage/account-service.js';
import { TokenTrayError } from '../../shared/errors.js';
import { assertIssuedTokens } from '../../shared/sanitize.js';
import { scopeKey } from '../../oauth/scopes.js';
import { reauthReason, signInAgain } from '../reauth.js';
import { assertWithinGrant } from '../scope-policy.js';
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
      const { access, id } = await refresh(context, account, key, scopes);
      return { token: access, ...(id ? { also: [[{ bucket: 'id' }, id]] } : {}) };
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
      const { access, id } = await refresh(context, account, '', undefined);
      return { token: id, also: [[{ bucket: 'access', key: '' }, access]] };
    });
  },
});

const refreshPlan = (slot: TokenPlan['slot'], mint: () => Promise<Minted>): TokenPlan => ({ slot, mint, underLock: true });

/**
 * The refresh itself, under the account's lock. A rotated refresh token is stored before anything
 * else, so a crash after the issuer answered loses at most the access token.
 */
async function refresh(context: SourceContext, account: AccountRecord, key: string, scopes: string[] | undefined) {
  const { accounts, now } = context;
  // An item of the old layout: its client secret moves to the client's own item first.
  await accounts.migrateLegacyItem(account);
  // Read inside the lock: another process may have stored a rotated refresh token meanwhile.
  const { client, refreshToken } = await accounts.clientOf(account);
  const { refreshGrant } = await import('../../oauth/oidc.js');
  const what = `refreshing the token of ${displayName(account)}`;
  const outcome = await refreshGrant({ issuer: account.issuer, flavor: account.flavor }, client, refreshToken, { ...(scopes ? { scopes } : {}), now: now(), what });
  if ('rejected' in outcome) {
    const reason = reauthReason(account, outcome.rejected.description);
    await accounts.markSigninRequired(account.id, reason);
    throw new TokenTrayError('REAUTH_REQUIRED', reason, signInAgain(account));
  }
  const tokens = outcome.granted;
  // Google sends no new refresh token on refresh: keep ours. A rotating issuer sends one: store it,
  // once checked, before refusing anything else of the answer: the old one is spent.
  assertIssuedTokens(account.issuer, { refreshToken: tokens.refreshToken });
  if (tokens.refreshToken && tokens.refreshToken !== refreshToken) await accounts.vault.setSecrets(account.id, { refreshToken: tokens.refreshToken });
  assertIssuedTokens(account.issuer, { accessToken: tokens.access.token, idToken: tokens.id?.token, scope: tokens.scopes?.join(' ') });
  if (key === '' && tokens.scopes && scopeKey(tokens.scopes) !== scopeKey(account.scopes)) await accounts.updateScopes(account.id, tokens.scopes);
  return tokens;
}
