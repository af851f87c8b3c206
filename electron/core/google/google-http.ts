import { TokenTrayError } from '../shared/errors.js';
import { loggingFetch, requestTimeoutSeconds } from '../shared/logger.js';
import { endpointProblem, parseUrl } from '../shared/url-policy.js';
import { displaySafe, issuerText } from '../shared/sanitize.js';
import { parseJsonObject } from '../shared/json-object.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * A Google endpoint, overridable by environment (tests point these at local servers). Like issuers,
 * only https, or http on loopback: tokens are sent to these.
 */
export function googleEndpoint(env: Env, variable: 'TOKENTRAY_GOOGLE_IAMCREDENTIALS_URL' | 'TOKENTRAY_GOOGLE_TOKENINFO_URL', fallback: string): string {
  return checkedEndpoint(env[variable] || fallback, variable);
}

export function checkedEndpoint(value: string, what: string): string {
  const url = parseUrl(value);
  if (!url) throw new TokenTrayError('INVALID_ENDPOINT', `${what} is not a URL: "${displaySafe(value.slice(0, 100))}".`);
  const problem = endpointProblem(url);
  if (problem === 'credentials') throw new TokenTrayError('INVALID_ENDPOINT', `${what} must not carry a user name or password.`);
  if (problem === undefined) return url.href.replace(/\/$/, '');
  throw new TokenTrayError(
    'INVALID_ENDPOINT',
    `${what} must be an https URL (or http on a loopback address), not ${displaySafe(`${url.protocol}//${url.host}`)}.`,
  );
}

export interface GoogleResponse {
  status: number;
  body: Record<string, unknown>;
}

/** Google's error sentence from either of its error shapes, without secrets, as one visible line. */
export function googleErrorText(body: Record<string, unknown>): string {
  const err = body.error;
  if (typeof err === 'object' && err !== null) {
    const e = err as { message?: unknown; status?: unknown };
    return issuerText([e.status, e.message].filter((x) => typeof x === 'string').join(': ')) || 'unknown error';
  }
  if (typeof err === 'string') return issuerText(typeof body.error_description === 'string' ? `${err}: ${body.error_description}` : err);
  return 'unknown error';
}

/** One request to a Google endpoint; network failures and non-JSON answers become coded errors. */
export async function googleRequest(
  url: string,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
  what: string,
): Promise<GoogleResponse> {
  let res: Response;
  try {
    res = await loggingFetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(requestTimeoutSeconds() * 1000) });
  } catch (err) {
    if (err instanceof TokenTrayError) throw err; // an oversized answer, already explained
    const timedOut = (err as Error).name === 'TimeoutError';
    throw new TokenTrayError(
      'PROVIDER_UNREACHABLE',
      timedOut
        ? `${new URL(url).origin} did not answer in time while ${what}. Check your network connection, or raise TOKENTRAY_HTTP_TIMEOUT (seconds).`
        : `Could not reach ${new URL(url).origin} while ${what}. Check your network connection (and proxy), then try again.`,
      { cause: err },
    );
  }
  const body = parseJsonObject(
    await res.text(),
    () => new TokenTrayError('PROVIDER_ERROR', `${new URL(url).origin} answered ${what} with something that is not JSON (HTTP ${res.status}).`),
  );
  return { status: res.status, body };
}
