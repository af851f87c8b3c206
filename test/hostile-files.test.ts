import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SettingsStore, DEFAULT_SETTINGS } from '../electron/core/storage/settings-store.js';
import { addDockerCredHelpers } from '../electron/core/integrations/docker-credential.js';
import { rssProbe, runCliWith } from './support/hostile.js';
import { makeSandbox, runCliInProcess, type Sandbox } from './support/sandbox.js';

/** Every command that reads a file the user names, with that file. */
const COMMANDS: Array<[string, (file: string) => string[]]> = [
  ['client file', (f) => ['login', '--client-secret-file', f, '--no-browser', '--timeout', '5']],
  ['service-account key', (f) => ['import-service-account', f]],
  ['ADC file', (f) => ['adc', 'import', f, '--issuer', 'http://127.0.0.1:9']],
];

describe('files that never end, or are not files (issue 13 §5)', () => {
  let sandbox: Sandbox;
  let dir: string;
  let fifo: string;
  before(async () => {
    sandbox = await makeSandbox();
    dir = await mkdtemp(join(tmpdir(), 'tokentray-files-'));
    fifo = join(dir, 'fifo');
    execFileSync('mkfifo', ['-m', '600', fifo]);
  });
  after(async () => {
    await sandbox.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  const run = (args: string[]) => runCliWith(args, sandbox.env, { killAfterMs: 30_000, nodeArgs: rssProbe() });

  for (const [what, args] of COMMANDS) {
    it(`a FIFO, a device, a folder or a symlink to a FIFO as the ${what}: FILE_NOT_REGULAR at once, no hang`, async () => {
      const link = join(dir, `link-${what.replace(/\W/g, '')}`);
      await symlink(fifo, link);
      for (const file of [fifo, '/dev/urandom', '/dev/zero', dir, link]) {
        const res = await run(args(file));
        assert.equal(res.killed, false, `${file} hung the CLI`);
        assert.equal(res.code, 1, res.stderr);
        assert.match(res.stderr, /^tokentray: FILE_NOT_REGULAR: .*not a regular file/m, file);
        assert.ok(res.maxRssKb! < 200 * 1024, `${file}: peak memory ${Math.round(res.maxRssKb! / 1024)} MB`);
      }
    });

    // A size check is logic: in this process (a file that is only large hangs nothing).
    it(`the ${what} over 1 MB: FILE_TOO_LARGE`, async () => {
      const big = join(dir, `big-${what.replace(/\W/g, '')}.json`);
      await writeFile(big, '');
      await truncate(big, 2 * 1024 * 1024); // sparse: no disk used
      const res = await runCliInProcess(args(big), sandbox.env);
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stderr, /^tokentray: FILE_TOO_LARGE: /m);
    });
  }

  it('accounts.json as a FIFO or a device: a coded error at once, nothing overwritten', async () => {
    const registry = join(sandbox.home, 'accounts.json');
    execFileSync('mkfifo', ['-m', '600', registry]);
    try {
      for (const args of [['accounts'], ['print-access-token']]) {
        const res = await run(args);
        assert.equal(res.killed, false, `${args[0]} hung on a FIFO registry`);
        assert.equal(res.code, 1, res.stderr);
        assert.match(res.stderr, /^tokentray: REGISTRY_CORRUPT: .*a pipe \(FIFO\), not a regular file/m);
      }
    } finally {
      await rm(registry);
    }
    await symlink('/dev/urandom', registry);
    try {
      const res = await run(['accounts']);
      assert.equal(res.killed, false);
      assert.match(res.stderr, /^tokentray: REGISTRY_CORRUPT: .*a device/m);
    } finally {
      await rm(registry);
    }
  });

  it('settings.json as a FIFO gives the defaults without hanging the app', async () => {
    const home = join(dir, 'app-home');
    await mkdir(home);
    execFileSync('mkfifo', ['-m', '600', join(home, 'settings.json')]);
    const settings = new SettingsStore(home);
    const loaded = await Promise.race([
      settings.load(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('settings.load() hung on a FIFO')), 10_000).unref()),
    ]);
    assert.deepEqual(loaded, DEFAULT_SETTINGS);
  });

  it("docker's config.json as a FIFO: FILE_NOT_REGULAR at once, no hang", async () => {
    const docker = join(dir, 'docker');
    await mkdir(docker);
    execFileSync('mkfifo', ['-m', '600', join(docker, 'config.json')]);
    const adding = addDockerCredHelpers({ DOCKER_CONFIG: docker }, ['gcr.io']);
    const hung = new Promise((_, reject) => setTimeout(() => reject(new Error('configure-docker hung on a FIFO')), 10_000).unref());
    await assert.rejects(Promise.race([adding, hung]), { code: 'FILE_NOT_REGULAR' });
  });

  it('config.json and the file vault as FIFOs: coded errors at once, no hang', async () => {
    // login checks the keychain before anything else, so it meets the store choice and the vault first.
    const login = ['login', '--client-id', 'x', '--client-secret', 'y', '--issuer', 'http://127.0.0.1:9', '--no-browser'];
    const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
      ['config.json', login, {}, /^tokentray: FILE_NOT_REGULAR: .*config\.json is a pipe/m],
      ['vault.jwe', login, { TOKENTRAY_KEYCHAIN: 'file', TOKENTRAY_FILE_PASSPHRASE: 'pw' }, /^tokentray: VAULT_DAMAGED: .*not a regular file/m],
    ];
    for (const [name, args, extra, expected] of cases) {
      const path = join(sandbox.home, name);
      await mkdir(join(path, '..'), { recursive: true });
      execFileSync('mkfifo', ['-m', '600', path]);
      try {
        const res = await runCliWith(args, { ...sandbox.env, ...extra }, { killAfterMs: 30_000 });
        assert.equal(res.killed, false, `${name} as a FIFO hung ${args[0]}`);
        assert.equal(res.code, 1, res.stderr);
        assert.match(res.stderr, expected, name);
      } finally {
        await rm(path);
      }
    }
  });
});
