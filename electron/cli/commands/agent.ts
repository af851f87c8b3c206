import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { agentUnusable, askAgent, readKey } from '../../core/agent/client.js';
import { agentLocation, checkedUid } from '../../core/agent/location.js';
import { guardedAddress } from '../../core/agent/pipe-guard.js';
import type { AgentStatus } from '../../core/agent/protocol.js';
import { createCore } from '../../core/core.js';
import { disableCoreDumps } from '../../core/shared/core-dumps.js';
import { TokenTrayError } from '../../core/shared/errors.js';
import { PASSPHRASE_ENV, vaultPassphrase } from '../../core/storage/vault-passphrase.js';
import { appDataDir } from '../../core/storage/paths.js';
import { errorLine } from '../failure.js';
import { defineCommand, parseCommand, readSecretFromStdin, usageError, type CliIo, type CommandHelp } from '../io.js';
import { formatDuration, parseDuration } from '../duration.js';

const AGENT_HELP = {
  name: 'agent',
  group: 'Tokens',
  summary: 'Unlock once: a per-user agent that print-access-token, kubectl and docker ask first',
  usage: 'start|stop|status|run [--lifetime DURATION] [--passphrase-stdin] [--json]',
  description:
    'start runs one agent per user in the background (a second start says it is running); with the file vault it asks the passphrase ' +
    'once and keeps the unlocked vault in memory until --lifetime is over, then forgets it and exits. Token commands, kube-credential, ' +
    'the docker helper, exec and curl ask it first over a private Unix socket ($XDG_RUNTIME_DIR/tokentray/, else TOKENTRAY_HOME/agent/; ' +
    'on Windows a named pipe) ' +
    'and go on as before when none answers. run does the same in the foreground. Anything running as you can ask it for tokens, as with ssh-agent.',
  args: [{ name: 'start|stop|status|run', help: 'What to do' }],
  options: {
    lifetime: {
      type: 'string',
      value: 'DURATION',
      default: '8h',
      help: 'start, run: forget everything and exit after this long (90s, 45m, 8h, 1h30m); 0 = until stopped',
    },
    'passphrase-stdin': { type: 'boolean', help: "start, run: read the file vault's passphrase from stdin (first line) instead of asking" },
    json: { type: 'boolean', help: 'status: as JSON' },
  },
  examples: [
    { command: 'tokentray agent start', help: 'Once per login (docs/remote.md)' },
    { command: 'tokentray agent status' },
    { command: 'pass show tokentray | tokentray agent start --passphrase-stdin --lifetime 12h' },
  ],
} satisfies CommandHelp;

const DEFAULT_LIFETIME = '8h';
/** How long `start` waits for its agent to listen (a file vault's unlock takes ~0.1 s, a loaded machine more). */
const START_TIMEOUT_MS = 30_000;

/** Where the agent answers: its socket, or at a guarded location (Windows) the address its key names. */
function addressFromEnvironment(env: CliIo['env']): string {
  const where = agentLocation(env);
  const key = where.guarded ? readKey(where.key, checkedUid()) : undefined;
  return key === undefined ? where.socket : guardedAddress(where, key);
}

function notRunning(io: CliIo): TokenTrayError {
  const why = agentUnusable(io.env);
  return new TokenTrayError('AGENT_NOT_RUNNING', `No agent answers on ${addressFromEnvironment(io.env)}${why ? ` (${why})` : ''}.`);
}

async function askStatus(io: CliIo): Promise<AgentStatus | undefined> {
  const answer = await askAgent(io.env, { op: 'status' }, { answerMs: 5_000 });
  return answer?.ok && 'status' in answer ? answer.status : undefined;
}

function describe(status: AgentStatus, socket: string): string {
  const left =
    status.until === null ? 'until stopped' : `${formatDuration(Math.max(0, status.until - Date.now()))} left (until ${new Date(status.until).toISOString()})`;
  return [
    `pid:       ${status.pid}${status.servedBy === 'app' ? ' (the desktop app)' : ''}`,
    `since:     ${new Date(status.since).toISOString()}`,
    `store:     ${status.store === 'file' ? 'the file vault' : 'the system keychain'}`,
    `unlocked:  ${status.unlocked ? 'yes' : 'no'}`,
    `lifetime:  ${left}`,
    `socket:    ${socket}`,
  ].join('\n');
}

/** The passphrase for the agent: stdin, else the environment or a terminal prompt (twice for a new vault). */
async function agentPassphrase(io: CliIo, fromStdin: boolean, home: string): Promise<string> {
  const { vaultPath } = await import('../../core/agent/agent-store.js');
  if (fromStdin) return readSecretFromStdin(io, 'The file vault passphrase');
  const source = vaultPassphrase(io.env);
  const path = vaultPath(home);
  return existsSync(path) ? source.existing(path) : source.create(path);
}

/** `agent run`: serve in this process until stopped, its lifetime over, or a signal. */
async function runAgent(io: CliIo, lifetimeMs: number, fromStdin: boolean): Promise<number> {
  disableCoreDumps(); // it holds the vault's passphrase and keys
  const { agentStoreKind, openAgentStore } = await import('../../core/agent/agent-store.js');
  const { serveAgent } = await import('../../core/agent/agent.js');
  const home = appDataDir(io.env);
  const kind = await agentStoreKind(io.env, home);
  const passphrase = kind === 'file' ? await agentPassphrase(io, fromStdin, home) : undefined;
  const store = await openAgentStore(io.env, home, kind, passphrase);
  const agent = await serveAgent({ core: createCore({ env: io.env, store }), env: io.env, store: kind, servedBy: 'agent', lifetimeMs });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.once(signal, () => void agent.stop());
  }
  // Once ready nothing more is printed: `start` has gone, and a closed pipe must not end the agent.
  io.stdout(`agent ready: pid ${process.pid}, socket ${agent.socket}\n`);
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  await agent.stopped;
  // Nothing of ours is left to wait for; a keychain connection must not keep the process alive.
  setTimeout(() => process.exit(0), 500).unref();
  return 0;
}

