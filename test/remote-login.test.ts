import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { readLines } from '../electron/cli/paste-back.js';
import { HttpBrowser } from './support/http-browser.js';
import { useIdpAndSandbox } from './support/fixtures.js';
import { nodeForOtherUser } from './support/other-user.js';
import { browseElsewhere, googleLoginFlags } from './support/paste-back.js';
import { runCliInProcess, startCli, startCliInProcess, type CliProcess } from './support/sandbox.js';

/**
 * The requirement is an exit within 1 s of the outcome (the times are logged as diagnostics); the
 * bound leaves room for a loaded machine. A held connection kept the old listener alive for 5 s
 * (keep-alive) to minutes, so the bound still tells the two apart.
 */
const EXIT_BOUND_MS = 2000;

/**
 * Another local user's watcher: prints "ready", then, for ten seconds, every start address or
 * start page it finds in any process's arguments, "unreadable PATH" for a page it cannot open, and
 * "fetched URL STATUS" for a start address it got to first. A line on its standard input asks for
 * two more whole sweeps of every process (with what they found tried): "swept" says they are done.
 * It stops at the end of its standard input (a kill would stop runuser, not it).
 */
const ATTACKER = `
import { readdirSync, readFileSync } from 'node:fs';
const seen = new Set();
let asked = false;
let sweepsSinceAsked = 0;
process.stdin.on('data', () => (asked = true));
process.stdin.on('end', () => process.exit(0));
console.log('ready');
const end = Date.now() + 10000;
while (Date.now() < end) {
  const counts = asked;
  for (const pid of readdirSync('/proc').filter((p) => /^\\d+$/.test(p))) {
    let argv = '';
    try { argv = readFileSync('/proc/' + pid + '/cmdline', 'latin1').replace(/\\0/g, ' '); } catch { continue; }
    const urls = [...argv.matchAll(/http:\\/\\/127\\.0\\.0\\.1:\\d+\\/start\\/[\\w-]+/g)].map((m) => m[0]);
    for (const page of argv.matchAll(/file:\\/\\/(\\S+start\\.html)/g)) {
      if (seen.has(page[1])) continue;
      seen.add(page[1]);
      try { const html = readFileSync(page[1], 'utf8'); console.log('read ' + page[1]); urls.push(...(html.match(/http:[^"]+\\/start\\/[\\w-]+/g) ?? [])); }
      catch { console.log('unreadable ' + page[1]); }
    }
    for (const url of urls) {
      if (seen.has(url)) continue;
      seen.add(url);
      console.log('found ' + url);
      try { const res = await fetch(url, { redirect: 'manual' }); console.log('fetched ' + url + ' ' + res.status); } catch {}
    }
  }
  if (counts && ++sweepsSinceAsked === 2) console.log('swept');
  await new Promise((r) => setTimeout(r, 2));
}
process.exit(0);
`;

/**
 * Sign-in where the browser is elsewhere (paste-back), the system browser opener and its one-time
 * start address, and a listener that lets `login` exit at once whatever connections are open.
 */
