import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CLI, type CliResult } from './sandbox.js';
import { secretHits, TOKEN_PRINTING } from './canary.js';

/** Control characters a terminal acts on, other than the newline and tab of our own layout. */
const TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** Fails if `text` would drive a terminal (escape sequences, C1 controls, DEL…). */
export function assertTerminalSafe(text: string, what = 'output'): void {
  const hit = TERMINAL_CONTROL.exec(text);
  assert.equal(
    hit,
    null,
    `${what} holds the control character U+${hit?.[0].charCodeAt(0).toString(16).padStart(4, '0')}: ${JSON.stringify(text.slice(0, 300))}`,
  );
}

/** An OSC 52 clipboard write and an OSC 0 window title, with a C1 CSI and DEL for good measure. */
export const HOSTILE_EMAIL = '\u001b]52;c;SGFja2Vk\u0007\u001b]0;PWNED\u0007\u009b31m\u007falice@example.test';

export interface RunOptions {
  stdin?: string;
  /** Node flags before the CLI (e.g. --import of a probe). */
  nodeArgs?: string[];
  cwd?: string;
  /** Kills the process after this long; a hang is a failure, not a stuck suite. */
  killAfterMs?: number;
  /** Called with the child's pid once it runs. */
  onSpawn?: (pid: number) => void;
  /** Called with each complete line the child writes to stdout or stderr. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface RunResult extends CliResult {
  killed: boolean;
  /** Peak resident memory in KB, when run with rssProbe(). */
  maxRssKb?: number;
}

/** Runs `tokentray ARGS` in its own process, as a user would, with a kill timer and the secret canary. */
export function runCliWith(args: string[], env: Record<string, string>, options: RunOptions = {}): Promise<RunResult> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, ...args], { env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  options.onSpawn?.(child.pid!);
  let stdout = '';
  let stderr = '';
  let killed = false;
  const lines = (stream: 'stdout' | 'stderr') => {
    let pending = '';
    return (d: Buffer) => {
      const text = d.toString();
      if (stream === 'stdout') stdout += text;
      else stderr += text;
      pending += text;
      const parts = pending.split('\n');
      pending = parts.pop()!;
      for (const line of parts) options.onLine?.(line, stream);
    };
  };
  child.stdout.on('data', lines('stdout'));
  child.stderr.on('data', lines('stderr'));
  child.stdin.on('error', () => undefined);
  if (options.stdin !== undefined) child.stdin.end(options.stdin);
  else child.stdin.end();
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, options.killAfterMs ?? 30_000);
  return new Promise((resolve, reject) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      const probe = /\n?tokentray-probe maxrss=(\d+)\n/.exec(stderr);
      if (probe) stderr = stderr.replace(probe[0], '');
      const command = args.find((a) => !a.startsWith('-'));
      const hits = secretHits(command && TOKEN_PRINTING.has(command) ? stderr : `${stdout}\n${stderr}`);
      if (hits.length > 0) return reject(new Error(`secret canary: \`tokentray ${args.join(' ')}\` printed ${hits.join(', ')}`));
      resolve({ code, stdout, stderr, killed, ...(probe ? { maxRssKb: Number(probe[1]) } : {}) });
    }),
  );
}

/** Node flags that make the CLI report its peak resident memory on exit (see runCliWith). */
export function rssProbe(): string[] {
  const source =
    "import{writeSync}from'node:fs';process.on('exit',()=>{try{writeSync(2,'\\ntokentray-probe maxrss='+process.resourceUsage().maxRSS+'\\n')}catch{}})";
  return ['--import', `data:text/javascript,${encodeURIComponent(source)}`];
}

export interface HostileServer {
  origin: string;
  /** Requests seen, as "METHOD /path". */
  requests: string[];
  /** Bytes written to clients so far. */
  sent: number;
  close(): Promise<void>;
}

