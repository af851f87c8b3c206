import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TokenTrayError } from '../shared/errors.js';

export interface AuthorizationCallback {
  /** The callback URL as the browser sent it, for the code exchange. */
  readonly url: URL;
  /** Answers the waiting browser tab and closes the listener. */
  finish(outcome: { ok: true } | { ok: false; message: string }): void;
}

export interface LoopbackListener {
  /** `http://127.0.0.1:PORT/`, to send as redirect_uri. */
  readonly redirectUri: string;
  /** Settles once: the callback carrying the expected state, or a time-out / cancellation. */
  readonly callback: Promise<AuthorizationCallback>;
  close(): void;
}

export interface LoopbackListenerOptions {
  expectedState: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res: ServerResponse, status: number, title: string, body: string): void {
  const html =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>TokenTray: ${escapeHtml(title)}</title>` +
    `<style>body{font:16px system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}</style></head>` +
    `<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(body)}</p></body></html>`;
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    Connection: 'close',
  });
  res.end(html);
}

/** Only `GET /` with exactly one `state`, equal to ours, is the answer to our request. */
function isOurCallback(req: IncomingMessage, url: URL, expectedState: string): boolean {
  if (req.method !== 'GET' || url.pathname !== '/') return false;
  const states = url.searchParams.getAll('state');
  return states.length === 1 && states[0] === expectedState;
}

/**
 * A one-shot HTTP listener on 127.0.0.1 for the authorization redirect (RFC 8252 §7.3). Stray
 * requests (favicon, a forged or stale callback) get a 400 page and leave the attempt open.
 */
export async function startLoopbackListener(options: LoopbackListenerOptions): Promise<LoopbackListener> {
  const { expectedState, timeoutMs, signal } = options;
  let settle!: { resolve: (cb: AuthorizationCallback) => void; reject: (err: Error) => void };
  const callback = new Promise<AuthorizationCallback>((resolve, reject) => (settle = { resolve, reject }));
  callback.catch(() => undefined); // the caller may close before awaiting
  let done = false;
  let pending: ServerResponse | undefined;

  const server = createServer((req, res) => {
    let url: URL;
    try {
      // Appended, not resolved: a request target like `//host/` must stay a path, not become a host.
      url = new URL(`http://127.0.0.1${req.url?.startsWith('/') ? req.url : `/${req.url ?? ''}`}`);
    } catch {
      return page(res, 400, 'Bad request', 'This address is not a sign-in answer TokenTray expects.');
    }
    if (done || !isOurCallback(req, url, expectedState)) {
      return page(res, 400, 'Not a TokenTray sign-in', 'This request does not answer the sign-in TokenTray is waiting for. Nothing was changed.');
    }
    done = true;
    pending = res;
    const callbackUrl = new URL(url.pathname + url.search, redirectUri);
    settle.resolve({
      url: callbackUrl,
      finish(outcome) {
        if (pending !== res) return; // already answered by close()
        if (outcome.ok) page(res, 200, 'Signed in', 'TokenTray has your account. You can close this tab.');
        else page(res, 400, 'Sign-in failed', outcome.message);
        pending = undefined;
        close();
      },
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.maxHeadersCount = 100;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const redirectUri = `http://127.0.0.1:${port}/`;

  const timer = setTimeout(() => {
    fail(new TokenTrayError('LOGIN_TIMEOUT', `Sign-in was not completed within ${Math.round(timeoutMs / 1000)} seconds. Run the sign-in again and finish it in the browser.`));
  }, timeoutMs);
  timer.unref();
  const onAbort = () => fail(new TokenTrayError('LOGIN_CANCELLED', 'Sign-in was cancelled.'));
  if (signal?.aborted) queueMicrotask(onAbort);
  else signal?.addEventListener('abort', onAbort, { once: true });

  function fail(err: TokenTrayError): void {
    if (!done) {
      done = true;
      settle.reject(err);
    }
    close();
  }

  function close(): void {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    if (pending) page(pending, 400, 'Sign-in stopped', 'TokenTray stopped waiting for this sign-in.');
    pending = undefined;
    if (!done) {
      done = true;
      settle.reject(new TokenTrayError('LOGIN_CANCELLED', 'Sign-in was cancelled.'));
    }
    server.close();
    server.closeIdleConnections();
  }

  return { redirectUri, callback, close };
}
