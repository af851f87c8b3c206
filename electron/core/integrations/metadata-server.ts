import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { AccountRecord } from '../storage/account-registry.js';
import { displayName, projectOf } from '../storage/account-service.js';
import type { Core } from '../core.js';
import { isTokenTrayError, TokenTrayError } from '../shared/errors.js';
import { parseImpersonationChain } from '../google/impersonation.js';
import { log, redact } from '../shared/logger.js';
import { parseScopeList } from '../oauth/scopes.js';
import { MemoryFront } from '../tokens/memory-front.js';
import type { TokenDetails } from '../shared/models.js';
import { createPeerUidLookup } from './peer-uid.js';

/**
 * A GCE metadata-server emulator on loopback, so that unmodified Google client libraries
 * (`google.auth.default()` and its peers, gcloud) get tokens from TokenTray, as aws-vault does for
 * AWS SDKs. Only what the libraries use is served, in GCE's formats.
 */
export interface MetadataServerOptions {
  core: Core;
  /** Which account the emulated VM "runs as"; resolved on every request, so changes apply at once. */
  account?: string;
  port?: number;
  /** The project to report (`--project-id`); else the account's project, else `fallbackProjectId`. */
  projectId?: string;
  /** Used when neither `projectId` nor the account names a project: gcloud's configured project. */
  fallbackProjectId?: string;
  numericProjectId?: string;
  /** What the 404 of project/project-id tells its reader to do, in the starting surface's words. */
  noProjectAdvice?: string;
  /**
   * Serve only connections whose client socket belongs to this process's user (Linux: the peer's
   * uid from /proc/net/tcp{,6}). Default: on, where the platform lets us check (Linux).
   */
  ownUserOnly?: boolean;
  /** The clock that decides whether a token held in memory is still fresh (tests move it). */
  now?: () => number;
}

export interface MetadataServer {
  readonly port: number;
  /** `127.0.0.1:PORT`, the value of GCE_METADATA_HOST / GCE_METADATA_IP / GCE_METADATA_ROOT. */
  readonly host: string;
  close(): Promise<void>;
}

const FLAVOR = { 'Metadata-Flavor': 'Google' } as const;

