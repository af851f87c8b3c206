import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createSmokeEnvironment, isSmokeTest, runSmokeTest, type SmokeProbe } from '../electron/app/smoke-test.js';
import type { UpdateState } from '../electron/app/update-policy.js';
import { makeSandbox, type Sandbox } from './support/sandbox.js';

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RUN_MAIN = join(dist, 'test', 'support', 'electron-stub', 'run-main.js');

function probe(overrides: Partial<SmokeProbe> = {}): SmokeProbe {
  return {
    loaded: async () => undefined,
    listAccountsInRenderer: async () => ({ ok: true, value: [] }),
    rendererErrors: () => [],
    windowVisible: () => false,
    trayExists: () => true,
    ...overrides,
  };
}

describe("the smoke test's checks", () => {
  it('passes a hidden window that answered listAccounts through the bridge, without errors, with a tray', async () => {
    assert.deepEqual(await runSmokeTest(probe()), {
      ok: true,
      summary: 'window loaded hidden, listAccounts answered through the preload bridge, no renderer errors, tray present',
    });
  });

  it('fails with a reason for each thing that can go wrong', async () => {
    const cases: Array<[Partial<SmokeProbe>, RegExp]> = [
      [{ loaded: async () => Promise.reject(new Error('the preload failed: boom')) }, /^the window did not load: the preload failed: boom$/],
      [{ loaded: () => new Promise(() => undefined) }, /^the window did not load: loading the window took longer than 0\.05 s$/],
      [
        { listAccountsInRenderer: async () => Promise.reject(new Error('window.tokentray is undefined')) },
        /^listAccounts through the preload bridge failed: window\.tokentray is undefined$/,
      ],
      [
        { listAccountsInRenderer: async () => ({ ok: false, code: 'UNTRUSTED_SENDER', message: 'Refused' }) },
        /answered \{"ok":false,"code":"UNTRUSTED_SENDER","message":"Refused"\}, not a list of accounts/,
      ],
      [{ listAccountsInRenderer: async () => undefined }, /answered undefined, not a list/],
      [{ listAccountsInRenderer: async () => ({ ok: true, value: [{ id: 'a' }] }) }, /holds 1 account\(s\): the smoke test is not isolated/],
      [
        { rendererErrors: () => ['Refused to load the script', 'Uncaught TypeError: x', 'c', 'd'] },
        /^the renderer reported 4 error\(s\): Refused to load the script \| Uncaught TypeError: x \| c$/,
      ],
      [{ windowVisible: () => true }, /the window was shown/],
      [{ trayExists: () => false }, /there is no tray icon/],
    ];
    for (const [overrides, reason] of cases) {
      const result = await runSmokeTest(probe(overrides), { timeoutMs: 50 });
      assert.equal(result.ok, false);
      assert.match((result as { reason: string }).reason, reason);
    }
  });

  it('with an update feed, passes only when the check read it and refused its older version', async () => {
    const refused = async () => ({ kind: 'refused' as const, version: '0.0.1', reason: 'downgrade' as const });
    const passed = await runSmokeTest(probe(), { updateChecked: refused });
    assert.deepEqual(passed, {
      ok: true,
      summary:
        'window loaded hidden, listAccounts answered through the preload bridge, no renderer errors, tray present, the update feed was read and its older version refused',
    });
    const cases: Array<[() => Promise<UpdateState>, RegExp]> = [
      [async () => ({ kind: 'failed', message: 'Could not check for updates' }), /ended in \{"kind":"failed"/],
      [async () => ({ kind: 'off' }), /ended in \{"kind":"off"\}, not in refusing its older version/],
      [async () => ({ kind: 'ready', version: '9.0.0' }), /ended in \{"kind":"ready"/],
      [async () => Promise.reject(new Error('boom')), /^the update check failed: boom$/],
      [() => new Promise(() => undefined), /^the update check failed: the update check took longer than 0\.05 s$/],
    ];
    for (const [updateChecked, reason] of cases) {
      const result = await runSmokeTest(probe(), { timeoutMs: 50, updateChecked });
      assert.equal(result.ok, false);
      assert.match((result as { reason: string }).reason, reason);
    }
  });

  it('is switched on by --smoke-test only', () => {
    assert.equal(isSmokeTest(['/usr/bin/electron', '.', '--smoke-test']), true);
    assert.equal(isSmokeTest(['/usr/bin/electron', '.']), false);
    assert.equal(isSmokeTest(['/usr/bin/electron', '.', '--smoke-tests']), false);
  });

  it('makes a throw-away home and keychain service, and removes the home', () => {
    const env: NodeJS.ProcessEnv = { TOKENTRAY_HOME: '/home/someone/.config/TokenTray', TOKENTRAY_KEYCHAIN_SERVICE: 'TokenTray' };
    const a = createSmokeEnvironment(env);
    const b = createSmokeEnvironment({});
    assert.equal(env.TOKENTRAY_HOME, a.home);
    assert.equal(env.TOKENTRAY_KEYCHAIN_SERVICE, a.keychainService);
    assert.match(a.keychainService, /^tokentray-smoke-[0-9a-f]{12}$/);
    assert.notEqual(a.home, b.home);
    assert.notEqual(a.keychainService, b.keychainService);
    assert.ok(existsSync(a.home));
    a.cleanup();
    b.cleanup();
    assert.ok(!existsSync(a.home) && !existsSync(b.home));
  });
});

/**
 * `--smoke-test` of the real main process, run as a whole process against the stand-in electron
 * module (test/support/electron-stub/run-main.ts): the built preload runs, listAccounts goes
 * through it to the registered IPC handler and back, and the exit code and output are what CI sees.
 */
describe('tokentray --smoke-test, main process against the stand-in electron module', () => {
  let sandbox: Sandbox;
  let tmp: string;
  const damaged = '{"version": 1, "accounts": [ this is not JSON';

  before(async () => {
    sandbox = await makeSandbox();
    tmp = join(sandbox.home, 'tmp');
    await mkdir(tmp);
    // The user's own home holds a damaged accounts.json: a smoke test that read it would fail.
    await writeFile(join(sandbox.home, 'accounts.json'), damaged);
  });
  after(async () => {
    await sandbox.cleanup();
  });

  function smokeTest(scenario = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [RUN_MAIN, '.', '--smoke-test'], {
      env: { ...process.env, ...sandbox.env, TMPDIR: tmp, TOKENTRAY_STUB_RUN_MAIN: '1', TOKENTRAY_STUB_SCENARIO: scenario },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    return new Promise((resolve) => child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr }))));
  }

  it('exits 0 and says what it checked, in a throw-away home it removes afterwards', async () => {
    const res = await smokeTest();
    assert.equal(res.code, 0, res.stderr);
    assert.equal(
      res.stdout,
      'TokenTray smoke test passed: window loaded hidden, listAccounts answered through the preload bridge, no renderer errors, tray present.\n',
    );
    assert.doesNotMatch(res.stderr, /failed|Refused|Uncaught/);
    assert.deepEqual(await readdir(tmp), [], 'the throw-away home is gone');
    assert.equal(await readFile(join(sandbox.home, 'accounts.json'), 'utf8'), damaged, "the user's home was not touched");
  });

  it('exits 1 naming a CSP violation the renderer logged', async () => {
    const res = await smokeTest('csp-violation');
    assert.equal(res.code, 1);
    assert.equal(res.stdout, '');
    assert.match(
      res.stderr,
      /^TokenTray smoke test failed: the renderer reported 1 error\(s\): Refused to execute inline script because it violates the following Content Security Policy directive/m,
    );
    assert.deepEqual(await readdir(tmp), []);
  });

  it('exits 1 when the page has no preload bridge', async () => {
    const res = await smokeTest('no-preload');
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^TokenTray smoke test failed: listAccounts through the preload bridge failed: Script failed to execute/m);
  });
});
