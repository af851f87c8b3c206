import type { TokenDetails } from '../shared/models.js';
import { isFresh } from './freshness.js';

export interface TokenMemoryOptions {
  /** Tokens held at most; the least recently used goes first. */
  limit?: number;
  /** The clock of the freshness rule (tests move it). */
  now?: () => number;
  /**
   * The invalidation hook: a version of what a token was handed out under (the agent: accounts.json's
   * stamp). A held token is handed out again only while the version is unchanged.
   */
  version?: () => string;
}

interface Held extends TokenDetails {
  version: string;
}

/** Enough for every account, scope set and audience a user asks for at once; a few KB each. */
const DEFAULT_LIMIT = 128;

/**
 * Tokens held in memory in front of the shared cache (the keychain or vault), by a long-running
 * server that answers many requests (the agent, the metadata server): one place for the hit
 * check, the one freshness rule (freshness.ts) and least-recently-used eviction. Only fresh tokens
 * are handed out; a token that is not, or was held under another version, is forgotten.
 */
export class TokenMemory {
  private readonly held = new Map<string, Held>();
  private readonly limit: number;
  private readonly now: () => number;
  private readonly version: () => string;

  constructor(options: TokenMemoryOptions = {}) {
    this.limit = options.limit ?? DEFAULT_LIMIT;
    this.now = options.now ?? Date.now;
    this.version = options.version ?? (() => '');
  }

  /** The token held for `key`, if it may be handed out; it becomes the most recently used. */
  get(key: string): TokenDetails | undefined {
    const held = this.held.get(key);
    if (!held) return undefined;
    this.held.delete(key);
    if (!isFresh(held, this.now()) || held.version !== this.version()) return undefined;
    this.held.set(key, held);
    return { token: held.token, expiresAt: held.expiresAt };
  }

  /**
   * `key`'s token: the one held, else `fetch`'s, then held. The version is read before `fetch`, so
   * a change while it runs is not masked by the newer version.
   */
  async through(key: string, fetch: () => Promise<TokenDetails>): Promise<TokenDetails> {
    const hit = this.get(key);
    if (hit) return hit;
    const version = this.version();
    const token = await fetch();
    this.held.delete(key);
    if (this.held.size >= this.limit) this.held.delete(this.held.keys().next().value!);
    this.held.set(key, { token: token.token, expiresAt: token.expiresAt, version });
    return { token: token.token, expiresAt: token.expiresAt };
  }
}
