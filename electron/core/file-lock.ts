import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface FileLockOptions {
  /** A lock older than this was left by a process that died: break it. */
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

/** True when the lock names a process of this machine that no longer exists. */
async function holderIsGone(path: string): Promise<boolean> {
  return isGone(Number((await readFile(path, 'utf8').catch(() => '')).trim()));
}

/**
 * Removes temp files (`NAME.PID[.x].tmp`) that killed processes left beside the locked file. Safe
 * while we hold the lock: their writers are gone.
 */
async function sweepLeftovers(path: string): Promise<void> {
  const prefix = basename(path).replace(/\.lock$/, '');
  for (const name of await readdir(dirname(path)).catch(() => [] as string[])) {
    const m = /^(.*?)\.(\d+)(?:\.[0-9a-f]+)?\.tmp$/.exec(name);
    if (m && (m[1] === prefix || m[1] === basename(path)) && isGone(Number(m[2]))) await rm(join(dirname(path), name), { force: true });
  }
}

/**
 * Runs `fn` while holding an exclusive lock file (O_EXCL create), so that TokenTray processes (the
 * app, several CLI calls) take turns. Advisory and local: enough for one user's processes.
 */
export async function withFileLock<T>(path: string, options: FileLockOptions, fn: () => Promise<T>): Promise<T> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 }).catch((err: Error) => {
    throw options.onFailure(err);
  });
  const deadline = Date.now() + options.waitMs;
  // The lock appears with its holder's pid already in it (write a private file, then link it into
  // place, which fails if the lock exists): a holder killed at any moment is recognisable.
  const mine = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(mine, String(process.pid), { mode: 0o600 }).catch((err: Error) => {
    throw options.onFailure(err);
  });
  let delay = 10;
  for (;;) {
    try {
      await link(mine, path);
      await rm(mine, { force: true });
      await sweepLeftovers(path);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        await rm(mine, { force: true });
        throw options.onFailure(err as Error);
      }
    }
    // A lock of a process that died (killed, crashed) is broken at once; else only when stale.
    const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > options.staleMs || (age > 50 && (await holderIsGone(path)))) await rm(path, { force: true });
    else if (Date.now() > deadline) {
      await rm(mine, { force: true });
      throw options.onFailure(new Error(`the lock ${path} is held by another TokenTray process`));
    }
    else {
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 100);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
