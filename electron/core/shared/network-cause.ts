/**
 * What fetch's "fetch failed" hides: the system or TLS error under it (ENOTFOUND, ECONNREFUSED,
 * CERT_HAS_EXPIRED, …), for --verbose. Only its code and message: never the objects around it.
 */
export function networkCause(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 8 && typeof e === 'object' && e !== null; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && /^(E[A-Z]+|ERR_TLS_\w+|UND_ERR_\w+|[A-Z_]*(CERT|SELF_SIGNED|UNABLE_TO)[A-Z_]*)$/.test(code)) {
      return typeof message === 'string' && message.includes(code) ? message : `${code}${typeof message === 'string' && message ? ` (${message})` : ''}`;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