function reply(res: ServerResponse, status: number, body: string, type: 'application/json' | 'application/text' | 'text/html' = 'application/text'): void {
  // Every answer carries Metadata-Flavor (Node and Go check it); JSON exactly as application/json.
  res.writeHead(status, { ...FLAVOR, 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}

/** A stable 12-digit number for a project id, since a user account has no numeric project. */
function numericFor(projectId: string): string {
  return String(100_000_000_000n + (BigInt(`0x${createHash('sha256').update(projectId).digest('hex').slice(0, 12)}`) % 900_000_000_000n));
}

/** Headers a proxy adds: a request that went through one may come from anywhere. */
const PROXY_HEADERS = ['x-forwarded-for', 'forwarded', 'via'] as const;

/** The default advice of a 404 for the project: the surface that starts the emulator words its own. */
const NO_PROJECT_ADVICE = 'Set one for the account, or set gcloud\'s (`gcloud config set project ID`).';

/** What a refused peer reads; written on the raw socket, before any request is parsed. */
function refusal(uid: number | undefined): string {
  const body = `Forbidden: this metadata server serves only the user who started it (uid ${process.getuid?.()})${uid === undefined ? '; the connection\'s owner could not be determined' : `, not uid ${uid}`}.\n`;
  return `HTTP/1.1 403 Forbidden\r\nMetadata-Flavor: Google\r\nContent-Type: application/text\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

export async function startMetadataServer(options: MetadataServerOptions): Promise<MetadataServer> {
  const { core } = options;
  const now = options.now ?? Date.now;
  const ownUserOnly = options.ownUserOnly ?? process.platform === 'linux';
  // Whether each connection's peer is this user (absent: not checked on this platform).
  const verdicts = new WeakMap<Socket, Promise<boolean>>();
  let expectedHost = '';
  // An account's record is still read on every request, so a switch of account applies at once.
  const memory = new MemoryFront(now);

  const noProject = `No project is set. ${options.noProjectAdvice ?? NO_PROJECT_ADVICE}\n`;

  async function account(): Promise<AccountRecord> {
    return core.accounts.resolve(options.account);
  }

  function accessToken(acct: AccountRecord, scopes: string[] | undefined): Promise<TokenDetails> {
    return memory.access(acct, scopes, () => core.tokens.getAccessToken(acct, scopes));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const verdict = verdicts.get(req.socket);
    if (verdict && !(await verdict)) return; // the refusal is on its way, and the connection closing
    log(`metadata ${req.method} ${req.url} (Host ${req.headers.host})`);
    // Refuse what a browser page or a proxy could send (DNS rebinding, SSRF through a proxy).
    if (req.headers.host !== expectedHost) return reply(res, 403, 'Forbidden: wrong Host header.\n');
    for (const header of PROXY_HEADERS) {
      if (req.headers[header] !== undefined) return reply(res, 403, `Forbidden: ${header === 'x-forwarded-for' ? 'X-Forwarded-For' : header === 'via' ? 'Via' : 'Forwarded'} is not allowed.\n`);
    }
    if (req.headers['metadata-flavor'] !== 'Google') return reply(res, 403, 'Missing Metadata-Flavor:Google header.\n');
    if (req.method !== 'GET') return reply(res, 405, 'Method not allowed.\n');
    // Appended, not resolved: a request target like `//host/` must stay a path, not become a host.
    let url: URL;
    try {
      url = new URL(`http://${expectedHost}${req.url?.startsWith('/') ? req.url : `/${req.url ?? ''}`}`);
      decodeURIComponent(url.pathname);
    } catch {
      return reply(res, 400, 'Bad request: malformed URL or %-encoding.\n');
    }
    const path = url.pathname;
    if (path === '/' || path === '') return reply(res, 200, 'computeMetadata/\n');
    if (!path.startsWith('/computeMetadata/v1')) return reply(res, 404, 'Not found.\n');
    const rest = path.slice('/computeMetadata/v1'.length).replace(/^\//, '');
    const recursive = url.searchParams.get('recursive') === 'true';
    const acct = await account();
    const projectId = options.projectId ?? projectOf(acct) ?? options.fallbackProjectId;
    const email = acct.email ?? acct.subject;

    switch (rest) {
      case '':
        return reply(res, 200, 'instance/\nproject/\n');
      case 'project':
      case 'project/':
        if (!recursive) return reply(res, 200, 'numeric-project-id\nproject-id\n');
        return projectId
          ? reply(res, 200, JSON.stringify({ projectId, numericProjectId: Number(options.numericProjectId ?? numericFor(projectId)) }), 'application/json')
          : reply(res, 404, noProject);
      case 'project/project-id':
        return projectId ? reply(res, 200, projectId) : reply(res, 404, noProject);
      case 'project/numeric-project-id':
        return projectId ? reply(res, 200, options.numericProjectId ?? numericFor(projectId)) : reply(res, 404, noProject);
      case 'instance':
      case 'instance/':
        return reply(res, 200, 'service-accounts/\n');
      case 'instance/service-accounts':
      case 'instance/service-accounts/':
        return reply(res, 200, `default/\n${email}/\n`);
    }
    const m = /^instance\/service-accounts\/([^/]+)(?:\/(.*))?$/.exec(rest);
    if (!m) return reply(res, 404, 'Not found.\n');
    const who = decodeURIComponent(m[1]!); // checked above: the path decodes
    if (who !== 'default' && who !== email) return reply(res, 404, `No service account ${who} here; this emulator serves ${email} (and "default").\n`);
    const leaf = m[2] ?? '';
    switch (leaf) {
      case '':
        return recursive
          ? reply(res, 200, JSON.stringify({ aliases: ['default'], email, scopes: acct.scopes }), 'application/json')
          : reply(res, 200, 'aliases\nemail\nidentity\nscopes\ntoken\n');
      case 'aliases':
        return reply(res, 200, 'default\n');
      case 'email':
        return reply(res, 200, email);
      case 'scopes':
        return reply(res, 200, `${acct.scopes.join('\n')}\n`);
      case 'token': {
        const scopes = url.searchParams.get('scopes');
        const token = await accessToken(acct, scopes ? parseScopeList(scopes) : undefined);
        const expiresIn = Math.max(0, Math.floor((token.expiresAt - Date.now()) / 1000)); // real seconds, whatever `now` says
        return reply(res, 200, JSON.stringify({ access_token: token.token, expires_in: expiresIn, token_type: 'Bearer' }), 'application/json');
      }
      case 'identity': {
        const audience = url.searchParams.get('audience');
        if (!audience) return reply(res, 400, 'non-empty audience parameter required\n');
        // A user account's ID tokens are only for its OAuth client: go through its impersonation
        // target, or say how to set one. Never a token for the wrong audience.
        let impersonate;
        if (acct.kind !== 'service_account') {
          if (!acct.impersonate?.length) {
            return reply(res, 404, `${displayName(acct)} is a user account: Google issues its ID tokens only for its own OAuth client. Give it a service account to impersonate (its impersonation setting), or serve a service account instead.\n`);
          }
          impersonate = parseImpersonationChain(acct.impersonate);
        }
        // format=full asks for the email (and licenses, which a workstation has none of).
        const includeEmail = url.searchParams.get('format') === 'full';
        const token = await core.tokens.getIdToken(acct, { audience, includeEmail, ...(impersonate ? { impersonate } : {}) });
        return reply(res, 200, token.token);
      }
    }
    return reply(res, 404, 'Not found.\n');
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // The library gets a sentence it can show; a token never appears in it.
      const message = isTokenTrayError(err) ? redact(`${err.code}: ${err.message}`) : 'TokenTray could not answer this request.';
      const status = isTokenTrayError(err, 'ACCOUNT_NOT_FOUND') || isTokenTrayError(err, 'NO_ACCOUNTS') ? 404 : isTokenTrayError(err, 'SCOPE_NOT_GRANTED') ? 400 : 503;
      if (!res.headersSent) reply(res, status, `${message}\n`);
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  if (ownUserOnly) {
    // Looked up when the connection starts; a request is answered only once its connection has
    // passed. Another local user's connection gets a 403 and is closed.
    const lookup = createPeerUidLookup();
    const own = process.getuid?.();
    server.on('connection', (socket: Socket) => {
      const { remoteAddress, remotePort, localAddress, localPort } = socket;
      const check = remoteAddress && remotePort && localAddress && localPort
        ? lookup({ address: remoteAddress, port: remotePort }, { address: localAddress, port: localPort })
        : Promise.resolve(undefined);
      verdicts.set(socket, check.then((uid) => {
        if (uid !== undefined && uid === own) return true;
        log(`metadata refused a connection from uid ${uid ?? 'unknown'}`);
        socket.end(refusal(uid));
        setTimeout(() => socket.destroy(), 1000).unref();
        return false;
      }));
    });
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new TokenTrayError('PORT_UNAVAILABLE', `Port ${options.port} on 127.0.0.1 is in use. Choose another with --port, or leave it out to get a free one.`) : err),
    );
    server.listen({ host: '127.0.0.1', port: options.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  expectedHost = `127.0.0.1:${port}`;
  return {
    port,
    host: expectedHost,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
