import type { AccountRecord } from './account-registry.js';
import { displayName, type AccountService } from './account-service.js';
import type { CachedToken, TokenCache } from './credential-vault.js';
import { TokenTrayError } from './errors.js';
import type { ProviderProfile } from './provider-profile.js';
import { normalizeScopes, scopeKey } from './scopes.js';

/** A token is handed out only if it stays valid at least this long; gcloud and Google's libraries do alike. */
export const EXPIRY_MARGIN_MS = 5 * 60_000;

export interface IssuedToken {
  token: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface TokenServiceOptions {
  now?: () => number;
}

function reauthReason(account: AccountRecord, description: string | undefined): string {
  const signIn = `Sign in again with \`tokentray login${account.email ? ` --login-hint ${account.email}` : ''}\`.`;
  if (description && /invalid_rapt/i.test(description)) {
    return `Google asks ${displayName(account)} to re-authenticate: the Workspace administrator's session control requires a fresh sign-in (invalid_rapt). ${signIn}`;
  }
  if (account.flavor === 'google') {
    return (
      `Google no longer accepts the refresh token of ${displayName(account)} (invalid_grant): it was revoked, the password changed, or it expired. ` +
      `If the OAuth client's consent screen is in "Testing" status, Google expires its refresh tokens after 7 days; publish the app ("In production") to keep them. ${signIn}`
    );
  }
  return `${account.issuer} no longer accepts the refresh token of ${displayName(account)} (invalid_grant): it was revoked or expired. ${signIn}`;
}

/**
 * Hands out access and ID tokens: from the keychain cache while they stay valid, else by one
 * refresh at the issuer that concurrent callers for the same account and scopes share.
 */
export class TokenService {
  private readonly inflight = new Map<string, Promise<TokenCache>>();
  private readonly now: () => number;

  constructor(
    private readonly accounts: AccountService,
    options: TokenServiceOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  private fresh(token: CachedToken | undefined): token is CachedToken {
    return token !== undefined && token.expiresAt - this.now() > EXPIRY_MARGIN_MS;
  }

  private assertReady(account: AccountRecord): void {
    if (account.status === 'signin_required') {
      throw new TokenTrayError('REAUTH_REQUIRED', account.statusReason ?? `${displayName(account)} needs to sign in again: run \`tokentray login\`.`);
    }
  }

  /** An access token for the account's whole grant, or for a subset of its scopes. */
  async getAccessToken(account: AccountRecord, scopes?: readonly string[]): Promise<IssuedToken> {
    this.assertReady(account);
    const wanted = scopes && scopes.length > 0 ? normalizeScopes(scopes, account.flavor) : undefined;
    const key = wanted ? scopeKey(wanted) : '';
    const cached = (await this.accounts.vault.getTokenCache(account.id)).access[key];
    if (this.fresh(cached)) return cached;
    const cache = await this.refresh(account, key, wanted);
    return cache.access[key]!;
  }

  /** The ID token of the account's latest token response (audience: the OAuth client id). */
  async getIdToken(account: AccountRecord): Promise<IssuedToken> {
    this.assertReady(account);
    const cached = (await this.accounts.vault.getTokenCache(account.id)).id;
    if (this.fresh(cached)) return cached;
    const cache = await this.refresh(account, '', undefined);
    // Just issued, so no margin: only a missing or already expired ID token is a failure.
    if (!cache.id || cache.id.expiresAt <= this.now()) {
      throw new TokenTrayError('NO_ID_TOKEN', `${account.issuer} returned no ID token for ${displayName(account)}. The grant must include the openid scope: sign in again with \`tokentray login\`.`);
    }
    return cache.id;
  }

  /** Refreshes now, whatever the cache holds ("refresh now" in the window). */
  async forceRefresh(account: AccountRecord): Promise<void> {
    this.assertReady(account);
    await this.refresh(account, '', undefined);
  }

  private refresh(account: AccountRecord, key: string, scopes: string[] | undefined): Promise<TokenCache> {
    const flightKey = `${account.id}\n${key}`;
    let flight = this.inflight.get(flightKey);
    if (!flight) {
      flight = this.refreshNow(account, key, scopes).finally(() => this.inflight.delete(flightKey));
      this.inflight.set(flightKey, flight);
    }
    return flight;
  }

  private async refreshNow(account: AccountRecord, key: string, scopes: string[] | undefined): Promise<TokenCache> {
    const { client, refreshToken } = await this.accounts.clientOf(account);
    // openid-client is loaded only here: a warm call served from the cache never needs it.
    const { configure, oidc, translateOidcError } = await import('./oidc.js');
    const profile: ProviderProfile = { issuer: account.issuer, flavor: account.flavor };
    const config = await configure(profile, client);
    let tokens: Awaited<ReturnType<typeof oidc.refreshTokenGrant>>;
    try {
      tokens = await oidc.refreshTokenGrant(config, refreshToken, scopes ? { scope: scopes.join(' ') } : undefined);
    } catch (err) {
      if (err instanceof oidc.ResponseBodyError && err.error === 'invalid_grant') {
        const reason = reauthReason(account, err.error_description);
        await this.accounts.markSigninRequired(account.id, reason);
        throw new TokenTrayError('REAUTH_REQUIRED', reason, { cause: err });
      }
      throw translateOidcError(err, account.issuer, `refreshing the token of ${displayName(account)}`, 'TOKEN_REFRESH_FAILED');
    }
    // Google sends no new refresh token on refresh: keep ours. A rotating issuer sends one: store it.
    if (tokens.refresh_token && tokens.refresh_token !== refreshToken) {
      await this.accounts.vault.setSecrets(account.id, { refreshToken: tokens.refresh_token, ...(client.clientSecret ? { clientSecret: client.clientSecret } : {}) });
    }
    const now = this.now();
    const cache = await this.accounts.vault.getTokenCache(account.id);
    for (const [k, v] of Object.entries(cache.access)) if (v.expiresAt <= now) delete cache.access[k];
    cache.access[key] = { token: tokens.access_token, expiresAt: now + (tokens.expiresIn() ?? 3600) * 1000 };
    const claims = tokens.claims();
    if (tokens.id_token && claims) cache.id = { token: tokens.id_token, expiresAt: claims.exp * 1000 };
    await this.accounts.vault.setTokenCache(account.id, cache);
    if (key === '' && tokens.scope) {
      const granted = tokens.scope.split(' ').filter(Boolean);
      if (scopeKey(granted) !== scopeKey(account.scopes)) await this.accounts.updateScopes(account.id, granted);
    }
    return cache;
  }
}
