import type { AccountRecord } from '../accounts/account-registry.js';
import type { TokenDetails } from '../shared/models.js';
import { scopeKey } from '../oauth/scopes.js';
import { isFresh } from './freshness.js';

/**
 * Access tokens held in memory while fresh (the cache's own rule), in front of the shared cache,
 * for a server that answers many requests a second: the keychain is read only when a token is
 * missing or near expiry. The account's record is still read per request by the caller, so a
 * sign-out or "sign in again" applies at once.
 */
export class MemoryFront {
  private readonly held = new Map<string, TokenDetails>();

  constructor(
    private readonly now: () => number,
    /** Tokens held at most (oldest out first): scope subsets are many, and requests choose them. */
    private readonly limit = 32,
  ) {}

  async access(account: AccountRecord, scopes: string[] | undefined, fetch: () => Promise<TokenDetails>): Promise<TokenDetails> {
    const key = `${account.id}\n${scopes ? scopeKey(scopes) : ''}`;
    const held = this.held.get(key);
    if (account.status === 'ready' && isFresh(held, this.now())) return held;
    const token = await fetch();
    if (this.held.size >= this.limit && !this.held.has(key)) this.held.delete(this.held.keys().next().value!);
    this.held.set(key, token);
    return token;
  }
}
