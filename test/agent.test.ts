/**
 * `tokentray agent`: unlock once, answer at once. Whole processes: the agent started by the CLI,
 * the CLI, kubectl and docker asking it, another local user (runuser -u nobody) trying to; and
 * in-process checks of the protocol and the server's refusals.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { serveAgentFromApp } from '../electron/app/agent-service.js';
import { askAgent } from '../electron/core/agent/client.js';
import { agentLocation } from '../electron/core/agent/location.js';
import { encodeFrame, FrameReader, MAX_REQUEST_BYTES, parseRequest, PROTOCOL_VERSION } from '../electron/core/agent/protocol.js';
import { startAgentServer } from '../electron/core/agent/server.js';
import { createCore } from '../electron/core/core.js';
import { isTokenTrayError } from '../electron/core/shared/errors.js';
import { expireCache, signInThroughCore } from './support/flows.js';
import { useIdpAndSandbox } from './support/fixtures.js';
import { noteSecret } from './support/canary.js';
import { alive, waitFor } from './support/processes.js';
import { CLI, runCli, startCli } from './support/sandbox.js';
import { runTool, startHttps, startRegistry } from './support/tools.js';
import { nodeForOtherUser } from './support/other-user.js';

const DOCKER_HELPER = join(dirname(CLI), 'docker-credential-tokentray.cjs');
const NOBODY = 65534;

/** A short private folder for agent sockets (a socket path fits in 108 bytes, whatever TMPDIR is). */
async function shortDir(): Promise<string> {
  return mkdtemp('/tmp/tta-');
}

/** A remote machine: no D-Bus session (so no Secret Service), no display. */
function withoutDesktop(env: Record<string, string>): void {
  delete env.DBUS_SESSION_BUS_ADDRESS;
  delete env.XDG_RUNTIME_DIR;
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
}

/** `tokentray agent start --passphrase-stdin`, the passphrase on stdin; resolves with its output. */
async function startAgent(env: Record<string, string>, passphrase: string, extra: string[] = []) {
  const cli = startCli(['agent', 'start', '--passphrase-stdin', ...extra], env, { stdin: 'pipe' });
  cli.stdin!.end(`${passphrase}\n`);
  return cli.done;
}

async function agentStatus(
  env: Record<string, string>,
): Promise<{ pid: number; store: string; unlocked: boolean; until: number | null; servedBy: string } | undefined> {
  const res = await runCli(['agent', 'status', '--json'], env);
  return res.code === 0 ? (JSON.parse(res.stdout) as { pid: number; store: string; unlocked: boolean; until: number | null; servedBy: string }) : undefined;
}

