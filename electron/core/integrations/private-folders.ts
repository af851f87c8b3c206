import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Private temp folders of one process (`PREFIX-PID-RANDOM`, mode 0700): the PID in the name lets a
 * later run tell a folder whose process was killed (and never removed it) from one in use.
 */
export function makeOwnedFolder(base: string, prefix: string): Promise<string> {
  return mkdtemp(join(base, `${prefix}${process.pid}-`));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

/**
 * Removes this user's `PREFIX-PID-…` folders in `bases` whose process is gone: what a SIGKILLed
 * `exec` or `curl` left (gcloud's token cache, a header pipe). Best effort: a folder that cannot be
 * read or removed stays, and nothing is reported.
 */
export async function sweepOrphanedFolders(bases: readonly string[], prefix: string): Promise<void> {
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\d+)-[^/]+$`);
  for (const base of new Set(bases)) {
    const names = await readdir(base).catch(() => [] as string[]);
    for (const name of names) {
      const pid = Number(pattern.exec(name)?.[1]);
      if (!pid || pid === process.pid || isAlive(pid)) continue;
      const path = join(base, name);
      const st = await lstat(path).catch(() => undefined);
      if (!st?.isDirectory() || (process.getuid && st.uid !== process.getuid())) continue;
      await rm(path, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}
