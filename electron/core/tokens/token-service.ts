import type { AccountRecord } from '../storage/account-registry.js';
import { displayName, type AccountService } from '../storage/account-service.js';
import type { CachedToken, StoredServiceAccountKey, TokenCache } from '../storage/credential-vault.js';
import { TokenTrayError } from '../shared/errors.js';
import type { ImpersonationChain } from '../google/impersonation.js';
import { GOOGLE_ISSUER, type ProviderProfile } from '../oauth/provider-profile.js';
import { CLOUD_PLATFORM, normalizeScopes, scopeKey } from '../oauth/scopes.js';

// Loaded on first use, like openid-client: a warm cached call needs none of them (jose among them).
const serviceAccounts = () => import('../google/service-account.js');
const iam = () => import('../google/impersonation.js');
const chainKey = (chain: ImpersonationChain) => [chain.target, ...chain.delegates].join(',');

/** A token is handed out only if it stays valid at least this long; gcloud and Google's libraries do alike. */
export const EXPIRY_MARGIN_MS = 5 * 60_000;

export interface IssuedToken {
  token: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface TokenServiceOptions {
  now?: () => number;
  /** Where TOKENTRAY_GOOGLE_* endpoint overrides are read. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface IdTokenOptions {
  /** An audience other than the OAuth client id (service accounts and impersonation only). */
  audience?: string;
  /** generateIdToken's includeEmail. */
  includeEmail?: boolean;
  impersonate?: ImpersonationChain;
}

/** How often a cached token's last use is written back (for least-recently-used eviction). */
const USE_RESOLUTION_MS = 10 * 60_000;

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
export function scopesOutsideGrant(wanted: readonly string[], granted: readonly string[], flavor: AccountRecord['flavor']): string[] {
  const has = (scope: string) => {
    if (granted.includes(scope) || IDENTITY_SCOPES.has(scope)) return true;
    if (flavor !== 'google') return false;
    const alias = GOOGLE_SCOPE_ALIASES[scope] ?? Object.keys(GOOGLE_SCOPE_ALIASES).find((k) => GOOGLE_SCOPE_ALIASES[k] === scope);
    return alias !== undefined && granted.includes(alias);
  };
  return wanted.filter((s) => !has(s));
}

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

const signInAgain = (account: AccountRecord, scope?: string) =>
  ({ facts: { remedy: 'sign-in-again', account: displayName(account), accountId: account.id, ...(scope ? { scope } : {}) } }) as const;

/**
 * Hands out access and ID tokens: from the keychain cache while they stay valid, else by one
 * refresh at the issuer that concurrent callers for the same account and scopes share. Every
 * write of an account's keychain items happens under its cross-process lock.
 */
export class TokenService {
  private readonly inflight = new Map<string, Promise<TokenCache>>();
  private readonly mints = new Map<string, Promise<CachedToken>>();
  private readonly now: () => number;
  private readonly env: Readonly<Record<string, string | undefined>>;

  constructor(
    private readonly accounts: AccountService,
    options: TokenServiceOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.env = options.env ?? process.env;
  }

  /**
   * Valid long enough to hand out: EXPIRY_MARGIN_MS before expiry, or a quarter of the token's
   * lifetime when that is shorter (issuers with 5-minute tokens would otherwise never be fresh).
   */
  private fresh(token: CachedToken | undefined): token is CachedToken {
    if (token === undefined || token.expiresAt <= this.now()) return false;
    const margin = token.obtainedAt ? Math.min(EXPIRY_MARGIN_MS, (token.expiresAt - token.obtainedAt) / 4) : EXPIRY_MARGIN_MS;
    return token.expiresAt - this.now() > margin;
  }

  private assertReady(account: AccountRecord): void {
    if (account.status === 'signin_required') {
      throw new TokenTrayError('REAUTH_REQUIRED', account.statusReason ?? `${displayName(account)} needs to sign in again.`, signInAgain(account));
    }
  }

  /** A down-scoped request outside the grant would only be refused by the issuer: refuse it here. */
  private assertWithinGrant(account: AccountRecord, wanted: string[]): void {
    const missing = scopesOutsideGrant(wanted, account.scopes, account.flavor);
    if (missing.length === 0) return;
    const all = [...account.scopes.filter((s) => s !== 'offline_access'), ...missing].join(',');
    throw new TokenTrayError(
      'SCOPE_NOT_GRANTED',
      `${displayName(account)} did not grant ${missing.join(', ')}: a down-scoped token can only narrow the scopes granted at sign-in (${account.scopes.join(' ')}).`,
      signInAgain(account, all),
    );
  }

