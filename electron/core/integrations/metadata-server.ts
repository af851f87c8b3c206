import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { AccountRecord } from '../accounts/account-registry.js';
import { projectNumberOf, projectOf } from '../accounts/account-service.js';
import { checkProjectId } from '../google/project-id.js';
import type { Core } from '../core.js';
import { isTokenTrayError, TokenTrayError } from '../shared/errors.js';
import { log, redact } from '../shared/logger.js';
import { scopeKey } from '../oauth/scopes.js';
import { TokenMemory } from '../tokens/token-memory.js';
import { notFound, send, text, type Answer } from './metadata/answer.js';
import { guard, peerRefusal } from './metadata/guard.js';
import { routeFor } from './metadata/routes.js';
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
  /** What the 404 of project/project-id tells its reader to do, in the starting surface's words. */
  noProjectAdvice?: string;
  /** What the 404 of project/numeric-project-id tells its reader to do, in the starting surface's words. */
  noProjectNumberAdvice?: string;
  /**
   * Serve only connections whose client socket belongs to this process's user (Linux: the peer's
   * uid from /proc/net/tcp{,6}). Default: on, where the platform lets us check (Linux).
   */
  ownUserOnly?: boolean;
  /** The clock that decides whether a token held in memory is still fresh (tests move it). */
  now?: () => number;
}

/** The project reported, and its number only when the user gave it for that very project. */
function projectFacts(account: AccountRecord, projectId: string | undefined): { projectId: string | undefined; numericProjectId: string | undefined } {
  return { projectId, numericProjectId: projectNumberOf(account, projectId) };
}

export interface MetadataServer {
  readonly port: number;
  /** `127.0.0.1:PORT`, the value of GCE_METADATA_HOST / GCE_METADATA_IP / GCE_METADATA_ROOT. */
  readonly host: string;
  close(): Promise<void>;
}

/** The default advice of a 404 for the project: the surface that starts the emulator words its own. */
const NO_PROJECT_ADVICE = "Set one for the account, or set gcloud's (`gcloud config set project ID`).";
const NO_PROJECT_NUMBER_ADVICE = "Set the account's project number (the Console shows it on the project's dashboard).";

export async function startMetadataServer(options: MetadataServerOptions): Promise<MetadataServer> {
  const { core } = options;
  // Whoever starts it (exec, metadata-server, the app), a project it answers with is a project id.
  if (options.projectId !== undefined) checkProjectId(options.projectId);
  const now = options.now ?? Date.now;
  const ownUserOnly = options.ownUserOnly ?? process.platform === 'linux';
  // Whether each connection's peer is this user (absent: not checked on this platform).
  const verdicts = new WeakMap<Socket, Promise<boolean>>();
  let expectedHost = '';
  // Tokens held in memory: the keychain is read only when one is missing or near expiry. An
  // account's record is still read on every request, so a switch of account applies at once.
  const memory = new TokenMemory({ now });

  const noProject = `No project is set. ${options.noProjectAdvice ?? NO_PROJECT_ADVICE}\n`;
  const noProjectNumber = `The project's number is not known, and none is made up. ${options.noProjectNumberAdvice ?? NO_PROJECT_NUMBER_ADVICE}\n`;

  async function answer(req: IncomingMessage): Promise<Answer> {
    log(`metadata ${req.method} ${req.url} (Host ${req.headers.host})`);
    const url = guard(req, expectedHost);
    if (!(url instanceof URL)) return url;
    if (url.pathname === '/') return text('computeMetadata/\n');
    const found = routeFor(url.pathname);
    if (!found) return notFound();
    const account = await core.accounts.resolve(options.account);
    const name = account.email ?? account.subject;
    // A federated principal (principal://…) holds slashes: served percent-encoded, so that clients can put it in a path.
    const email = name.includes('/') ? encodeURIComponent(name) : name;
    if (found.account !== undefined && found.account !== 'default' && found.account !== email && found.account !== name) {
      return notFound(`No service account ${found.account} here; this emulator serves ${email} (and "default").\n`);
    }
    if (!found.route) return notFound();
    return found.route({
      url,
      account,
      email,
      ...projectFacts(account, options.projectId ?? projectOf(account) ?? options.fallbackProjectId),
      noProject,
      noProjectNumber,
      // The record read above decides: a held token only for an account that is ready, else the token service says why not.
      accessToken: (acct, scopes) =>
        acct.status === 'ready'
          ? memory.through(`${acct.id}\n${scopes ? scopeKey(scopes) : ''}`, () => core.tokens.getAccessToken(acct, scopes))
          : core.tokens.getAccessToken(acct, scopes),
      idToken: (acct, opts) => core.tokens.getIdToken(acct, opts),
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const verdict = verdicts.get(req.socket);
    if (verdict && !(await verdict)) return; // the refusal is on its way, and the connection closing
    send(res, await answer(req));
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // The library gets a sentence it can show; a token never appears in it.
      const message = isTokenTrayError(err) ? redact(`${err.code}: ${err.message}`) : 'TokenTray could not answer this request.';
      const status =
        isTokenTrayError(err, 'ACCOUNT_NOT_FOUND') || isTokenTrayError(err, 'NO_ACCOUNTS') ? 404 : isTokenTrayError(err, 'SCOPE_NOT_GRANTED') ? 400 : 503;
      if (!res.headersSent) send(res, text(`${message}\n`, status));
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  if (ownUserOnly) refuseOtherUsers(server, verdicts);
  await listenOnLoopback(server, options.port);
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

/**
 * Looks each connection's peer up when it starts; a request is answered only once its connection
 * has passed. Another local user's connection gets a 403 and is closed.
 */
function refuseOtherUsers(server: Server, verdicts: WeakMap<Socket, Promise<boolean>>): void {
  const lookup = createPeerUidLookup();
  const own = process.getuid?.();
  server.on('connection', (socket: Socket) => {
    const { remoteAddress, remotePort, localAddress, localPort } = socket;
    const check =
      remoteAddress && remotePort && localAddress && localPort
        ? lookup({ address: remoteAddress, port: remotePort }, { address: localAddress, port: localPort })
        : Promise.resolve(undefined);
    verdicts.set(
      socket,
      check.then((uid) => {
        if (uid !== undefined && uid === own) return true;
        log(`metadata refused a connection from uid ${uid ?? 'unknown'}`);
        socket.end(peerRefusal(uid));
        setTimeout(() => socket.destroy(), 1000).unref();
        return false;
      }),
    );
  });
}

function listenOnLoopback(server: Server, port: number | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new TokenTrayError('PORT_UNAVAILABLE', `Port ${port} on 127.0.0.1 is in use.`, { facts: { remedy: 'choose-another-port' } })
          : err,
      );
    server.once('error', failed);
    server.listen({ host: '127.0.0.1', port: port ?? 0 }, () => {
      server.off('error', failed);
      resolve();
    });
  });
}
