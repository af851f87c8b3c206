/**
 * The agent where the OS gives no peer check: on Windows its named pipe, here a Unix socket with
 * the same guard (TOKENTRAY_AGENT_CHALLENGE=1, pipe-guard.ts). `npm run test:agent-pipe` runs this
 * file on both; CI runs it on windows-latest over a real named pipe. A squatter is played by this
 * process (on Windows it would be another user: the protocol cannot tell, which is the point).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { askAgent } from '../electron/core/agent/client.js';
import { agentLocation, type AgentLocation } from '../electron/core/agent/location.js';
import { GuardedClient, guardedAddress, GuardedServer } from '../electron/core/agent/pipe-guard.js';
import { encodeFrame, FrameReader, PROTOCOL_VERSION } from '../electron/core/agent/protocol.js';
import { startAgentServer } from '../electron/core/agent/server.js';
import { createCore } from '../electron/core/core.js';
import { signInThroughCore } from './support/flows.js';
import { useIdpAndSandbox } from './support/fixtures.js';
import { noteSecret } from './support/canary.js';
import { alive, waitFor } from './support/processes.js';
import { runCli, startCli } from './support/sandbox.js';

const WINDOWS = process.platform === 'win32';
const NOBODY = 65534;

/** The guard on: Windows has it anyway; on Unix a short private folder (a socket path fits 104 bytes). */
async function guardedEnv(base: Record<string, string>): Promise<{ env: Record<string, string>; runtime?: string }> {
  if (WINDOWS) return { env: { ...base } };
  const runtime = await mkdtemp('/tmp/ttp-');
  return { env: { ...base, XDG_RUNTIME_DIR: runtime, TOKENTRAY_AGENT_CHALLENGE: '1' }, runtime };
}

/** One raw exchange: each frame of `frames` sent after the answer to the one before; the answers. */
function exchange(address: string, frames: Array<(previous: unknown) => unknown>): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const answers: unknown[] = [];
    let reader = new FrameReader(1 << 20);
    const socket = createConnection({ path: address }, () => socket.write(encodeFrame(frames[0](undefined))));
    socket.on('data', (chunk: Buffer) => {
      const doc = reader.push(chunk);
      if (doc === undefined) return;
      answers.push(doc);
      reader = new FrameReader(1 << 20);
      const next = frames[answers.length];
      if (next) socket.write(encodeFrame(next(doc)));
      else socket.end();
    });
    socket.on('close', () => resolve(answers));
    socket.on('error', reject);
  });
}

/**
 * Something other than the agent on the address the client will use: it records every byte it is
 * sent and answers a well-formed token, after a made-up challenge when `challenge` is set.
 */
async function startSquatter(address: string, challenge: boolean): Promise<{ server: Server; received: () => string; token: string }> {
  const token = `ya29.squatter-${randomBytes(16).toString('hex')}`;
  let received = '';
  const server = createServer((socket: Socket) => {
    let frames = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      frames += 1;
      const forged =
        challenge && frames === 1
          ? { v: PROTOCOL_VERSION, nonce: randomBytes(32).toString('hex'), proof: randomBytes(32).toString('hex') }
          : { v: PROTOCOL_VERSION, ok: true, token, expiresAt: Date.now() + 3_600_000 };
      socket.write(encodeFrame(forged));
    });
    socket.on('error', () => undefined);
  });
  if (!WINDOWS) await rm(address, { force: true }); // the killed agent's socket file
  // Windows frees a killed server's pipe name once its handles are closed: a moment after it died.
  await waitFor(
    'the name to be free',
    () =>
      new Promise<boolean>((r) => {
        server.once('error', () => r(false));
        server.listen(address, () => r(true));
      }),
  );
  if (!WINDOWS) await chmod(address, 0o600);
  return { server, received: () => received, token };
}

const closeServer = (server: Server) => new Promise<void>((r) => server.close(() => r()));

