import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Core } from '../core/core.js';
import { TokenTrayError } from '../core/shared/errors.js';
import { terminalSafe } from '../core/shared/sanitize.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  /** Lazily built, so `--help` and usage errors never touch the keychain. */
  core: () => Core;
  signal?: AbortSignal;
  /** Where `-` values are read from (`--client-secret -`); process.stdin unless given. */
  stdin?: NodeJS.ReadableStream;
}

/**
 * Every line TokenTray itself prints passes through here: control characters in names that came
 * from an issuer, a key file or a hand-edited accounts.json are shown escaped, never acted on by the
 * terminal. (The output of exec's and curl's children is theirs and is not touched.)
 */
export function terminalWriter(write: (text: string) => void): (text: string) => void {
  return (text) => write(terminalSafe(text));
}

export type Command = (args: string[], io: CliIo) => Promise<number>;

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into our USAGE error (exit 2). */
export function parseFlags<O extends Options>(args: string[], options: O, usage: string, allowPositionals = 0) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: allowPositionals > 0, strict: true });
  } catch (err) {
    throw new TokenTrayError('USAGE', `${(err as Error).message.split('\n')[0]}\nusage: ${usage}`);
  }
  if (parsed.positionals.length > allowPositionals) {
    throw new TokenTrayError('USAGE', `unexpected argument "${parsed.positionals[allowPositionals]}"\nusage: ${usage}`);
  }
  return parsed;
}

export function wantsHelp(values: Record<string, unknown>, usage: string, io: CliIo): boolean {
  if (values.help) io.stdout(`usage: ${usage}\n`);
  return values.help === true;
}

const SECRET_LIMIT = 64 * 1024;

/**
 * Reads a secret given as `-`: the first line of stdin (a pipe or a file; at a terminal, typed and
 * ended with Enter). Keeps the secret out of argv, where every local user can read it with `ps`.
 */
export async function readSecretFromStdin(io: CliIo, what: string): Promise<string> {
  const input = io.stdin ?? process.stdin;
  if ((input as { isTTY?: boolean }).isTTY) io.stderr(`${what}: `);
  let text = '';
  for await (const chunk of input) {
    text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    if (text.includes('\n') || text.length > SECRET_LIMIT) break;
  }
  (input as { pause?: () => void }).pause?.();
  const line = text.split(/\r?\n/)[0]!.trim();
  if (text.length > SECRET_LIMIT) throw new TokenTrayError('USAGE', `${what} read from stdin is longer than 64 KB.`);
  if (!line) throw new TokenTrayError('USAGE', `${what} was to be read from stdin (-), but stdin was empty.`);
  return line;
}