  private static plain(t: CachedToken): IssuedToken {
    return { token: t.token, expiresAt: t.expiresAt };
  }

  /**
   * An access token: for the account's whole grant or a subset of its scopes; of a service account
   * (JWT-bearer grant); or, with `impersonate`, of another service account (IAM Credentials).
   */
  async getAccessToken(account: AccountRecord, scopes?: readonly string[], options: { impersonate?: ImpersonationChain } = {}): Promise<IssuedToken> {
    this.assertReady(account);
    const wanted = scopes && scopes.length > 0 ? normalizeScopes(scopes, account.flavor) : undefined;
    if (options.impersonate) {
      const chain = options.impersonate;
      const target = wanted ?? [CLOUD_PLATFORM];
      return this.cached(account, 'access', `imp:${chainKey(chain)}|${scopeKey(target)}`, async () =>
        (await iam()).generateAccessToken(await this.iamBase(), await this.iamSourceToken(account), chain, target),
      );
    }
    if (account.kind === 'service_account') {
      const target = wanted ?? account.scopes;
      // The default scopes are the account's default token (the warm path's one item).
      const key = wanted && scopeKey(wanted) !== scopeKey(account.scopes) ? `sa:${scopeKey(target)}` : '';
      return this.cached(account, 'access', key, async () => (await serviceAccounts()).jwtBearerGrant(await this.serviceAccountKey(account), { scopes: target }, this.now()));
    }
    if (wanted) this.assertWithinGrant(account, wanted);
    // Prefixed so that no scope string can name another kind of cached token (sa:, imp:).
    const key = wanted ? `s:${scopeKey(wanted)}` : '';
    if (key === '') {
      const cached = (await this.accounts.vault.getDefaultTokens(account.id)).access;
      if (this.fresh(cached)) return TokenService.plain(cached);
    } else {
      const cached = await this.accounts.vault.getOtherToken(account.id, 'access', key);
      if (this.fresh(cached)) return this.used(account, 'access', key, cached);
    }
    const cache = await this.refresh(account, key, wanted, (c) => this.fresh(c.access[key]));
    return TokenService.plain(cache.access[key]!);
  }

  /**
   * An ID token. Without options: the one of the account's latest token response (audience: the
   * OAuth client id). For another audience: a service account's own (JWT-bearer with
   * target_audience), or an impersonated one's (generateIdToken). Google issues a user's ID tokens
   * only for the client id, so a user account with an audience and no impersonation is refused.
   */
  async getIdToken(account: AccountRecord, options: IdTokenOptions = {}): Promise<IssuedToken> {
    this.assertReady(account);
    const { audience, includeEmail = false, impersonate } = options;
    if (impersonate) {
      if (!audience) throw new TokenTrayError('AUDIENCE_REQUIRED', `An ID token of ${impersonate.target} needs an audience: give --audiences with the URL (or client id) of the service that will check it.`);
      return this.cached(account, 'ids', `imp:${chainKey(impersonate)}|${audience}|${includeEmail}`, async () =>
        (await iam()).generateIdToken(await this.iamBase(), await this.iamSourceToken(account), impersonate, audience, includeEmail),
      );
    }
    if (account.kind === 'service_account') {
      if (!audience) throw new TokenTrayError('AUDIENCE_REQUIRED', `A service account's ID token needs an audience: give --audiences with the URL (or client id) of the service that will check it.`);
      return this.cached(account, 'ids', `sa:${audience}`, async () => (await serviceAccounts()).jwtBearerGrant(await this.serviceAccountKey(account), { targetAudience: audience }, this.now()));
    }
    if (audience) {
      throw new TokenTrayError(
        'AUDIENCE_NOT_SUPPORTED',
        `Google issues ID tokens of a user account (${displayName(account)}) only for the OAuth client it signed in with, so TokenTray cannot make one for ${audience}. ` +
          'Impersonate a service account (--impersonate-service-account SA, which needs roles/iam.serviceAccountTokenCreator on SA), or use a service-account key.',
      );
    }
    const cached = (await this.accounts.vault.getDefaultTokens(account.id)).id;
    if (this.fresh(cached)) return TokenService.plain(cached);
    const cache = await this.refresh(account, '', undefined, (c) => this.fresh(c.id), 'id');
    // Just issued, so no margin: only a missing or already expired ID token is a failure.
    if (!cache.id || cache.id.expiresAt <= this.now()) {
      throw new TokenTrayError('NO_ID_TOKEN', `${account.issuer} returned no ID token for ${displayName(account)}. The grant must include the openid scope.`, signInAgain(account, 'openid,email'));
    }
    return TokenService.plain(cache.id);
  }

