import type { AccountRecord } from '../accounts/account-registry.js';
import type { AccountService } from '../accounts/account-service.js';
import type { CachedToken, TokenCache } from '../storage/credential-vault.js';
import { isFresh } from './freshness.js';
import type { Minted, Slot, TokenPlan } from './token-source.js';

/** How often a cached token's last use is written back (for least-recently-used eviction). */
const USE_RESOLUTION_MS = 10 * 60_000;

const slotName = (slot: Slot) => (slot.bucket === 'id' ? 'id' : `${slot.bucket}\n${slot.key}`);
/** The hot item holds these two: reading them is the warm path's one keychain read. */
const isDefault = (slot: Slot) => slot.bucket === 'id' || (slot.bucket === 'access' && slot.key === '');

function put(cache: TokenCache, slot: Slot, token: CachedToken): void {
  if (slot.bucket === 'id') cache.id = token;
  else cache[slot.bucket][slot.key] = token;
}

/**
 * The one token cache of every surface (CLI, app, metadata server): an account's tokens in its
 * keychain items, shared across processes. It owns the hit check, one mint for all concurrent
 * callers of a slot in this process (single flight), the account's cross-process lock around every
 * write, and least-recently-used notes (the vault caps each kind).
 */
export class SharedTokenCache {
  private readonly flights = new Map<string, Promise<CachedToken | undefined>>();

  constructor(
    private readonly accounts: AccountService,
    private readonly now: () => number,
  ) {}

  /** What the cache holds in a slot, fresh or not. */
  async peek(accountId: string, slot: Slot): Promise<CachedToken | undefined> {
    if (slot.bucket === 'id') return (await this.accounts.tokenCache.defaultTokens(accountId)).id;
    if (isDefault(slot)) return (await this.accounts.tokenCache.defaultTokens(accountId)).access;
    return this.accounts.tokenCache.otherToken(accountId, slot.bucket, slot.key);
  }

  /** A fresh cached token, else one minted once for all concurrent callers and then cached. */
  async get(account: AccountRecord, plan: TokenPlan): Promise<CachedToken | undefined> {
    const hit = await this.peek(account.id, plan.slot);
    if (isFresh(hit, this.now())) return this.used(account.id, plan.slot, hit);
    return this.fill(account, plan, false);
  }

  /** Mints now, whatever the cache holds ("refresh now"). */
  refill(account: AccountRecord, plan: TokenPlan): Promise<CachedToken | undefined> {
    return this.fill(account, plan, true);
  }

  private fill(account: AccountRecord, plan: TokenPlan, force: boolean): Promise<CachedToken | undefined> {
    // Callers share a flight only when they need the same slot: an ID-token caller must not settle
    // for an access-token caller's refresh, nor a forced refresh for a cached token.
    const key = `${account.id}\n${slotName(plan.slot)}\n${force ? 'force' : ''}`;
    let flight = this.flights.get(key);
    if (!flight) {
      flight = (plan.underLock ? this.mintLocked(account.id, plan, force) : this.mintThenStore(account.id, plan)).finally(() => this.flights.delete(key));
      this.flights.set(key, flight);
    }
    return flight;
  }

  /** Reads the cache again once the lock is ours: another process may have minted meanwhile. */
  private mintLocked(accountId: string, plan: TokenPlan, force: boolean): Promise<CachedToken | undefined> {
    return this.accounts.withAccountLock(accountId, async () => {
      if (!force) {
        const latest = await this.peek(accountId, plan.slot);
        if (isFresh(latest, this.now())) return latest;
      }
      const minted = await plan.mint();
      await this.store(accountId, plan.slot, minted);
      return minted.token;
    });
  }

  private async mintThenStore(accountId: string, plan: TokenPlan): Promise<CachedToken | undefined> {
    const minted = await plan.mint();
    await this.accounts.withAccountLock(accountId, () => this.store(accountId, plan.slot, minted));
    return minted.token;
  }

  /**
   * Writes what a mint produced: a rotated refresh token first, then the tokens, in one write (the
   * file vault rewrites once), then what the source does after. The caller holds the account's lock.
   */
  private async store(accountId: string, slot: Slot, minted: Minted): Promise<void> {
    const now = this.now();
    const stamp = (t: CachedToken): CachedToken => ({ ...t, obtainedAt: t.obtainedAt ?? now });
    await this.accounts.tokenCache.update(
      accountId,
      now,
      (cache) => {
        if (minted.token) put(cache, slot, stamp(minted.token));
        for (const [other, token] of minted.also ?? []) put(cache, other, stamp(token));
      },
      minted.refreshToken,
    );
    await minted.afterStore?.();
  }

  /** Hands out a cached token; notes its use now and then, so the least recently used is evicted first. */
  private async used(accountId: string, slot: Slot, token: CachedToken): Promise<CachedToken> {
    const now = this.now();
    if (slot.bucket !== 'id' && !isDefault(slot) && now - (token.usedAt ?? token.obtainedAt ?? 0) > USE_RESOLUTION_MS) {
      await this.accounts.withAccountLock(accountId, () =>
        this.accounts.tokenCache.update(accountId, now, (cache) => {
          const entry = cache[slot.bucket][slot.key];
          if (entry) entry.usedAt = now;
        }),
      );
    }
    return token;
  }
}
