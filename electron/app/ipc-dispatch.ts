import { isTokenTrayError, TokenTrayError } from '../core/shared/errors.js';
import { ArgumentError } from './ipc-arguments.js';
import { entryFor, type Result } from './ipc-contract.js';
import { describeForWindow } from './remedies.js';
import type { Handlers } from './handlers/index.js';

/** Checks the arguments against the channel's contract entry; unknown channels are refused. */
export function validateArgs(channel: string, args: unknown): unknown[] {
  const name = String(channel).slice(0, 40);
  const entry = entryFor(channel);
  if (!entry) throw new TokenTrayError('INVALID_ARGUMENT', `${name}: unknown channel`);
  if (!Array.isArray(args)) throw new TokenTrayError('INVALID_ARGUMENT', `${name}: arguments must be an array`);
  try {
    return entry.validate(args);
  } catch (err) {
    if (err instanceof ArgumentError) throw new TokenTrayError('INVALID_ARGUMENT', `${name}: ${err.message}`);
    throw err;
  }
}

/** Validates, calls, and turns every outcome into a Result: nothing throws across IPC. */
export async function dispatch(handlers: Handlers, channel: string, args: unknown): Promise<Result<unknown>> {
  try {
    const valid = validateArgs(channel, args);
    const handler = handlers[channel as keyof Handlers] as (...a: unknown[]) => Promise<unknown>;
    return { ok: true, value: await handler(...valid) };
  } catch (err) {
    // Not ours: reported by its message only, never the object (it may hold an HTTP response).
    return { ok: false, code: isTokenTrayError(err) ? err.code : 'INTERNAL', message: describeForWindow(err) };
  }
}
