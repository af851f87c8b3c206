import { resolve } from 'node:path';
import type { Core } from '../core.js';
import { parseImpersonationChain } from '../google/impersonation.js';
import { accountForRegistry, DOCKER_USERNAME } from '../integrations/docker-credential.js';
import type { AccountRecord } from '../accounts/account-registry.js';
import { parseScopeList } from '../oauth/scopes.js';
import { TokenTrayError } from '../shared/errors.js';
import { keychainService } from '../storage/paths.js';
import { agentLocation } from './location.js';
import type { AgentRequest, AgentStatus } from './protocol.js';
import { startAgentServer, type AnswerBody } from './server.js';
import { TokenMemo } from './token-memo.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * What the agent answers, through the same core (token service, cross-process locks, store) as
 * every CLI call: a refreshed or rotated token is written through at once, so a killed agent loses
 * nothing. Only reads and token minting: no request changes an account or reveals a refresh token.
 */
function answerRequest(core: Core, request: AgentRequest, status: () => AgentStatus, stop: () => void, memo?: TokenMemo): Promise<AnswerBody> {
  const key = memo ? TokenMemo.key(request) : undefined;
  if (memo && key !== undefined) {
    const held = memo.get(key);
    if (held) return Promise.resolve({ ok: true, ...held });
    const stamp = memo.registryStamp();
    return answerRequest(core, request, status, stop).then((body) => {
      if ('token' in body) memo.set(key, body, stamp);
      return body;
    });
  }
  switch (request.op) {
    case 'access-token':
    case 'docker-credential':
      return accessToken(core, request);
    case 'id-token':
      return idToken(core, request);
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

async function accessToken(core: Core, request: AgentRequest): Promise<AnswerBody> {
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
  const token = await core.tokens.getAccessToken(record, scopes, impersonate ? { impersonate } : {});
  return { ok: true, token: token.token, expiresAt: token.expiresAt, ...(request.op === 'docker-credential' ? { username: DOCKER_USERNAME } : {}) };
}

async function idToken(core: Core, request: AgentRequest): Promise<AnswerBody> {
  const record = await core.accounts.resolve(request.account);
  const impersonate = request.impersonate !== undefined ? parseImpersonationChain(request.impersonate) : undefined;
  const token = await core.tokens.getIdToken(record, {
    ...(request.audience !== undefined ? { audience: request.audience.trim() } : {}),
    ...(request.includeEmail ? { includeEmail: true } : {}),
    ...(impersonate ? { impersonate } : {}),
  });
  return { ok: true, token: token.token, expiresAt: token.expiresAt };
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
  const memo = new TokenMemo(options.core.home);
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
        memo,
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
