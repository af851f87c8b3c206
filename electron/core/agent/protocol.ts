/**
 * The agent's wire format, shared by the server and the (tiny) client: one request, one answer,
 * each a frame of a 4-byte big-endian length and that many bytes of UTF-8 JSON (at a guarded
 * address, Windows', a hello and a challenge go first: pipe-guard.ts). The first field
 * checked is `v`: a peer of another protocol version is answered (or read) as "not for me", and
 * the client then goes the normal way. Everything read is bounded and checked like untrusted input.
 * Imports nothing of ours: the client's fast path loads this file and the client only.
 */
import type { ErrorFacts } from '../shared/errors.js';
import { isBearerToken } from '../shared/sanitize.js';

export const PROTOCOL_VERSION = 2;
/** A request is a few names and flags; anything larger is not ours. */
export const MAX_REQUEST_BYTES = 16 * 1024;
/** An answer holds a token or an account list. */
export const MAX_ANSWER_BYTES = 256 * 1024;
const MAX_FIELD = 2048;

export type AgentOp = 'access-token' | 'id-token' | 'docker-credential' | 'accounts' | 'status' | 'stop';
const AGENT_OPS: readonly AgentOp[] = ['access-token', 'id-token', 'docker-credential', 'accounts', 'status', 'stop'];

/** Which TokenTray the client is: the agent answers only for its own home, keychain service and store. */
export interface ClientScope {
  home: string;
  service: string;
  /** TOKENTRAY_KEYCHAIN as the client sees it ('' when unset). */
  keychain: string;
}

export interface AgentRequest extends ClientScope {
  v: typeof PROTOCOL_VERSION;
  /**
   * The contents of agent.key, which only the agent's user can read; at a guarded address (Windows)
   * the client's proof that it holds it instead (pipe-guard.ts): there the key never goes on the wire.
   */
  key: string;
  op: AgentOp;
  account?: string;
  /** As typed after --scopes / --impersonate-service-account (comma-separated); parsed by the agent. */
  scopes?: string;
  impersonate?: string;
  audience?: string;
  includeEmail?: boolean;
  /** docker-credential: the server URL docker asked about. */
  server?: string;
}

export interface AgentStatus {
  pid: number;
  /** Epoch ms. */
  since: number;
  /** 'system' (the OS keychain) or 'file' (the file vault). */
  store: 'system' | 'file';
  unlocked: boolean;
  /** Epoch ms when it forgets everything and exits; null: until stopped. */
  until: number | null;
  /** 'agent' (tokentray agent) or 'app' (the desktop app). */
  servedBy: 'agent' | 'app';
}

export interface AgentAccount {
  id: string;
  email: string | null;
  kind: string;
  default: boolean;
  status: string;
}

export type AgentAnswer =
  | { v: number; ok: true; token: string; expiresAt: number; username?: string }
  | { v: number; ok: true; accounts: AgentAccount[] }
  | { v: number; ok: true; status: AgentStatus }
  | { v: number; ok: true; stopping: true }
  | { v: number; ok: false; code: string; message: string; facts?: AgentErrorFacts };

/** The facts of a TokenTrayError, which the CLI needs to word the remedy; from the wire any remedy name. */
export type AgentErrorFacts = Omit<ErrorFacts, 'remedy'> & { remedy?: string };

/** Thrown for anything malformed; the server answers it with `code` and closes. */
export class ProtocolError extends Error {
  constructor(
    readonly code: 'AGENT_BAD_REQUEST' | 'AGENT_VERSION',
    message: string,
  ) {
    super(message);
  }
}