describe('tokentray login: paste-back, opener, start address, exit', () => {
  const fx = useIdpAndSandbox({ mode: 'google' });
  const flags = () => [...googleLoginFlags(fx.idp), '--timeout', '60'];

  let opener = 0;
  /** An environment like a desktop session's, with a stand-in `xdg-open` that records its argv. */
  async function withOpener(script: string): Promise<{ env: Record<string, string>; argvFile: string }> {
    const bin = join(fx.sandbox.home, `test-bin-${++opener}`);
    await mkdir(bin, { recursive: true });
    const argvFile = join(bin, 'argv');
    await writeFile(join(bin, 'xdg-open'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done >> '${argvFile}'\n${script}\n`);
    await chmod(join(bin, 'xdg-open'), 0o700);
    const env: Record<string, string> = { ...fx.sandbox.env, PATH: `${bin}:${process.env.PATH}`, DISPLAY: ':99' };
    delete env.SSH_CONNECTION;
    delete env.WAYLAND_DISPLAY;
    return { env, argvFile };
  }

  /** What the opener was given, once login has told how the opener ended (so it has written it all). */
  async function openerArgv(proc: CliProcess, argvFile: string): Promise<string> {
    await proc.waitForStderr(/^(Your browser was opened|Could not open a browser here)/m);
    return readFile(argvFile, 'utf8');
  }

  /** The start address inside a start page (the test runs as the page's owner, so it may read it). */
  async function startFromPage(pageUrl: string): Promise<string> {
    const html = await readFile(fileURLToPath(pageUrl), 'utf8');
    return /content="0;url=(http:[^"]+)"/.exec(html)![1];
  }

  /** Every process's command line on this machine, to prove a value is in none of them. */
  async function allCommandLines(): Promise<string> {
    let out = '';
    for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
      out += `${(await readFile(`/proc/${pid}/cmdline`, 'latin1').catch(() => '')).replace(/\0/g, ' ')}\n`;
    }
    return out;
  }

  it('paste-back: refuses foreign lines with a coded error, keeps waiting, then takes the pasted Location', async () => {
    // In this process Node's own warnings are events, not stderr text: both are watched.
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    const proc = startCliInProcess(['login', ...flags(), '--login-hint', 'paula@example.test', '--no-browser'], fx.sandbox.env, { pipeStdin: true });
    const url = new URL(await proc.authorizationUrl);
    assert.equal(url.origin, fx.idp.issuer, "the issuer's own URL on the user's terminal");
    assert.match(proc.errors(), /paste it here and press Enter/);
    const { pasted, redirect } = await browseElsewhere(url.href, 'paula@example.test');
    assert.equal(pasted.origin, redirect.origin);
    assert.ok(pasted.searchParams.get('code'));

    proc.stdin!.write('\n  \nhello there\n');
    await proc.waitForStderr(/LOGIN_PASTE_INVALID: That is not a sign-in answer/);
    proc.stdin!.write(`${redirect.origin}/?code=stolen&state=not-ours\n`);
    await proc.waitForStderr(/LOGIN_PASTE_INVALID: That answer belongs to another sign-in attempt/);
    assert.equal(proc.output(), '', 'still waiting');
    proc.stdin!.write(`${pasted.href}\n`);
    const res = await proc.done;
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'paula@example.test\n');
    assert.doesNotMatch(res.stderr, /warning/);
    await new Promise((r) => setImmediate(r)); // a warning is emitted on the next tick
    process.off('warning', onWarning);
    assert.deepEqual(warnings, [], 'no Node warning');
    const token = await runCliInProcess(['print-access-token', '--account', 'paula@example.test'], fx.sandbox.env);
    assert.equal(token.code, 0, token.stderr);
  });

  it('paste-back takes just the query, split across writes', async () => {
    const proc = startCliInProcess(['login', ...flags(), '--login-hint', 'quinn@example.test', '--no-browser'], fx.sandbox.env, { pipeStdin: true });
    const { pasted } = await browseElsewhere(await proc.authorizationUrl, 'quinn@example.test');
    const query = pasted.search;
    // The first part is read alone (login reads by then: it printed the URL first).
    const firstRead = once(proc.stdin!, 'data');
    proc.stdin!.write(query.slice(0, 10));
    assert.equal(String((await firstRead)[0]), query.slice(0, 10));
    proc.stdin!.write(`${query.slice(10)}\r\n`);
    const res = await proc.done;
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'quinn@example.test\n');
  });

  it('EOF on standard input is not an answer: login says so once, and the listener still completes the sign-in', async () => {
    const proc = startCliInProcess(['login', ...flags(), '--login-hint', 'rosa@example.test', '--no-browser'], fx.sandbox.env, { pipeStdin: true });
    const url = await proc.authorizationUrl;
    assert.doesNotMatch(proc.errors(), /Standard input ended/, 'not before it ends');
    proc.stdin!.end();
    await proc.waitForStderr(/^Standard input ended, so nothing more can be pasted here: waiting for the browser only\.$/m);
    assert.equal(proc.output(), '', 'still waiting');
    const page = await new HttpBrowser('rosa@example.test').visit(url);
    assert.match(page.body, /Signed in/);
    const res = await proc.done;
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'rosa@example.test\n');
    assert.equal(res.stderr.match(/Standard input ended/g)?.length, 1, 'said once');
  });

  it('a last pasted line without a line break counts when standard input ends', async () => {
    const proc = startCliInProcess(['login', ...flags(), '--login-hint', 'rhea@example.test', '--no-browser'], fx.sandbox.env, { pipeStdin: true });
    const { pasted } = await browseElsewhere(await proc.authorizationUrl, 'rhea@example.test');
    proc.stdin!.end(pasted.href);
    const res = await proc.done;
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'rhea@example.test\n');
    assert.doesNotMatch(res.stderr, /Standard input ended/, 'the input answered: nothing to tell');
  });

  it('standard input already closed by reading the client secret from it (--client-secret -) is told at once', async () => {
    const withSecretOnStdin = flags().map((flag, i, all) => (all[i - 1] === '--client-secret' ? '-' : flag));
    const proc = startCliInProcess(['login', ...withSecretOnStdin, '--login-hint', 'remy@example.test', '--no-browser'], fx.sandbox.env, { pipeStdin: true });
    proc.stdin!.write(`${fx.idp.client.clientSecret}\n`); // and the pipe stays open
    await proc.authorizationUrl;
    await proc.waitForStderr(/^Standard input ended, so nothing more can be pasted here: waiting for the browser only\.$/m);
    proc.kill('SIGINT');
    assert.equal((await proc.done).code, 130);
  });

  it("gives the opener only a private start page: the start address, state and PKCE challenge are in no process's arguments", async () => {
    const { env, argvFile } = await withOpener('exit 0');
    const proc = startCli(['login', ...flags(), '--login-hint', 'sam@example.test'], env);
    const argv = (await openerArgv(proc, argvFile)).trim().split('\n');
    assert.equal(argv.length, 1);
    const pagePath = fileURLToPath(argv[0]);
    assert.match(argv[0], /^file:\/\/\/.*\/sign-in\/\d+-\w{6}\/start\.html$/);
    // Only its owner can read the page: 0600 in a 0700 folder.
    assert.equal((await stat(pagePath)).mode & 0o777, 0o600);
    assert.equal((await stat(dirname(pagePath))).mode & 0o777, 0o700);
    const start = new URL(await startFromPage(argv[0]));
    assert.match(start.href, /^http:\/\/127\.0\.0\.1:\d+\/start\/[\w-]{43}$/);
    await proc.waitForStderr(/Your browser was opened/);
    // The browser follows the start address to the issuer; the test stops before the callback.
    const browser = new HttpBrowser('sam@example.test');
    const callback = new URL((await browser.visit(start.href, { stopBefore: start.origin })).url);
    const authorization = new URL(browser.history[1]);
    assert.equal(authorization.origin, fx.idp.issuer);
    const state = authorization.searchParams.get('state')!;
    const challenge = authorization.searchParams.get('code_challenge')!;
    const commandLines = await allCommandLines();
    for (const secret of [start.pathname, state, challenge, authorization.href]) assert.ok(!commandLines.includes(secret), "in a process's arguments");
    assert.ok(!argv[0].includes(state) && !argv[0].includes(challenge));
    assert.ok(!proc.errors().includes(state), 'not printed either when the browser opened');
    const page = await fetch(callback);
    assert.match(await page.text(), /Signed in/);
    const res = await proc.done;
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'sam@example.test\n');
    await assert.rejects(stat(dirname(pagePath)), 'the page is gone with the attempt');
  });

  it('another local user racing the browser (runuser -u nobody, reading every argv) gets no start address', async () => {
    // The attacker: scans every process's arguments for a start address or a start page, tries to
    // read each page it finds, and fetches what it can, as the red team did.
    // Not under the run's TMPDIR, which is private: the other user must reach the script.
    const attackerDir = await mkdtemp('/tmp/tt-attacker-');
    await chmod(attackerDir, 0o755);
    const script = join(attackerDir, 'attacker.mjs');
    await writeFile(script, ATTACKER);
    await chmod(script, 0o644); // the tests' umask is 077
    const node = await nodeForOtherUser();
    const attacker = spawn('runuser', ['-u', 'nobody', '--', node.path, script], { stdio: ['pipe', 'pipe', 'pipe'] });
    attacker.stdin.on('error', () => undefined);
    let found = '';
    let opened = '';
    attacker.stdout.on('data', (d: Buffer) => (found += d.toString()));
    const attackerSays = (line: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!found.split('\n').includes(line)) return;
          attacker.stdout.off('data', check);
          resolve();
        };
        attacker.stdout.on('data', check);
        attacker.once('exit', (code) => reject(new Error(`the attacker exited (${code}) before saying ${line}`)));
      });
    try {
      await attackerSays('ready');
      // A browser keeps its argument while it shows the page: here, as long as the page exists (10 s at most).
      const { env, argvFile } = await withOpener(`(i=0; while [ -e "\${1#file://}" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done) &\nexit 0`);
      const proc = startCli(['login', ...flags(), '--login-hint', 'vera@example.test'], env);
      const argv = (await openerArgv(proc, argvFile)).trim();
      opened = argv;
      // The victim's browser takes its time, as a real one does: the attacker looks at every
      // process (and tries what it finds) twice more while the sign-in waits.
      const swept = attackerSays('swept');
      attacker.stdin.write('sweep\n');
      await swept;
      const page = await new HttpBrowser('vera@example.test').visit(await startFromPage(argv));
      assert.match(page.body, /Signed in/);
      const res = await proc.done;
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, 'vera@example.test\n');
    } finally {
      if (attacker.exitCode === null && attacker.signalCode === null) {
        const exited = once(attacker, 'exit');
        attacker.stdin.end();
        const late = setTimeout(() => attacker.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(late);
      }
      await rm(attackerDir, { recursive: true, force: true });
      await node.release();
    }
    const lines = found.split('\n').filter((l) => l && l !== 'ready' && l !== 'swept');
    assert.ok(lines.includes(`unreadable ${fileURLToPath(opened)}`), `the attacker saw the page in the browser's arguments:\n${found}`);
    assert.deepEqual(
      lines.filter((l) => !l.startsWith('unreadable ')),
      [],
      'the attacker found a start address, read a page, or fetched one',
    );
  });

  it('aborts with LOGIN_START_REUSED when the start address is requested twice', async () => {
    const { env, argvFile } = await withOpener('exit 0');
    const proc = startCliInProcess(['login', ...flags(), '--login-hint', 'tess@example.test'], env);
    const start = await startFromPage((await openerArgv(proc, argvFile)).trim());
    // Another local user read the start address from `ps` and got there first.
    const stolen = await fetch(start, { redirect: 'manual' });
    assert.equal(stolen.status, 302);
    const victim = await fetch(start, { redirect: 'manual' });
    assert.equal(victim.status, 400);
    assert.match(await victim.text(), /already used/);
    const res = await proc.done;
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^tokentray: LOGIN_START_REUSED: The one-time sign-in address was requested more than once/m);
    assert.equal(res.stdout, '');
  });

  it('falls back to paste-back when xdg-open fails, and says why', async () => {
    const { env, argvFile } = await withOpener('exit 3');
    const proc = startCliInProcess(['login', ...flags(), '--login-hint', 'uma@example.test'], env, { pipeStdin: true });
    const url = new URL(await proc.authorizationUrl);
    assert.match(proc.errors(), /^Could not open a browser here: xdg-open failed \(exit status 3\)\.$/m);
    assert.doesNotMatch(proc.errors(), /browser was opened/);
    const start = (await openerArgv(proc, argvFile)).trim();
    assert.ok(!start.includes(url.searchParams.get('state')!));
    const { pasted } = await browseElsewhere(url.href, 'uma@example.test');
    proc.stdin!.write(`${pasted.href}\n`);
    const res = await proc.done;
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'uma@example.test\n');
  });

  it('when the opener fails after someone requested the start address, stops without showing the URL', async () => {
    // The start address leaked somehow and was fetched first (here: by the opener itself).
    const { env } = await withOpener(`curl -s -o /dev/null "$(sed -n 's/.*content="0;url=\\(http:[^"]*\\)".*/\\1/p' "\${1#file://}")"; exit 3`);
    const proc = startCliInProcess(['login', ...flags(), '--login-hint', 'yann@example.test'], env, { pipeStdin: true });
    const res = await proc.done;
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^tokentray: LOGIN_START_REUSED: /m);
    assert.doesNotMatch(res.stderr, /state=/, 'the authorization URL was not printed');
  });

  for (const [name, change] of [
    ['no DISPLAY or WAYLAND_DISPLAY', (env: Record<string, string>) => delete env.DISPLAY],
    ['SSH_CONNECTION is set', (env: Record<string, string>) => (env.SSH_CONNECTION = '127.0.0.9 50000 127.0.0.1 22')],
  ] as const) {
    it(`does not try a browser when ${name}: paste-back at once`, async () => {
      const { env, argvFile } = await withOpener('exit 0');
      change(env);
      const proc = startCliInProcess(['login', ...flags(), '--timeout', '1'], env);
      await proc.authorizationUrl;
      assert.match(proc.errors(), /^Could not open a browser here: /m);
      await proc.done;
      await assert.rejects(readFile(argvFile), 'xdg-open never ran');
    });
  }

  it('refuses an account other than the --login-hint one, and stores nothing', async () => {
    const before = await runCliInProcess(['accounts', '--json'], fx.sandbox.env);
    const proc = startCliInProcess(['login', ...flags(), '--login-hint', 'victor@example.test', '--no-browser'], fx.sandbox.env);
    const url = new URL(await proc.authorizationUrl);
    url.searchParams.set('login_hint', 'mallory@example.test'); // the account was swapped
    await new HttpBrowser().visit(url.href);
    const res = await proc.done;
    assert.equal(res.code, 1);
    assert.equal(res.stdout, '');
    assert.match(
      res.stderr,
      /^tokentray: LOGIN_IDENTITY_MISMATCH: The browser signed in mallory@example\.test, not victor@example\.test as asked\. Nothing was stored\. Sign in again with `tokentray login --login-hint victor@example\.test`\.$/m,
    );
    assert.equal((await runCliInProcess(['accounts', '--json'], fx.sandbox.env)).stdout, before.stdout, 'the accounts are as they were');
  });

  /** Holds an idle connection, a half-sent request and a finished keep-alive one to the listener. */
  async function holdConnections(redirectUri: string): Promise<Socket[]> {
    const port = Number(new URL(redirectUri).port);
    const open = (payload: string) =>
      new Promise<Socket>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(payload);
          resolve(socket);
        });
        socket.on('error', () => undefined);
        socket.once('error', reject);
      });
    return Promise.all([open(''), open('GET /?state=x&co'), open('GET /favicon.ico HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n')]);
  }

  async function exitAfter(proc: CliProcess, outcome: () => Promise<number>): Promise<{ code: number | null; stderr: string; ms: number }> {
    const redirect = new URL(await proc.authorizationUrl).searchParams.get('redirect_uri')!;
    const held = await holdConnections(redirect);
    try {
      const at = await outcome();
      // Bounded, so a listener that holds the process fails the test instead of hanging it.
      const late = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const res = await proc.done;
      clearTimeout(late);
      return { code: res.code, stderr: res.stderr, ms: Date.now() - at };
    } finally {
      for (const s of held) s.destroy();
    }
  }

  it('exits within 1 s of success while idle and half-sent connections are held open', async (t) => {
    const proc = startCli(['login', ...flags(), '--login-hint', 'wren@example.test', '--no-browser'], fx.sandbox.env);
    const { code, stderr, ms } = await exitAfter(proc, async () => {
      const page = await new HttpBrowser('wren@example.test').visit(await proc.authorizationUrl);
      assert.match(page.body, /Signed in/);
      return Date.now();
    });
    assert.equal(code, 0, stderr);
    t.diagnostic(`exited ${ms} ms after success`);
    assert.ok(ms < EXIT_BOUND_MS, `exited ${ms} ms after success`);
  });

  it('exits within 1 s of a time-out while connections are held open', async (t) => {
    const proc = startCli(['login', ...flags(), '--no-browser', '--timeout', '2'], fx.sandbox.env);
    const { code, stderr, ms } = await exitAfter(proc, () => proc.waitForStderr(/LOGIN_TIMEOUT/));
    assert.equal(code, 1);
    assert.match(stderr, /^tokentray: LOGIN_TIMEOUT: /m);
    t.diagnostic(`exited ${ms} ms after the time-out`);
    assert.ok(ms < EXIT_BOUND_MS, `exited ${ms} ms after the time-out`);
  });

  it('exits 130 within 1 s of Ctrl-C while connections are held open', async (t) => {
    const proc = startCli(['login', ...flags(), '--no-browser'], fx.sandbox.env, { stdin: 'pipe' });
    const { code, stderr, ms } = await exitAfter(proc, async () => {
      proc.kill('SIGINT');
      return Date.now();
    });
    assert.equal(code, 130);
    assert.match(stderr, /^tokentray: LOGIN_CANCELLED: /m);
    t.diagnostic(`exited ${ms} ms after Ctrl-C`);
    assert.ok(ms < EXIT_BOUND_MS, `exited ${ms} ms after Ctrl-C`);
  });
});

