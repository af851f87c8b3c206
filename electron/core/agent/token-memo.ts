import { registryStamp } from '../accounts/account-registry.js';
import { isFresh } from '../tokens/freshness.js';
import type { AgentRequest } from './protocol.js';

interface Held {
  token: string;
  expiresAt: number;
  /** accounts.json as it was when the token was handed out. */
  registry: string;
}

const MAX_HELD = 256;

/**
 * The agent's tokens in memory, so that a warm request does not read the store (a keychain round
 * trip over D-Bus, or the vault file) each time. A token is handed out again only while it stays
 * fresh (the cache's rule, as the metadata server's held token) and accounts.json is unchanged: a sign-out, a new
 * sign-in, "sign in again" or a setting changes that file, and the token service then decides.
 */
export class TokenMemo {
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly home: string,
    private readonly now: () => number = Date.now,
  ) {}

  private stamp(): string {
    return registryStamp(this.home);
  }

  static key(request: AgentRequest): string | undefined {
    if (request.op !== 'access-token' && request.op !== 'id-token') return undefined;
    return JSON.stringify([
      request.op,
      request.account ?? null,
      request.scopes ?? null,
      request.impersonate ?? null,
      request.audience ?? null,
      request.includeEmail ?? false,
    ]);
  }

  get(key: string): { token: string; expiresAt: number } | undefined {
    const held = this.held.get(key);
    if (!held) return undefined;
    if (!isFresh(held, this.now()) || held.registry !== this.stamp()) {
      this.held.delete(key);
      return undefined;
    }
    return { token: held.token, expiresAt: held.expiresAt };
  }

  /** `registry` is the stamp taken before the token service was asked, so a change meanwhile is not masked. */
  set(key: string, token: { token: string; expiresAt: number }, registry: string): void {
    if (this.held.size >= MAX_HELD) this.held.clear();
    this.held.set(key, { token: token.token, expiresAt: token.expiresAt, registry });
  }

  registryStamp(): string {
    return this.stamp();
  }
}
