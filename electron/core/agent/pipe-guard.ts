/**
 * The guard of an agent the OS cannot vouch for: a Windows named pipe (or, with
 * TOKENTRAY_AGENT_CHALLENGE=1, a Unix socket, so that tests run this path on Linux).
 *
 * A Unix socket lives in a folder of ours with mode 0700, which another user can neither reach nor
 * take over; a client there may send agent.key itself. A named pipe has neither: its name is in one
 * machine-wide namespace that any local user may list and, while no server holds it, create (pipe
 * squatting), and Node can neither set its DACL nor ask who serves it. So here:
 * - the pipe's name is made from agent.key (`guardedAddress`), new at each start: nobody without
 *   the key can take it before the agent, so a squatter can neither block a start nor wait for
 *   clients on it; a name seen while the agent ran (pipe names can be listed) dies with its key;
 * - before any request, each side proves it holds the key without sending it: the client sends a
 *   nonce, the agent answers its own nonce and an HMAC of both under the key, and only then does the
 *   client send its request, carrying the HMAC of the other role in place of the key. A squatter on
 *   a name that outlived its agent can produce neither answer and learns nothing it could replay;
 *   a stranger who can write to the pipe gets no answer without the client's proof.
 * Both HMACs name the address, so a proof made for one pipe is worth nothing on another.
 * node:crypto costs a client milliseconds: only guarded clients load it (the bundle loads it lazily).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AgentLocation } from './location.js';
import { PROTOCOL_VERSION } from './protocol.js';

const HEX64 = /^[0-9a-f]{64}$/;

/** Where a guarded agent with this key listens: the location's prefix and a name drawn from the key. */
export function guardedAddress(where: AgentLocation, key: string): string {
  const name = createHmac('sha256', Buffer.from(key, 'hex')).update('tokentray-agent address').digest('hex').slice(0, 32);
  return where.pipe ? `${where.socket}-${name}` : `${where.socket}-${name}.sock`;
}

/** Where the agent with `key` listens, guarded or not. */
export function agentAddress(where: AgentLocation, key: string): string {
  return where.guarded ? guardedAddress(where, key) : where.socket;
}

type Role = 'agent' | 'client';

function proof(key: string, role: Role, address: string, clientNonce: string, agentNonce: string): string {
  return createHmac('sha256', Buffer.from(key, 'hex')).update(`tokentray-agent ${role} proof\n${address}\n${clientNonce}\n${agentNonce}`).digest('hex');
}

function sameProof(given: unknown, expected: string): boolean {
  return typeof given === 'string' && HEX64.test(given) && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const exactly = (doc: Record<string, unknown>, names: string[]) => Object.keys(doc).length === names.length && names.every((n) => n in doc);

/** The client's first frame. */
export interface Hello {
  v: number;
  hello: string;
}

/** The agent's answer to a hello: its nonce, and its proof that it holds the key. */
export interface Challenge {
  v: number;
  nonce: string;
  proof: string;
}

/** The client's side of one connection. */
export class GuardedClient {
  private readonly nonce = randomBytes(32).toString('hex');

  constructor(
    private readonly key: string,
    readonly address: string,
  ) {}

  hello(): Hello {
    return { v: PROTOCOL_VERSION, hello: this.nonce };
  }

  /**
   * What the request carries in place of the key, once `doc` proved that the agent holds it;
   * undefined for anything else (a squatter, another version, a refusal): that agent is not used.
   */
  proofFor(doc: unknown): string | undefined {
    if (!isRecord(doc) || doc.v !== PROTOCOL_VERSION || !exactly(doc, ['v', 'nonce', 'proof'])) return undefined;
    if (typeof doc.nonce !== 'string' || !HEX64.test(doc.nonce)) return undefined;
    if (!sameProof(doc.proof, proof(this.key, 'agent', this.address, this.nonce, doc.nonce))) return undefined;
    return proof(this.key, 'client', this.address, this.nonce, doc.nonce);
  }
}

/** The agent's side of one connection: the challenge for a hello, then the client's proof checked. */
export class GuardedServer {
  private readonly nonce = randomBytes(32).toString('hex');
  private clientNonce: string | undefined;

  constructor(
    private readonly key: string,
    private readonly address: string,
  ) {}

  /** The challenge for a well-formed hello; undefined for anything else. */
  challenge(doc: unknown): Challenge | undefined {
    if (!isRecord(doc) || doc.v !== PROTOCOL_VERSION || !exactly(doc, ['v', 'hello'])) return undefined;
    if (typeof doc.hello !== 'string' || !HEX64.test(doc.hello)) return undefined;
    this.clientNonce = doc.hello;
    return { v: PROTOCOL_VERSION, nonce: this.nonce, proof: proof(this.key, 'agent', this.address, doc.hello, this.nonce) };
  }

  /** Whether a request's `key` is the client's proof for this connection's challenge. */
  admits(given: string): boolean {
    return this.clientNonce !== undefined && sameProof(given, proof(this.key, 'client', this.address, this.clientNonce, this.nonce));
  }
}
