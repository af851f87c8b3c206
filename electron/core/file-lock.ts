import { mkdir, open, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface FileLockOptions {
  /** A lock older than this was left by a process that died: break it. */
  staleMs: number;
  /** Give up waiting after this long. */
  waitMs: number;
  /** The error to throw when waiting timed out or the lock cannot be created. */
  onFailure: (cause: Error) => Error;
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
  let delay = 10;
  for (;;) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw options.onFailure(err as Error);
    }
    const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > options.staleMs) await rm(path, { force: true });
    else if (Date.now() > deadline) throw options.onFailure(new Error(`the lock ${path} is held by another TokenTray process`));
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
