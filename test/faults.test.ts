import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AccountRegistry } from '../electron/core/accounts/account-registry.js';
import { createCore } from '../electron/core/core.js';
import { KeytarSecretStore, type SecretStore } from '../electron/core/storage/secret-store.js';
import { TokenTrayError } from '../electron/core/shared/errors.js';
import { expireCache, loginArgs, signInThroughCore } from './support/flows.js';
import { useIdpAndSandbox } from './support/fixtures.js';
import { HttpBrowser } from './support/http-browser.js';
import { startTestIdp, type TestIdp } from './support/idp.js';
import { makeSandbox, runCli, runCliInProcess, startCliInProcess, type CliResult, type Sandbox } from './support/sandbox.js';
import { seededRandom } from './support/seeded-random.js';
import { keychainItems } from './support/windows-keychain.js';
import { accountIdFor } from '../electron/core/accounts/account-service.js';

describe('faults at the identity provider', () => {
  let idp: TestIdp;
  let sandbox: Sandbox;
  let accountId: string;

  before(async () => {
    idp = await startTestIdp({ mode: 'oidc' });
    sandbox = await makeSandbox();
    accountId = (await signInThroughCore(sandbox.core(), idp, 'noor@example.test')).id;
  });
  after(async () => {
    await sandbox.cleanup();
    await idp.close();
  });

  const loginFlags = () => loginArgs(idp, { timeoutSeconds: 20 });

  it('retries discovery after 5xx with backoff, then signs in', async () => {
    idp.discoveryFailures = 2;
    const before = idp.discoveryRequests;
    const proc = startCliInProcess([...loginFlags(), '--login-hint', 'noor@example.test'], sandbox.env);
    await new HttpBrowser('noor@example.test').visit(await proc.authorizationUrl);
    const res = await proc.done;
    assert.equal(res.code, 0, res.stderr);
    assert.equal(idp.discoveryRequests - before, 3, 'two failures, then success');
  });

  it('gives up after bounded retries: DISCOVERY_FAILED', async () => {
    idp.discoveryFailures = 10;
    const before = idp.discoveryRequests;
    const res = await runCliInProcess(loginFlags(), sandbox.env);
    idp.discoveryFailures = 0;
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^tokentray: DISCOVERY_FAILED: .*unexpected HTTP status/m);
    assert.equal(idp.discoveryRequests - before, 3);
  });

  it('says DISCOVERY_FAILED, without retrying, when discovery answers garbage', async () => {
    idp.garbageDiscovery = true;
    const before = idp.discoveryRequests;
    try {
      const res = await runCliInProcess(loginFlags(), sandbox.env);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /^tokentray: DISCOVERY_FAILED: /m);
      assert.equal(idp.discoveryRequests - before, 1);
    } finally {
      idp.garbageDiscovery = false;
    }
  });

  it('times out a provider that never answers: PROVIDER_UNREACHABLE, within the limit', async () => {
    idp.hangingDiscovery = true;
    const started = Date.now();
    try {
      // A process: the request timeout is read from the process environment.
      const res = await runCli(loginFlags(), { ...sandbox.env, TOKENTRAY_HTTP_TIMEOUT: '1' });
      assert.equal(res.code, 1);
      assert.match(res.stderr, /^tokentray: PROVIDER_UNREACHABLE: .*did not answer in time.*TOKENTRAY_HTTP_TIMEOUT/m);
      assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    } finally {
      idp.hangingDiscovery = false;
    }
  });

  it('reports a token endpoint answering 503 with HTML as TOKEN_REFRESH_FAILED, and keeps the account ready', async () => {
    await expireCache(sandbox.core(), accountId);
    idp.refreshError = { error: 'unused', status: 503, raw: '<html>Service Unavailable</html>' };
    try {
      const res = await runCliInProcess(['print-access-token'], sandbox.env);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /^tokentray: TOKEN_REFRESH_FAILED: /m);
      assert.equal(res.stdout, '');
    } finally {
      idp.refreshError = undefined;
    }
    const [view] = await sandbox.core().accounts.list();
    assert.equal(view.status, 'ready');
    assert.equal((await runCliInProcess(['print-access-token'], sandbox.env)).code, 0, 'works once the provider is back');
  });

  it('the issuer detects reuse: replaying a rotated refresh token revokes the whole grant', async () => {
    const core = sandbox.core();
    const quinn = await signInThroughCore(core, idp, 'quinn@example.test');
    const first = (await core.accounts['vault'].getSecrets(quinn.id))!.refreshToken;
    await expireCache(core, quinn.id);
    assert.equal((await runCliInProcess(['print-access-token', '--account', 'quinn@example.test'], sandbox.env)).code, 0);
    const rotated = (await core.accounts['vault'].getSecrets(quinn.id))!.refreshToken;
    assert.ok(rotated !== first, 'the issuer rotated the refresh token');
    const replay = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: first, client_id: idp.client.clientId, client_secret: idp.client.clientSecret }),
    });
    assert.equal(replay.status, 400);
    assert.equal((await idp.introspect(rotated)).active, false, 'the second use of a rotated token ended the grant');
    await expireCache(core, quinn.id);
    const res = await runCliInProcess(['print-access-token', '--account', 'quinn@example.test'], sandbox.env);
    assert.match(res.stderr, /^tokentray: REAUTH_REQUIRED: /m, 'which is what a lost race would cost the user');
    await runCliInProcess(['logout', 'quinn@example.test', '--no-revoke'], sandbox.env);
  });

  /**
   * `parallel` print-access-token runs at once per round, `rounds` times, each round with an expired
   * cache: one refresh a round (the others wait at the account's lock and read the cache), none
   * fails. In process, each run has its own core (its own single flight), so only the account's
   * kernel lock serialises them: two opens in one process exclude each other as two processes do.
   */
  async function refreshRounds(runner: (args: string[], env: Record<string, string>) => Promise<CliResult>, parallel: number, rounds: number): Promise<void> {
    const core = sandbox.core();
    const before = idp.grants.refresh_token ?? 0;
    const failures: string[] = [];
    for (let round = 0; round < rounds; round++) {
      await expireCache(core, accountId);
      const results = await Promise.all(Array.from({ length: parallel }, () => runner(['print-access-token', '--account', 'noor@example.test'], sandbox.env)));
      for (const r of results) if (r.code !== 0) failures.push(r.stderr.trim());
      assert.equal(new Set(results.map((r) => r.stdout)).size, 1, `round ${round}: every run printed the same token`);
    }
    assert.deepEqual(failures, [], 'no run failed (none saw REAUTH_REQUIRED)');
    assert.equal((idp.grants.refresh_token ?? 0) - before, rounds, 'one refresh per round: the others waited for it and read the cache');
    const live = (await core.accounts['vault'].getSecrets(accountId))!.refreshToken;
    assert.equal((await idp.introspect(live)).active, true, 'the stored refresh token is the live one');
    assert.equal((await core.accounts.resolve(accountId)).status, 'ready');
  }

  it('20 parallel print-access-token runs x 10 rounds (in process) with an expired cache: one refresh a round, 0 REAUTH_REQUIRED', async () => {
    await refreshRounds(runCliInProcess, 20, 10);
  });

  it('20 parallel print-access-token processes x 2 rounds: the same between processes', async () => {
    await refreshRounds(runCli, 20, 2);
  });

  it('two processes refreshing one account at once share the refresh; the rotated token survives', async () => {
    const core = sandbox.core();
    const oldRefresh = (await core.accounts['vault'].getSecrets(accountId))!.refreshToken;
    await expireCache(sandbox.core(), accountId);
    const before = idp.grants.refresh_token ?? 0;
    const results = await Promise.all(Array.from({ length: 4 }, () => runCli(['print-access-token'], sandbox.env)));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    assert.equal(new Set(results.map((r) => r.stdout)).size, 1, 'every process printed the same token');
    assert.equal((idp.grants.refresh_token ?? 0) - before, 1, 'one refresh for all four processes');
    const newRefresh = (await createCore({ env: sandbox.env }).accounts['vault'].getSecrets(accountId))!.refreshToken;
    assert.ok(newRefresh !== oldRefresh, 'the rotated refresh token was stored');
    assert.equal((await idp.introspect(newRefresh)).active, true, 'and it is the live one');
    await new AccountRegistry(sandbox.home).load();
    await expireCache(sandbox.core(), accountId);
    assert.equal((await runCli(['print-access-token'], sandbox.env)).code, 0, 'the next refresh works');
  });
});

