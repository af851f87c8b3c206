import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startMetadataServer } from '../electron/core/integrations/metadata-server.js';
import { parseImpersonationChain } from '../electron/core/google/impersonation.js';
import { clientIdFor, MAX_CACHED_PER_KIND } from '../electron/core/storage/credential-vault.js';
import { AccountRegistry } from '../electron/core/accounts/account-registry.js';
import { KeytarSecretStore } from '../electron/core/storage/secret-store.js';
import { decodeJwtPayload, signInThroughCore } from './support/flows.js';
import { makeServiceAccountKey, startGoogleSim, type GoogleSim } from './support/google-sim.js';
import { startTestIdp, type TestIdp } from './support/idp.js';
import { makeSandbox, requireOption, runCli, runCliInProcess, startCli, untilOpens, type Sandbox } from './support/sandbox.js';
import { keychainItems, WindowsLimitSecretStore } from './support/windows-keychain.js';

const TARGET = 'deployer@proj-kc.iam.gserviceaccount.com';
const BIG_SA = 'big-key@proj-kc.iam.gserviceaccount.com';
const MINUTE = 60_000;

describe('keychain items that fit every keychain (Windows limit enforced)', () => {
  let idp: TestIdp;
  let sim: GoogleSim;
  let sandbox: Sandbox;
  let env: Record<string, string>;
  let service: string;
  let joId: string;

  before(async () => {
    idp = await startTestIdp({ mode: 'google' });
    sim = await startGoogleSim(idp);
    sandbox = await makeSandbox();
    service = sandbox.env.TOKENTRAY_KEYCHAIN_SERVICE!;
    // Every core and CLI of this file talks to the simulator, never to Google.
    Object.assign(sandbox.env, { TOKENTRAY_GOOGLE_IAMCREDENTIALS_URL: sim.origin, TOKENTRAY_GOOGLE_TOKENINFO_URL: `${sim.origin}/tokeninfo` });
    env = sandbox.env;
    joId = (await signInThroughCore(sandbox.core(), idp, 'jo@example.test')).id;
    await makeServiceAccountKey(sim, TARGET);
    sim.allow('jo@example.test', TARGET);
  });
  after(async () => {
    await sandbox.cleanup();
    await sim.close();
    await idp.close();
  });

  // In process, through the same Windows-limited keychain as the sandbox's CLI processes (the first
  // test shows both refuse alike): what is written is the point, not the process.
  const ok = async (...args: string[]) => {
    const res = await runCliInProcess(args, env);
    assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
    return res.stdout.trim();
  };
  const largest = async () => (await keychainItems(service))[0];
  const itemsOf = async (id: string) => (await keychainItems(service)).filter((i) => i.key.endsWith(id) || i.key.includes(`${id}#`));

  it('the test store refuses, as Windows does, a secret over 2,560 bytes of UTF-8 (in-process and in CLI processes)', async () => {
    const store = WindowsLimitSecretStore.forService(service);
    await store.set('limit-probe', 'a'.repeat(2560));
    await assert.rejects(store.set('limit-probe', 'a'.repeat(2561)), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'KEYCHAIN_UNAVAILABLE');
      assert.match(err.message, /The stub received bad data\./);
      return true;
    });
    await assert.rejects(store.set('limit-probe', 'é'.repeat(1281)), { code: 'KEYCHAIN_UNAVAILABLE' }); // 2,562 bytes
    // The preload every CLI process of the sandbox loads: keytar itself fails the same way.
    const probe = `const k = require(${JSON.stringify(join(process.cwd(), 'node_modules', 'keytar'))});
      k.setPassword(${JSON.stringify(service)}, 'limit-probe', 'x'.repeat(2561)).then(() => console.log('stored'), (e) => console.log('refused: ' + e.message));`;
    const child = spawnSync(process.execPath, ['-e', probe], { env: sandbox.env, encoding: 'utf8' });
    assert.equal(child.stdout.trim(), 'refused: The stub received bad data.');
    await store.delete('limit-probe');
  });

  it('a user account with impersonated, audience and down-scoped tokens: every item ≤ 2,000 bytes, few items', async () => {
    await ok('print-access-token');
    assert.deepEqual(
      (await itemsOf(joId)).map((i) => i.key.replace(joId, 'ID')).sort(),
      ['account:ID', 'tokens:ID'],
      'with only its default tokens, an account has two items',
    );
    await ok('print-identity-token');
    await ok('print-access-token', '--scopes', 'openid,email');
    await ok('print-access-token', '--impersonate-service-account', TARGET);
    for (const aud of ['https://one.example.test', 'https://two.example.test', 'https://three.example.test']) {
      const jwt = await ok('print-identity-token', '--impersonate-service-account', TARGET, '--audiences', aud);
      assert.equal(decodeJwtPayload(jwt).aud, aud);
    }
    const cache = await sandbox.core().accounts['vault'].getTokenCache(joId);
    assert.equal(Object.keys(cache.ids).length, 3);
    assert.ok(Buffer.byteLength(JSON.stringify(cache)) > 2560, 'the cache as one item (the old layout) would not fit Windows');
    const big = await largest();
    assert.ok(big.bytes <= 2000, `largest item ${big.key}: ${big.bytes} bytes`);
    const mine = await itemsOf(joId);
    // tokens+ is split: its pieces alternate between two sets (#1, #b1), the header naming the one in use.
    assert.deepEqual(mine.map((i) => i.key.replace(joId, 'ID')).sort(), ['account:ID', 'tokens+:ID', 'tokens+:ID#1', 'tokens+:ID#b1', 'tokens:ID']);
  });

  it('the warm path: a valid cached access token costs one keychain read and one registry read, no write', async () => {
    await ok('print-access-token'); // the cache is warm
    const countFile = join(sandbox.home, '..', `counts-${Date.now()}.json`);
    const preload = requireOption(fileURLToPath(new URL('./support/count-io-preload.cjs', import.meta.url)));
    const counted = { ...env, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} ${preload}`, TOKENTRAY_TEST_COUNT_FILE: countFile };
    const res = await runCli(['print-access-token'], counted);
    assert.equal(res.code, 0, res.stderr);
    try {
      assert.deepEqual(JSON.parse(await readFile(countFile, 'utf8')), { keychainReads: 1, keychainWrites: 0, registryReads: 1 });
    } finally {
      await rm(countFile, { force: true });
    }
  });

  it('a 4096-bit service-account key is split into items ≤ 2,000 bytes and works', async () => {
    const key = await makeServiceAccountKey(sim, BIG_SA, {}, 4096);
    assert.ok(Buffer.byteLength(String(key.json.private_key)) > 3000, 'the PEM alone is over 3 KB');
    const file = join(sandbox.home, '..', `big-sa-${Date.now()}.json`);
    await writeFile(file, JSON.stringify(key.json), { mode: 0o600 });
    try {
      assert.equal(await ok('import-service-account', file), BIG_SA);
    } finally {
      await writeFile(file, '');
    }
    const account = await sandbox.core().accounts.resolve(BIG_SA);
    assert.equal((await sandbox.core().accounts['vault'].getServiceAccountKey(account.id))?.privateKey, key.json.private_key);
    const parts = await itemsOf(account.id);
    assert.ok(
      parts.some((p) => p.key === `sa-key:${account.id}#1`),
      'the key is in two items',
    );
    assert.ok(
      parts.every((p) => p.bytes <= 2000),
      JSON.stringify(parts),
    );
    assert.ok(await ok('print-access-token', '--account', BIG_SA));
    const id = await ok('print-identity-token', '--account', BIG_SA, '--audiences', 'https://svc.example.test');
    assert.equal(decodeJwtPayload(id).aud, 'https://svc.example.test');
    assert.ok((await largest()).bytes <= 2000);
  });

  it("tokens minted for a service account wait for the account's lock; a cached token does not", async () => {
    const sa = await sandbox.core().accounts.resolve(BIG_SA);
    const lock = join(sandbox.home, 'locks', `account-${sa.id}.lock`);
    const worker = new URL('./support/lock-worker.js', import.meta.url).pathname;
    const holder = spawn(process.execPath, [worker, lock, join(sandbox.home, '..', `marker-${Date.now()}`), '1000', '1'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: holder.stdout });
    const next = (prefix: string) => new Promise<string>((resolve) => lines.on('line', (l) => l.startsWith(prefix) && resolve(l)));
    try {
      const ready = next('ready');
      await ready;
      const holding = next('holding');
      holder.stdin.write('go 1 hold\n');
      await holding;
      const cached = await runCli(['print-access-token', '--account', BIG_SA], env);
      assert.equal(cached.code, 0, 'a cached token is read without the lock');
      let exited = false;
      const proc = startCli(['print-identity-token', '--account', BIG_SA, '--audiences', 'https://locked.example.test'], env);
      const minting = proc.done.then((r) => ((exited = true), r));
      // The event, not a pause: the process has the held lock open (it waits at it) and has not ended.
      await untilOpens(proc.pid!, lock);
      assert.equal(exited, false, 'the new token waits to be written under the lock');
      holder.stdin.write('release\n');
      const res = await minting;
      assert.equal(res.code, 0, res.stderr);
      assert.equal(decodeJwtPayload(res.stdout.trim()).aud, 'https://locked.example.test');
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('refuses a down-scoped request outside the grant locally: SCOPE_NOT_GRANTED, no call to the issuer', async () => {
    const before = idp.grants.refresh_token ?? 0;
    const res = await runCliInProcess(['print-access-token', '--scopes', 'bigquery'], env);
    assert.equal(res.code, 1);
    assert.match(
      res.stderr,
      /^tokentray: SCOPE_NOT_GRANTED: jo@example\.test did not grant https:\/\/www\.googleapis\.com\/auth\/bigquery: .*`tokentray login --login-hint jo@example\.test --scopes [^`]*bigquery`/,
    );
    assert.equal(idp.grants.refresh_token ?? 0, before);
  });

  it('the metadata server answers 400 saying why to 300 out-of-grant scope values, with no refresh and no growth', async () => {
    const core = sandbox.core();
    const server = await startMetadataServer({ core, account: joId });
    try {
      const before = idp.grants.refresh_token ?? 0;
      const sizeBefore = (await itemsOf(joId)).reduce((n, i) => n + i.bytes, 0);
      for (let i = 0; i < 300; i++) {
        const res = await fetch(
          `http://${server.host}/computeMetadata/v1/instance/service-accounts/default/token?scopes=https://www.googleapis.com/auth/x${i}`,
          { headers: { 'Metadata-Flavor': 'Google' } },
        );
        assert.equal(res.status, 400);
        const body = await res.text();
        assert.match(body, new RegExp(`^SCOPE_NOT_GRANTED: jo@example\\.test did not grant https://www\\.googleapis\\.com/auth/x${i}`));
      }
      assert.equal(idp.grants.refresh_token ?? 0, before, 'the issuer was never asked');
      assert.equal(
        (await itemsOf(joId)).reduce((n, i) => n + i.bytes, 0),
        sizeBefore,
        'the keychain did not grow',
      );
      const within = await fetch(`http://${server.host}/computeMetadata/v1/instance/service-accounts/default/token?scopes=openid,email`, {
        headers: { 'Metadata-Flavor': 'Google' },
      });
      assert.equal(within.status, 200, 'scopes within the grant are served');
    } finally {
      await server.close();
    }
  });

  it(`caps cached audience tokens at ${MAX_CACHED_PER_KIND} (least recently used out) and drops expired ones on write`, async () => {
    let clock = Date.now();
    const core = sandbox.core(() => clock);
    const sa = await core.accounts.resolve(BIG_SA);
    const aud = (i: number) => `https://aud-${i}.example.test`;
    for (let i = 0; i < MAX_CACHED_PER_KIND; i++) await core.tokens.getIdToken(sa, { audience: aud(i) });
    const first = (await core.accounts['vault'].getTokenCache(sa.id)).ids;
    assert.equal(Object.keys(first).length, MAX_CACHED_PER_KIND);
    assert.ok(!('sa:https://svc.example.test' in first), 'the 17th audience pushed out the oldest (from the test above)');
    // aud-0 is used again later (served from the cache; its use is noted), so it is not the oldest.
    clock += 11 * MINUTE;
    const reused = await core.tokens.getIdToken(sa, { audience: aud(0) });
    clock = Date.now();
    const minted = sim.counts['jwt-bearer:id'] ?? 0;
    assert.equal(decodeJwtPayload(reused.token).aud, aud(0));
    await core.tokens.getIdToken(sa, { audience: aud(MAX_CACHED_PER_KIND) });
    assert.equal(sim.counts['jwt-bearer:id'], minted + 1, 'a new audience is minted');
    const ids = (await core.accounts['vault'].getTokenCache(sa.id)).ids;
    assert.equal(Object.keys(ids).length, MAX_CACHED_PER_KIND);
    assert.equal(ids[`sa:${aud(0)}`]?.token, reused.token, 'the recently used one stays');
    assert.ok(!(`sa:${aud(1)}` in ids) && `sa:${aud(2)}` in ids, 'the least recently used went');
    assert.ok((await largest()).bytes <= 2000);
    // Expired entries go with the next write.
    const cache = await core.accounts['vault'].getTokenCache(sa.id);
    for (const t of Object.values(cache.ids)) t.expiresAt = Date.now() - 1000;
    await core.accounts['vault'].setTokenCache(sa.id, cache);
    await core.tokens.getIdToken(sa, { audience: 'https://fresh.example.test' });
    assert.deepEqual(Object.keys((await core.accounts['vault'].getTokenCache(sa.id)).ids), ['sa:https://fresh.example.test']);
  });

  it(`caps cached down-scoped and impersonated access tokens at ${MAX_CACHED_PER_KIND} per account`, async () => {
    const core = sandbox.core();
    const jo = await core.accounts.resolve(joId);
    const impersonate = parseImpersonationChain(TARGET);
    for (let i = 0; i < MAX_CACHED_PER_KIND + 4; i++) await core.tokens.getAccessToken(jo, [`https://www.googleapis.com/auth/x${i}`], { impersonate });
    const access = (await core.accounts['vault'].getTokenCache(joId)).access;
    assert.ok('' in access, 'the default token is never evicted');
    const others = Object.keys(access).filter((k) => k !== '');
    assert.equal(others.length, MAX_CACHED_PER_KIND);
    assert.ok(
      others.some((k) => k.endsWith(`auth/x${MAX_CACHED_PER_KIND + 3}`)),
      'the newest is kept',
    );
    assert.ok(!others.some((k) => k.endsWith('auth/x0')), 'the oldest went');
    assert.ok((await largest()).bytes <= 2000);
  });

  it('reads the layout of before (one item per account, client secret inside) and moves it on the next write', async () => {
    const core = sandbox.core();
    const mo = await signInThroughCore(core, idp, 'mo@example.test');
    const raw = new KeytarSecretStore(service);
    const refreshToken = (await core.accounts['vault'].getSecrets(mo.id))!.refreshToken;
    const cid = clientIdFor(idp.issuer, idp.client.clientId);
    const narrow = { token: 'legacy-narrow-token', expiresAt: Date.now() + 50 * MINUTE };
    // Exactly what earlier versions wrote.
    await raw.set(`account:${mo.id}`, JSON.stringify({ refreshToken, clientSecret: idp.client.clientSecret }));
    await raw.set(`tokens:${mo.id}`, JSON.stringify({ access: { '': { token: 'expired', expiresAt: Date.now() - 1000 }, 's:email openid': narrow }, ids: {} }));
    await raw.delete(`tokens+:${mo.id}`);
    await raw.delete(`client:${cid}`);
    const registry = new AccountRegistry(sandbox.home);
    await registry.update((d) => void delete d.clients);

    const before = idp.grants.refresh_token ?? 0;
    assert.equal(await ok('print-access-token', '--account', 'mo@example.test', '--scopes', 'openid,email'), narrow.token, 'read from the old item');
    assert.equal(idp.grants.refresh_token ?? 0, before);
    const fresh = await ok('print-access-token', '--account', 'mo@example.test');
    assert.ok(fresh !== 'expired');
    assert.equal(idp.grants.refresh_token ?? 0, before + 1, 'refreshed with the client secret of the old item');

    assert.deepEqual(JSON.parse((await raw.get(`account:${mo.id}`))!), { refreshToken }, 'the account item holds the refresh token alone');
    assert.deepEqual(JSON.parse((await raw.get(`client:${cid}`))!), { clientSecret: idp.client.clientSecret });
    const hot = JSON.parse((await raw.get(`tokens:${mo.id}`))!) as { v: number; access: Record<string, unknown> };
    assert.equal(hot.v, 2);
    assert.deepEqual(Object.keys(hot.access), ['']);
    assert.equal(JSON.parse((await raw.get(`tokens+:${mo.id}`))!).access['s:email openid'].token, narrow.token, 'the down-scoped token moved');
    assert.deepEqual(
      (await registry.load()).clients?.map((c) => c.clientId),
      [idp.client.clientId],
    );
    assert.equal(await ok('print-access-token', '--account', 'mo@example.test', '--scopes', 'email,openid'), narrow.token);
  });
});
