/**
 * A stand-in for the `electron` module, for the Node test of the main-process glue (Electron's
 * binary cannot run here). It records what the glue asks of Electron and lets the test play events.
 */
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

type Handler = (...args: unknown[]) => unknown;

export const recorded = {
  paths: {} as Record<string, string>,
  names: [] as string[],
  singleInstanceLock: 0,
  privilegedSchemes: [] as unknown[],
  protocolHandlers: {} as Record<string, (request: Request) => Promise<Response>>,
  permissionRequest: undefined as undefined | ((wc: unknown, permission: string, cb: (ok: boolean) => void) => void),
  permissionCheck: undefined as undefined | Handler,
  windows: [] as BrowserWindow[],
  ipcHandlers: {} as Record<string, Handler>,
  trays: [] as Tray[],
  openedExternal: [] as string[],
  shortcuts: [] as string[],
  quit: 0,
};

let nextContentsId = 1;

export class WebContents extends EventEmitter {
  readonly id = nextContentsId++;
  readonly sent: string[] = [];
  windowOpenHandler: Handler | undefined;
  send(channel: string): void {
    this.sent.push(channel);
  }
  setWindowOpenHandler(handler: Handler): void {
    this.windowOpenHandler = handler;
  }
}

class App extends EventEmitter {
  setName(name: string): void {
    recorded.names.push(name);
  }
  setPath(name: string, value: string): void {
    recorded.paths[name] = value;
  }
  getPath(name: string): string {
    return recorded.paths[name] ?? `/stub/${name}`;
  }
  requestSingleInstanceLock(): boolean {
    recorded.singleInstanceLock++;
    return true;
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  quit(): void {
    recorded.quit++;
    const event = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
    this.emit('before-quit', event);
  }
}

export const app = new App();

export const protocol = {
  registerSchemesAsPrivileged(schemes: unknown[]): void {
    recorded.privilegedSchemes.push(...schemes);
  },
  handle(scheme: string, handler: (request: Request) => Promise<Response>): void {
    recorded.protocolHandlers[scheme] = handler;
  },
};

export const net = {
  async fetch(url: string): Promise<Response> {
    try {
      return new Response(await readFile(fileURLToPath(url)));
    } catch {
      return new Response('', { status: 404 });
    }
  },
};

export const session = {
  defaultSession: {
    setPermissionRequestHandler(h: typeof recorded.permissionRequest): void {
      recorded.permissionRequest = h;
    },
    setPermissionCheckHandler(h: Handler): void {
      recorded.permissionCheck = h;
    },
  },
};

export class BrowserWindow extends EventEmitter {
  readonly webContents = new WebContents();
  url: string | undefined;
  visible = false;
  constructor(readonly options: Record<string, unknown>) {
    super();
    recorded.windows.push(this);
    app.emit('web-contents-created', {}, this.webContents);
  }
  async loadURL(url: string): Promise<void> {
    this.url = url;
    this.emit('ready-to-show');
  }
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  focus(): void {}
  restore(): void {}
  isMinimized(): boolean {
    return false;
  }
  /** Plays the user closing the window; resolves whether it was really closed. */
  tryClose(): boolean {
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (!prevented) this.emit('closed');
    return !prevented;
  }
}

export const ipcMain = {
  handle(channel: string, handler: Handler): void {
    recorded.ipcHandlers[channel] = handler;
  },
};

export class Tray {
  menu: unknown;
  tooltip = '';
  constructor(readonly image: unknown) {
    recorded.trays.push(this);
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setContextMenu(menu: unknown): void {
    this.menu = menu;
  }
}

export const Menu = {
  buildFromTemplate: (template: unknown[]) => template,
};

export const nativeImage = {
  createFromPath: (path: string) => ({ path, setTemplateImage: () => undefined }),
};

export const clipboard = {
  text: '',
  readText(): string {
    return this.text;
  },
  writeText(text: string): void {
    this.text = text;
  },
};

export const shell = {
  async openExternal(url: string): Promise<void> {
    recorded.openedExternal.push(url);
  },
};

export class Notification {
  static isSupported(): boolean {
    return false;
  }
  show(): void {}
}

export const globalShortcut = {
  register(accelerator: string): boolean {
    recorded.shortcuts.push(accelerator);
    return true;
  },
  unregisterAll(): void {},
};

export default { app, protocol, net, session, BrowserWindow, ipcMain, Tray, Menu, nativeImage, clipboard, shell, Notification, globalShortcut };
