/**
 * The docker credential helper proper, once the agent's fast path did not answer (see
 * docker-credential-tokentray.ts): the `docker-credential` command on the CLI's I/O, its failures
 * in the CLI's words and exit codes, and on stdout too (docker shows what a helper prints there).
 */
import { Readable } from 'node:stream';
import { cliIo, runCommand } from './command-runner.js';
import { dockerCredential } from './commands/docker-credential.js';
import { writeStdout } from './stdout.js';

/** What the fast path read of stdin (bytes; `complete` when it reached the end), then the rest. */
export interface ReadAhead {
  bytes: Buffer;
  complete: boolean;
}

async function* readAheadThenRest(ahead: ReadAhead): AsyncGenerator<Buffer> {
  yield ahead.bytes;
  if (!ahead.complete) for await (const chunk of process.stdin) yield chunk as Buffer;
}

export function runHelper(args: string[], ahead?: ReadAhead, askAgain = false): void {
  const env = process.env;
  // A helper the fast path already put to the agent asks it again only to show the agent's own failure.
  const io = cliIo({
    env,
    stdout: writeStdout,
    askAgentFirst: ahead === undefined || askAgain,
    ...(ahead ? { stdin: Readable.from(readAheadThenRest(ahead)) } : {}),
  });
  void runCommand(dockerCredential, args, io, { alsoOnStdout: true }).then((code) => (process.exitCode = code));
}
