import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runOptions, startOrder } from './support/run-files.js';
import { makeSandbox, type Sandbox } from './support/sandbox.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Pids of live processes whose environment holds NAME=VALUE exactly (zombies excluded). */
async function processesWithEnv(name: string, value: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = await readFile(`/proc/${entry}/status`, 'utf8');
      if (/^State:\s+Z/m.test(status)) continue;
      const env = (await readFile(`/proc/${entry}/environ`, 'latin1')).split('\0');
      if (env.includes(`${name}=${value}`)) pids.push(Number(entry));
    } catch {
      // It ended meanwhile, or is not ours to read.
    }
  }
  return pids;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

async function waitUntil(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (await check()) return;
  assert.fail(what);
}

describe('the test harness cleans up after itself', () => {
  let sandbox: Sandbox;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    sandbox = await makeSandbox();
    // A run of its own, outside the keyring this suite runs in (short paths: socket names are limited to 108 bytes).
    env = { ...process.env, TMPDIR: await sandbox.dir('t') };
    delete env.NODE_TEST_CONTEXT; // else the nested node --test reports to this one, not to its stdout
  });
  after(async () => {
    await sandbox.cleanup();
  });

  it('with-keychain.sh stops the keyring daemon it started and removes its folder', async () => {
    const probe = `
      const fs = require('fs');
      const dir = process.env.TOKENTRAY_TEST_KEYRING;
      const daemons = fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).filter((p) => {
        try { return fs.readFileSync('/proc/' + p + '/comm', 'utf8').startsWith('gnome-keyring-d') && fs.readFileSync('/proc/' + p + '/environ', 'latin1').split('\\0').includes('TOKENTRAY_TEST_KEYRING=' + dir); } catch { return false; }
      });
      require(${JSON.stringify(join(root, 'node_modules', 'keytar'))}).setPassword('tokentray-harness-test', 'a', 'b'.repeat(8192)).then(() => {
        const keyrings = dir + '/data/keyrings';
        const onDisk = fs.readdirSync(keyrings).reduce((n, f) => n + fs.statSync(keyrings + '/' + f).size, 0);
        console.log(JSON.stringify({ dir, daemons, onDisk }));
        process.exit(3);
      });`;
    const res = await run('sh', [join(root, 'test', 'with-keychain.sh'), process.execPath, '-e', probe], env);
    assert.equal(res.code, 3, `the command's exit status is the script's\n${res.stderr}`);
    const { dir, daemons, onDisk } = JSON.parse(res.stdout) as { dir: string; daemons: string[]; onDisk: number };
    assert.equal(daemons.length, 1, 'one keyring daemon of this run, while it ran');
    assert.ok(onDisk < 8192, `an 8 KiB secret stays in the daemon's memory, not in its keyring files (${onDisk} bytes on disk)`);
    assert.ok(dir.startsWith(env.TMPDIR!), dir);
    await waitUntil(`processes of the run still alive: ${dir}`, async () => (await processesWithEnv('TOKENTRAY_TEST_KEYRING', dir)).length === 0);
    assert.equal(existsSync(dir), false, 'the keyring folder is gone');
    // Every process of the run inherits its TMPDIR, even one that left the process group: once none
    // is left, nothing of the run can re-create the folder (no waiting a while to see).
    await waitUntil(`a process of the run outlived it: ${env.TMPDIR}`, async () => (await processesWithEnv('TMPDIR', env.TMPDIR!)).length === 0);
    assert.equal(existsSync(dir), false, 'and nothing re-created it');
  });

  for (const signal of ['SIGHUP', 'SIGINT', 'SIGTERM'] as const) {
    it(`with-keychain.sh stops its daemons and removes its folder when its process group gets ${signal}`, async () => {
      // Its own process group, as a terminal's foreground job: the signal goes to every member.
      const child = spawn('sh', [join(root, 'test', 'with-keychain.sh'), 'sleep', '60'], { env, cwd: root, detached: true, stdio: 'ignore' });
      const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
      let dir = '';
      await waitUntil('the keyring daemon started', async () => {
        const entry = (await readdir(env.TMPDIR!)).find((e) => e.startsWith('keyring.'));
        if (!entry) return false;
        dir = join(env.TMPDIR!, entry);
        const pids = await processesWithEnv('TOKENTRAY_TEST_KEYRING', dir);
        const names = await Promise.all(pids.map((p) => readFile(`/proc/${p}/comm`, 'utf8').catch(() => '')));
        return names.some((n) => n.startsWith('gnome-keyring-d')) && names.some((n) => n.startsWith('sleep'));
      });
      process.kill(-child.pid!, signal);
      assert.notEqual(await closed, 0);
      await waitUntil(
        `processes of the run still alive after ${signal}: ${dir}`,
        async () => (await processesWithEnv('TOKENTRAY_TEST_KEYRING', dir)).length === 0,
      );
      assert.equal(existsSync(dir), false, 'the keyring folder is gone');
    });
  }

  it('with-keychain.sh works under a TMPDIR of 90 characters or more (sockets are kept short) and removes their folder', async () => {
    const base = join(env.TMPDIR!, 'l');
    // At least 90 characters (more when the run's own TMPDIR is already long).
    const tmpdir = base + 'o'.repeat(Math.max(1, 90 - base.length));
    assert.ok(tmpdir.length >= 90);
    await mkdir(tmpdir, { mode: 0o700 });
    const probe = `
      require(${JSON.stringify(join(root, 'node_modules', 'keytar'))}).setPassword('tokentray-harness-test', 'a', 'b').then(() => {
        console.log(JSON.stringify({ keyring: process.env.TOKENTRAY_TEST_KEYRING, runtime: process.env.XDG_RUNTIME_DIR, bus: process.env.DBUS_SESSION_BUS_ADDRESS }));
      });`;
    const res = await run('sh', [join(root, 'test', 'with-keychain.sh'), process.execPath, '-e', probe], { ...env, TMPDIR: tmpdir });
    assert.equal(res.code, 0, res.stderr);
    const { keyring, runtime, bus } = JSON.parse(res.stdout) as { keyring: string; runtime: string; bus: string };
    assert.ok(keyring.startsWith(`${tmpdir}/`), 'the keyring files stay under TMPDIR');
    assert.ok(Buffer.byteLength(bus) < 108 - 40, `a socket path with room to spare: ${bus}`);
    await waitUntil(`processes of the run still alive: ${keyring}`, async () => (await processesWithEnv('TOKENTRAY_TEST_KEYRING', keyring)).length === 0);
    assert.equal(existsSync(runtime), false, 'the sockets folder is gone');
    assert.deepEqual(await readdir(tmpdir), [], 'and the keyring folder');
    await rm(tmpdir, { recursive: true });
  });

  it('run-tests.sh fails a run that leaves anything in its temp folder, and removes that folder', async () => {
    const leaky = await sandbox.writeFile(
      'leaky.test.mjs',
      `
      import { writeFileSync } from 'node:fs';
      import { tmpdir } from 'node:os';
      import { join } from 'node:path';
      import { test } from 'node:test';
      test('forgets a file', () => writeFileSync(join(tmpdir(), 'forgotten.txt'), 'x'));`,
    );
    const tidy = await sandbox.writeFile('tidy.test.mjs', `import { test } from 'node:test'; test('writes nothing', () => {});`);
    // node:test's summary line: TAP's on Node 20 (not a terminal), the spec reporter's on Node 23+.
    const passedOne = /^(?:# |ℹ )pass 1$/m;
    const bad = await run('sh', [join(root, 'test', 'run-tests.sh'), leaky], env);
    assert.match(bad.stdout, passedOne, `node:test's summary still shows:\n${bad.stdout}\n${bad.stderr}`);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /left these in their temp folder[^\n]*\n(.*\n)*forgotten\.txt/);
    const good = await run('sh', [join(root, 'test', 'run-tests.sh'), tidy], env);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, passedOne);
    assert.deepEqual(await readdir(env.TMPDIR!), [], 'each run removed its private temp folder');
  });

  it('run-tests.sh starts the known-slow files first, fails a run with a failing test, and keeps --test-name-pattern', async () => {
    const log = join(await sandbox.dir('order'), 'started');
    const file = (name: string, body: string) =>
      sandbox.writeFile(
        `${name}.test.mjs`,
        `import { appendFileSync } from 'node:fs';
        import { test } from 'node:test';
        appendFileSync(${JSON.stringify(log)}, '${name}\\n');
        ${body}`,
      );
    // Given in name order; crash-consistency is the slowest file on the list, agent a later one.
    const files = [
      await file('aaa', `test('passes', () => {});`),
      await file('agent', `test('passes too', () => {});`),
      await file('crash-consistency', `test('fails', () => { throw new Error('as it should'); }); test('also passes', () => {});`),
    ];
    const serial = { ...env, TOKENTRAY_TEST_CONCURRENCY: '1' };
    const failing = await run('sh', [join(root, 'test', 'run-tests.sh'), ...files], serial);
    assert.equal(failing.code, 1, failing.stderr);
    assert.match(failing.stdout, /^# tests 4$/m);
    assert.match(failing.stdout, /^# fail 1$/m);
    assert.deepEqual((await readFile(log, 'utf8')).split('\n'), ['crash-consistency', 'agent', 'aaa', '']);
    // Only the tests the pattern names run: the failing one does not.
    const named = await run('sh', [join(root, 'test', 'run-tests.sh'), '--test-name-pattern=passes', ...files], serial);
    assert.equal(named.code, 0, named.stdout);
    assert.match(named.stdout, /^# pass 3$/m);
    const unknown = await run('sh', [join(root, 'test', 'run-tests.sh'), '--test-only', ...files], serial);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^run-files: .*--test-only/m);
  });

  it('the start order: listed files slowest first, the others after them in the order given', () => {
    const given = ['/x/zeta.test.js', 'dist/test/agent.test.js', '/x/alpha.test.js', 'dist/test/crash-consistency.test.js', 'b/npm-package.test.js'];
    assert.deepEqual(startOrder(given), [
      'dist/test/crash-consistency.test.js',
      'b/npm-package.test.js',
      'dist/test/agent.test.js',
      '/x/zeta.test.js',
      '/x/alpha.test.js',
    ]);
    assert.deepEqual(startOrder([]), []);
    assert.match(String(runOptions(['--concurrency=0', 'a.test.js'])), /not 0/);
    assert.match(String(runOptions(['--concurrency=2'])), /name the test files/);
    assert.deepEqual(runOptions(['--concurrency=2', '--test-name-pattern=a', '--test-name-pattern=b', '/f.test.js']), {
      concurrency: 2,
      namePatterns: ['a', 'b'],
      files: ['/f.test.js'],
    });
  });

  it('a sandbox keeps what a test writes under its own folder, private, and removes it', async () => {
    const own = await makeSandbox();
    const key = await own.writeFile('key.json', '{"private_key": "-----BEGIN PRIVATE KEY-----"}');
    const bin = await own.dir('bin');
    for (const path of [key, bin, own.home]) assert.ok(path.startsWith(`${own.root}/`), path);
    assert.equal((await stat(key)).mode & 0o777, 0o600);
    assert.equal((await stat(bin)).mode & 0o777, 0o700);
    await assert.rejects(own.writeFile('../escape.json', 'x'), TypeError);
    await own.cleanup();
    assert.equal(existsSync(own.root), false);
  });
});