/** The environment of the background agent: paths made absolute (it runs in /), the passphrase never in it. */
function agentEnvironment(env: CliIo['env']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && k !== PASSPHRASE_ENV) out[k] = v;
  for (const k of ['TOKENTRAY_HOME', 'XDG_RUNTIME_DIR', 'XDG_CONFIG_HOME', 'HOME']) if (out[k]) out[k] = resolve(out[k]);
  return out;
}

/** `agent start`: the passphrase asked here, handed to a background `agent run` through a pipe. */
async function startAgent(io: CliIo, lifetime: string, lifetimeMs: number, fromStdin: boolean): Promise<number> {
  const running = await askStatus(io);
  if (running) {
    io.stderr(`tokentray: an agent is already running (pid ${running.pid}${running.servedBy === 'app' ? ', the desktop app' : ''}).\n`);
    return 0;
  }
  const { agentStoreKind } = await import('../../core/agent/agent-store.js');
  const home = appDataDir(io.env);
  const kind = await agentStoreKind(io.env, home);
  const passphrase = kind === 'file' ? await agentPassphrase(io, fromStdin, home) : undefined;
  const args = [
    ...process.execArgv,
    resolve(process.argv[1]),
    'agent',
    'run',
    '--lifetime',
    lifetime,
    ...(passphrase !== undefined ? ['--passphrase-stdin'] : []),
  ];
  const child = spawn(process.execPath, args, {
    env: agentEnvironment(io.env),
    cwd: '/',
    detached: true,
    windowsHide: true, // detached on Windows would otherwise open a console window
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.on('error', () => undefined);
  child.stdin.end(passphrase !== undefined ? `${passphrase}\n` : '');
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const outcome = await new Promise<{ ready: true; pid: number } | { ready: false; code: number | null }>((done) => {
    const timer = setTimeout(() => done({ ready: false, code: null }), START_TIMEOUT_MS);
    child.stdout.on('data', () => {
      if (/^agent ready: /m.test(out)) {
        clearTimeout(timer);
        done({ ready: true, pid: child.pid! });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ ready: false, code });
    });
  });
  child.stdout.destroy();
  child.stderr.destroy();
  child.unref();
  if (!outcome.ready) {
    if (outcome.code === null) child.kill();
    io.stderr(err || errorLine('AGENT_UNAVAILABLE', `The agent did not start within ${START_TIMEOUT_MS / 1000} s.`));
    return outcome.code && outcome.code > 0 ? outcome.code : 1;
  }
  const until = lifetimeMs === 0 ? 'until stopped' : `for ${formatDuration(lifetimeMs)}`;
  io.stderr(`tokentray: agent started (pid ${outcome.pid}), serving ${kind === 'file' ? 'the unlocked file vault' : 'the system keychain'} ${until}.\n`);
  return 0;
}

async function stopAgent(io: CliIo): Promise<number> {
  const status = await askStatus(io);
  if (!status) throw notRunning(io);
  if (status.servedBy === 'app')
    throw new TokenTrayError('AGENT_RUNNING', `The desktop app (pid ${status.pid}) serves the agent's socket; it stops serving when the app quits.`);
  await askAgent(io.env, { op: 'stop' }, { answerMs: 5_000 });
  // Until its socket (a guarded one's key, removed last) is gone, so that `agent stop && agent start` starts a new one.
  const where = agentLocation(io.env);
  const socket = where.guarded ? where.key : where.socket;
  for (let i = 0; i < 100 && existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
  io.stderr(`tokentray: agent ${status.pid} stopped.\n`);
  return 0;
}

export const agent = defineCommand(AGENT_HELP, async (args, io) => {
  const parsed = parseCommand(AGENT_HELP, args, io);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const action = positionals[0];
  if (action === undefined) throw usageError(AGENT_HELP, 'name what to do: start, stop, status or run');
  if (!['start', 'stop', 'status', 'run'].includes(action)) throw usageError(AGENT_HELP, `unknown action "${action}"`);
  if ((values.lifetime !== undefined || values['passphrase-stdin']) && action !== 'start' && action !== 'run')
    throw usageError(AGENT_HELP, '--lifetime and --passphrase-stdin go with start or run');
  if (values.json && action !== 'status') throw usageError(AGENT_HELP, '--json goes with status');
  const lifetime = values.lifetime ?? DEFAULT_LIFETIME;
  const lifetimeMs = parseDuration(lifetime);
  if (lifetimeMs === undefined) throw usageError(AGENT_HELP, `--lifetime takes a duration such as 90s, 45m, 8h or 1h30m (0: until stopped), not "${lifetime}"`);
  switch (action) {
    case 'start':
      return startAgent(io, lifetime, lifetimeMs, values['passphrase-stdin'] === true);
    case 'run':
      return runAgent(io, lifetimeMs, values['passphrase-stdin'] === true);
    case 'stop':
      return stopAgent(io);
    default: {
      const status = await askStatus(io);
      if (!status) throw notRunning(io);
      io.stdout(
        values.json ? `${JSON.stringify({ ...status, socket: addressFromEnvironment(io.env) })}\n` : `${describe(status, addressFromEnvironment(io.env))}\n`,
      );
      return 0;
    }
  }
});
