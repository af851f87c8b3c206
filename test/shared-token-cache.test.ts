import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createCore, type Core } from '../electron/core/core.js';
import type { AccountRecord } from '../electron/core/accounts/account-registry.js';
import type { CachedToken } from '../electron/core/storage/credential-vault.js';
import { EXPIRY_MARGIN_MS, isFresh } from '../electron/core/tokens/freshness.js';
import { SharedTokenCache } from '../electron/core/tokens/shared-token-cache.js';
import type { Minted, Slot, TokenPlan } from '../electron/core/tokens/token-source.js';
import { MemorySecretStore } from './support/memory-secret-store.js';
import { makeSandbox, type Sandbox } from './support/sandbox.js';

const HOUR = 3_600_000;
const account = {
  id: 'acct00000001',
  subject: 's',
  issuer: 'http://127.0.0.1:1',
  flavor: 'oidc',
  clientId: 'c',
  scopes: ['openid'],
  status: 'ready',
  createdAt: '',
  updatedAt: '',
} as AccountRecord;

/** A source double: counts mints, and can be held until the test lets it go. */
function plan(slot: Slot, options: { underLock?: boolean; also?: Array<[Slot, CachedToken]>; gate?: Promise<void>; started?: () => void } = {}) {
  let mints = 0;
  const p: TokenPlan = {
    slot,
    underLock: options.underLock ?? false,
    mint: async (): Promise<Minted> => {
      const n = ++mints;
      options.started?.();
      await options.gate;
      return { token: { token: `t${n}-${Math.random()}`, expiresAt: clock + HOUR, obtainedAt: clock }, ...(options.also ? { also: options.also } : {}) };
    },
  };
  return Object.assign(p, { count: () => mints });
}

let clock = Date.now();

describe('the shared token cache', () => {
  let sandbox: Sandbox;
  let store: MemorySecretStore;
  let core: Core;
  let cache: SharedTokenCache;

  beforeEach(async () => {
    sandbox = await makeSandbox();
    store = new MemorySecretStore();
    clock = Date.now();
    core = createCore({ env: sandbox.env, store, now: () => clock });
    cache = new SharedTokenCache(core.accounts, () => clock);
  });
  afterEach(async () => {
    await sandbox.cleanup();
  });

  it('mints on a miss, then serves the cached token without minting', async () => {
    const p = plan({ bucket: 'access', key: '' });
    const first = await cache.get(account, p);
    const second = await cache.get(account, p);
    assert.equal(p.count(), 1);
    assert.equal(second?.token, first?.token);
    assert.ok(store.items.has(`tokens:${account.id}`), 'the default token lives in the hot item');
  });

  it('mints once for many concurrent callers of one slot (single flight), in and out of the lock', async () => {
    for (const underLock of [false, true]) {
      let open!: () => void;
      const p = plan({ bucket: 'ids', key: `aud-${underLock}` }, { underLock, gate: new Promise<void>((r) => (open = r)) });
      const all = Array.from({ length: 10 }, () => cache.get(account, p));
      open();
      const tokens = await Promise.all(all);
      assert.equal(p.count(), 1, `underLock ${underLock}`);
      assert.equal(new Set(tokens.map((t) => t?.token)).size, 1);
    }
  });

  it('reads the cache again under the lock: a second process (another cache) does not mint again', async () => {
    const other = new SharedTokenCache(createCore({ env: sandbox.env, store, now: () => clock }).accounts, () => clock);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let minting!: () => void;
    const started = new Promise<void>((r) => (minting = r));
    const p = plan({ bucket: 'access', key: '' }, { underLock: true, gate, started: minting });
    const q = plan({ bucket: 'access', key: '' }, { underLock: true });
    const first = cache.get(account, p);
    // The first holds the lock, minting; the second waits for it, then finds the fresh token.
    await started;
    const second = other.get(account, q);
    open();
    assert.equal((await second)?.token, (await first)?.token);
    assert.equal(p.count() + q.count(), 1);
  });

  it('mints again once the token nears expiry, and on a forced refill whatever the cache holds', async () => {
    const p = plan({ bucket: 'access', key: 's:x' });
    await cache.get(account, p);
    clock += HOUR - EXPIRY_MARGIN_MS + 1;
    await cache.get(account, p);
    assert.equal(p.count(), 2, 'inside the margin: a new token');
    await cache.refill(account, p);
    assert.equal(p.count(), 3, 'refill always mints');
  });

  it('stores the other tokens a mint carried (a refresh gives the access and the ID token)', async () => {
    const id: CachedToken = { token: 'the-id-token', expiresAt: clock + HOUR, obtainedAt: clock };
    const p = plan({ bucket: 'access', key: '' }, { underLock: true, also: [[{ bucket: 'id' }, id]] });
    await cache.get(account, p);
    assert.equal((await cache.peek(account.id, { bucket: 'id' }))?.token, 'the-id-token');
    const idPlan = plan({ bucket: 'id' });
    assert.equal((await cache.get(account, idPlan))?.token, 'the-id-token');
    assert.equal(idPlan.count(), 0, 'served from the cache');
  });

  it('notes the use of an other token now and then, so the least recently used goes first', async () => {
    const p = plan({ bucket: 'access', key: 's:y' });
    await cache.get(account, p);
    const writes = store.writes;
    await cache.get(account, p);
    assert.equal(store.writes, writes, 'a use within ten minutes writes nothing');
    clock += 11 * 60_000;
    await cache.get(account, p);
    assert.equal(store.writes, writes + 1, 'a later use is noted');
    assert.equal((await cache.peek(account.id, p.slot))?.usedAt, clock);
  });
});

describe('freshness, one rule', () => {
  it('keeps a margin of five minutes, or a quarter of a short lifetime', () => {
    const now = 1_000_000_000;
    assert.equal(isFresh({ token: 't', expiresAt: now + EXPIRY_MARGIN_MS + 1 }, now), true);
    assert.equal(isFresh({ token: 't', expiresAt: now + EXPIRY_MARGIN_MS }, now), false);
    assert.equal(isFresh({ token: 't', expiresAt: now + 2 * 60_000, obtainedAt: now - 3 * 60_000 }, now), true, '5-minute token with 2 left');
    assert.equal(isFresh({ token: 't', expiresAt: now + 60_000, obtainedAt: now - 4 * 60_000 }, now), false);
    assert.equal(isFresh(undefined, now), false);
  });
});