describe('the guarded agent, whole processes (Windows: its named pipe)', () => {
  const fx = useIdpAndSandbox({ mode: 'google' });
  const passphrase = `pipe-pass-${randomBytes(12).toString('hex')}`;
  let env: Record<string, string>;
  let runtime: string | undefined;
  let where: AgentLocation;
  let ada: string;
  const pids: number[] = [];

  type Started = { pid: number; key: string; address: string; output: string };

  /** Starts an agent (killed after the test); it answers the in-process client at the address its key names. */
  async function started(): Promise<Started> {
    const cli = startCli(['agent', 'start', '--passphrase-stdin'], env, { stdin: 'pipe' });
    cli.stdin!.end(`${passphrase}\n`);
    const res = await cli.done;
    assert.equal(res.code, 0, res.stderr);
    const pid = Number(/agent started \(pid (\d+)\)/.exec(res.stderr)?.[1]);
    const key = (await readFile(where.key, 'latin1')).trim();
    noteSecret(key);
    const answer = await askAgent(env, { op: 'status' });
    assert.ok(answer?.ok && 'status' in answer, 'the agent answers after start');
    assert.equal(answer.status.pid, pid);
    pids.push(pid);
    return { pid, key, address: guardedAddress(where, key), output: res.stdout + res.stderr };
  }

  /** The agent the tests that only ask it share: a start costs two processes and an unlock. */
  let shared: Started | undefined;
  async function running(): Promise<Started> {
    if (shared && alive(shared.pid) && (await askAgent(env, { op: 'status' }))) return shared;
    shared = await started();
    pids.splice(pids.indexOf(shared.pid), 1);
    return shared;
  }

  async function accessToken(): Promise<{ code: number | null; token: string; stderr: string }> {
    const res = await runCli(['print-access-token'], env);
    return { code: res.code, token: res.stdout.trim(), stderr: res.stderr };
  }

  async function ownerOf(token: string): Promise<string | undefined> {
    const info = await fx.idp.introspect(token);
    return info.active ? String(info.sub) : undefined;
  }

  before(async () => {
    for (const name of ['DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR', 'DISPLAY', 'WAYLAND_DISPLAY']) delete fx.sandbox.env[name];
    fx.sandbox.env.TOKENTRAY_KEYCHAIN = 'file';
    noteSecret(passphrase);
    ({ env, runtime } = await guardedEnv(fx.sandbox.env));
    where = agentLocation(env);
    assert.equal(where.guarded, true);
    const core = createCore({ env: { ...env, TOKENTRAY_FILE_PASSPHRASE: passphrase } });
    ada = (await signInThroughCore(core, fx.idp, 'ada@example.test')).subject;
  });
  afterEach(() => {
    for (const pid of pids.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  after(async () => {
    if (shared && alive(shared.pid)) process.kill(shared.pid, 'SIGKILL');
    if (runtime) await rm(runtime, { recursive: true, force: true });
    fx.sandbox.env.TOKENTRAY_FILE_PASSPHRASE = passphrase; // the sandbox's canary opens the vault with it
  });

  it('agent start, then print-access-token and kube-credential through the real client; the address is drawn from the key; stop removes both', async () => {
    const agent = await started();
    // What `agent status` reports: the pid, and the address drawn from the key.
    const status = await runCli(['agent', 'status', '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    const reported = JSON.parse(status.stdout) as { pid: number; socket: string };
    assert.equal(reported.pid, agent.pid);
    assert.equal(reported.socket, guardedAddress(where, agent.key));
    assert.ok(agent.address.startsWith(`${where.socket}-`), agent.address);
    assert.ok(!agent.address.includes(agent.key));
    if (!WINDOWS) assert.equal(existsSync(where.socket), false); // no fixed name to take beforehand
    const token = await accessToken();
    assert.equal(token.code, 0, token.stderr);
    assert.equal(await ownerOf(token.token), ada);
    const kube = await runCli(['kube-credential'], env);
    assert.equal(kube.code, 0, kube.stderr);
    assert.equal(await ownerOf((JSON.parse(kube.stdout) as { status: { token: string } }).status.token), ada);
    const stop = await runCli(['agent', 'stop'], env);
    assert.equal(stop.code, 0, stop.stderr);
    await waitFor('the agent to exit', () => !alive(agent.pid));
    assert.equal(existsSync(where.key), false);
    if (!WINDOWS) assert.equal(existsSync(agent.address), false);
    assert.match((await accessToken()).stderr, /VAULT_PASSPHRASE_REQUIRED/);
  });

  for (const challenge of [false, true]) {
    it(`a squatter on the name a killed agent left (${challenge ? 'with a made-up challenge' : 'answering at once'}) is not believed and learns nothing; the next start does not need it gone`, async () => {
      // Only this test's agent runs: the one the test before left to share is ended too.
      if (shared && alive(shared.pid)) process.kill(shared.pid, 'SIGKILL');
      const agent = await started();
      process.kill(agent.pid, 'SIGKILL');
      await waitFor('the agent to die', () => !alive(agent.pid));
      // The key file outlives the agent: clients go to the address it names, where the squatter now is.
      const squatter = await startSquatter(agent.address, challenge);
      try {
        const res = await accessToken();
        assert.equal(res.code, 1, res.stderr);
        assert.ok(!res.token.includes(squatter.token), 'printed the squatter token');
        assert.match(res.stderr, /VAULT_PASSPHRASE_REQUIRED/); // as if no agent ran
        assert.ok(squatter.received().length > 0, 'the client did connect');
        assert.ok(!squatter.received().includes(agent.key), 'the client sent the key to the squatter');
        // kube-credential (kubectl's plugin) the same: no forged credential.
        const kube = await runCli(['kube-credential'], env);
        assert.equal(kube.code, 1);
        assert.ok(!kube.stdout.includes(squatter.token));
        // A new agent starts while the squatter still holds the old name, and is the one answering.
        const next = await running();
        assert.notEqual(next.address, agent.address);
        const token = await accessToken();
        assert.equal(token.code, 0, token.stderr);
        assert.equal(await ownerOf(token.token), ada);
      } finally {
        await closeServer(squatter.server);
      }
    });
  }

  it('the key is in no argv, no environment of the agent or of a child, and no output', async (t) => {
    const agent = await running();
    assert.ok(!agent.output.includes(agent.key));
    const child = await runCli(['exec', '--', process.execPath, '-e', 'process.stdout.write(JSON.stringify(process.env))'], env);
    assert.equal(child.code, 0, child.stderr);
    assert.ok(!child.stdout.includes(agent.key) && !child.stderr.includes(agent.key));
    assert.ok(JSON.parse(child.stdout) as object); // the child's environment, read whole
    // --verbose skips the fast path: the CLI proper asks the agent, and logs what it does.
    const verbose = await runCli(['print-access-token', '--verbose'], env);
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.ok(!verbose.stderr.includes(agent.key) && !verbose.stdout.includes(agent.key));
    if (WINDOWS) return t.diagnostic('argv and environment of the agent: /proc is Linux only');
    const argv = await readFile(`/proc/${agent.pid}/cmdline`, 'latin1');
    const environ = await readFile(`/proc/${agent.pid}/environ`, 'latin1');
    assert.ok(argv.includes('agent\0run'), argv);
    assert.ok(!argv.includes(agent.key) && !environ.includes(agent.key));
  });

  // Windows files have no Unix owner or mode: there the profile folder's ACL guards the key.
  if (!WINDOWS) {
    it('a key file with the wrong mode or owner: the client does not use the agent', async () => {
      await running();
      assert.equal((await accessToken()).code, 0);
      for (const [name, spoil, mend] of [
        ['mode 0644', () => chmod(where.key, 0o644), () => chmod(where.key, 0o600)],
        ['owner nobody', () => chown(where.key, NOBODY, NOBODY), () => chown(where.key, process.getuid!(), process.getgid!())],
      ] as const) {
        await spoil();
        try {
          assert.match((await accessToken()).stderr, /VAULT_PASSPHRASE_REQUIRED/, name);
        } finally {
          await mend();
        }
      }
      assert.equal((await accessToken()).code, 0);
    });
  }
});

describe('the guard, in process', () => {
  let env: Record<string, string>;
  let runtime: string | undefined;
  let home: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'ttp-home-'));
    ({ env, runtime } = await guardedEnv({ TOKENTRAY_HOME: home, TOKENTRAY_KEYCHAIN_SERVICE: 's' }));
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
    if (runtime) await rm(runtime, { recursive: true, force: true });
  });

  const scope = () => ({ home, service: 's', keychain: '' });

  it('answers nothing before the proof: not the key itself, not a wrong or replayed proof, not a proof made for another address', async () => {
    const where = agentLocation(env);
    let handled = 0;
    const server = await startAgentServer({
      where,
      scope: { home, service: 's', store: 'system' },
      handle: async () => (handled++, { ok: true, token: 'ya29.from-the-agent', expiresAt: Date.now() + 3_600_000 }),
    });
    try {
      const key = (await readFile(where.key, 'latin1')).trim();
      const request = (proof: string) => ({ v: PROTOCOL_VERSION, key: proof, ...scope(), op: 'access-token' });
      // The real client.
      const answer = await askAgent(env, { op: 'access-token' });
      assert.equal(answer?.ok && 'token' in answer && answer.token, 'ya29.from-the-agent');
      assert.equal(handled, 1);
      // The key itself, as a Unix client sends it: refused before anything is read.
      const [plain] = await exchange(server.address, [() => request(key)]);
      assert.equal((plain as { code: string }).code, 'AGENT_REFUSED');
      // A hello, then a made-up proof.
      const client = new GuardedClient(key, server.address);
      const [challenge, wrong] = await exchange(server.address, [() => client.hello(), () => request(randomBytes(32).toString('hex'))]);
      assert.ok(client.proofFor(challenge), 'the agent proves it holds the key');
      assert.equal((wrong as { code: string }).code, 'AGENT_REFUSED');
      // A proof that was good once is worth nothing on the next connection (the agent's nonce is new).
      const once = new GuardedClient(key, server.address);
      let recorded = '';
      const [, good] = await exchange(server.address, [() => once.hello(), (c) => request((recorded = once.proofFor(c)!))]);
      assert.equal((good as { token: string }).token, 'ya29.from-the-agent');
      const [, replayed] = await exchange(server.address, [() => once.hello(), () => request(recorded)]);
      assert.equal((replayed as { code: string }).code, 'AGENT_REFUSED');
      // A client that meant another address (a relay between two pipes) does not believe this agent.
      const elsewhere = new GuardedClient(key, `${server.address}-elsewhere`);
      assert.equal(elsewhere.proofFor((await exchange(server.address, [() => elsewhere.hello()]))[0]), undefined);
      assert.equal(handled, 2);
    } finally {
      await server.close();
    }
    assert.equal(existsSync(where.key), false);
  });

  it("the client believes only a challenge made with the key, for its own nonce and address, in the agent's role", () => {
    const key = randomBytes(32).toString('hex');
    const address = guardedAddress(agentLocation(env), key);
    const client = new GuardedClient(key, address);
    const honest = new GuardedServer(key, address);
    const good = honest.challenge(client.hello())!;
    const proof = client.proofFor(good)!;
    assert.ok(honest.admits(proof));
    // The client's own proof reflected back as the agent's: refused (the roles are in the HMAC).
    const reflected = new GuardedClient(key, address);
    const hello = reflected.hello();
    const mirror = new GuardedServer(key, address);
    const challenge = mirror.challenge(hello)!;
    assert.equal(reflected.proofFor({ ...challenge, proof: reflected.proofFor(challenge) }), undefined);
    for (const bad of [
      new GuardedServer(randomBytes(32).toString('hex'), address).challenge(client.hello()), // another key
      new GuardedServer(key, `${address}x`).challenge(client.hello()), // another address
      new GuardedServer(key, address).challenge(new GuardedClient(key, address).hello()), // another client's nonce
      { ...good, v: PROTOCOL_VERSION + 1 },
      { ...good, extra: 1 },
      { v: PROTOCOL_VERSION, ok: true, token: 'ya29.x', expiresAt: 1 },
      null,
    ]) {
      assert.equal(client.proofFor(bad), undefined, JSON.stringify(bad)?.slice(0, 60));
    }
    // The agent admits no proof before a hello, and no malformed hello.
    assert.equal(new GuardedServer(key, address).admits(proof), false);
    for (const hello of [{ v: PROTOCOL_VERSION, hello: 'x' }, { v: PROTOCOL_VERSION - 1, hello: 'a'.repeat(64) }, { hello: 'a'.repeat(64) }]) {
      assert.equal(new GuardedServer(key, address).challenge(hello), undefined);
    }
    // The address names no part of the key, and another key names another address.
    assert.ok(!address.includes(key.slice(0, 16)));
    assert.notEqual(guardedAddress(agentLocation(env), randomBytes(32).toString('hex')), address);
  });
});
