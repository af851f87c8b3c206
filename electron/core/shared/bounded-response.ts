import { TokenTrayError } from './errors.js';

/** Token, introspection and Google's responses are a few KB; 1 MB is far more than any real one. */
export const RESPONSE_LIMIT_BYTES = 1024 * 1024;
/** Discovery documents are a few KB too (Google's is under 2 KB). */
export const DISCOVERY_LIMIT_BYTES = 256 * 1024;

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/**
 * Reads a response's body, at most `limit` bytes, and returns an equivalent response that holds it
 * in memory. A body past the limit (announced or streamed) is cancelled, which closes the
 * connection, and becomes PROVIDER_BAD_RESPONSE: a hostile server cannot grow our memory.
 */
export async function boundResponse(res: Response, url: string | URL, limit = RESPONSE_LIMIT_BYTES): Promise<Response> {
  const origin = originOf(url);
  const tooLarge = () =>
    new TokenTrayError(
      'PROVIDER_BAD_RESPONSE',
      `${origin} sent a response larger than ${Math.round(limit / 1024)} KB, far more than any real answer; TokenTray stopped reading it. The server may be misconfigured or hostile.`,
    );
  if (res.status < 200 || res.status > 599) {
    await res.body?.cancel().catch(() => undefined);
    throw new TokenTrayError('PROVIDER_BAD_RESPONSE', `${origin} answered with HTTP status ${res.status}, which is not a status HTTP defines.`);
  }
  const announced = Number(res.headers.get('content-length'));
  if (Number.isFinite(announced) && announced > limit) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let length = 0;
  if (res.body) {
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      length += value.byteLength;
      if (length > limit) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
  }
  const headers = new Headers(res.headers);
  // The body is already decoded; these described the bytes on the wire.
  headers.delete('content-encoding');
  headers.delete('content-length');
  const body = NULL_BODY_STATUS.has(res.status) ? null : Buffer.concat(chunks, length);
  return new Response(body, { status: res.status, statusText: res.statusText, headers });
}

function originOf(url: string | URL): string {
  try {
    return new URL(String(url)).origin;
  } catch {
    return 'The server';
  }
}
