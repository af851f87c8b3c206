/**
 * Where JSON.parse gave up, without its message: V8 quotes the text around the error, which in a
 * key or client file can be part of a private key or a secret.
 */
export function jsonErrorPosition(err: unknown): string {
  const position = /position (\d+)/.exec(err instanceof Error ? err.message : '')?.[1];
  return position === undefined ? 'it is not valid JSON' : `it is not valid JSON (the error is at character ${position})`;
}
