import { lstatSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { userInfo } from 'node:os';
import { join, win32 } from 'node:path';
import { appDataDir } from '../storage/paths.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Where the agent listens: on Linux and macOS a Unix socket in `$XDG_RUNTIME_DIR/tokentray/` (per
 * login, on tmpfs, removed at logout), else in `TOKENTRAY_HOME/agent/`; on Windows a named pipe,
 * `\\.\pipe\tokentray-agent-HASH-NAME`, HASH naming the user and the TokenTray home (pipes share one
 * machine-wide namespace) and NAME drawn from the key (pipe-guard.ts). The folder holds `agent.key`,
 * the secret a client proves it can read (and on Unix the socket); both sides check it before they
 * trust anything in it.
 */
export interface AgentLocation {
  dir: string;
  /**
   * The Unix socket's path; when `guarded`, the start of the address, which the key completes
   * (pipe-guard.ts guardedAddress): the named pipe's name, or the socket's path.
   */
  socket: string;
  key: string;
  /** A Windows named pipe: not in the file system (no owner or mode to check, nothing to remove). */
  pipe: boolean;
  /**
   * No folder the OS keeps ours guards the address: a name drawn from the key and a challenge
   * instead of the key on the wire (pipe-guard.ts). Windows; on Unix with TOKENTRAY_AGENT_CHALLENGE=1.
   */
  guarded: boolean;
}

/** A Unix socket path must fit sockaddr_un's 108 bytes (104 on macOS). */
export const MAX_SOCKET_PATH_BYTES = 104;

export interface Platform {
  platform: NodeJS.Platform;
  /** Windows: the user whose pipe it is (DOMAIN\user, or the name alone); by default this process's. */
  user?: string;
}

function windowsUser(env: Env): string {
  const name = userInfo().username;
  return env.USERDOMAIN ? `${env.USERDOMAIN}\\${name}` : name;
}

/** The pipe's name: hashed, as a user or folder name may hold characters a pipe name may not. */
function pipeName(user: string, home: string): string {
  // Through require, and only here: node:crypto costs a Unix client's fast path milliseconds (see client.ts).
  const { createHash } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  const hash = createHash('sha256').update(`${user.toLowerCase()}\n${home.toLowerCase()}`).digest('hex').slice(0, 16);
  return `\\\\.\\pipe\\tokentray-agent-${hash}`;
}

export function agentLocation(env: Env, on: Platform = { platform: process.platform }): AgentLocation {
  if (on.platform === 'win32') {
    const home = appDataDir(env, 'win32');
    const dir = win32.join(home, 'agent');
    return { dir, socket: pipeName(on.user ?? windowsUser(env), win32.resolve(home)), key: win32.join(dir, 'agent.key'), pipe: true, guarded: true };
  }
  const dir = env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'tokentray') : join(appDataDir(env, on.platform), 'agent');
  // Windows' guard on a Unix socket: how tests run that path here; it only adds to the folder's checks.
  if (env.TOKENTRAY_AGENT_CHALLENGE === '1') return { dir, socket: join(dir, 'agent'), key: join(dir, 'agent.key'), pipe: false, guarded: true };
  return { dir, socket: join(dir, 'agent.sock'), key: join(dir, 'agent.key'), pipe: false, guarded: false };
}

/**
 * The uid owners are checked against; undefined on Windows, where files have neither a uid nor
 * Unix modes: there the user's profile folder's ACL guards the key, and the pipe's DACL the pipe.
 */
export function checkedUid(): number | undefined {
  return process.platform === 'win32' ? undefined : process.getuid!();
}

export type Kind = 'directory' | 'socket' | 'file';

/**
 * Why `path` may not be trusted, or undefined when it may: it must be what it should be (not a
 * symlink), owned by this user, and closed to everyone else (no group or other bits at all).
 * Without a uid (Windows, see checkedUid) only what it is can be checked.
 */
export function distrust(stats: Stats, kind: Kind, uid: number | undefined): string | undefined {
  const right = kind === 'directory' ? stats.isDirectory() : kind === 'socket' ? stats.isSocket() : stats.isFile();
  if (!right) return `it is not a ${kind}`;
  if (uid === undefined) return undefined;
  if (stats.uid !== uid) return `it belongs to uid ${stats.uid}, not ${uid}`;
  if ((stats.mode & 0o077) !== 0) return `its mode is ${(stats.mode & 0o777).toString(8)}, open to others`;
  return undefined;
}

/** lstat and `distrust` in one; a missing path is "missing". Synchronous: the client's path is short. */
export function checkPath(path: string, kind: Kind, uid: number | undefined): string | undefined {
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `it cannot be read (${(err as NodeJS.ErrnoException).code})`;
  }
  return distrust(stats, kind, uid);
}
