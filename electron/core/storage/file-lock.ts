import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface FileLockOptions {
  /** A lock not renewed for this long was left by a process that hung or died: break it. */
  staleMs: number;
  /** Give up waiting after this long. */
  waitMs: number;
  /** The error to throw when waiting timed out or the lock cannot be created. */
  onFailure: (cause: Error) => Error;
}

function isGone(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

const holderPid = (content: string) => Number(content.split(' ')[0]);

/**
 * Removes temp files (`NAME.PID.HEX.tmp|stale`) that killed processes left beside the locked file.
 * Safe while we hold the lock: their writers are gone.
 */
async function sweepLeftovers(path: string): Promise<void> {
  const base = basename(path);
  const prefix = base.replace(/\.lock$/, '');
  for (const name of await readdir(dirname(path)).catch(() => [] as string[])) {
    const m = /^(.*?)\.(\d+)(?:\.[0-9a-f]+)?\.(?:tmp|stale)$/.exec(name);
    if (m && (m[1] === prefix || m[1] === base) && isGone(Number(m[2]))) await rm(join(dirname(path), name), { force: true });
  }
}

/**
 * Breaks a lock judged stale or orphaned. The rename is atomic, so of several breakers only one
 * moves it; if what it moved is not the lock it judged (someone took the lock meanwhile), it is
 * put back.
 */
async function breakLock(path: string, judged: string): Promise<void> {
  const grave = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    await rename(path, grave);
  } catch {
    return;
  }
  const moved = await readFile(grave, 'utf8').catch(() => '');
  if (moved !== judged) await link(grave, path).catch(() => undefined);
  await rm(grave, { force: true });
}

/**
 * Runs `fn` while holding an exclusive lock file, so that TokenTray processes (the app, several
 * CLI calls) take turns. The lock names its holder (pid and a nonce) from the moment it exists,
 * is renewed while held, and is removed only by its holder.
 */
export async function withFileLock<T>(path: string, options: FileLockOptions, fn: () => Promise<T>): Promise<T> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 }).catch((err: Error) => {
    throw options.onFailure(err);
  });
  const deadline = Date.now() + options.waitMs;
  const token = `${process.pid} ${randomBytes(8).toString('hex')}`;
  // Written privately, then linked into place (which fails if the lock exists): no moment where
  // the lock exists without saying whose it is.
  const mine = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(mine, token, { mode: 0o600 }).catch((err: Error) => {
    throw options.onFailure(err);
  });
  let delay = 10;
  try {
    for (;;) {
      try {
        // The lock's age is its inode's mtime: make it now, not when `mine` was written.
        await utimes(mine, new Date(), new Date());
        await link(mine, path);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw options.onFailure(err as Error);
      }
      const [age, content] = await Promise.all([
        stat(path).then((s) => Date.now() - s.mtimeMs, () => 0),
        readFile(path, 'utf8').catch(() => ''),
      ]);
      if (age > options.staleMs || (content !== '' && isGone(holderPid(content)))) await breakLock(path, content);
      else if (Date.now() > deadline) throw options.onFailure(new Error(`the lock ${path} is held by another TokenTray process`));
      else {
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 100);
      }
    }
  } finally {
    await rm(mine, { force: true });
  }
  await sweepLeftovers(path);
  // Keep the lock fresh while working, so a slow holder is never taken for a dead one.
  const renew = setInterval(() => void utimes(path, new Date(), new Date()).catch(() => undefined), Math.max(options.staleMs / 3, 50));
  renew.unref();
  try {
    return await fn();
  } finally {
    clearInterval(renew);
    if ((await readFile(path, 'utf8').catch(() => '')) === token) await rm(path, { force: true });
  }
}
