import type { IncomingMessage } from 'node:http';
import { text, type Answer } from './answer.js';

/** Headers a proxy adds: a request that went through one may come from anywhere. */
const PROXY_HEADERS: Record<string, string> = { 'x-forwarded-for': 'X-Forwarded-For', forwarded: 'Forwarded', via: 'Via' };

/**
 * Every request passes here before any route: the Host it must name (against DNS rebinding), no
 * proxy headers (SSRF through a proxy), Metadata-Flavor, GET only, and a URL that parses and
 * decodes. Returns the request's URL, or the refusal to send.
 */
export function guard(req: IncomingMessage, expectedHost: string): URL | Answer {
  if (req.headers.host !== expectedHost) return text('Forbidden: wrong Host header.\n', 403);
  for (const [header, name] of Object.entries(PROXY_HEADERS)) {
    if (req.headers[header] !== undefined) return text(`Forbidden: ${name} is not allowed.\n`, 403);
  }
  if (req.headers['metadata-flavor'] !== 'Google') return text('Missing Metadata-Flavor:Google header.\n', 403);
  if (req.method !== 'GET') return text('Method not allowed.\n', 405);
  try {
    // Appended, not resolved: a request target like `//host/` must stay a path, not become a host.
    const url = new URL(`http://${expectedHost}${req.url?.startsWith('/') ? req.url : `/${req.url ?? ''}`}`);
    decodeURIComponent(url.pathname);
    return url;
  } catch {
    return text('Bad request: malformed URL or %-encoding.\n', 400);
  }
}

/** The refusal of another user's connection; written on the raw socket, before any request is parsed. */
export function peerRefusal(uid: number | undefined): string {
  const body = `Forbidden: this metadata server serves only the user who started it (uid ${process.getuid?.()})${uid === undefined ? "; the connection's owner could not be determined" : `, not uid ${uid}`}.\n`;
  return `HTTP/1.1 403 Forbidden\r\nMetadata-Flavor: Google\r\nContent-Type: application/text\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}
