/**
 * The product's one logger. Off unless asked (`--verbose`, TOKENTRAY_VERBOSE=1); everything it
 * writes goes through `redact` first, so bearer tokens, refresh tokens, JWTs, client secrets,
 * authorization codes and private keys never reach a terminal or a file.
 */
import { boundResponse, DISCOVERY_LIMIT_BYTES, RESPONSE_LIMIT_BYTES } from './bounded-response.js';
import { issuerText } from './sanitize.js';
import { outboundFetch, proxyLogLine } from './outbound-fetch.js';
import { networkCause } from './network-cause.js';

type Sink = (line: string) => void;

let sink: Sink | undefined;
const known = new Set<string>();
/** The proxy line last logged: said once per process, not before every request. */
let proxyLogged: string | undefined;

export function setLogSink(next: Sink | undefined): void {
  sink = next;
}

/** Each message is one visible line: a server's answer in it cannot forge lines of ours. */
export function log(message: string): void {
  sink?.(issuerText(redact(message), 4000));
}

/** A secret this process holds (e.g. a client secret given on the command line) is redacted wherever it appears. */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 8) known.add(secret);
}

const SECRET_FIELDS =
  'access_token|refresh_token|id_token|client_secret|assertion|private_key|code|code_verifier|token|accessToken|password|subject_token|actor_token';
const RULES: Array<[RegExp, string]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----(\\n)?/g, '[REDACTED PRIVATE KEY]'],
  [new RegExp(`("(?:${SECRET_FIELDS})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'g'), '$1"[REDACTED]"'],
  [new RegExp(`\\b(${SECRET_FIELDS})=[^&\\s"']+`, 'g'), '$1=[REDACTED]'],
  [/\b(Bearer|Basic)\s+[^\s"',]+/gi, '$1 [REDACTED]'],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, '[REDACTED JWT]'],
  [/\bya29\.[A-Za-z0-9_.-]+/g, '[REDACTED]'],
  [/\b1\/\/[A-Za-z0-9_.-]{10,}/g, '[REDACTED]'],
  [/\bGOCSPX-[A-Za-z0-9_-]+/g, '[REDACTED]'],
];

export function redact(text: string): string {
  let out = text;
  for (const secret of known) out = out.split(secret).join('[REDACTED]');
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement);
  return out;
}

/** Seconds any one HTTP request may take: TOKENTRAY_HTTP_TIMEOUT, default 20. */
export function requestTimeoutSeconds(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const value = Number(env.TOKENTRAY_HTTP_TIMEOUT);
  return Number.isFinite(value) && value > 0 ? value : 20;
}

function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  return '[binary body]';
}

/**
 * fetch, logging each exchange (as gcloud's --log-http) when the logger is on. Used for every
 * request TokenTray makes: openid-client's (as its customFetch) and Google's endpoints. The body is
 * read here, at most `limit` bytes (see bounded-response.ts), so no caller can be flooded.
 */
export async function loggingFetch(url: string | URL, init: RequestInit = {}, limit = RESPONSE_LIMIT_BYTES): Promise<Response> {
  const method = init.method ?? 'GET';
  if (sink) {
    const headers = new Headers(init.headers);
    const shown = [...headers.entries()].map(([k, v]) => `${k}: ${v}`).join('; ');
    const proxy = proxyLogLine();
    if (proxy && proxy !== proxyLogged) log((proxyLogged = proxy));
    log(`HTTP ${method} ${String(url)}${shown ? ` [${shown}]` : ''}${init.body ? ` body: ${bodyText(init.body)}` : ''}`);
  }
  const started = Date.now();
  try {
    const res = await boundResponse(await outboundFetch(url, init), url, limit);
    if (sink) {
      const text = await res
        .clone()
        .text()
        .catch(() => '');
      // Redacted whole, then cut: a cut inside a value would hide it from the field rules.
      log(`HTTP ${res.status} ${method} ${String(url)} (${Date.now() - started} ms) ${redact(text).slice(0, 2000)}`);
    }
    return res;
  } catch (err) {
    const cause = networkCause(err);
    log(`HTTP ${method} ${String(url)} failed after ${Date.now() - started} ms: ${(err as Error).message}${cause ? ` (${cause})` : ''}`);
    throw err;
  }
}

/** loggingFetch for discovery documents, which are small. */
export const discoveryFetch = (url: string | URL, init: RequestInit = {}): Promise<Response> => loggingFetch(url, init, DISCOVERY_LIMIT_BYTES);
