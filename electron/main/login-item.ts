import { app } from 'electron';
import { HIDDEN_ARG, setXdgAutostart } from '../app/xdg-autostart.js';

/** How this copy of the app is started again: the AppImage, the installed binary, or electron and the checkout. */
function launchCommand(): string[] {
  if (process.env.APPIMAGE) return [process.env.APPIMAGE];
  return app.isPackaged ? [process.execPath] : [process.execPath, app.getAppPath()];
}

/** Start at login: Electron's login items on macOS and Windows, an XDG autostart entry on Linux. */
export async function applyStartAtLogin(enabled: boolean): Promise<void> {
  if (process.platform === 'linux') return setXdgAutostart(enabled, launchCommand());
  app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_ARG] });
}

/** Started by the login item: stay in the tray, open no window. */
export function startedHidden(argv: readonly string[]): boolean {
  if (argv.includes(HIDDEN_ARG)) return true;
  return process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin === true;
}
