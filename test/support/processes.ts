/** Whole-process tests: whether a process still runs, and waiting for a condition. */
import { existsSync, readFileSync } from 'node:fs';

const PROC = existsSync('/proc/self/stat');

/**
 * Whether process `pid` still runs. An ended process not yet reaped (a zombie) does not: an
 * orphaned agent is reaped by init, which on some machines (containers) takes a second or more.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (!PROC) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // "pid (comm) STATE ...": comm may hold spaces and parentheses, the state follows the last ')'.
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false; // reaped in between
  }
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
