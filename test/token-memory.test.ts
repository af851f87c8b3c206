/**
 * The one memory of held tokens (core/tokens/token-memory.ts), used by the agent and the metadata
 * server: least-recently-used eviction, the freshness rule, the invalidation hook. In process.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { registryStamp } from '../electron/core/accounts/account-registry.js';
import { EXPIRY_MARGIN_MS } from '../electron/core/tokens/freshness.js';
import { TokenMemory } from '../electron/core/tokens/token-memory.js';

const HOUR = 3_600_000;

/** A memory on a clock the test moves, and a fetch that counts its calls per key. */
function setUp(options: { limit?: number; version?: () => string } = {}) {
  const clock = { now: 1_000_000 };
  const memory = new TokenMemory({ ...options, now: () => clock.now });
  const fetches: string[] = [];
  const ask = (key: string, lifetime = HOUR) =>
    memory.through(key, async () => {
      fetches.push(key);
      return { token: `tok-${key}-${fetches.length}`, expiresAt: clock.now + lifetime };
    });
  return { clock, memory, fetches, ask };
}

describe('the memory of held tokens (agent and metadata server)', () => {
  it('evicts the least recently used: a hit counts as a use, so the oldest untouched goes first', async () => {
    const { memory, fetches, ask } = setUp({ limit: 3 });
    for (const key of ['a', 'b', 'c']) await ask(key);
    assert.equal((await ask('a')).token, 'tok-a-1'); // a hit: a is now the most recent
    await ask('d'); // one too many: b goes, not a (first in)
    assert.equal(memory.get('b'), undefined);
    for (const key of ['a', 'c', 'd']) assert.ok(memory.get(key), key);
    assert.deepEqual(fetches, ['a', 'b', 'c', 'd']);
  });

  it('hands a token out only while it is fresh by the one rule (freshness.ts), and forgets it then', async () => {
    const { clock, memory, fetches, ask } = setUp();
    await ask('k');
    clock.now += HOUR - EXPIRY_MARGIN_MS - 1;
    assert.equal(memory.get('k')?.token, 'tok-k-1');
    clock.now += 1; // within the margin: not handed out, and forgotten
    assert.equal(memory.get('k'), undefined);
    assert.equal((await ask('k')).token, 'tok-k-2');
    // A token that is not a bearer token as it is (RFC 6750) is never handed out from memory.
    await memory.through('odd', async () => ({ token: 'not a token', expiresAt: clock.now + HOUR }));
    assert.equal(memory.get('odd'), undefined);
    assert.deepEqual(fetches, ['k', 'k']);
  });

  it('the invalidation hook: a token is handed out again only under the version it was fetched under, read before the fetch', async () => {
    let version = 'v1';
    const { memory, ask } = setUp({ version: () => version });
    await ask('k');
    assert.ok(memory.get('k'));
    version = 'v2';
    assert.equal(memory.get('k'), undefined);
    // The version changes while the token is fetched: it was fetched under v2, so it is not reused under v3.
    const slow = memory.through('k', async () => {
      version = 'v3';
      return { token: 'fetched-during-change', expiresAt: Date.now() + HOUR };
    });
    assert.equal((await slow).token, 'fetched-during-change');
    assert.equal(memory.get('k'), undefined);
  });

  it("the agent's hook, accounts.json's stamp: any rewrite of the file (even to the same size) forgets every token", async () => {
    const home = await mkdtemp(join(tmpdir(), 'token-memory-'));
    try {
      const registry = join(home, 'accounts.json');
      await writeFile(registry, '{"version":1,"accounts":[]}');
      const { memory, fetches, ask } = setUp({ version: () => registryStamp(home) });
      await ask('k');
      assert.ok(memory.get('k'));
      await rm(registry);
      await writeFile(registry, '{"version":1,"accounts":[]}');
      await ask('k');
      assert.deepEqual(fetches, ['k', 'k']);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('a failed fetch holds nothing and evicts nothing', async () => {
    const { memory, ask } = setUp({ limit: 1 });
    await ask('a');
    await assert.rejects(
      memory.through('b', async () => {
        throw new Error('issuer down');
      }),
      /issuer down/,
    );
    assert.ok(memory.get('a'));
    assert.equal(memory.get('b'), undefined);
  });

  it('behaves as a reference LRU model for any sequence of asks, clock moves and version changes', async () => {
    type Op = { ask: number; lifetime: number } | { tick: number } | { bump: true };
    const op = fc.oneof(
      { arbitrary: fc.record({ ask: fc.nat(5), lifetime: fc.constantFrom(HOUR, EXPIRY_MARGIN_MS / 2) }), weight: 8 },
      { arbitrary: fc.record({ tick: fc.nat(HOUR / 8) }), weight: 1 },
      { arbitrary: fc.record({ bump: fc.constant(true as const) }), weight: 1 },
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 60 }), async (limit, ops: Op[]) => {
        let version = 0;
        const { clock, fetches, ask } = setUp({ limit, version: () => String(version) });
        // The model: keys most recent last, each with its expiry and version.
        let model: Array<{ key: string; expiresAt: number; version: number }> = [];
        for (const o of ops) {
          if ('tick' in o) clock.now += o.tick;
          else if ('bump' in o) version++;
          else {
            const key = `k${o.ask}`;
            const before = fetches.length;
            await ask(key, o.lifetime);
            const held = model.find((m) => m.key === key);
            const hit = held !== undefined && held.version === version && held.expiresAt - clock.now > EXPIRY_MARGIN_MS;
            assert.equal(fetches.length - before, hit ? 0 : 1, `${key}: ${hit ? 'a hit' : 'a miss'} expected`);
            model = model.filter((m) => m.key !== key);
            model.push(hit ? held : { key, expiresAt: clock.now + o.lifetime, version });
            if (model.length > limit) model.shift();
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
