import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { KeychainItems, MAX_ITEM_BYTES } from '../electron/core/storage/keychain-items.js';
import { KeytarSecretStore } from '../electron/core/storage/secret-store.js';
import { keychainItems, WindowsLimitSecretStore } from './support/windows-keychain.js';

describe('keychain items of at most 2,000 bytes', () => {
  const service = `tokentray-test-items-${randomBytes(6).toString('hex')}`;
  const store = new WindowsLimitSecretStore(new KeytarSecretStore(service));
  const items = new KeychainItems(store);
  /** Text of `n` characters mixing 1-, 2-, 3- and 4-byte UTF-8. */
  const text = (n: number) => Array.from({ length: n }, (_, i) => ['a', 'é', '€', '😀'][(i * 7 + n) % 4]).join('');

  it('round-trips values of any size, each item within the limit; a shorter value empties, never deletes, the pieces it no longer needs', async () => {
    for (const n of [1, 500, 1999, 2000, 2001, 3000, 7000, 120, 4500, 10]) {
      const value = text(n);
      await items.write('k', value);
      assert.equal(await items.read('k'), value, `${n} characters`);
      const all = await keychainItems(service);
      assert.ok(
        all.every((i) => i.bytes <= MAX_ITEM_BYTES),
        JSON.stringify(all),
      );
    }
    assert.equal(store.refused, 0, 'nothing over the Windows limit was ever written');
    // The largest value above needed pieces #1..#N; they all still exist (in place), emptied.
    const pieces = (await keychainItems(service)).filter((i) => i.key.startsWith('k#'));
    assert.ok(pieces.length >= 5, `${pieces.length} pieces kept`);
    assert.ok(
      pieces.every((p) => p.bytes === 13),
      'each holds only its generation tag',
    );
    await items.delete('k');
    assert.deepEqual(await keychainItems(service), []);
  });

  it('a reader never joins pieces of two writes (20 writes while reading)', async () => {
    const a = 'A'.repeat(6000);
    const b = 'B'.repeat(5000);
    await items.write('race', a);
    let writing = true;
    const writer = (async () => {
      // Writes one after another with short pauses (TokenTray writes an item at most once per
      // refresh, under the account's lock); a reader that meets a write reads again.
      for (let i = 0; i < 20; i++) {
        await items.write('race', i % 2 ? a : b);
        await new Promise((r) => setTimeout(r, 60));
      }
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      const got = await items.read('race');
      assert.ok(got === a || got === b, `a torn read of ${got?.length} characters`);
      reads++;
    }
    await writer;
    assert.ok(reads > 0);
    await items.delete('race');
  });

  it('reads a value whose piece went missing as damaged (empty), and a plain item as it is', async () => {
    await items.write('gap', 'x'.repeat(4000));
    await store.delete('gap#1');
    assert.equal(await items.read('gap'), '');
    await items.delete('gap');
    await store.set('plain', '{"refreshToken":"r"}');
    assert.equal(await items.read('plain'), '{"refreshToken":"r"}');
    await items.delete('plain');
    assert.equal(await items.read('missing'), undefined);
  });
});
