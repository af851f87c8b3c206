import { writeSync } from 'node:fs';

/**
 * stdout written directly to fd 1: `process.stdout` on a pipe (kubectl, `$(…)`) loads Node's net
 * and stream machinery, a few milliseconds of a warm `kube-credential`. A pipe that would block
 * (EAGAIN) hands over to process.stdout for the rest, so the order of the output is kept.
 */
let direct = true;
/** Returns whether all of `text` is written already (else process.stdout still holds some). */
export function writeStdout(text: string): boolean {
  if (direct) {
    const bytes = Buffer.from(text);
    let offset = 0;
    try {
      while (offset < bytes.length) offset += writeSync(1, bytes, offset);
      return true;
    } catch {
      // The rest as bytes: a character cut at `offset` must not be decoded in halves.
      direct = false;
      process.stdout.write(bytes.subarray(offset));
      return false;
    }
  }
  process.stdout.write(text);
  return false;
}