  /** A self-signed JWT access token of a service account for one API (no token endpoint involved). */
  async getSelfSignedJwt(account: AccountRecord, audience: string): Promise<IssuedToken> {
    if (account.kind !== 'service_account') {
      throw new TokenTrayError('NOT_A_SERVICE_ACCOUNT', `${displayName(account)} is a user account: only a service-account key can sign its own JWT.`, { facts: { remedy: 'import-service-account' } });
    }
    return (await serviceAccounts()).selfSignedJwt(await this.serviceAccountKey(account), audience, this.now());
  }

  private async iamBase(): Promise<string> {
    const { googleEndpoint } = await import('../google/google-http.js');
    return googleEndpoint(this.env, 'TOKENTRAY_GOOGLE_IAMCREDENTIALS_URL', 'https://iamcredentials.googleapis.com');
  }

  /** The caller's token for IAM Credentials: it must carry the cloud-platform scope. */
  private async iamSourceToken(account: AccountRecord): Promise<string> {
    if (account.kind === 'service_account') return (await this.getAccessToken(account, [CLOUD_PLATFORM])).token;
    if (account.flavor !== 'google') {
      throw new TokenTrayError('IMPERSONATION_FAILED', `${displayName(account)} is not a Google account (${account.issuer}); only Google accounts can impersonate service accounts.`);
    }
    if (!account.scopes.includes(CLOUD_PLATFORM)) {
      throw new TokenTrayError('IMPERSONATION_NEEDS_SCOPE', `Impersonation needs the cloud-platform scope, which ${displayName(account)} did not grant.`, signInAgain(account, 'cloud-platform'));
    }
    return (await this.getAccessToken(account)).token;
  }

  private async serviceAccountKey(account: AccountRecord): Promise<StoredServiceAccountKey> {
    const key = await this.accounts.vault.getServiceAccountKey(account.id);
    if (!key) throw new TokenTrayError('KEYCHAIN_ENTRY_MISSING', `The keychain holds no key for ${displayName(account)}.`, { facts: { remedy: 'import-key-again', account: displayName(account), accountId: account.id } });
    return key;
  }

  /** Read-modify-write of an account's cached tokens, taking the account's lock. */
  private updateCache(accountId: string, fn: (cache: TokenCache) => void): Promise<TokenCache> {
    return this.accounts.withAccountLock(accountId, () => this.accounts.vault.updateTokenCache(accountId, this.now(), fn));
  }

  /** Hands out a cached token; notes its use now and then, so the least recently used is evicted first. */
  private async used(account: AccountRecord, bucket: 'access' | 'ids', key: string, token: CachedToken): Promise<IssuedToken> {
    const now = this.now();
    if (now - (token.usedAt ?? token.obtainedAt ?? 0) > USE_RESOLUTION_MS) {
      await this.updateCache(account.id, (cache) => {
        const entry = cache[bucket][key];
        if (entry) entry.usedAt = now;
      });
    }
    return TokenService.plain(token);
  }

  /**
   * A cached token, or one minted once for all concurrent callers and then cached. Minted outside
   * the lock (impersonation may itself refresh the account's token, which takes the lock), written
   * inside it.
   */
  private async cached(account: AccountRecord, bucket: 'access' | 'ids', key: string, mint: () => Promise<CachedToken>): Promise<IssuedToken> {
    const hit = key === '' && bucket === 'access' ? (await this.accounts.vault.getDefaultTokens(account.id)).access : await this.accounts.vault.getOtherToken(account.id, bucket, key);
    if (this.fresh(hit)) return key === '' ? TokenService.plain(hit) : this.used(account, bucket, key, hit);
    const flightKey = `${account.id}\n${bucket}\n${key}`;
    let flight = this.mints.get(flightKey);
    if (!flight) {
      flight = (async () => {
        const minted = await mint();
        const token: CachedToken = { ...minted, obtainedAt: minted.obtainedAt ?? this.now() };
        await this.updateCache(account.id, (cache) => {
          if (bucket === 'access') cache.access[key] = token;
          else cache.ids[key] = token;
        });
        return token;
      })().finally(() => this.mints.delete(flightKey));
      this.mints.set(flightKey, flight);
    }
    return TokenService.plain(await flight);
  }

