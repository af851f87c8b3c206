import { lstatSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { appDataDir } from '../storage/paths.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Where the agent listens: `$XDG_RUNTIME_DIR/tokentray/` (per login, on tmpfs, removed at logout),
 * else `TOKENTRAY_HOME/agent/`. The folder holds the socket and `agent.key`, the secret a client
 * proves it can read; both sides check owner and mode before they trust anything in it.
 */
export interface AgentLocation {
  dir: string;
  socket: string;
  key: string;
}

/** A Unix socket path must fit sockaddr_un's 108 bytes (104 on macOS). */
export const MAX_SOCKET_PATH_BYTES = 104;

export function agentLocation(env: Env): AgentLocation {
  const dir = env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'tokentray') : join(appDataDir(env), 'agent');
  return { dir, socket: join(dir, 'agent.sock'), key: join(dir, 'agent.key') };
}

export type Kind = 'directory' | 'socket' | 'file';

/**
 * Why `path` may not be trusted, or undefined when it may: it must be what it should be (not a
 * symlink), owned by this user, and closed to everyone else (no group or other bits at all).
 */
export function distrust(stats: Stats, kind: Kind, uid: number): string | undefined {
  const right = kind === 'directory' ? stats.isDirectory() : kind === 'socket' ? stats.isSocket() : stats.isFile();
  if (!right) return `it is not a ${kind}`;
  if (stats.uid !== uid) return `it belongs to uid ${stats.uid}, not ${uid}`;
  if ((stats.mode & 0o077) !== 0) return `its mode is ${(stats.mode & 0o777).toString(8)}, open to others`;
  return undefined;
}

/** lstat and `distrust` in one; a missing path is "missing". Synchronous: the client's path is short. */
export function checkPath(path: string, kind: Kind, uid: number): string | undefined {
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `it cannot be read (${(err as NodeJS.ErrnoException).code})`;
  }
  return distrust(stats, kind, uid);
}
