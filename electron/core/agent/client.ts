import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { keychainService, appDataDir } from '../storage/paths.js';
import { agentLocation, checkedUid, checkPath, distrust } from './location.js';
import { GuardedClient, guardedAddress } from './pipe-guard.js';
import { encodeFrame, FrameReader, MAX_ANSWER_BYTES, PROTOCOL_VERSION, type AgentAnswer, type AgentRequest, type ClientScope } from './protocol.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The client side: asks a running agent, and answers undefined for every reason not to use it (none
 * running, a stale socket, a folder or socket with the wrong owner or mode, another protocol
 * version, a refusal, a time-out), so that the caller goes on as if there were no agent. Loads
 * three small files of ours, and node:net only once there is a socket to try (a few ms of a start;
 * node:crypto only for a guarded address, pipe-guard.ts): it runs before the CLI proper is loaded.
 */

/** A Unix socket connects at once or not at all; a stopped agent still accepts into its backlog. */
const CONNECT_TIMEOUT_MS = 100;
/** The agent may be refreshing at the issuer (whose own time-out is 30 s by default). */
const ANSWER_TIMEOUT_MS = 40_000;
const KEY_BYTES = 64;

export type Question = Omit<AgentRequest, 'v' | 'key' | keyof ClientScope>;

function clientScope(env: Env): ClientScope {
  return { home: resolve(appDataDir(env)), service: keychainService(env), keychain: env.TOKENTRAY_KEYCHAIN ?? '' };
}

/** agent.key, if it is a small regular file of ours that only we can read (never through a symlink). */
export function readKey(path: string, uid: number | undefined): string | undefined {
  let fd: number;
  try {
    // Windows has neither flag (nor symlinks a user makes without privilege): 0 there.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch {
    return undefined;
  }
  try {
    const stats = fstatSync(fd);
    if (distrust(stats, 'file', uid) !== undefined || stats.size > KEY_BYTES * 2) return undefined;
    const buf = Buffer.alloc(KEY_BYTES * 2);
    const key = buf
      .subarray(0, readSync(fd, buf, 0, buf.length, 0))
      .toString('latin1')
      .trim();
    return /^[0-9a-f]{64}$/.test(key) ? key : undefined;
  } finally {
    closeSync(fd);
  }
}

/** Why the agent cannot be asked (for `agent status`), or undefined when it may be. */
export function agentUnusable(env: Env): string | undefined {
  if (env.TOKENTRAY_NO_AGENT === '1') return 'TOKENTRAY_NO_AGENT=1';
  const uid = checkedUid();
  const where = agentLocation(env);
  const dir = checkPath(where.dir, 'directory', uid);
  if (dir) return `its folder ${where.dir}: ${dir}`;
  // A named pipe is not in the file system, and a guarded address comes from the key: whether it answers is the test.
  const socket = where.guarded ? undefined : checkPath(where.socket, 'socket', uid);
  if (socket) return `its socket ${where.socket}: ${socket}`;
  return undefined;
}

/** One request, one answer; undefined when the agent is not to be used (see above). */
export async function askAgent(env: Env, question: Question, timeouts: { connectMs?: number; answerMs?: number } = {}): Promise<AgentAnswer | undefined> {
  if (agentUnusable(env) !== undefined) return undefined;
  const where = agentLocation(env);
  const key = readKey(where.key, checkedUid());
  if (key === undefined) return undefined;
  const request: AgentRequest = { v: PROTOCOL_VERSION, key, ...clientScope(env), ...question };
  // Windows: the key never goes on the wire; the agent first proves it holds it (pipe-guard.ts).
  let guard: GuardedClient | undefined;
  if (where.guarded) {
    guard = new GuardedClient(key, guardedAddress(where, key));
    if (!where.pipe && checkPath(guard.address, 'socket', checkedUid()) !== undefined) return undefined;
  }
  const doc = await converse(guard?.address ?? where.socket, {
    guard,
    request: (proof) => (proof === undefined ? request : { ...request, key: proof }),
    connectMs: timeouts.connectMs ?? CONNECT_TIMEOUT_MS,
    answerMs: timeouts.answerMs ?? ANSWER_TIMEOUT_MS,
  });
  const answer = doc as AgentAnswer;
  return typeof doc === 'object' && doc !== null && answer.v === PROTOCOL_VERSION ? answer : undefined;
}

/** One connection's steps (see converse). */
interface Conversation {
  /** The guard of a guarded address: the agent proves it holds the key before anything is asked. */
  guard?: GuardedClient;
  /** The request, given the guard's proof (none when unguarded); without one, the proof is the result. */
  request?: (proof: string | undefined) => unknown;
  connectMs: number;
  answerMs: number;
  /** The largest frame to read back (default: an answer's). */
  maxBytes?: number;
}

/**
 * One connection to an agent's address: the guard's handshake when there is one, then the request
 * and the first frame back as the result (or, with no request, the proof). Undefined for every
 * reason not to believe it: refused, closed, timed out, not a frame, a proof that fails. The one
 * place where the client and a starting agent (is the key's holder still there?) talk to an agent.
 */
export function converse(address: string, steps: Conversation): Promise<unknown> {
  // Through require: an import() here would start the ES module loader, costing more than net itself.
  const { createConnection } = createRequire(import.meta.url)('node:net') as typeof import('node:net');
  return new Promise((done) => {
    const socket = createConnection({ path: address });
    let guard = steps.guard;
    const maxBytes = steps.maxBytes ?? MAX_ANSWER_BYTES;
    let reader = new FrameReader(maxBytes);
    let settled = false;
    const finish = (result: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done(result);
      // Closed after the caller's own continuation: a command that exits once it has printed the
      // answer neither waits for the close nor pays for it (Node sets up process.stderr there).
      setImmediate(() => socket.destroy());
    };
    let timer = setTimeout(() => finish(undefined), steps.connectMs);
    socket.on('connect', () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(undefined), steps.answerMs);
      if (guard) socket.write(encodeFrame(guard.hello()));
      else if (steps.request) socket.write(encodeFrame(steps.request(undefined)));
      else finish(undefined); // nothing to ask
    });
    socket.on('data', (chunk: Buffer) => {
      if (settled) return;
      let doc: unknown;
      try {
        doc = reader.push(chunk);
      } catch {
        return finish(undefined);
      }
      if (doc === undefined) return;
      if (!guard) return finish(doc);
      const proof = guard.proofFor(doc);
      if (proof === undefined || !steps.request) return finish(proof);
      guard = undefined;
      reader = new FrameReader(maxBytes);
      socket.write(encodeFrame(steps.request(proof)));
    });
    socket.on('error', () => finish(undefined));
    socket.on('close', () => finish(undefined));
  });
}