describe('paste-back line reader (in process)', () => {
  const read = (input: PassThrough) => {
    const lines: string[] = [];
    let ends = 0;
    const stop = readLines(
      (line) => lines.push(line),
      input,
      () => ends++,
    );
    return { lines, ends: () => ends, stop };
  };
  const settled = () => new Promise((r) => setImmediate(r)).then(() => new Promise((r) => setImmediate(r)));

  it("tells the end once ('end' then 'close'), after the last line without a line break", async () => {
    const input = new PassThrough();
    const r = read(input);
    input.write('one\r\ntw');
    input.end('o');
    await once(input, 'close');
    await settled();
    assert.deepEqual(r.lines, ['one', 'two']);
    assert.equal(r.ends(), 1);
    r.stop();
  });

  it('tells nothing once stopped, and tells an input destroyed before it was given', async () => {
    const input = new PassThrough();
    const r = read(input);
    r.stop();
    assert.ok(input.destroyed, 'a pipe is closed outright');
    await settled();
    assert.equal(r.ends(), 0);
    const late = read(input);
    await settled();
    assert.equal(late.ends(), 1);
    late.stop();
  });

  it('tells nothing when the last line ended the wait (the sign-in stopped reading at once)', async () => {
    const input = new PassThrough();
    let ends = 0;
    const stop: () => void = readLines(
      (line) => {
        assert.equal(line, 'answer');
        queueMicrotask(() => stop()); // as signIn does once the callback promise settles
      },
      input,
      () => ends++,
    );
    input.end('answer');
    await settled();
    assert.equal(ends, 0);
  });
});