describe('the agent with the file vault, on a machine without D-Bus', () => {
  const fx = useIdpAndSandbox({ mode: 'google' });
  const passphrase = `agent-pass-${randomBytes(12).toString('hex')}`;
  let runtime: string;
  let env: Record<string, string>;
  let core: ReturnType<typeof createCore>;
  const pids: number[] = [];

  /** Whether the test IdP says this access token is live, and whose it is. */
  async function ownerOf(token: string): Promise<string | undefined> {
    const info = await fx.idp.introspect(token);
    return info.active ? String(info.sub) : undefined;
  }

  /** Starts an agent (killed after the test) and checks that it answers, with the client every CLI uses. */
  async function started(extra: string[] = []): Promise<number> {
    const res = await startAgent(env, passphrase, extra);
    assert.equal(res.code, 0, res.stderr);
    const pid = Number(/agent started \(pid (\d+)\)/.exec(res.stderr)?.[1]);
    const answer = await askAgent(env, { op: 'status' });
    assert.ok(answer?.ok && 'status' in answer, 'the agent answers after start');
    assert.equal(answer.status.pid, pid);
    pids.push(pid);
    return pid;
  }

  /**
   * The agent the tests that only ask it share (running() starts it with --lifetime 2h, as the
   * status test checks): a start costs two processes and an unlock. A test that stops or kills it
   * ends it; the next one starts another.
   */
  let shared: number | undefined;
  async function running(): Promise<number> {
    if (shared !== undefined && alive(shared) && (await askAgent(env, { op: 'status' }))) return shared;
    shared = await started(['--lifetime', '2h']);
    pids.splice(pids.indexOf(shared), 1);
    return shared;
  }

  before(async () => {
    withoutDesktop(fx.sandbox.env);
    fx.sandbox.env.TOKENTRAY_KEYCHAIN = 'file';
    noteSecret(passphrase);
    runtime = await shortDir();
    env = { ...fx.sandbox.env, XDG_RUNTIME_DIR: runtime };
    // Only the test's own core knows the passphrase; the CLI and tools never get it.
    core = createCore({ env: { ...env, TOKENTRAY_FILE_PASSPHRASE: passphrase } });
    await signInThroughCore(core, fx.idp, 'ada@example.test');
    await signInThroughCore(core, fx.idp, 'bob@example.test');
  });
  afterEach(async () => {
    for (const pid of pids.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  after(async () => {
    if (shared !== undefined && alive(shared)) process.kill(shared, 'SIGKILL');
    await rm(runtime, { recursive: true, force: true });
    // The sandbox's secret canary opens the vault with it.
    fx.sandbox.env.TOKENTRAY_FILE_PASSPHRASE = passphrase;
  });

  it('without an agent the vault needs its passphrase (the case the agent exists for)', async () => {
    const res = await runCli(['print-access-token'], env);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /VAULT_PASSPHRASE_REQUIRED/);
  });

  it('agent start once: then print-access-token, real kubectl and the real docker CLI work with no passphrase and no prompt', async () => {
    const pid = await running();
    const token = await runCli(['print-access-token'], env);
    assert.equal(token.code, 0, token.stderr);
    assert.equal(await ownerOf(token.stdout.trim()), (await core.accounts.resolve('ada@example.test')).subject);
    const bob = await runCli(['print-access-token', '--account', 'bob@example.test'], env);
    assert.equal(await ownerOf(bob.stdout.trim()), (await core.accounts.resolve('bob@example.test')).subject);
    const id = await runCli(['print-identity-token', '--account=bob@example.test'], env);
    assert.equal(id.code, 0, id.stderr);
    assert.equal(JSON.parse(Buffer.from(id.stdout.split('.')[1], 'base64url').toString()).email, 'bob@example.test');

    const box = await mkdtemp(join(fx.sandbox.root, 'tools-'));
    // kubectl: an https stand-in API server that serves /api only to a live token.
    const api = await startHttps(join(box, 'kube-tls'), (req, res) => {
      const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      void (async () => {
        const who = bearer ? await ownerOf(bearer) : undefined;
        res.setHeader('Content-Type', 'application/json');
        if (!who) return res.writeHead(401).end('{"kind":"Status","apiVersion":"v1","status":"Failure","code":401}');
        return res.end(JSON.stringify({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [], servedTo: who }));
      })();
    });
    // docker: an https stand-in registry with a Basic challenge.
    const registry = await startRegistry(join(box, 'registry-tls'), async (user, secret) => (user === 'oauth2accesstoken' ? ownerOf(secret) : undefined));
    try {
      const kubeconfig = join(box, 'kubeconfig');
      await writeFile(
        kubeconfig,
        `apiVersion: v1\nkind: Config\nclusters:\n- name: s\n  cluster:\n    server: https://127.0.0.1:${api.port}\n    insecure-skip-tls-verify: true\n` +
          `users:\n- name: t\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: ${JSON.stringify(process.execPath)}\n      args: ${JSON.stringify([CLI, 'kube-credential'])}\n      interactiveMode: Never\n` +
          'contexts:\n- name: s\n  context: {cluster: s, user: t}\ncurrent-context: s\n',
      );
      const kube = await runTool('kubectl', ['--kubeconfig', kubeconfig, 'get', '--raw', '/api'], env);
      assert.equal(kube.code, 0, kube.stderr);
      assert.equal(JSON.parse(kube.stdout).servedTo, (await core.accounts.resolve('ada@example.test')).subject);

      const bin = join(box, 'bin');
      await mkdir(bin);
      await writeFile(join(bin, 'docker-credential-tokentray'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(DOCKER_HELPER)} "$@"\n`, {
        mode: 0o700,
      });
      await mkdir(join(box, 'docker'));
      await writeFile(join(box, 'docker', 'config.json'), JSON.stringify({ credHelpers: { [`127.0.0.1:${registry.port}`]: 'tokentray' } }));
      // As `configure-docker --allow-other-host` records it: only a registry set up gets a token.
      await writeFile(join(env.TOKENTRAY_HOME, 'docker-registries.json'), JSON.stringify({ [`127.0.0.1:${registry.port}`]: {} }));
      const docker = await runTool('docker', ['manifest', 'inspect', '--insecure', `127.0.0.1:${registry.port}/team/app:v1`], {
        ...env,
        DOCKER_CONFIG: join(box, 'docker'),
        PATH: `${bin}:${process.env.PATH}`,
      });
      assert.equal(docker.code, 0, docker.stderr);
      assert.equal(JSON.parse(docker.stdout).schemaVersion, 2);
    } finally {
      await api.close();
      await registry.close();
    }
    assert.ok(alive(pid));
  });

  it('exec (and the metadata server it starts) and curl get their tokens from the agent', async () => {
    await running();
    const ada = (await core.accounts.resolve('ada@example.test')).subject;
    const seen: string[] = [];
    const server = createHttpServer((req, res) => {
      seen.push(req.headers.authorization ?? '');
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const curl = await runCli(['curl', `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, '-s'], env);
      assert.equal(curl.code, 0, curl.stderr);
      assert.equal(await ownerOf(seen[0].replace(/^Bearer /, '')), ada);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    const probe = 'curl -sf -H "Metadata-Flavor: Google" "http://$GCE_METADATA_HOST/computeMetadata/v1/instance/service-accounts/default/token"';
    const exec = await runCli(['exec', '--', 'sh', '-c', probe], env);
    assert.equal(exec.code, 0, exec.stderr);
    assert.equal(await ownerOf((JSON.parse(exec.stdout) as { access_token: string }).access_token), ada);
  });

  it("the agent's memory of a token lasts only while accounts.json is unchanged: a signed-out account gets nothing", async () => {
    await running();
    await signInThroughCore(core, fx.idp, 'cat@example.test');
    const first = await runCli(['print-access-token', '--account', 'cat@example.test'], env);
    assert.equal(first.code, 0, first.stderr);
    const logout = await runCli(['logout', 'cat@example.test', '--no-revoke'], { ...env, TOKENTRAY_FILE_PASSPHRASE: passphrase });
    assert.equal(logout.code, 0, logout.stderr);
    const after = await runCli(['print-access-token', '--account', 'cat@example.test'], env);
    assert.equal(after.code, 1);
    assert.equal(after.stdout, '');
    assert.match(after.stderr, /ACCOUNT_NOT_FOUND/);
  });

  it('the docker helper echoes only a plain registry name from the fast path; anything else goes to the helper proper, escaped', async () => {
    await running();
    await writeFile(join(env.TOKENTRAY_HOME, 'docker-registries.json'), JSON.stringify({ 'gcr.io': {} }));
    const plain = await runTool(process.execPath, [DOCKER_HELPER, 'get'], env, 'https://gcr.io\n');
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(JSON.parse(plain.stdout).ServerURL, 'https://gcr.io');
    // Without the passphrase the helper proper cannot open the vault: it fails, escaped, and prints no raw control character.
    // A C1 control (CSI) survives JSON.stringify: only the helper proper's escaping catches it.
    const hostile = await runTool(process.execPath, [DOCKER_HELPER, 'get'], env, 'https://gcr.io/\u009b2J\n');
    assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(hostile.stdout + hostile.stderr), JSON.stringify(hostile));
    // A registry configure-docker did not set up gets no token through the agent either.
    const other = await runTool(process.execPath, [DOCKER_HELPER, 'get'], env, 'https://registry.evil.invalid\n');
    assert.deepEqual([other.code, other.stdout], [1, 'credentials not found in native keychain\n']);
  });

  it('status tells pid, store, unlocked and time left; a second start says it runs; stop ends it and removes socket and key', async () => {
    const pid = await running(); // with --lifetime 2h
    const status = (await agentStatus(env))!;
    assert.equal(status.pid, pid);
    assert.equal(status.store, 'file');
    assert.equal(status.unlocked, true);
    assert.equal(status.servedBy, 'agent');
    assert.ok(status.until! - Date.now() > 7_000_000 && status.until! - Date.now() <= 7_200_000);
    const text = await runCli(['agent', 'status'], env);
    assert.match(text.stdout, new RegExp(`pid: +${pid}\\n[\\s\\S]*unlocked: +yes\\n[\\s\\S]*lifetime: +1h 59m left`));
    const again = await startAgent(env, passphrase);
    assert.equal(again.code, 0);
    assert.match(again.stderr, new RegExp(`already running \\(pid ${pid}\\)`));
    const stop = await runCli(['agent', 'stop'], env);
    assert.equal(stop.code, 0, stop.stderr);
    await waitFor('the agent to exit', () => !alive(pid));
    assert.deepEqual(
      (await readdir(join(runtime, 'tokentray'))).filter((f) => f !== 'agent.lock'),
      [],
    );
    const none = await runCli(['agent', 'status'], env);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /AGENT_NOT_RUNNING/);
  });

  it('a wrong passphrase: the agent does not start, VAULT_PASSPHRASE_WRONG', async () => {
    const res = await startAgent(env, 'not-the-passphrase');
    assert.equal(res.code, 1);
    assert.match(res.stderr, /VAULT_PASSPHRASE_WRONG/);
    assert.equal(await askAgent(env, { op: 'status' }), undefined, 'no agent answers');
  });

  it('refreshes an expired token through the same store: written through at once, so a SIGKILLed agent loses nothing', async () => {
    const pid = await started();
    const ada = await core.accounts.resolve('ada@example.test');
    const old = (await core.tokens.getAccessToken(ada)).token;
    await expireCache(core, ada.id);
    const refreshes = fx.idp.grants.refresh_token ?? 0;
    const res = await runCli(['print-access-token'], env);
    assert.equal(res.code, 0, res.stderr);
    const fresh = res.stdout.trim();
    assert.notEqual(fresh, old);
    assert.equal((fx.idp.grants.refresh_token ?? 0) - refreshes, 1);
    process.kill(pid, 'SIGKILL');
    await waitFor('the agent to die', () => !alive(pid));
    // What the agent wrote is in the vault file: a process with the passphrase reads the new token.
    const reread = createCore({ env: { ...env, TOKENTRAY_FILE_PASSPHRASE: passphrase } });
    assert.equal((await reread.tokens.getAccessToken(await reread.accounts.resolve('ada@example.test'))).token, fresh);
  });

  it('a SIGKILLed agent leaves a stale socket: clients skip it at once, the next start replaces it', async () => {
    const pid = await started();
    process.kill(pid, 'SIGKILL');
    await waitFor('the agent to die', () => !alive(pid));
    assert.ok((await stat(agentLocation(env).socket)).isSocket(), 'the stale socket is still there');
    const t0 = Date.now();
    assert.equal(await askAgent(env, { op: 'status' }), undefined);
    assert.ok(Date.now() - t0 < 100, `skipping a stale socket took ${Date.now() - t0} ms`);
    const res = await runCli(['print-access-token'], env);
    assert.match(res.stderr, /VAULT_PASSPHRASE_REQUIRED/); // the normal path, exactly as without an agent
    const next = await started();
    assert.notEqual(next, pid);
    assert.equal((await runCli(['print-access-token'], env)).code, 0);
  });

  it('after --lifetime the agent is gone and nothing of it stays in the socket folder', async () => {
    const pid = await started(['--lifetime', '2s']);
    assert.equal((await runCli(['print-access-token'], env)).code, 0);
    await waitFor('the agent to exit', () => !alive(pid), 20_000);
    assert.deepEqual(
      (await readdir(join(runtime, 'tokentray'))).filter((f) => f !== 'agent.lock'),
      [],
    );
    assert.match((await runCli(['print-access-token'], env)).stderr, /VAULT_PASSPHRASE_REQUIRED/);
  });

  it('the passphrase is in no argv, no environment of the agent, no file and no output (canary scan)', async () => {
    // Given through the environment to `start`, the way people used to: the agent still never has it there.
    const cli = startCli(['agent', 'start'], { ...env, TOKENTRAY_FILE_PASSPHRASE: passphrase });
    const res = await cli.done; // the sandbox canary fails the run if it was printed
    assert.equal(res.code, 0, res.stderr);
    const pid = Number(/agent started \(pid (\d+)\)/.exec(res.stderr)?.[1]);
    shared = pid; // an agent like any other once started: the next tests may ask it
    const argv = await readFile(`/proc/${pid}/cmdline`, 'latin1');
    const environ = await readFile(`/proc/${pid}/environ`, 'latin1');
    assert.ok(argv.includes('agent\0run'), argv);
    assert.ok(!argv.includes(passphrase) && !environ.includes(passphrase));
    assert.ok(!environ.includes('TOKENTRAY_FILE_PASSPHRASE='));
    assert.equal((await runCli(['print-access-token'], env)).code, 0);
    // Every file the agent or the CLI wrote: the home and the socket folder.
    for (const dir of [fx.sandbox.home, runtime]) {
      for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const text = await readFile(join(entry.parentPath, entry.name), 'latin1');
        assert.ok(!text.includes(passphrase), `${entry.name} holds the passphrase`);
      }
    }
  });

  it('another local user (runuser -u nobody) gets nothing from the socket, even with its modes opened', async () => {
    await running();
    const where = agentLocation(env);
    await chmod(runtime, 0o711); // nobody may walk to the folder; the folder itself is the barrier
    const probe = `
      const net = require('node:net'); const fs = require('node:fs');
      const out = {};
      try { fs.readFileSync(${JSON.stringify(where.key)}); out.key = 'read'; } catch (e) { out.key = e.code; }
      const s = net.createConnection({ path: ${JSON.stringify(where.socket)} });
      let got = '';
      s.on('connect', () => { out.connect = 'ok'; out.error = 'none'; const body = Buffer.from(JSON.stringify({ v: 1, op: 'access-token', key: '0'.repeat(64), home: ${JSON.stringify(fx.sandbox.home)}, service: 'x', keychain: '' })); const h = Buffer.alloc(4); h.writeUInt32BE(body.length); s.write(Buffer.concat([h, body])); });
      s.on('data', (d) => (got += d.toString('latin1')));
      s.on('error', (e) => { if (out.connect === 'ok') out.error = e.code; else out.connect = e.code; });
      s.on('close', () => { out.got = got; console.log(JSON.stringify(out)); });
    `;
    const node = await nodeForOtherUser();
    const asNobody = () => {
      const res = spawnSync('runuser', ['-u', 'nobody', '--', node.path, '-e', probe], { encoding: 'utf8', cwd: '/' });
      assert.equal(res.status, 0, res.stderr);
      return JSON.parse(res.stdout) as { key: string; connect: string; got: string };
    };
    try {
      const closed = asNobody();
      assert.equal(closed.connect, 'EACCES');
      assert.equal(closed.key, 'EACCES');
      assert.equal(closed.got, '');
      // Someone opened the folder and the socket: the kernel lets nobody connect, the agent answers nothing.
      await chmod(where.dir, 0o755);
      await chmod(where.socket, 0o666);
      const opened = asNobody();
      assert.equal(opened.connect, 'ok');
      assert.equal(opened.key, 'EACCES');
      assert.equal(opened.got, '');
      // And our own clients no longer trust it either.
      assert.equal(await askAgent(env, { op: 'status' }), undefined);
    } finally {
      await chmod(where.socket, 0o600);
      await chmod(where.dir, 0o700);
      await chmod(runtime, 0o700);
      await node.release();
    }
    const answer = await askAgent(env, { op: 'status' });
    assert.equal(answer?.ok && 'status' in answer && answer.status.store, 'file', 'it still serves its owner');
  });

  it('a socket folder with the wrong owner or mode: the agent refuses to start, clients skip it', async () => {
    for (const [name, spoil] of [
      ['mode 0755', (dir: string) => chmod(dir, 0o755)],
      ['owner nobody', (dir: string) => chown(dir, NOBODY, NOBODY)],
    ] as const) {
      const other = await shortDir();
      try {
        const otherEnv = { ...env, XDG_RUNTIME_DIR: other };
        await mkdir(join(other, 'tokentray'), { mode: 0o700 });
        await spoil(join(other, 'tokentray'));
        const res = await startAgent(otherEnv, passphrase);
        assert.equal(res.code, 1, name);
        assert.match(res.stderr, /AGENT_UNSAFE/, name);
        assert.equal(await askAgent(otherEnv, { op: 'status' }), undefined, `${name}: the client skips it`);
      } finally {
        await rm(other, { recursive: true, force: true });
      }
    }
    // A running agent's folder spoiled afterwards: the client skips it (checked before it connects).
    await running();
    const where = agentLocation(env);
    await chown(where.dir, NOBODY, NOBODY);
    try {
      assert.equal(await askAgent(env, { op: 'status' }), undefined);
    } finally {
      await chown(where.dir, 0, 0);
    }
    await chmod(where.socket, 0o660);
    try {
      assert.equal(await askAgent(env, { op: 'status' }), undefined);
    } finally {
      await chmod(where.socket, 0o600);
    }
    assert.ok(await askAgent(env, { op: 'status' }));
  });

  it('a socket path too long for a Unix socket: start says so, clients go on without', async () => {
    const long = join(fx.sandbox.root, 'x'.repeat(110));
    const longEnv = { ...env, XDG_RUNTIME_DIR: long };
    await mkdir(long, { mode: 0o700 });
    const res = await startAgent(longEnv, passphrase);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /AGENT_UNAVAILABLE: .*longer than/);
    assert.match((await runCli(['print-access-token'], longEnv)).stderr, /VAULT_PASSPHRASE_REQUIRED/);
  });
});

