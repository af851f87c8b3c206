import { isTokenTrayError, type ErrorCode } from '../core/shared/errors.js';
import { redact } from '../core/shared/logger.js';
import { networkCause } from '../core/shared/network-cause.js';
import { describeForCli } from './remedies.js';

/**
 * How every TokenTray program (`tokentray`, docker-credential-tokentray) ends: 0 success, 1 a
 * failure, 2 a usage error, 130 after Ctrl-C. exec and curl end with their child's code instead.
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/**
 * Codes that mean "what was typed is malformed": exit 2 like any usage error. INVALID_ISSUER is
 * core's (the window shows it too), so it keeps its code; a refused but well-formed value
 * (INSECURE_ISSUER, INSECURE_URL) is a failure, exit 1.
 */
const USAGE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['USAGE', 'INVALID_ISSUER', 'INVALID_PROJECT', 'INVALID_PROJECT_NUMBER']);

/** The exit code a failure ends a program with. */
export function exitCodeFor(err: unknown): number {
  return isTokenTrayError(err) && USAGE_CODES.has(err.code) ? EXIT.usage : EXIT.failure;
}

export interface ErrorLineOptions {
  /** One line, for a reader that takes only the first (kubectl, docker): line breaks become spaces. */
  oneLine?: boolean;
}

/**
 * The one shape of an error on a terminal: `tokentray: CODE: sentence`, redacted (a sentence may
 * quote what a server sent). Every coded line the CLI prints is made here.
 */
export function errorLine(code: ErrorCode | 'INTERNAL', sentence: string, options: ErrorLineOptions = {}): string {
  const text = redact(sentence.trim());
  return `tokentray: ${code}: ${options.oneLine ? text.replace(/\s*\n\s*/g, ' ') : text}\n`;
}

/** A failure in words: ours with its code and remedy; anything else (a bug) by its message only, never the object (it may hold a response). */
export function describeFailure(err: unknown, options: ErrorLineOptions = {}): string {
  if (isTokenTrayError(err)) return errorLine(err.code, describeForCli(err), options);
  return errorLine('INTERNAL', err instanceof Error ? err.message : String(err), options);
}

/** Writes a failure (with its network cause under --verbose) and returns the exit code it ends with. */
export function reportFailure(err: unknown, write: (text: string) => void, options: ErrorLineOptions & { verbose?: boolean } = {}): number {
  write(describeFailure(err, options));
  const cause = options.verbose ? networkCause(err) : undefined;
  if (cause) write(`tokentray: cause: ${redact(cause)}\n`);
  return exitCodeFor(err);
}
