import { spawnSync } from 'node:child_process';
import { chmod, copyFile, link, mkdtemp, realpath, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** A Node binary another local user can run, and how to remove it when it had to be placed. */
export interface OtherUserNode {
  path: string;
  release(): Promise<void>;
}

/**
 * The Node running these tests, as another local user (`runuser -u USER`) can start it. The
 * registry's `node` package (`npx -p node@24`) puts it under the npm cache in a home only its owner
 * may enter (/root is 0700): then the same binary is linked (or copied, across file systems) into a
 * folder of its own under /tmp, which `release()` removes.
 */
export async function nodeForOtherUser(user = 'nobody'): Promise<OtherUserNode> {
  const tried = spawnSync('runuser', ['-u', user, '--', process.execPath, '-e', '0'], { cwd: '/', stdio: 'ignore' });
  if (tried.status === 0) return { path: process.execPath, release: async () => undefined };
  const dir = await mkdtemp('/tmp/tt-node-');
  await chmod(dir, 0o755);
  const path = join(dir, 'node');
  const binary = await realpath(process.execPath);
  const linked = await link(binary, path).then(
    () => true,
    () => false,
  );
  // A link shares the binary's mode: copy instead of opening the original to everyone.
  if (!linked || ((await stat(path)).mode & 0o005) !== 0o005) {
    if (linked) await unlink(path);
    await copyFile(binary, path);
    await chmod(path, 0o755);
  }
  return { path, release: () => rm(dir, { recursive: true, force: true }) };
}
