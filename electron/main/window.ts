import { BrowserWindow, type WebContents } from 'electron';
import { APP_ENTRY, secureWebPreferences } from '../app/window-policy.js';

export interface MainWindow {
  show(): void;
  /** Creates and loads the window without showing it (the smoke test). */
  loadHidden(): void;
  isVisible(): boolean;
  send(channel: string): void;
  isOurs(contents: WebContents): boolean;
  /** From now on closing the window quits instead of hiding to the tray. */
  allowClose(): void;
}

/** The one window. Closing it hides it: the app lives on in the tray until Quit. */
export function setupWindow(options: { preload: string; icon: string; beforeLoad?: (contents: WebContents) => void }): MainWindow {
  let win: BrowserWindow | undefined;
  let closing = false;

  function create(showWhenReady = true): BrowserWindow {
    const w = new BrowserWindow({
      width: 1040,
      height: 700,
      minWidth: 760,
      minHeight: 480,
      show: false,
      title: 'TokenTray',
      icon: options.icon,
      autoHideMenuBar: true,
      webPreferences: secureWebPreferences(options.preload),
    });
    if (showWhenReady) w.once('ready-to-show', () => w.show());
    w.on('close', (event) => {
      if (!closing) {
        event.preventDefault();
        w.hide();
      }
    });
    w.on('closed', () => (win = undefined));
    options.beforeLoad?.(w.webContents);
    // A failed load is reported by did-fail-load (the smoke test watches it); the promise adds nothing.
    w.loadURL(APP_ENTRY).catch(() => undefined);
    return w;
  }

  return {
    show() {
      win ??= create();
      if (win.isMinimized()) win.restore();
      win.show();
      win.focus();
    },
    loadHidden() {
      win ??= create(false);
    },
    isVisible() {
      return win !== undefined && win.isVisible();
    },
    send(channel) {
      win?.webContents.send(channel);
    },
    isOurs(contents) {
      return win !== undefined && contents.id === win.webContents.id;
    },
    allowClose() {
      closing = true;
    },
  };
}
