import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * A temp file older than this is a dead writer's whatever its pid says: the pid may have been
 * reused, or belong to another pid namespace (a container sharing the folder). A live write takes
 * milliseconds; an hour leaves room for any stalled disk.
 */
export const TEMP_FILE_MAX_AGE_MS = 60 * 60_000;

/** `TARGET.PID.HEX.tmp`: the temp files writeFileAtomic makes for `target`, and nothing else. */
function tempFilePattern(target: string): RegExp {
  const name = basename(target).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${name}\\.(\\d+)\\.[0-9a-f]{8}\\.tmp$`);
}

export function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, another user's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temp files of `target`'s writers that died before renaming them (a SIGKILL, a power
 * cut): files of this user whose pid is not running, or older than TEMP_FILE_MAX_AGE_MS. A live
 * writer's temp file is left alone, so its rename still works. Each holds a whole copy of the
 * target (the encrypted vault, docker's config), so they must not pile up. Best effort.
 */
async function sweepTempFiles(target: string, now = Date.now()): Promise<void> {
  const dir = dirname(target);
  const pattern = tempFilePattern(target);
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const pid = pattern.exec(name)?.[1];
    if (pid === undefined) continue;
    const path = join(dir, name);
    const st = await lstat(path).catch(() => undefined);
    if (!st?.isFile() || (process.getuid && st.uid !== process.getuid())) continue;
    if (!isRunning(Number(pid)) || now - st.mtimeMs > TEMP_FILE_MAX_AGE_MS) await rm(path, { force: true }).catch(() => undefined);
  }
}

/**
 * Writes a file so that readers see the old content or the new, never a torn mix: a private temp
 * file in the same folder, flushed, then renamed over the target. Mode 0600, folder 0700. Temp
 * files that dead writers left beside the target are swept first, so every writer cleans up.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await sweepTempFiles(path);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}
