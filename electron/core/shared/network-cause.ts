/**
 * What fetch's "fetch failed" hides: the system or TLS error under it (ENOTFOUND, ECONNREFUSED,
 * CERT_HAS_EXPIRED, …), for --verbose. Only its code and message: never the objects around it.
 */
export function networkCause(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 8 && typeof e === 'object' && e !== null; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && /^(E[A-Z]+|ERR_(TLS|SSL)_\w+|UND_ERR_\w+|[A-Z_]*(CERT|SELF_SIGNED|UNABLE_TO)[A-Z_]*)$/.test(code)) {
      const text = typeof message === 'string' ? message.trim() : '';
      // "connect ECONNREFUSED 127.0.0.1:443" says it all; OpenSSL's multi-line dumps do not.
      if (text.includes(code)) return text.split('\n')[0];
      return text && !text.includes('\n') && !text.includes(':error:') ? `${code} (${text})` : code;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