  /** Refreshes now, whatever the cache holds ("refresh now" in the window). */
  async forceRefresh(account: AccountRecord): Promise<void> {
    this.assertReady(account);
    if (account.kind === 'service_account') {
      const key = await this.serviceAccountKey(account);
      const token = await (await serviceAccounts()).jwtBearerGrant(key, { scopes: account.scopes }, this.now());
      await this.updateCache(account.id, (cache) => (cache.access[''] = { ...token, obtainedAt: token.obtainedAt ?? this.now() }));
      return;
    }
    await this.refresh(account, '', undefined, () => false, 'force');
  }

  /**
   * One refresh per account and scopes: shared by concurrent callers in this process, and taken in
   * turns with other TokenTray processes (the account's lock), which matters when the issuer
   * rotates refresh tokens: two processes refreshing with the same token would lose the rotated
   * one, and an issuer that detects reuse revokes the whole grant. `satisfied` says whether the
   * cache, read once the lock is ours, already has what the caller needs.
   */
  private refresh(account: AccountRecord, key: string, scopes: string[] | undefined, satisfied: (cache: TokenCache) => boolean, need: 'access' | 'id' | 'force' = 'access'): Promise<TokenCache> {
    // Callers share a flight only when they need the same thing, since `satisfied` is the first
    // caller's: an ID-token caller must not settle an access-token caller's refresh.
    const flightKey = `${account.id}\n${key}\n${need}`;
    let flight = this.inflight.get(flightKey);
    if (!flight) {
      flight = this.accounts
        .withAccountLock(account.id, async () => {
          const latest = await this.accounts.vault.getTokenCache(account.id);
          return satisfied(latest) ? latest : this.refreshNow(account, key, scopes);
        })
        .finally(() => this.inflight.delete(flightKey));
      this.inflight.set(flightKey, flight);
    }
    return flight;
  }

  /** The refresh itself. The caller holds the account's lock. */
  private async refreshNow(account: AccountRecord, key: string, scopes: string[] | undefined): Promise<TokenCache> {
    // An item of the old layout: its client secret moves to the client's own item first.
    await this.accounts.migrateLegacyItem(account);
    // Read inside the lock: another process may have stored a rotated refresh token meanwhile.
    const { client, refreshToken } = await this.accounts.clientOf(account);
    // openid-client is loaded only here: a warm call served from the cache never needs it.
    const { configure, oidc, translateOidcError } = await import('../oauth/oidc.js');
    const profile: ProviderProfile = { issuer: account.issuer, flavor: account.flavor };
    const config = await configure(profile, client);
    let tokens: Awaited<ReturnType<typeof oidc.refreshTokenGrant>>;
    try {
      tokens = await oidc.refreshTokenGrant(config, refreshToken, scopes ? { scope: scopes.join(' ') } : undefined);
    } catch (err) {
      if (err instanceof oidc.ResponseBodyError && err.error === 'invalid_grant') {
        const reason = reauthReason(account, err.error_description);
        await this.accounts.markSigninRequired(account.id, reason);
        throw new TokenTrayError('REAUTH_REQUIRED', reason, { cause: err, ...signInAgain(account) });
      }
      throw translateOidcError(err, account.issuer, `refreshing the token of ${displayName(account)}`, 'TOKEN_REFRESH_FAILED');
    }
    // Google sends no new refresh token on refresh: keep ours. A rotating issuer sends one: store it.
    if (tokens.refresh_token && tokens.refresh_token !== refreshToken) {
      await this.accounts.vault.setSecrets(account.id, { refreshToken: tokens.refresh_token });
    }
    const now = this.now();
    const claims = tokens.claims();
    const cache = await this.accounts.vault.updateTokenCache(account.id, now, (c) => {
      c.access[key] = { token: tokens.access_token, expiresAt: now + (tokens.expiresIn() ?? 3600) * 1000, obtainedAt: now };
      if (tokens.id_token && claims) c.id = { token: tokens.id_token, expiresAt: claims.exp * 1000, obtainedAt: claims.iat * 1000 };
    });
    if (key === '' && tokens.scope) {
      const granted = tokens.scope.split(' ').filter(Boolean);
      if (scopeKey(granted) !== scopeKey(account.scopes)) await this.accounts.updateScopes(account.id, granted);
    }
    return cache;
  }
}
