import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { TokenTrayError } from '../shared/errors.js';

/*
 * Why kernel locks. A lock *file* whose existence means "held" needs someone to decide when it is
 * stale, and every such decision (age, pid, rename-aside) races with a holder that is slow, hung
 * or just replaced it: an experiment found two holders in up to a quarter of the rounds. A kernel
 * lock on an open file (Linux: open-file-description fcntl locks; macOS: flock; Windows:
 * LockFileEx) is held exactly as long as the holder's file stays open, and the OS drops it when
 * the holder dies, however it dies. No code ever judges staleness, so there is nothing to race.
 * fs-native-extensions (holepunch, N-API, prebuilt binaries for every desktop platform inside its
 * npm package) exposes exactly these calls; aws-vault uses the same kernel primitives.
 *
 * Rules that keep it correct:
 * - The lock file is never deleted or renamed: a waiter may already have it open, and a lock on
 *   an unlinked inode would exclude nobody who opens the path afresh.
 * - The locked range is byte 0 only. The holder writes who it is after that byte (Windows locks
 *   are mandatory, so the locked byte itself could not be read by waiters).
 * - A hung holder (stopped, in a debugger) is alive: its lock stays held. Breaking it would admit
 *   two holders the moment it resumes, which is what this lock exists to prevent. Waiters instead
 *   give up after `waitMs` with LOCK_TIMEOUT, naming the holder's pid so the user can end it.
 */

interface NativeLocks {
  tryLock(fd: number, offset: number, length: number, opts?: { shared?: boolean }): boolean;
  unlock(fd: number, offset: number, length: number): void;
}

let native: NativeLocks | undefined;
function nativeLocks(): NativeLocks {
  native ??= createRequire(import.meta.url)('fs-native-extensions') as NativeLocks;
  return native;
}

const INFO_OFFSET = 1;
/** The longest sleep between two tries (each sleep is this plus up to as much again, at random). */
const MAX_POLL_MS = 5;

export interface FileLockOptions {
  /** Give up waiting after this long, with LOCK_TIMEOUT. */
  waitMs: number;
  /** What is being locked, for the timeout message ("the account registry"). */
  what?: string;
  /** Maps a failure to open or lock the file (not a timeout) to the caller's error. */
  onFailure?: (cause: Error) => Error;
}

/** Waiters of this process asleep on each lock path: a release in this process wakes them at once. */
const sleepers = new Map<string, Set<() => void>>();

/** Sleeps up to `ms`, or until this process releases the lock on `path`. */
function sleepOn(path: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const set = sleepers.get(path) ?? new Set<() => void>();
    sleepers.set(path, set);
    const wake = () => {
      clearTimeout(timer);
      set.delete(wake);
      if (set.size === 0 && sleepers.get(path) === set) sleepers.delete(path);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    set.add(wake);
  });
}

/** Who holds a lock, as its holder wrote it: `pid since-epoch-ms`. */
export interface LockHolder {
  pid: number;
  since: number;
}

async function readHolder(fh: FileHandle): Promise<LockHolder | undefined> {
  const buf = Buffer.alloc(64);
  const { bytesRead } = await fh.read(buf, 0, buf.length, INFO_OFFSET).catch(() => ({ bytesRead: 0 }));
  const m = /^(\d+) (\d+)\n/.exec(buf.subarray(0, bytesRead).toString('latin1'));
  return m ? { pid: Number(m[1]), since: Number(m[2]) } : undefined;
}

function timeoutError(path: string, what: string, waitedMs: number, holder: LockHolder | undefined): TokenTrayError {
  const secs = Math.round(waitedMs / 1000);
  if (!holder) {
    return new TokenTrayError(
      'LOCK_TIMEOUT',
      `Waited ${secs} s for ${what}: another TokenTray process holds its lock (${path}). Try again when it has finished.`,
    );
  }
  const held = Math.max(0, Math.round((Date.now() - holder.since) / 1000));
  return new TokenTrayError('LOCK_TIMEOUT', `Waited ${secs} s for ${what}: TokenTray process ${holder.pid} has held its lock for ${held} s and may be stuck.`, {
    facts: { remedy: 'end-stuck-process', pid: holder.pid },
  });
}

/**
 * Runs `fn` while holding an exclusive kernel lock on `path`, so that TokenTray processes (the
 * app, several CLI calls) take turns. Two calls in one process also exclude each other (each
 * opens its own file description).
 */
export async function withFileLock<T>(path: string, options: FileLockOptions, fn: () => Promise<T>): Promise<T> {
  const fail = (err: unknown) => (options.onFailure ? options.onFailure(err as Error) : (err as Error));
  let fh: FileHandle;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    fh = await open(path, constants.O_RDWR | constants.O_CREAT, 0o600);
  } catch (err) {
    throw fail(err);
  }
  try {
    const locks = nativeLocks();
    const started = Date.now();
    // Polled, not a blocking wait: a blocked native call cannot be cancelled at the deadline. The
    // back-off stops at MAX_POLL_MS so a released lock is taken within ~10 ms, not ~80: CLI calls
    // queued behind one refresh (a burst of kubectl or gcloud calls) each get their turn sooner,
    // for a try-lock call (one fcntl) every 5-10 ms while they wait. Waiters in this process (the
    // app's window, tray and metadata server; parallel work in one CLI) are woken by the release.
    let delay = 2;
    for (;;) {
      let got: boolean;
      try {
        got = locks.tryLock(fh.fd, 0, 1);
      } catch (err) {
        throw fail(err);
      }
      if (got) break;
      if (Date.now() - started >= options.waitMs) throw timeoutError(path, options.what ?? 'a lock', Date.now() - started, await readHolder(fh));
      await sleepOn(path, delay + Math.random() * delay);
      delay = Math.min(delay * 2, MAX_POLL_MS);
    }
    // Informational only (for the timeout message): correctness rests on the kernel lock. Written
    // while `fn` runs: on a disk busy with other writers it could hold the turn up by many ms.
    const info = fh.write(Buffer.from(`${process.pid} ${Date.now()}\n`.padEnd(40, ' '), 'latin1'), 0, 40, INFO_OFFSET).catch(() => undefined);
    try {
      return await fn();
    } finally {
      await info;
      try {
        locks.unlock(fh.fd, 0, 1);
      } catch {
        // Closing the file below releases it as well (a waiter woken before that sleeps again).
      }
      for (const wake of [...(sleepers.get(path) ?? [])]) wake();
    }
  } finally {
    await fh.close();
  }
}
