import { createCore, type Core } from '../core/core.js';
import type { SecretStore } from '../core/storage/secret-store.js';
import { describeFailure, reportFailure } from './failure.js';
import { terminalWriter, type CliIo, type Command } from './io.js';

export interface RunOptions {
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  env?: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal;
  core?: () => Core;
  /** Tokens from a running agent first (the shipped command; not when its fast path already asked). */
  askAgentFirst?: boolean;
  /** What the command reads as stdin; process.stdin unless given. */
  stdin?: NodeJS.ReadableStream;
  /** The secret store of the core built here (default: the keychain or vault env chooses; tests run the CLI in process). */
  store?: SecretStore;
}

/** The I/O every command runs on: the terminal's streams, escaped, and a core built on first use. */
export function cliIo(options: RunOptions = {}): CliIo {
  const env = options.env ?? process.env;
  let core: Core | undefined;
  return {
    stdout: terminalWriter(options.stdout ?? ((t) => process.stdout.write(t))),
    stderr: terminalWriter(options.stderr ?? ((t) => process.stderr.write(t))),
    env,
    core:
      options.core ??
      (() =>
        (core ??= createCore({
          env,
          ...(options.store ? { store: options.store } : {}),
          ...(env.TOKENTRAY_ACCOUNT ? { fallbackAccount: env.TOKENTRAY_ACCOUNT } : {}),
          ...(options.askAgentFirst ? { askAgentFirst: true } : {}),
        }))),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.stdin ? { stdin: options.stdin } : {}),
  };
}

/**
 * Runs a command and turns what it throws into the error line and exit code every TokenTray
 * program uses. `alsoOnStdout`: the line on stdout as well, in one line (docker shows stdout).
 */
export async function runCommand(command: Command, args: string[], io: CliIo, options: { verbose?: boolean; alsoOnStdout?: boolean } = {}): Promise<number> {
  try {
    return await command(args, io);
  } catch (err) {
    if (options.alsoOnStdout) io.stdout(describeFailure(err, { oneLine: true }));
    return reportFailure(err, io.stderr, { verbose: options.verbose === true });
  }
}
