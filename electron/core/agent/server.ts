import { randomBytes, timingSafeEqual } from 'node:crypto';
import { lstatSync } from 'node:fs';
import { chmod, lstat, mkdir, open, readFile, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { TokenTrayError } from '../shared/errors.js';
import { redact } from '../shared/logger.js';
import { withFileLock } from '../storage/file-lock.js';
import { converse, readKey } from './client.js';
import { checkedUid, distrust, MAX_SOCKET_PATH_BYTES, type AgentLocation } from './location.js';
import { agentAddress, GuardedClient, guardedAddress, GuardedServer } from './pipe-guard.js';
import {
  encodeFrame,
  FrameReader,
  MAX_REQUEST_BYTES,
  PROTOCOL_VERSION,
  ProtocolError,
  parseRequest,
  type AgentAnswer,
  type AgentErrorFacts,
  type AgentRequest,
  type ClientScope,
} from './protocol.js';

/** What a request is answered with, without the version (added here). */
export type AnswerBody = DistributiveOmit<Extract<AgentAnswer, { ok: true }>, 'v'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface AgentServerOptions {
  where: AgentLocation;
  /** The home, keychain service and store this agent serves; a client of another is refused. */
  scope: { home: string; service: string; store: 'system' | 'file' };
  handle(request: AgentRequest): Promise<AnswerBody>;
}

export interface AgentServer {
  /** Where it listens: the socket's path or the pipe's name. */
  readonly address: string;
  /** Stops listening and removes the socket and key (if they are still this agent's). */
  close(): Promise<void>;
}

/** A client has this long to send its request. */
const REQUEST_TIMEOUT_MS = 5_000;
const MAX_CONNECTIONS = 32;

function unsafe(path: string, why: string): TokenTrayError {
  return new TokenTrayError(
    'AGENT_UNSAFE',
    `The agent's folder ${path} cannot be trusted: ${why}. Nothing was started; remove it (or fix its owner and mode 0700) and try again.`,
    { facts: { path } },
  );
}

/** The folder, made 0700 if missing, then checked as it is: ours, a real folder, closed to others. */
async function prepareFolder(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const why = distrust(await lstat(dir), 'directory', checkedUid());
  if (why) throw unsafe(dir, why);
}

/** Whether something listens on the socket (a live agent or the app); a stale socket refuses at once. */
function isListening(socketPath: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ path: socketPath });
    const done = (yes: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(yes);
    };
    const timer = setTimeout(() => done(true), timeoutMs); // accepted into the backlog of a busy agent
    socket.on('connect', () => done(true));
    socket.on('error', () => done(false));
  });
}

/**
 * Whether the holder of `key` answers at its guarded address: anything else there (a squatter on
 * a name that outlived its agent, an agent of another version) is not an agent to leave it to.
 */
async function provesKey(address: string, key: string, timeoutMs = 1_000): Promise<boolean> {
  // A Unix socket connects or refuses at once: a squatter that accepts and stays silent holds a start ~timeoutMs.
  const guard = new GuardedClient(key, address);
  return (await converse(address, { guard, connectMs: timeoutMs, answerMs: timeoutMs, maxBytes: MAX_REQUEST_BYTES })) !== undefined;
}

/** Whether an agent (or the app) already serves this location; a stale Unix socket is removed. */
async function alreadyServed(where: AgentLocation): Promise<string | undefined> {
  if (!where.guarded) {
    if (await isListening(where.socket)) return where.socket;
    await rm(where.socket, { force: true }); // stale: its agent was killed
    return undefined;
  }
  const previous = readKey(where.key, checkedUid());
  if (previous === undefined) return undefined;
  const address = guardedAddress(where, previous);
  if (await provesKey(address, previous)) return address;
  if (!where.pipe) await rm(address, { force: true }); // a pipe goes with its server
  return undefined;
}

/** A fresh key in agent.key, 0600, created anew (never written through a link a stale one became). */
async function writeKey(path: string): Promise<string> {
  const key = randomBytes(32).toString('hex');
  await rm(path, { force: true });
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(`${key}\n`);
  } finally {
    await fh.close();
  }
  return key;
}

function sameKey(given: string, key: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(key);
  return a.length === b.length && timingSafeEqual(a, b);
}

function servesScope(request: ClientScope, scope: AgentServerOptions['scope']): boolean {
  return request.home === scope.home && request.service === scope.service && (request.keychain === '' || request.keychain === scope.store);
}

/**
 * Starts listening, unless an agent (or the app) already does: then AGENT_RUNNING. Starters take
 * turns through a kernel lock in the folder, so two at once cannot both replace the socket.
 */
