import { randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { TokenTrayError } from '../shared/errors.js';

export interface AuthorizationCallback {
  /** The callback URL as the browser sent it (or as the user pasted it), for the code exchange. */
  readonly url: URL;
  /** Answers the waiting browser tab (if any) and closes the listener. */
  finish(outcome: { ok: true } | { ok: false; message: string }): void;
}

export interface LoopbackListener {
  /** `http://127.0.0.1:PORT/`, to send as redirect_uri. */
  readonly redirectUri: string;
  /**
   * `http://127.0.0.1:PORT/start/RANDOM`: a one-time address that redirects to the authorization
   * URL set with `setAuthorizationUrl`. It is what an opener (xdg-open, shell.openExternal) gets,
   * because another process's arguments are public (`ps`) while the authorization URL carries
   * `state` and the PKCE challenge. A second request to it aborts the attempt.
   */
  readonly startUrl: string;
  /** Settles once: the callback carrying the expected state, or a time-out / cancellation / abort. */
  readonly callback: Promise<AuthorizationCallback>;
  setAuthorizationUrl(url: string): void;
  /**
   * The start address will not be used by us any more (the authorization URL is shown to the user
   * instead). If it was already requested, someone else has the authorization URL: the attempt
   * is aborted and this throws LOGIN_START_REUSED. Any later request to it aborts too.
   */
  retireStartUrl(): void;
  /**
   * A callback URL the user pasted (paste-back), checked exactly like one the browser delivers.
   * Throws LOGIN_PASTE_INVALID when it is not the answer to this attempt; the attempt goes on.
   */
  submitPasted(text: string): void;
  /** Where the attempt is; it leaves `listening` once, and never comes back. */
  readonly state: ListenerState;
  close(): void;
}

/** `listening` until the one transition to an end state (answered, or one of the ways it failed). */
export type ListenerState = 'listening' | 'answered' | 'timedOut' | 'cancelled' | 'aborted';
type EndState = Exclude<ListenerState, 'listening'>;

export interface LoopbackListenerOptions {
  expectedState: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  Connection: 'close',
} as const;

function page(res: ServerResponse, status: number, title: string, body: string): void {
  const html =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>TokenTray: ${escapeHtml(title)}</title>` +
    `<style>body{font:16px system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}</style></head>` +
    `<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(body)}</p></body></html>`;
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
    ...SECURITY_HEADERS,
  });
  res.end(html);
}

/** Only `GET /` with exactly one `state`, equal to ours, is the answer to our request. */
function isOurCallback(method: string | undefined, url: URL, expectedState: string): boolean {
  if (method !== 'GET' || url.pathname !== '/') return false;
  const states = url.searchParams.getAll('state');
  return states.length === 1 && states[0] === expectedState;
}

/** Appended, not resolved: a request target like `//host/` must stay a path, not become a host. */
function requestUrl(target: string | undefined): URL | undefined {
  try {
    return new URL(`http://127.0.0.1${target?.startsWith('/') ? target : `/${target ?? ''}`}`);
  } catch {
    return undefined;
  }
}

const pasteError = (message: string) => new TokenTrayError('LOGIN_PASTE_INVALID', message);

/**
 * What the user pasted, as a callback URL on our redirect URI: a full `http://127.0.0.1:PORT/?…`
 * address, or just its query (`?state=…&code=…` or `state=…&code=…`).
 */
function pastedCallbackUrl(text: string, redirectUri: string): URL {
  const line = text.trim();
  const hint = 'Paste the whole address the browser ended on (it starts with http://127.0.0.1: and holds state= and code=).';
  if (!/(^|[?&])state=/.test(line) || !/(^|[?&])(code|error)=/.test(line)) throw pasteError(`That is not a sign-in answer. ${hint}`);
  if (/^[a-z][a-z0-9+.-]*:/i.test(line)) {
    let url: URL;
    try {
      url = new URL(line);
    } catch {
      throw pasteError(`That address cannot be read. ${hint}`);
    }
    if (url.origin !== new URL(redirectUri).origin) {
      throw pasteError(
        `That answer was meant for ${url.origin}, not for this sign-in (${new URL(redirectUri).origin}). Paste the address from the browser tab this sign-in opened.`,
      );
    }
    return url;
  }
  return new URL(`/?${line.replace(/^\?/, '')}`, redirectUri);
}

const startReused = () =>
  new TokenTrayError(
    'LOGIN_START_REUSED',
    'The one-time sign-in address was requested more than once: another program on this computer may be racing this sign-in. Nothing was saved. Run the sign-in again.',
  );

const cancelled = () => new TokenTrayError('LOGIN_CANCELLED', 'Sign-in was cancelled.');

/**
 * A one-shot HTTP listener on 127.0.0.1 for the authorization redirect (RFC 8252 §7.3). Stray
 * requests (favicon, a forged or stale callback) get a 400 page and leave the attempt open. When the
 * attempt ends, every connection is destroyed (idle, half-sent or not), so a process waits for none.
 */
export async function startLoopbackListener(options: LoopbackListenerOptions): Promise<LoopbackListener> {
  const attempt = new LoopbackAttempt(options);
  await attempt.listen();
  return attempt;
}

class LoopbackAttempt implements LoopbackListener {
  private current: ListenerState = 'listening';
  /** Server, timer and sockets are let go (once; independent of the state, which may end first). */
  private released = false;
  private settle!: { resolve: (cb: AuthorizationCallback) => void; reject: (err: Error) => void };
  readonly callback = new Promise<AuthorizationCallback>((resolve, reject) => (this.settle = { resolve, reject }));
  /** The browser tab waiting for the outcome of an accepted callback. */
  private pending: ServerResponse | undefined;
  /** Final pages being written when the attempt ends: their sockets get a moment to flush. */
  private readonly finalPages = new Set<ServerResponse>();
  private readonly sockets = new Set<Socket>();
  private readonly startPath = `/start/${randomBytes(32).toString('base64url')}`;
  private authorizationUrl: string | undefined;
  private startRequests = 0;
  private startRetired = false;
  private port = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly server = createServer((req, res) => this.handle(req.method, req.url, res));
  private readonly onAbort = () => this.fail('cancelled', cancelled());

  constructor(private readonly options: LoopbackListenerOptions) {
    this.callback.catch(() => undefined); // the caller may close before awaiting
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 10_000;
    this.server.maxHeadersCount = 100;
    this.server.on('connection', (socket: Socket) => {
      if (this.released) return void socket.destroy();
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  get state(): ListenerState {
    return this.current;
  }

  get redirectUri(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  get startUrl(): string {
    return `http://127.0.0.1:${this.port}${this.startPath}`;
  }

  async listen(): Promise<void> {
    const { server } = this;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    const { timeoutMs, signal } = this.options;
    this.timer = setTimeout(() => {
      this.fail(
        'timedOut',
        new TokenTrayError(
          'LOGIN_TIMEOUT',
          `Sign-in was not completed within ${Math.round(timeoutMs / 1000)} seconds. Run the sign-in again and finish it in the browser.`,
        ),
      );
    }, timeoutMs);
    this.timer.unref();
    if (signal?.aborted) queueMicrotask(this.onAbort);
    else signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** The one place the state changes: only out of `listening`; false when the attempt already ended. */
  private transition(to: EndState): boolean {
    if (this.current !== 'listening') return false;
    this.current = to;
    return true;
  }

  private handle(method: string | undefined, target: string | undefined, res: ServerResponse): void {
    const url = requestUrl(target);
    if (!url) return page(res, 400, 'Bad request', 'This address is not a sign-in answer TokenTray expects.');
    if (url.pathname === this.startPath) return this.handleStart(res);
    if (this.current !== 'listening' || !isOurCallback(method, url, this.options.expectedState)) {
      return page(res, 400, 'Not a TokenTray sign-in', 'This request does not answer the sign-in TokenTray is waiting for. Nothing was changed.');
    }
    this.accept(new URL(url.pathname + url.search, this.redirectUri), res);
  }

  private handleStart(res: ServerResponse): void {
    this.startRequests += 1;
    if (this.current !== 'listening' || this.startRetired || this.startRequests > 1 || !this.authorizationUrl) {
      page(res, 400, 'Sign-in stopped', 'This one-time sign-in address was already used. TokenTray stopped this sign-in; start it again.');
      if (this.current === 'listening') this.fail('aborted', startReused());
      return;
    }
    res.writeHead(302, { Location: this.authorizationUrl, ...SECURITY_HEADERS });
    res.end();
  }

  /** Resolves the attempt with a callback URL already checked against our state. */
  private accept(callbackUrl: URL, res: ServerResponse | undefined): void {
    if (!this.transition('answered')) return;
    this.pending = res;
    let finished = false;
    this.settle.resolve({
      url: callbackUrl,
      finish: (outcome) => {
        if (finished) return;
        finished = true;
        if (res && this.pending === res) {
          if (outcome.ok) page(res, 200, 'Signed in', 'TokenTray has your account. You can close this tab.');
          else page(res, 400, 'Sign-in failed', outcome.message);
          this.finalPages.add(res);
          this.pending = undefined;
        }
        this.release();
      },
    });
  }

  /** Ends the attempt with an error (if it is still listening) and lets everything go. */
  private fail(to: Exclude<EndState, 'answered'>, err: TokenTrayError): void {
    if (this.transition(to)) this.settle.reject(err);
    this.release();
  }

  setAuthorizationUrl(url: string): void {
    this.authorizationUrl = url;
  }

  retireStartUrl(): void {
    this.startRetired = true;
    if (this.startRequests > 0) {
      const err = startReused();
      this.fail('aborted', err);
      throw err;
    }
  }

  submitPasted(text: string): void {
    if (this.current !== 'listening') throw pasteError('This sign-in is already answered.');
    const url = pastedCallbackUrl(text, this.redirectUri);
    if (!isOurCallback('GET', url, this.options.expectedState)) {
      throw pasteError(
        url.pathname !== '/'
          ? 'That address is not the sign-in answer (it should end in /?state=…&code=…). Paste the address the browser ended on.'
          : 'That answer belongs to another sign-in attempt (its state does not match). Paste the address from the browser tab of this sign-in.',
      );
    }
    this.accept(new URL(url.pathname + url.search, this.redirectUri), undefined);
  }

  close(): void {
    this.fail('cancelled', cancelled());
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    clearTimeout(this.timer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.server.close();
    if (this.pending) {
      page(this.pending, 400, 'Sign-in stopped', 'TokenTray stopped waiting for this sign-in.');
      this.finalPages.add(this.pending);
    }
    this.pending = undefined;
    this.destroySockets();
  }

  /**
   * server.close() only stops accepting: open sockets (idle keep-alive, a half-sent request) would
   * keep the process alive for minutes. A socket carrying the final page is destroyed once the page
   * is handed to the OS (at most 200 ms later); all others go now.
   */
  private destroySockets(): void {
    const flushing = new Set<Socket>();
    for (const res of this.finalPages) {
      const socket = res.socket;
      if (!socket) continue;
      flushing.add(socket);
      if (res.writableFinished) socket.destroySoon();
      else res.once('finish', () => socket.destroySoon());
      setTimeout(() => socket.destroy(), 200).unref();
    }
    for (const socket of this.sockets) if (!flushing.has(socket)) socket.destroy();
  }
}
