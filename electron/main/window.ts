import { BrowserWindow, type WebContents } from 'electron';
import { APP_ENTRY, secureWebPreferences } from '../app/window-policy.js';

export interface MainWindow {
  show(): void;
  send(channel: string): void;
  isOurs(contents: WebContents): boolean;
  /** From now on closing the window quits instead of hiding to the tray. */
  allowClose(): void;
}

/** The one window. Closing it hides it: the app lives on in the tray until Quit. */
export function setupWindow(options: { preload: string; icon: string }): MainWindow {
  let win: BrowserWindow | undefined;
  let closing = false;

  function create(): BrowserWindow {
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
    w.once('ready-to-show', () => w.show());
    w.on('close', (event) => {
      if (!closing) {
        event.preventDefault();
        w.hide();
      }
    });
    w.on('closed', () => (win = undefined));
    void w.loadURL(APP_ENTRY);
    return w;
  }

  return {
    show() {
      win ??= create();
      if (win.isMinimized()) win.restore();
      win.show();
      win.focus();
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
