/** Whole-process tests: whether a process still runs, and waiting for a condition. */
import { existsSync, readFileSync } from 'node:fs';

const PROC = existsSync('/proc/self/stat');

/** What Linux's /proc says of a process: its state letter and flags, or undefined once it is gone. */
export function procState(pid: number): { state: string; flags: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp session tty tpgid flags ...": comm may hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], flags: Number(fields[6]) };
}

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
  const s = procState(pid); // undefined: reaped in between
  return s !== undefined && s.state !== 'Z';
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
