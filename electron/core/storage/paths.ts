import { homedir } from 'node:os';
import { join } from 'node:path';

/** The product name; Electron derives `app.getPath('userData')` from it, so both agree. */
export const APP_NAME = 'TokenTray';
const DEFAULT_KEYCHAIN_SERVICE = 'tokentray';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The per-user app-data folder, the one Electron's `userData` resolves to for TokenTray:
 * `%APPDATA%\TokenTray`, `~/Library/Application Support/TokenTray`, `$XDG_CONFIG_HOME/TokenTray`.
 */
export function appDataDir(env: Env = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.TOKENTRAY_HOME) return env.TOKENTRAY_HOME;
  const home = env.HOME || homedir();
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), APP_NAME);
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', APP_NAME);
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), APP_NAME);
}

export function keychainService(env: Env = process.env): string {
  return env.TOKENTRAY_KEYCHAIN_SERVICE || DEFAULT_KEYCHAIN_SERVICE;
}
