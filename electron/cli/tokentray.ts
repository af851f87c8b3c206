#!/usr/bin/env node
import { writeSync } from 'node:fs';
import { run } from './run.js';

const controller = new AbortController();
// The first Ctrl-C cancels a waiting sign-in cleanly; a second one ends the process.
process.once('SIGINT', () => {
  controller.abort();
  process.once('SIGINT', () => process.exit(130));
});

/**
 * stdout written directly to fd 1: `process.stdout` on a pipe (kubectl, `$(…)`) loads Node's net
 * and stream machinery, a few milliseconds of a warm `kube-credential`. A pipe that would block
 * (EAGAIN) hands over to process.stdout for the rest, so the order of the output is kept.
 */
let direct = true;
function writeStdout(text: string): void {
  if (direct) {
    const bytes = Buffer.from(text);
    let offset = 0;
    try {
      while (offset < bytes.length) offset += writeSync(1, bytes, offset);
      return;
    } catch {
      // The rest as bytes: a character cut at `offset` must not be decoded in halves.
      direct = false;
      process.stdout.write(bytes.subarray(offset));
      return;
    }
  }
  process.stdout.write(text);
}

// No top-level await: the shipped entry is bundled as CommonJS (see build/bundle-cli.mjs).
void run(process.argv.slice(2), { signal: controller.signal, stdout: writeStdout }).then((code) => {
  // A command that failed because of Ctrl-C ends as a shell expects after one: 128 + SIGINT.
  process.exitCode = controller.signal.aborted && code !== 0 ? 130 : code;
});