export function encodeFrame(value: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

/**
 * Collects one frame from chunks. `push` returns the parsed JSON once complete, undefined while
 * more is needed, and throws on a length over `limit` (before reading it) or bytes that are not JSON.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): unknown {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size < 4) return undefined;
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    this.chunks = [all];
    const length = all.readUInt32BE(0);
    if (length > this.limit) throw new ProtocolError('AGENT_BAD_REQUEST', `a frame of ${length} bytes is over the limit of ${this.limit}`);
    if (all.length < 4 + length) return undefined;
    if (all.length > 4 + length) throw new ProtocolError('AGENT_BAD_REQUEST', 'bytes after the frame');
    try {
      return JSON.parse(all.subarray(4).toString('utf8')) as unknown;
    } catch {
      throw new ProtocolError('AGENT_BAD_REQUEST', 'the frame is not JSON');
    }
  }
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function text(doc: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const value = doc[name];
  if (value === undefined && !required) return undefined;
  // No control characters: names end up in messages and file lookups.
  if (typeof value !== 'string' || value.length > MAX_FIELD || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new ProtocolError('AGENT_BAD_REQUEST', `"${name}" must be text of at most ${MAX_FIELD} printable characters`);
  }
  return value;
}

const FIELDS = new Set(['v', 'key', 'home', 'service', 'keychain', 'op', 'account', 'scopes', 'impersonate', 'audience', 'includeEmail', 'server']);

/** A request as the server accepts it: the version first, then every field's type and size; unknown fields refused. */
export function parseRequest(doc: unknown): AgentRequest {
  if (!isRecord(doc)) throw new ProtocolError('AGENT_BAD_REQUEST', 'a request is a JSON object');
  if (doc.v !== PROTOCOL_VERSION) throw new ProtocolError('AGENT_VERSION', `this agent speaks protocol ${PROTOCOL_VERSION}, not ${String(doc.v).slice(0, 20)}`);
  for (const name of Object.keys(doc)) if (!FIELDS.has(name)) throw new ProtocolError('AGENT_BAD_REQUEST', `unknown field "${name.slice(0, 40)}"`);
  const op = text(doc, 'op', true) as AgentOp;
  if (!AGENT_OPS.includes(op)) throw new ProtocolError('AGENT_BAD_REQUEST', `unknown op "${op.slice(0, 40)}"`);
  if (doc.includeEmail !== undefined && typeof doc.includeEmail !== 'boolean')
    throw new ProtocolError('AGENT_BAD_REQUEST', '"includeEmail" must be true or false');
  const request: AgentRequest = {
    v: PROTOCOL_VERSION,
    key: text(doc, 'key', true)!,
    home: text(doc, 'home', true)!,
    service: text(doc, 'service', true)!,
    keychain: text(doc, 'keychain', true)!,
    op,
  };
  for (const name of ['account', 'scopes', 'impersonate', 'audience', 'server'] as const) {
    const value = text(doc, name, false);
    if (value !== undefined) request[name] = value;
  }
  if (doc.includeEmail === true) request.includeEmail = true;
  return request;
}

/** A token as the client will print it: bounded, and a bearer token by the one rule (sanitize.ts); anything else is not used. */
export function isPrintableToken(token: unknown): token is string {
  return typeof token === 'string' && token.length <= 16 * 1024 && isBearerToken(token);
}

/**
 * Codes with which an agent says it cannot serve this client (a refusal, another version, its
 * store unusable, a fault of its own): the client then goes on as if there were no agent, and its
 * own store may well work. Any other failure is the answer, shown as the normal path shows it.
 */
const NOT_SERVED = /^(AGENT_[A-Z_]+|KEYCHAIN_UNAVAILABLE|VAULT_[A-Z_]+|INTERNAL)$/;
const FACT_TEXTS = ['remedy', 'account', 'accountId', 'path', 'scope', 'issuer'] as const;
const printable = (x: unknown, max: number): x is string => typeof x === 'string' && x.length <= max && !/[\u0000-\u001f\u007f]/.test(x);

/**
 * The failure an agent answered, checked like any input (a stable-looking code, a bounded sentence,
 * only the known facts), or undefined when the client should go on without the agent.
 */
export function agentFailure(answer: AgentAnswer): { code: string; message: string; facts: AgentErrorFacts } | undefined {
  if (answer.ok) return undefined;
  const { code, message, facts } = answer as Record<string, unknown>;
  if (typeof code !== 'string' || !/^[A-Z][A-Z0-9_]{0,63}$/.test(code) || NOT_SERVED.test(code) || !printable(message, 4096)) return undefined;
  const checked: AgentErrorFacts = {};
  if (isRecord(facts)) {
    for (const name of FACT_TEXTS) if (printable(facts[name], MAX_FIELD)) checked[name] = facts[name];
    if (Number.isSafeInteger(facts.pid) && (facts.pid as number) > 0) checked.pid = facts.pid as number;
  }
  return { code, message, facts: checked };
}
