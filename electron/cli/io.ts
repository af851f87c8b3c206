import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Core } from '../core/core.js';
import { TokenTrayError } from '../core/shared/errors.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  /** Lazily built, so `--help` and usage errors never touch the keychain. */
  core: () => Core;
  signal?: AbortSignal;
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