export async function startAgentServer(options: AgentServerOptions): Promise<AgentServer> {
  const { where } = options;
  // A guarded address is as long whatever the key.
  const longest = agentAddress(where, '0'.repeat(64));
  if (!where.pipe && Buffer.byteLength(longest) > MAX_SOCKET_PATH_BYTES) {
    throw new TokenTrayError(
      'AGENT_UNAVAILABLE',
      `The agent's socket path ${longest} is longer than ${MAX_SOCKET_PATH_BYTES} bytes, more than a Unix socket takes. Set XDG_RUNTIME_DIR to a shorter folder.`,
    );
  }
  await prepareFolder(where.dir);
  return withFileLock(`${where.dir}/agent.lock`, { waitMs: 10_000, what: "the agent's start" }, async () => {
    const served = await alreadyServed(where);
    if (served !== undefined) throw new TokenTrayError('AGENT_RUNNING', `An agent already answers on ${served}.`, { facts: { path: served } });
    const key = await writeKey(where.key);
    const address = agentAddress(where, key);
    const server = createServer((socket) => serve(socket, key, address, options));
    server.maxConnections = MAX_CONNECTIONS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(address, () => resolve());
    }).catch(async (err: unknown) => {
      await rm(where.key, { force: true }); // a key nobody serves
      throw err;
    });
    if (where.pipe) return { address, close: () => closeServer(server, where, address, undefined, key) };
    // The folder already keeps others out; the socket's own mode says so too.
    await chmod(address, 0o600);
    const inode = (await lstat(address)).ino;
    return { address, close: () => closeServer(server, where, address, inode, key) };
  });
}

async function closeServer(server: Server, where: AgentLocation, address: string, inode: number | undefined, key: string): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  // Only what is still ours: a newer agent may have replaced both meanwhile.
  if (inode !== undefined) {
    const socketNow = await lstat(address).catch(() => undefined);
    if (socketNow?.ino === inode) await rm(address, { force: true });
  }
  const keyNow = await readFile(where.key, 'latin1').catch(() => undefined);
  if (keyNow?.trim() === key) await rm(where.key, { force: true });
}

function answer(socket: Socket, body: DistributiveOmit<AgentAnswer, 'v'>): void {
  socket.end(encodeFrame({ v: PROTOCOL_VERSION, ...body }));
}

function refuse(socket: Socket, code: string, message: string, facts?: AgentErrorFacts): void {
  answer(socket, { ok: false, code, message, ...(facts ? { facts } : {}) });
}

/** A guarded connection's first frame: a hello gets the challenge (true), anything else a refusal. */
function answerHello(socket: Socket, guard: GuardedServer, doc: unknown): boolean {
  const challenge = guard.challenge(doc);
  if (challenge !== undefined) {
    socket.write(encodeFrame(challenge));
    return true;
  }
  // A request straight away (an older client, or a stranger): nothing is answered without the proof.
  const version = typeof doc === 'object' && doc !== null && 'v' in doc ? doc.v : undefined;
  if (version !== PROTOCOL_VERSION) refuse(socket, 'AGENT_VERSION', `this agent speaks protocol ${PROTOCOL_VERSION}`);
  else refuse(socket, 'AGENT_REFUSED', 'this agent answers only a client that proves it holds the key');
  return false;
}

/**
 * One connection: the folder re-checked, one bounded request, the key and scope checked, one
 * answer. At a guarded address a hello comes first, answered with the challenge, and the request
 * then carries the client's proof instead of the key (pipe-guard.ts).
 */
function serve(socket: Socket, key: string, address: string, options: AgentServerOptions): void {
  const folder = (() => {
    try {
      return distrust(lstatSync(options.where.dir), 'directory', checkedUid());
    } catch {
      return 'missing';
    }
  })();
  // Someone opened the folder (or replaced it) since: nobody gets an answer from it.
  if (folder !== undefined) return void socket.destroy();
  socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  let reader = new FrameReader(MAX_REQUEST_BYTES);
  let received = false;
  const guard = options.where.guarded ? new GuardedServer(key, address) : undefined;
  let challenged = false;
  socket.on('data', (chunk: Buffer) => {
    if (received) return void socket.destroy(); // one request per connection
    let doc: unknown;
    try {
      doc = reader.push(chunk);
    } catch (err) {
      received = true;
      return refuse(socket, (err as ProtocolError).code ?? 'AGENT_BAD_REQUEST', (err as Error).message);
    }
    if (doc === undefined) return;
    if (guard && !challenged) {
      challenged = true;
      if (answerHello(socket, guard, doc)) reader = new FrameReader(MAX_REQUEST_BYTES);
      else received = true;
      return;
    }
    received = true;
    socket.setTimeout(0);
    let request: AgentRequest;
    try {
      request = parseRequest(doc);
    } catch (err) {
      return refuse(socket, err instanceof ProtocolError ? err.code : 'AGENT_BAD_REQUEST', (err as Error).message);
    }
    if (guard ? !guard.admits(request.key) : !sameKey(request.key, key)) return refuse(socket, 'AGENT_REFUSED', 'the key does not match this agent');
    if (!servesScope(request, options.scope)) return refuse(socket, 'AGENT_REFUSED', 'this agent serves another TokenTray home, keychain service or store');
    options.handle(request).then(
      (body) => answer(socket, body),
      (err: unknown) => {
        // A TokenTrayError goes with its facts, so that the client words its remedy as it would its own.
        const message = redact(err instanceof Error ? err.message : String(err));
        if (err instanceof TokenTrayError) refuse(socket, err.code, message, { ...err.facts });
        else refuse(socket, 'INTERNAL', message);
      },
    );
  });
}
