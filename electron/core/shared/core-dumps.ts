import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Keeps tokens out of core dumps of long-running processes (metadata-server, exec's parent, the
 * app). Node has no setrlimit or prctl, so RLIMIT_CORE and PR_SET_DUMPABLE are out of reach
 * without a native module. On Linux, /proc/self/coredump_filter is: with every bit cleared the
 * kernel dumps no memory mapping at all (no heap, no stack), only registers and notes, so a
 * crash under `ulimit -c unlimited` writes a few KB that hold no token. Elsewhere this does nothing
 * (see docs/security.md). Returns whether memory is now kept out of core dumps.
 */
const FILTER = '/proc/self/coredump_filter';
let original: string | undefined;

export function disableCoreDumps(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    original ??= readFileSync(FILTER, 'utf8').trim();
    writeFileSync(FILTER, '0');
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `start` (which forks a child, e.g. spawn) with the filter the process started with: the
 * filter is inherited, and the user's command should dump as it always did. Forking is synchronous,
 * so the window is one call long.
 */
export function withChildCoreDumps<T>(start: () => T): T {
  if (original === undefined) return start();
  try {
    writeFileSync(FILTER, `0x${original}`); // read as hex; written bare, a leading 0 means octal
  } catch {
    return start();
  }
  try {
    return start();
  } finally {
    disableCoreDumps();
  }
}