/** A plain HTTP server on 127.0.0.1 whose answers the test writes. */
export async function startHostileServer(
  handler: (req: IncomingMessage, res: ServerResponse, server: HostileServer) => void | Promise<void>,
): Promise<HostileServer> {
  const http: Server = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const server: HostileServer = {
    origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    requests: [],
    sent: 0,
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
  http.on('request', (req, res) => {
    server.requests.push(`${req.method} ${req.url}`);
    void handler(req, res, server);
  });
  return server;
}

/**
 * Streams `total` bytes of JSON-looking filler (no content-length), honouring back-pressure, and
 * stops early when the client goes away. `total` is finite so that code without a cap ends too,
 * with its memory grown, instead of hanging the suite.
 */
export function streamEndless(res: ServerResponse, server: HostileServer, total = 256 * 1024 * 1024, contentType = 'application/json'): void {
  res.writeHead(200, { 'content-type': contentType });
  const chunk = Buffer.alloc(64 * 1024, 'a');
  res.write('{"filler":"');
  let left = total;
  let gone = false;
  res.on('close', () => (gone = true));
  const pump = () => {
    while (!gone && left > 0) {
      left -= chunk.length;
      server.sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    if (!gone) res.end('"}');
  };
  pump();
}

/** A discovery document for `origin` whose endpoints live there, with `overrides` applied. */
export function discoveryDocument(origin: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuer: origin,
    authorization_endpoint: `${origin}/auth`,
    token_endpoint: `${origin}/token`,
    userinfo_endpoint: `${origin}/me`,
    jwks_uri: `${origin}/jwks`,
    revocation_endpoint: `${origin}/revoke`,
    introspection_endpoint: `${origin}/introspect`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    code_challenge_methods_supported: ['S256'],
    ...overrides,
  };
}

/**
 * What a terminal would hide, reorder or break a line at: C0 but newline, DEL, C1, format
 * characters (bidi controls, zero-width…), U+2028/U+2029 and lone surrogates.
 */
export const HIDDEN_OR_CONTROL = /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

/** Fails unless `text` is visible text in lines (only `\n` breaks them). */
export function assertVisible(text: string, what = 'output'): void {
  const hit = HIDDEN_OR_CONTROL.exec(text);
  assert.equal(hit, null, `${what} holds U+${hit?.[0].codePointAt(0)!.toString(16).padStart(4, '0')}: ${JSON.stringify(text.slice(0, 300))}`);
}

/** What a hostile issuer answers at its token endpoint and userinfo endpoint. */
export interface IssuerAnswers {
  token: { status: number; body: Record<string, unknown> };
  userinfo?: Record<string, unknown>;
  /** Google's tokeninfo (point TOKENTRAY_GOOGLE_TOKENINFO_URL at `ORIGIN/tokeninfo`). */
  tokeninfo?: Record<string, unknown>;
  /** IAM Credentials' generateAccessToken and generateIdToken (TOKENTRAY_GOOGLE_IAMCREDENTIALS_URL = ORIGIN). */
  iam?: Record<string, unknown>;
}

/**
 * An issuer on 127.0.0.1 that sends what the test says: its discovery document names itself;
 * `POST /token`, `GET /me`, `POST /tokeninfo` and IAM Credentials' `POST …:generate*` answer `answers()`. `adc import --issuer` exercises it end to end
 * (one refresh grant, then userinfo).
 */
export function startHostileIssuer(answers: () => IssuerAnswers): Promise<HostileServer> {
  return startHostileServer((req, res, s) => {
    req.resume();
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/.well-known/openid-configuration') return json(200, discoveryDocument(s.origin));
    const { token, userinfo, tokeninfo, iam } = answers();
    if (/^\/v1\/projects\/-\/serviceAccounts\/[^/]+:generate(AccessToken|IdToken)$/.test(req.url ?? '') && iam) return json(200, iam);
    if (req.url === '/token' && req.method === 'POST') return json(token.status, token.body);
    if (req.url === '/me' && userinfo) return json(200, userinfo);
    if (req.url === '/tokeninfo' && tokeninfo) return json(200, tokeninfo);
    json(404, { error: 'not_found' });
  });
}
