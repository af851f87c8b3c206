import { rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { writeFileAtomic } from '../core/storage/atomic-file.js';
import { TokenTrayError } from '../core/shared/errors.js';

/**
 * Start at login on Linux: an XDG autostart entry (freedesktop Desktop Application Autostart spec),
 * `$XDG_CONFIG_HOME/autostart/tokentray.desktop`. macOS and Windows use Electron's
 * setLoginItemSettings instead (electron/main).
 */
const AUTOSTART_FILE_NAME = 'tokentray.desktop';
/** The argument that starts the app in the tray without opening its window. */
export const HIDDEN_ARG = '--hidden';

export function autostartPath(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const configHome = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return join(configHome, 'autostart', AUTOSTART_FILE_NAME);
}

/**
 * One Exec argument, quoted as the Desktop Entry spec says: in double quotes with `"`, `` ` ``, `$`
 * and `\` escaped by a backslash, then every backslash doubled again (the value is a string whose
 * own escape rule is `\\`), and `%` written `%%` (field codes). Line breaks cannot be written.
 */
function quoteExecArgument(arg: string): string {
  if (/[\0-\x1f\x7f]/.test(arg))
    throw new TokenTrayError('AUTOSTART_FAILED', 'The app path has a control character, which an autostart entry cannot hold.', {
      facts: { path: JSON.stringify(arg) },
    });
  const quoted = `"${arg.replace(/(["`$\\])/g, '\\$1')}"`;
  return quoted.replace(/\\/g, '\\\\').replace(/%/g, '%%');
}

function autostartEntry(command: readonly string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=TokenTray',
    'Comment=Google OAuth tokens on your clipboard',
    `Exec=${[...command, HIDDEN_ARG].map(quoteExecArgument).join(' ')}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Writes or removes the entry; `command` is the app's executable and its arguments (AppImage path, or electron and the app folder). */
export async function setXdgAutostart(
  enabled: boolean,
  command: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<void> {
  const path = autostartPath(env);
  if (!enabled) {
    await rm(path, { force: true });
    return;
  }
  const text = autostartEntry(command);
  await writeFileAtomic(path, text); // (creates the autostart folder if there is none yet)
}
