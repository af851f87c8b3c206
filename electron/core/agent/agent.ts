import { resolve } from 'node:path';
import type { Core } from '../core.js';
import { parseImpersonationChain } from '../google/impersonation.js';
import { accountForRegistry, DOCKER_USERNAME } from '../integrations/docker-credential.js';
import { registryStamp, type AccountRecord } from '../accounts/account-registry.js';
import { parseScopeList } from '../oauth/scopes.js';
import { TokenTrayError } from '../shared/errors.js';
import type { TokenDetails } from '../shared/models.js';
import { keychainService } from '../storage/paths.js';
import { TokenMemory } from '../tokens/token-memory.js';
import { agentLocation } from './location.js';
import type { AgentRequest, AgentStatus } from './protocol.js';
import { startAgentServer, type AnswerBody } from './server.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Which tokens a request asks for: the key of the agent's memory (answers to the same key are the same token). */
function heldKey(request: AgentRequest): string {
  return JSON.stringify([
    request.op,
    request.account ?? null,
    request.scopes ?? null,
    request.impersonate ?? null,
    request.audience ?? null,
    request.includeEmail ?? false,
  ]);
}

const tokenBody = (token: TokenDetails): AnswerBody => ({ ok: true, token: token.token, expiresAt: token.expiresAt });

/**
 * What the agent answers, through the same core (token service, cross-process locks, store) as
 * every CLI call: a refreshed or rotated token is written through at once, so a killed agent loses
 * nothing. Only reads and token minting: no request changes an account or reveals a refresh token.
 * Tokens are held in `memory`, so that a warm request does not read the store (a keychain round
 * trip over D-Bus, or the vault file) each time.
 */
function answerRequest(core: Core, request: AgentRequest, status: () => AgentStatus, stop: () => void, memory: TokenMemory): Promise<AnswerBody> {
  switch (request.op) {
    case 'access-token':
      return memory.through(heldKey(request), () => accessToken(core, request)).then(tokenBody);
    case 'docker-credential':
      return accessToken(core, request).then((token) => ({ ...tokenBody(token), username: DOCKER_USERNAME }));
    case 'id-token':
      return memory.through(heldKey(request), () => idToken(core, request)).then(tokenBody);
    case 'accounts':
      return core.accounts.list().then((list) => ({
        ok: true as const,
        accounts: list.map((a) => ({ id: a.id, email: a.email, kind: a.kind, default: a.default, status: a.status })),
      }));
    case 'status':
      return Promise.resolve({ ok: true as const, status: status() });
    case 'stop':
      setImmediate(stop);
      return Promise.resolve({ ok: true as const, stopping: true as const });
  }
}

async function accessToken(core: Core, request: AgentRequest): Promise<TokenDetails> {
  let record: AccountRecord | undefined;
  if (request.op === 'docker-credential') {
    if (request.server === undefined) throw new TokenTrayError('USAGE', 'A docker credential names the registry.');
    // A registry configure-docker did not set up gets no token: the helper proper says so.
    record = await accountForRegistry(core, request.server, request.account);
    if (!record) throw new TokenTrayError('ACCOUNT_NOT_FOUND', 'No account is set up for this registry.');
  }
  record ??= await core.accounts.resolve(request.account);
  const scopes = request.scopes !== undefined ? parseScopeList(request.scopes) : undefined;
  const impersonate = request.impersonate !== undefined ? parseImpersonationChain(request.impersonate) : undefined;
  return core.tokens.getAccessToken(record, scopes, impersonate ? { impersonate } : {});
}

async function idToken(core: Core, request: AgentRequest): Promise<TokenDetails> {
  const record = await core.accounts.resolve(request.account);
  const impersonate = request.impersonate !== undefined ? parseImpersonationChain(request.impersonate) : undefined;
  return core.tokens.getIdToken(record, {
    ...(request.audience !== undefined ? { audience: request.audience.trim() } : {}),
    ...(request.includeEmail ? { includeEmail: true } : {}),
    ...(impersonate ? { impersonate } : {}),
  });
}

export interface RunningAgent {
  readonly status: AgentStatus;
  readonly socket: string;
  /** Resolves once the agent has stopped (asked to, its lifetime over, or `stop()`). */
  readonly stopped: Promise<void>;
  stop(): Promise<void>;
}

export interface ServeOptions {
  core: Core;
  env: Env;
  store: 'system' | 'file';
  servedBy: 'agent' | 'app';
  /** 0 or undefined: until stopped. */
  lifetimeMs?: number;
}

/** Serves `core` on the agent's socket (see server.ts) until stopped or its lifetime ends. */
export async function serveAgent(options: ServeOptions): Promise<RunningAgent> {
  const since = Date.now();
  const status: AgentStatus = {
    pid: process.pid,
    since,
    store: options.store,
    unlocked: true,
    until: options.lifetimeMs ? since + options.lifetimeMs : null,
    servedBy: options.servedBy,
  };
  const where = agentLocation(options.env);
  // A sign-out, a new sign-in, "sign in again" or a setting changes accounts.json: the token service then decides.
  const memory = new TokenMemory({ version: () => registryStamp(options.core.home) });
  // eslint-disable-next-line prefer-const -- assigned once the server exists, used by its handlers before
  let stopAgent!: () => Promise<void>;
  const server = await startAgentServer({
    where,
    scope: { home: resolve(options.core.home), service: keychainService(options.env), store: options.store },
    handle: (request) =>
      answerRequest(
        options.core,
        request,
        () => status,
        () => void stopAgent(),
        memory,
      ),
  });
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let closing: Promise<void> | undefined;
  stopAgent = () => {
    closing ??= (async () => {
      clearTimeout(timer);
      status.unlocked = false;
      await server.close();
      resolveStopped();
    })();
    return closing;
  };
  // A timer's delay is a 32-bit count of milliseconds: longer lifetimes are waited out in steps.
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    if (status.until === null) return;
    const left = status.until - Date.now();
    timer = left <= 0 ? setTimeout(() => void stopAgent(), 0) : setTimeout(arm, Math.min(left, 2 ** 31 - 1));
  };
  arm();
  return { status, socket: server.address, stopped, stop: stopAgent };
}