describe('the protocol and the server, in process', () => {
  let dir: string;
  before(async () => {
    dir = await shortDir();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const request = (over: Record<string, unknown> = {}) => ({
    v: PROTOCOL_VERSION,
    key: 'k'.repeat(64),
    home: '/h',
    service: 's',
    keychain: '',
    op: 'access-token',
    ...over,
  });

  it('reads a frame in any chunking; refuses an oversized length before reading it, and bytes that are not JSON', () => {
    const frame = encodeFrame({ a: 'é' });
    for (let cut = 0; cut <= frame.length; cut++) {
      const reader = new FrameReader(100);
      const first = reader.push(frame.subarray(0, cut));
      const doc = cut === frame.length ? first : reader.push(frame.subarray(cut));
      assert.deepEqual(doc, { a: 'é' });
    }
    const huge = Buffer.alloc(4);
    huge.writeUInt32BE(MAX_REQUEST_BYTES + 1);
    assert.throws(() => new FrameReader(MAX_REQUEST_BYTES).push(huge), { code: 'AGENT_BAD_REQUEST' });
    const junk = Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('{{{')]);
    assert.throws(() => new FrameReader(100).push(junk), { code: 'AGENT_BAD_REQUEST' });
    assert.throws(() => new FrameReader(100).push(Buffer.concat([encodeFrame(1), Buffer.from('x')])), { code: 'AGENT_BAD_REQUEST' });
  });

  it('checks every field like untrusted input: version first, then types, sizes, control characters, unknown fields and ops', () => {
    assert.equal(parseRequest(request({ account: 'a@b.c', includeEmail: true })).account, 'a@b.c');
    assert.throws(() => parseRequest(request({ v: PROTOCOL_VERSION + 1 })), { code: 'AGENT_VERSION' });
    assert.throws(() => parseRequest({ v: PROTOCOL_VERSION + 1, anything: 'goes' }), { code: 'AGENT_VERSION' });
    for (const bad of [
      [],
      'text',
      request({ op: 'logout' }),
      request({ op: 'refresh-token' }),
      request({ extra: 1 }),
      request({ account: 42 }),
      request({ account: 'a\u001b[2Jb' }),
      request({ account: 'x'.repeat(2049) }),
      request({ includeEmail: 'yes' }),
      request({ key: undefined }),
    ]) {
      assert.throws(() => parseRequest(bad), { code: 'AGENT_BAD_REQUEST' }, JSON.stringify(bad).slice(0, 80));
    }
  });

  it('answers only a client with its key, for its home, keychain service and store', async () => {
    const where = { dir: join(dir, 'a'), socket: join(dir, 'a', 'agent.sock'), key: join(dir, 'a', 'agent.key') };
    const env = { XDG_RUNTIME_DIR: dir, TOKENTRAY_HOME: '/h', TOKENTRAY_KEYCHAIN_SERVICE: 's' };
    await mkdir(join(dir, 'tokentray'), { mode: 0o700 });
    const server = await startAgentServer({
      where: agentLocation(env),
      scope: { home: '/h', service: 's', store: 'system' },
      handle: async () => ({ ok: true, token: 'ya29.from-the-agent', expiresAt: Date.now() + 3_600_000 }),
    });
    try {
      const answer = await askAgent(env, { op: 'access-token' });
      assert.equal(answer?.ok && 'token' in answer && answer.token, 'ya29.from-the-agent');
      // Another home, service or store: refused, and the client goes on without the agent.
      assert.equal((await askAgent({ ...env, TOKENTRAY_HOME: '/other' }, { op: 'access-token' }))?.ok, false);
      assert.equal((await askAgent({ ...env, TOKENTRAY_KEYCHAIN_SERVICE: 'other' }, { op: 'access-token' }))?.ok, false);
      assert.equal((await askAgent({ ...env, TOKENTRAY_KEYCHAIN: 'file' }, { op: 'access-token' }))?.ok, false);
      // A wrong key, straight on the socket.
      const raw = await new Promise<unknown>((resolve, reject) => {
        const reader = new FrameReader(100_000);
        const s = createConnection({ path: agentLocation(env).socket }, () => s.write(encodeFrame(request({ home: '/h', service: 's', key: '0'.repeat(64) }))));
        s.on('data', (d: Buffer) => resolve(reader.push(d)));
        s.on('error', reject);
      });
      assert.deepEqual({ ...(raw as object), message: undefined }, { v: PROTOCOL_VERSION, ok: false, code: 'AGENT_REFUSED', message: undefined });
      // A second server on the same folder: refused while the first listens.
      await assert.rejects(
        startAgentServer({
          where: agentLocation(env),
          scope: { home: '/h', service: 's', store: 'system' },
          handle: async () => ({ ok: true, stopping: true }),
        }),
        (err) => isTokenTrayError(err, 'AGENT_RUNNING'),
      );
      void where;
    } finally {
      await server.close();
    }
    assert.deepEqual(
      (await readdir(join(dir, 'tokentray'))).filter((f) => f !== 'agent.lock'),
      [],
    );
  });

  it('a guarded agent: a second server finds the first by its key (the first proves it holds it) and is refused; a dead one is replaced', async () => {
    const env = { XDG_RUNTIME_DIR: join(dir, 'g'), TOKENTRAY_HOME: '/h', TOKENTRAY_KEYCHAIN_SERVICE: 's', TOKENTRAY_AGENT_CHALLENGE: '1' };
    const where = agentLocation(env);
    assert.equal(where.guarded, true);
    await mkdir(where.dir, { recursive: true, mode: 0o700 });
    const serve = () =>
      startAgentServer({
        where,
        scope: { home: '/h', service: 's', store: 'system' },
        handle: async () => ({ ok: true, token: 'ya29.guarded', expiresAt: Date.now() + 3_600_000 }),
      });
    const first = await serve();
    const key = await readFile(where.key, 'latin1');
    try {
      await assert.rejects(serve(), (err) => isTokenTrayError(err, 'AGENT_RUNNING'));
      assert.equal(await readFile(where.key, 'latin1'), key, 'the refused server left the key alone');
      const answer = await askAgent(env, { op: 'access-token' });
      assert.equal(answer?.ok && 'token' in answer && answer.token, 'ya29.guarded');
    } finally {
      await first.close();
    }
    // A key whose holder is gone (nothing answers at its address): the next server starts, with a new key.
    await writeFile(where.key, `${'b'.repeat(64)}\n`, { mode: 0o600 });
    const next = await serve();
    try {
      assert.notEqual(await readFile(where.key, 'latin1'), `${'b'.repeat(64)}\n`);
    } finally {
      await next.close();
    }
  });

  it('an agent of another protocol version is not used: the client goes the normal way', async () => {
    const env = { XDG_RUNTIME_DIR: join(dir, 'v2') };
    const where = agentLocation(env);
    await mkdir(where.dir, { recursive: true, mode: 0o700 });
    await writeFile(where.key, `${'a'.repeat(64)}\n`, { mode: 0o600 });
    for (const reply of [
      { v: PROTOCOL_VERSION + 1, ok: true, token: 'ya29.newer', expiresAt: Date.now() + 3_600_000 },
      { v: PROTOCOL_VERSION - 1, ok: true, token: 'ya29.older', expiresAt: 1 },
    ]) {
      const server = createServer((s) => s.once('data', () => s.end(encodeFrame(reply))));
      await new Promise<void>((r) => server.listen(where.socket, r));
      await chmod(where.socket, 0o600);
      try {
        assert.equal(await askAgent(env, { op: 'access-token' }), undefined);
      } finally {
        await new Promise<void>((r) => server.close(() => r()));
      }
    }
  });
});

