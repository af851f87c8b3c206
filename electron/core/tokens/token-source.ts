import type { AccountRecord } from '../accounts/account-registry.js';
import type { AccountService } from '../accounts/account-service.js';
import type { CachedToken } from '../storage/credential-vault.js';
import type { TokenDetails } from '../shared/models.js';

/** Where a token lives in an account's cache. */
export type Slot =
  /** Access tokens; key '' is the account's default token (the warm path's). */
  | { bucket: 'access'; key: string }
  /** ID tokens for an audience. */
  | { bucket: 'ids'; key: string }
  /** The account's own ID token (audience: its OAuth client). */
  | { bucket: 'id' };

/** What one mint produced: the token asked for (none if the response lacked it), and others it carried. */
export interface Minted {
  token: CachedToken | undefined;
  also?: Array<[Slot, CachedToken]>;
  /**
   * A rotating issuer's new refresh token. The cache stores it first, in the same write as the
   * tokens (one vault rewrite): until then a kill loses it, and the old one is spent.
   */
  refreshToken?: string;
  /** Work after the tokens are stored (the registry's granted scopes). */
  afterStore?: () => Promise<void>;
}

/** How to get one token: the slot it is cached in, and how to mint it when the cache has none fresh. */
export interface TokenPlan {
  slot: Slot;
  mint: () => Promise<Minted>;
  /**
   * Mint while holding the account's lock, after reading the cache again: a refresh-token grant at
   * an issuer that rotates must never run twice with one token. Otherwise the mint runs outside
   * the lock (impersonation may itself take the account's lock) and only the write is locked.
   */
  underLock: boolean;
}

export interface IdRequest {
  /** An audience other than the OAuth client id. */
  audience?: string;
  /** generateIdToken's includeEmail. */
  includeEmail: boolean;
}

/** What every source may use. */
export interface SourceContext {
  accounts: AccountService;
  /** Where TOKENTRAY_GOOGLE_* endpoint overrides are read. */
  env: Readonly<Record<string, string | undefined>>;
  now: () => number;
  /** The account's own access token, through the cache (impersonation's caller token). */
  accessToken(account: AccountRecord, scopes?: readonly string[]): Promise<TokenDetails>;
}

/**
 * One way of minting an account's tokens. A kind of account is one source file and one entry in
 * `sources/index.ts`; caching, single flight and locking are the cache's, not the source's.
 */
export interface TokenSource {
  /** An access token for `scopes` (already normalized), or for the account's default scopes. */
  access(account: AccountRecord, scopes: string[] | undefined): TokenPlan;
  id(account: AccountRecord, request: IdRequest): TokenPlan;
}

export type SourceFactory = (context: SourceContext) => TokenSource;
