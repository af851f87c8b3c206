import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { SettingsStore } from '../electron/core/storage/settings-store.js';
import { TEMP_FILE_MAX_AGE_MS, writeFileAtomic } from '../electron/core/storage/atomic-file.js';
import { useIdpAndSandbox } from './support/fixtures.js';
import { signInThroughCore } from './support/flows.js';
import { runCli } from './support/sandbox.js';
import { rsaKeyPem } from './support/service-account-key.js';

/** A pid that surely ran and ended: a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  assert.equal(child.status, 0);
  return child.pid;
}

const hex = () => randomBytes(4).toString('hex');

interface Planted {
  /** A killed writer's: its pid runs no more. */
  dead: string;
  /** A live writer's (this test's pid), fresh: must stay, or that writer's rename would fail. */
  live: string;
  /** A live pid, but older than any write takes: the pid was reused (or is another namespace's). */
  stale: string;
  /** Names writeFileAtomic never makes: a user's own files beside the target stay. */
  others: string[];
}

/** Temp files beside `target` as writeFileAtomic names them (`TARGET.PID.HEX.tmp`), each a whole copy. */
async function plant(target: string): Promise<Planted> {
  const dir = dirname(target);
  const name = basename(target);
  const planted: Planted = {
    dead: join(dir, `${name}.${deadPid()}.${hex()}.tmp`),
    live: join(dir, `${name}.${process.pid}.${hex()}.tmp`),
    stale: join(dir, `${name}.${process.pid}.${hex()}.tmp`),
    others: [join(dir, `${name}.${deadPid()}.tmp`), join(dir, `${name}.bak`), join(dir, `other.json.${deadPid()}.${hex()}.tmp`)],
  };
  for (const path of [planted.dead, planted.live, planted.stale, ...planted.others]) await writeFile(path, 'a whole copy of the secret file', { mode: 0o600 });
  const old = new Date(Date.now() - TEMP_FILE_MAX_AGE_MS - 60_000);
  await utimes(planted.stale, old, old);
  return planted;
}

/** The dead writers' files are gone, the live one and the user's stay; then the test removes what it left. */
async function assertSwept(planted: Planted, what: string): Promise<void> {
  const dir = dirname(planted.live);
  const left = new Set(await readdir(dir));
  assert.ok(!left.has(basename(planted.dead)), `${what}: a dead writer's temp file was left`);
  assert.ok(!left.has(basename(planted.stale)), `${what}: a temp file older than ${TEMP_FILE_MAX_AGE_MS / 60_000} minutes was left`);
  assert.ok(left.has(basename(planted.live)), `${what}: a live writer's temp file was removed`);
  for (const other of planted.others) assert.ok(left.has(basename(other)), `${what}: ${basename(other)} is not ours and was removed`);
  for (const path of [planted.live, ...planted.others]) await rm(path, { force: true });
}

describe('every writer sweeps the temp files its killed predecessors left (issue 18 §4)', () => {
  const fx = useIdpAndSandbox({ mode: 'google' });

  it('the file vault (vault.jwe) and the registry (accounts.json): import-service-account', async () => {
    const env: Record<string, string> = { ...fx.sandbox.env, TOKENTRAY_KEYCHAIN: 'file', TOKENTRAY_FILE_PASSPHRASE: `pass-${hex()}` };
    const home = await fx.sandbox.dir('vault-home');
    env.TOKENTRAY_HOME = home;
    const vault = await plant(join(home, 'vault.jwe'));
    const registry = await plant(join(home, 'accounts.json'));
    const privateKey = rsaKeyPem();
    const key = await fx.sandbox.writeFile(
      'key.json',
      JSON.stringify({
        type: 'service_account',
        project_id: 'p',
        private_key_id: 'k',
        private_key: privateKey,
        client_email: 'sweep@p.iam.gserviceaccount.com',
        client_id: '1',
        token_uri: 'http://127.0.0.1:9/token',
      }),
    );
    const res = await runCli(['import-service-account', key], env);
    assert.equal(res.code, 0, res.stderr);
    await assertSwept(vault, 'vault.jwe');
    await assertSwept(registry, 'accounts.json');
    await rm(home, { recursive: true, force: true });
  });

  it("docker's config.json and TokenTray's docker-registries.json: configure-docker", async () => {
    await signInThroughCore(fx.sandbox.core(), fx.idp, 'sweep@example.test');
    const docker = await fx.sandbox.dir('docker');
    const config = await plant(join(docker, 'config.json'));
    const registries = await plant(join(fx.sandbox.home, 'docker-registries.json'));
    const res = await runCli(['configure-docker', 'gcr.io', '--account', 'sweep@example.test'], { ...fx.sandbox.env, DOCKER_CONFIG: docker });
    assert.equal(res.code, 0, res.stderr);
    await assertSwept(config, 'docker config.json');
    await assertSwept(registries, 'docker-registries.json');
  });

  it('an exported ADC file: adc export', async () => {
    const out = await fx.sandbox.dir('adc');
    const planted = await plant(join(out, 'adc.json'));
    const res = await runCli(['adc', 'export', '--output', join(out, 'adc.json'), '--account', 'sweep@example.test'], {
      ...fx.sandbox.env,
      TOKENTRAY_TEST_GOOGLE_ISSUER: fx.idp.issuer,
    });
    assert.equal(res.code, 0, res.stderr);
    await assertSwept(planted, 'the ADC file');
    await rm(out, { recursive: true, force: true });
  });

  it("the app's settings.json (written in the app's process)", async () => {
    const planted = await plant(join(fx.sandbox.home, 'settings.json'));
    const settings = new SettingsStore(fx.sandbox.home);
    await settings.load();
    await settings.update({ clipboardClearSeconds: 30 });
    await assertSwept(planted, 'settings.json');
  });

  it('two live writers of one file never remove each other’s temp file (200 concurrent writes)', async () => {
    const dir = await fx.sandbox.dir('race');
    const target = join(dir, 'file.json');
    // Each write sweeps before its own: a sweep that took a live writer's file would fail its rename.
    await Promise.all(Array.from({ length: 200 }, (_, i) => writeFileAtomic(target, `{"n":${i}}\n`)));
    assert.deepEqual(await readdir(dir), ['file.json']);
    await rm(dir, { recursive: true, force: true });
  });
});
