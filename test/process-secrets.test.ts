import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { useIdpAndSandbox } from './support/fixtures.js';
import { signInThroughCore } from './support/flows.js';
import { HttpBrowser } from './support/http-browser.js';
import { runCliWith } from './support/hostile.js';
import { CLI, runCli } from './support/sandbox.js';

async function cmdline(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ');
}

describe('login --client-secret - (issue 13 §6)', () => {
  const fx = useIdpAndSandbox({ mode: 'oidc' });

  it('reads the secret from stdin, so it is never in any process arguments', async () => {
    let pid = 0;
    let url: string | undefined;
    const argvSeen: string[] = [];
    let visit: Promise<unknown> | undefined;
    const res = await runCliWith(
      [
        'login',
        '--issuer',
        fx.idp.issuer,
        '--client-id',
        fx.idp.client.clientId,
        '--client-secret',
        '-',
        '--login-hint',
        'alice@example.test',
        '--no-browser',
        '--timeout',
        '30',
      ],
      fx.sandbox.env,
      {
        stdin: `${fx.idp.client.clientSecret}\n`,
        onSpawn: (p) => (pid = p),
        onLine(line) {
          if (url || !/^https?:\/\/\S+$/.test(line)) return;
          url = line;
          visit = (async () => {
            argvSeen.push(await cmdline(pid)); // while the sign-in waits for the browser
            await new HttpBrowser('alice@example.test').visit(line);
          })();
        },
      },
    );
    await visit;
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'alice@example.test\n');
    assert.match(argvSeen[0], /--client-secret -/);
    assert.ok(!argvSeen[0].includes(fx.idp.client.clientSecret), 'the secret is not in argv');
    const [account] = JSON.parse((await runCli(['accounts', '--json'], fx.sandbox.env)).stdout) as Array<{ email: string }>;
    assert.equal(account.email, 'alice@example.test');
  });

  it('an empty stdin is a usage error, not an empty secret', async () => {
    const res = await runCliWith(['login', '--issuer', fx.idp.issuer, '--client-id', 'x', '--client-secret', '-', '--no-browser'], fx.sandbox.env, {
      stdin: '',
    });
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /^tokentray: USAGE: .*stdin was empty/m);
  });

  it('--help says that a file or stdin is preferred', async () => {
    const res = await runCli(['login', '--help'], fx.sandbox.env);
    assert.match(res.stdout, /--client-secret -/);
    // The help is wrapped to the terminal: compare words, not line breaks.
    assert.match(res.stdout.replace(/\s+/g, ' '), /Prefer --client-secret-file, or --client-secret - \(read from stdin\)/);
  });
});

describe('no tokens in core dumps of long-running processes (issue 13 §6, Linux)', () => {
  const fx = useIdpAndSandbox({ mode: 'google' });
  let dumps: string;
  let accountId: string;
  before(async () => {
    dumps = await mkdtemp(join(tmpdir(), 'tokentray-dumps-'));
    accountId = (await signInThroughCore(fx.sandbox.core(), fx.idp, 'alice@example.test')).id;
  });
  after(async () => {
    await rm(dumps, { recursive: true, force: true });
  });

  it('a metadata-server killed by SIGSEGV under `ulimit -c unlimited` leaves a core file without its tokens', async () => {
    // The shell raises the limit, then becomes the CLI: the attack as reported.
    const child = spawn('sh', ['-c', 'ulimit -c unlimited && exec "$0" "$@"', process.execPath, CLI, 'metadata-server', '--account', accountId], {
      env: fx.sandbox.env,
      cwd: dumps,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const host = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const m = /GCE_METADATA_HOST=(\S+)/.exec(stdout);
        if (m) resolve(m[1]);
      });
      child.once('exit', () => reject(new Error(`metadata-server exited: ${stderr}`)));
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const tokens: string[] = [];
    for (const path of ['instance/service-accounts/default/token', 'instance/service-accounts/default/token?scopes=openid,email']) {
      const res = await fetch(`http://${host}/computeMetadata/v1/${path}`, { headers: { 'Metadata-Flavor': 'Google' } });
      assert.equal(res.status, 200);
      tokens.push(((await res.json()) as { access_token: string }).access_token);
    }
    const filter = (await readFile(`/proc/${child.pid}/coredump_filter`, 'utf8')).trim();
    child.kill('SIGSEGV');
    assert.equal(await exited, 'SIGSEGV');
    const cores = (await readdir(dumps)).filter((f) => f.startsWith('core'));
    assert.ok(cores.length > 0, 'the kernel wrote a core file (the attack is real)');
    for (const core of cores) {
      const bytes = await readFile(join(dumps, core));
      for (const token of tokens) assert.ok(!bytes.includes(token), `${core} (${bytes.length} bytes) holds an access token`);
      console.log(`# core file: ${bytes.length} bytes, no token in it`);
    }
    assert.equal(filter, '00000000', 'the server keeps memory out of core dumps');
  });

  it("exec's parent keeps memory out of core dumps; the command it runs dumps as it always did", async () => {
    const own = (await readFile('/proc/self/coredump_filter', 'utf8')).trim();
    // An answer from exec's metadata server proves its event loop ran, so the spawn call has
    // returned in the parent; only then is the parent's filter read (no race with the spawn).
    const script =
      'curl -s -o /dev/null -H "Metadata-Flavor: Google" "http://$GCE_METADATA_HOST/computeMetadata/v1/project/project-id"; cat /proc/$PPID/coredump_filter /proc/self/coredump_filter';
    const res = await runCliWith(['exec', '--account', accountId, '--', 'sh', '-c', script], fx.sandbox.env);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(res.stdout.trim().split('\n'), ['00000000', own]);
  });
});

describe('the desktop app keeps the vault passphrase from what the system starts for it', () => {
  it('takes a private copy for the core and removes the secret from the live environment', async () => {
    const { keepSecretsFromChildren } = await import('../electron/core/shared/child-env.js');
    const live: Record<string, string | undefined> = { PATH: '/bin', TOKENTRAY_FILE_PASSPHRASE: 'canary-passphrase' };
    const own = keepSecretsFromChildren(live);
    assert.equal(own.TOKENTRAY_FILE_PASSPHRASE, 'canary-passphrase');
    assert.equal(live.TOKENTRAY_FILE_PASSPHRASE, undefined);
    assert.equal(live.PATH, '/bin');
  });
});