/** A keychain that works until told to fail: the fault "keychain failing mid-operation". */
class FlakyStore implements SecretStore {
  failOn: ((op: string, key: string) => boolean) | undefined;
  constructor(private readonly inner: SecretStore) {}
  private check(op: string, key: string): void {
    if (this.failOn?.(op, key)) {
      throw new TokenTrayError('KEYCHAIN_UNAVAILABLE', 'The system keychain is not available (locked mid-operation in a test).');
    }
  }
  async get(key: string) {
    this.check('get', key);
    return this.inner.get(key);
  }
  async set(key: string, value: string) {
    this.check('set', key);
    return this.inner.set(key, value);
  }
  async delete(key: string) {
    this.check('delete', key);
    return this.inner.delete(key);
  }
}

describe('faults in the keychain and the registry', () => {
  const fx = useIdpAndSandbox({ mode: 'google' });

  it('a keychain failing during a sign-in loses nothing: the registry is untouched, other accounts work', async () => {
    const store = new FlakyStore(new KeytarSecretStore(fx.sandbox.env.TOKENTRAY_KEYCHAIN_SERVICE));
    const core = createCore({ env: fx.sandbox.env, store });
    await signInThroughCore(core, fx.idp, 'olga@example.test');
    const registryBefore = await readFile(join(fx.sandbox.home, 'accounts.json'), 'utf8');
    store.failOn = (op, key) => op === 'set' && key.startsWith('tokens:');
    await assert.rejects(signInThroughCore(core, fx.idp, 'pat@example.test'), { code: 'KEYCHAIN_UNAVAILABLE' });
    // The same content (a new account's sign-in intent was recorded, then undone: key order may differ).
    assert.deepEqual(JSON.parse(await readFile(join(fx.sandbox.home, 'accounts.json'), 'utf8')), JSON.parse(registryBefore));
    assert.deepEqual(
      await keychainItems(fx.sandbox.env.TOKENTRAY_KEYCHAIN_SERVICE).then((items) =>
        items.filter((i) => i.key.includes(accountIdFor(fx.idp.issuer, 'pat@example.test'))),
      ),
      [],
      'and no item of the failed account',
    );
    store.failOn = undefined;
    const res = await runCliInProcess(['print-access-token', '--account', 'olga@example.test'], fx.sandbox.env);
    assert.equal(res.code, 0, res.stderr);
    // And the failed account can simply sign in again.
    await signInThroughCore(core, fx.idp, 'pat@example.test');
    assert.deepEqual(
      (await core.accounts.list()).map((a) => a.email),
      ['olga@example.test', 'pat@example.test'],
    );
  });

  it('a keychain failing during a refresh is reported and the account stays ready', async () => {
    let clock = Date.now();
    const store = new FlakyStore(new KeytarSecretStore(fx.sandbox.env.TOKENTRAY_KEYCHAIN_SERVICE));
    const core = createCore({ env: fx.sandbox.env, store, now: () => clock });
    const account = await core.accounts.resolve('olga@example.test');
    clock += 56 * 60_000;
    store.failOn = (op, key) => op === 'set' && key.startsWith('tokens:');
    await assert.rejects(core.tokens.getAccessToken(account), { code: 'KEYCHAIN_UNAVAILABLE' });
    store.failOn = undefined;
    assert.equal((await core.accounts.resolve('olga@example.test')).status, 'ready');
    assert.ok((await core.tokens.getAccessToken(account)).token);
  });

  it('a process killed mid-write never leaves a torn registry (old or new content survives)', async () => {
    const registry = new AccountRegistry(fx.sandbox.home);
    const writer = `
      import { AccountRegistry } from ${JSON.stringify(new URL('../electron/core/accounts/account-registry.js', import.meta.url).href)};
      const registry = new AccountRegistry(${JSON.stringify(fx.sandbox.home)});
      for (let i = 0; ; i++) {
        await registry.update((d) => { d.accounts.forEach((a) => { a.scopes = Array.from({ length: 50 + (i % 50) }, (_, k) => 'scope-' + i + '-' + k); }); });
        if (i === 0) process.stdout.write('writing\\n');
      }`;
    const script = await fx.sandbox.writeFile('writer.mjs', writer);
    const random = seededRandom('faults: kill times');
    for (let round = 0; round < 12; round++) {
      const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((ready) => child.stdout.once('data', () => ready()));
      await new Promise((r) => setTimeout(r, 5 + random.next() * 40));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));
      const data = await registry.load(); // throws REGISTRY_CORRUPT on a torn file
      assert.deepEqual(
        data.accounts.map((a) => a.email),
        ['olga@example.test', 'pat@example.test'],
      );
    }
    // A killed writer's lock was released by the OS, and its temp files are swept: the next update works.
    await registry.update(() => undefined).catch((err: Error) => assert.fail(`update after kills: ${err.message}`));
    assert.deepEqual(
      (await readdir(fx.sandbox.home)).filter((f) => f.endsWith('.tmp')),
      [],
      'no temp file of a killed writer is left',
    );
  });
});
