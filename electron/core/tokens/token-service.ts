import type { AccountRecord } from '../accounts/account-registry.js';
import { displayName, type AccountService } from '../accounts/account-service.js';
import type { CachedToken } from '../storage/credential-vault.js';
import { TokenTrayError } from '../shared/errors.js';
import { isBearerToken } from '../shared/sanitize.js';
import type { TokenDetails } from '../shared/models.js';
import type { ImpersonationChain } from '../google/impersonation.js';
import { normalizeScopes } from '../oauth/scopes.js';
import { assertReady, signInAgain } from './reauth.js';
import { SharedTokenCache } from './shared-token-cache.js';
import { impersonationSource } from './sources/impersonation.js';
import { SOURCES } from './sources/index.js';
import { selfSignedJwt } from './sources/service-account-key.js';
import type { SourceContext, TokenSource } from './token-source.js';

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

/** Every token handed out passes here: checked once more, since it goes into headers, JSON and terminals. */
function plain(t: CachedToken): TokenDetails {
  if (!isBearerToken(t.token))
    throw new TokenTrayError('PROVIDER_BAD_RESPONSE', 'The token to hand out breaks the bearer-token syntax (RFC 6750); TokenTray did not show it.');
  return { token: t.token, expiresAt: t.expiresAt };
}

/**
 * Hands out access and ID tokens: it picks the account's token source (sources/) and asks the
 * shared cache, which serves a fresh token or mints one once for all concurrent callers.
 */
export class TokenService {
  private readonly cache: SharedTokenCache;
  private readonly context: SourceContext;

  constructor(accounts: AccountService, options: TokenServiceOptions = {}) {
    const now = options.now ?? Date.now;
    this.cache = new SharedTokenCache(accounts, now);
    this.context = { accounts, env: options.env ?? process.env, now, accessToken: (account, scopes) => this.getAccessToken(account, scopes) };
  }

  private source(account: AccountRecord, impersonate: ImpersonationChain | undefined): TokenSource {
    return impersonate ? impersonationSource(this.context, impersonate) : SOURCES[account.kind ?? 'user'](this.context);
  }

  /**
   * An access token: for the account's whole grant or a subset of its scopes; or, with
   * `impersonate`, of the service account it impersonates.
   */
  async getAccessToken(account: AccountRecord, scopes?: readonly string[], options: { impersonate?: ImpersonationChain } = {}): Promise<TokenDetails> {
    assertReady(account);
    const wanted = scopes && scopes.length > 0 ? normalizeScopes(scopes, account.flavor) : undefined;
    const token = await this.cache.get(account, this.source(account, options.impersonate).access(account, wanted));
    if (!token) throw new TokenTrayError('PROVIDER_ERROR', `${account.issuer} returned no access token for ${displayName(account)}.`);
    return plain(token);
  }

  /**
   * An ID token. Without options: the account's own (audience: its OAuth client id). For another
   * audience: a service account's own, or an impersonated one's; a user account's is refused.
   */
  async getIdToken(account: AccountRecord, options: IdTokenOptions = {}): Promise<TokenDetails> {
    assertReady(account);
    const { audience, includeEmail = false, impersonate } = options;
    const plan = this.source(account, impersonate).id(account, { ...(audience ? { audience } : {}), includeEmail });
    const token = (await this.cache.get(account, plan)) ?? (await this.cache.peek(account.id, plan.slot));
    // Just issued, so no margin: only a missing or already expired ID token is a failure.
    if (!token || token.expiresAt <= this.context.now()) {
      throw new TokenTrayError(
        'NO_ID_TOKEN',
        `${account.issuer} returned no ID token for ${displayName(account)}. The grant must include the openid scope.`,
        signInAgain(account, 'openid,email'),
      );
    }
    return plain(token);
  }

  /** A self-signed JWT access token of a service account for one API (no token endpoint involved). */
  async getSelfSignedJwt(account: AccountRecord, audience: string): Promise<TokenDetails> {
    return plain(await selfSignedJwt(this.context, account, audience));
  }

  /** Refreshes the account's default token now, whatever the cache holds ("refresh now" in the window). */
  async forceRefresh(account: AccountRecord): Promise<void> {
    assertReady(account);
    await this.cache.refill(account, this.source(account, undefined).access(account, undefined));
  }
}
