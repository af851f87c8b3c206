import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AccountRegistry, type AccountRecord } from '../electron/core/accounts/account-registry.js';
import { findAccount } from '../electron/core/accounts/account-records.js';

const record = (id: string, email: string, issuer = 'https://accounts.google.com'): AccountRecord => ({
  id,
  subject: `sub-${id}`,
  email,
  issuer,
  flavor: 'google',
  clientId: 'c',
  scopes: ['openid'],
  status: 'ready',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('account registry', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tokentray-registry-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts empty, writes atomically with mode 0600, leaves no temp file (the lock file stays: it is never deleted)', async () => {
    const registry = new AccountRegistry(join(dir, 'a'));
    assert.deepEqual(await registry.load(), { version: 1, accounts: [] });
    await registry.update((d) => {
      d.accounts.push(record('1', 'a@x'));
      d.defaultAccount = '1';
    });
    assert.deepEqual(
      (await registry.load()).accounts.map((a) => a.id),
      ['1'],
    );
    assert.deepEqual((await readdir(join(dir, 'a'))).sort(), ['accounts.json', 'locks']);
    assert.deepEqual(await readdir(join(dir, 'a', 'locks')), ['registry.lock']);
    assert.equal((await stat(registry.path)).mode & 0o777, 0o600);
    assert.equal(JSON.parse(await readFile(registry.path, 'utf8')).version, 1);
  });

  it('serializes concurrent updates (none lost)', async () => {
    const registry = new AccountRegistry(join(dir, 'b'));
    await Promise.all(Array.from({ length: 8 }, (_, i) => registry.update((d) => void d.accounts.push(record(String(i), `${i}@x`)))));
    assert.equal((await registry.load()).accounts.length, 8);
  });

  it('refuses corrupt or foreign files with REGISTRY_CORRUPT and keeps them', async () => {
    const bad = [
      'not json',
      '[]',
      '{"accounts": []}',
      '{"version": 1, "accounts": [{"id": 1}]}',
      '{"version": 1, "accounts": {}}',
      JSON.stringify({ version: 1, accounts: [{ ...record('1', 'a@x'), status: 'weird' }] }),
      // Without its timestamps, sorting clients by last use threw a TypeError (INTERNAL).
      JSON.stringify({ version: 1, accounts: [{ ...record('1', 'a@x'), updatedAt: undefined }] }),
    ];
    for (const [i, text] of bad.entries()) {
      const home = join(dir, `c${i}`);
      const registry = new AccountRegistry(home);
      await registry.update(() => undefined);
      await writeFile(registry.path, text);
      await assert.rejects(registry.load(), { code: 'REGISTRY_CORRUPT' }, text);
      await assert.rejects(
        registry.update((d) => void d.accounts.push(record('2', 'b@x'))),
        { code: 'REGISTRY_CORRUPT' },
      );
      assert.equal(await readFile(registry.path, 'utf8'), text);
    }
    const newer = new AccountRegistry(join(dir, 'd'));
    await newer.update(() => undefined);
    await writeFile(newer.path, '{"version": 2, "accounts": []}');
    await assert.rejects(newer.load(), /newer TokenTray/);
  });

  it('says REGISTRY_UNWRITABLE when the home is a file', async () => {
    const home = join(dir, 'file-home');
    await writeFile(home, 'x');
    await assert.rejects(
      new AccountRegistry(home).update(() => undefined),
      { code: 'REGISTRY_UNWRITABLE' },
    );
  });

  it('finds accounts by id, email (any case) or default', () => {
    const data = {
      version: 1 as const,
      defaultAccount: 'b',
      accounts: [record('a', 'x@y.z'), record('b', 'w@y.z'), record('c', 'x@y.z', 'https://other.example')],
    };
    assert.equal(findAccount(data, undefined).id, 'b');
    assert.equal(findAccount(data, 'W@Y.Z').id, 'b');
    assert.equal(findAccount(data, 'c').id, 'c');
    assert.throws(() => findAccount(data, 'x@y.z'), { code: 'ACCOUNT_AMBIGUOUS' });
    assert.throws(() => findAccount(data, 'nobody'), { code: 'ACCOUNT_NOT_FOUND' });
    assert.throws(() => findAccount({ version: 1, accounts: [] }, undefined), { code: 'NO_ACCOUNTS' });
    assert.equal(findAccount({ ...data, defaultAccount: 'gone' }, undefined).id, 'a', 'a dangling default falls back to the first');
  });
});