describe('the desktop app serves the same socket while it runs (app/agent-service.ts)', () => {
  const fx = useIdpAndSandbox({ mode: 'google' });
  let runtime: string;

  before(async () => {
    runtime = await shortDir();
    fx.sandbox.env.XDG_RUNTIME_DIR = runtime;
    await signInThroughCore(fx.sandbox.core(), fx.idp, 'cy@example.test');
  });
  after(() => rm(runtime, { recursive: true, force: true }));

  it("answers the CLI from the app's core (the CLI itself has no keychain here); agent stop leaves it alone", async () => {
    const core = fx.sandbox.core();
    const lines: string[] = [];
    const served = await serveAgentFromApp(core, fx.sandbox.env, (line) => lines.push(line));
    assert.ok(served, lines.join('\n'));
    try {
      // No D-Bus for the CLI: only the app can have answered.
      const cli = { ...fx.sandbox.env };
      delete cli.DBUS_SESSION_BUS_ADDRESS;
      const res = await runCli(['print-access-token'], cli);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout.trim(), (await core.tokens.getAccessToken(await core.accounts.resolve())).token);
      const status = await agentStatus(cli);
      assert.equal(status?.servedBy, 'app');
      const list = await askAgent(cli, { op: 'accounts' });
      assert.deepEqual(list?.ok && 'accounts' in list ? list.accounts.map((a) => [a.email, a.default, a.status]) : list, [['cy@example.test', true, 'ready']]);
      assert.equal(status?.pid, process.pid);
      const stop = await runCli(['agent', 'stop'], cli);
      assert.equal(stop.code, 1);
      assert.match(stop.stderr, /AGENT_RUNNING: The desktop app/);
      // A second app (or agent) leaves the socket to the first.
      assert.equal(await serveAgentFromApp(core, fx.sandbox.env, (line) => lines.push(line)), undefined);
      assert.match(lines.join('\n'), /already serves/);
    } finally {
      await served.stop();
    }
    assert.equal(await askAgent(fx.sandbox.env, { op: 'status' }), undefined);
  });
});
