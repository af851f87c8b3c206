/**
 * A stand-in for the `electron` module, for the Node test of the main-process glue (Electron's
 * binary cannot run here). It records what the glue asks of Electron, lets the test play events,
 * and keeps Electron's lifecycle rules, throwing as Electron does on misuse:
 * - `ready` comes only after the entry module has finished evaluating (the test says when, with
 *   `finishEntryModule()`), and `whenReady()` resolves asynchronously after it;
 * - `protocol.registerSchemesAsPrivileged` only before ready, and once;
 * - `protocol.handle`, `session.defaultSession`, `BrowserWindow`, `Tray`, `globalShortcut`,
 *   `Notification` and `net.fetch` only after ready.
 * `createElectron()` makes a fresh instance (for tests of the stub itself); the module's named
 * exports are one shared instance, as `import { app } from 'electron'` sees it.
 */
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createContext, Script, type Context } from 'node:vm';

type Handler = (...args: unknown[]) => unknown;

let nextContentsId = 1;

/**
 * A window's web contents. When its window loads a URL, the real (built) preload runs the way
 * Electron runs a sandboxed one: in its own context, with `require('electron')` giving
 * contextBridge and an ipcRenderer whose invoke() reaches the handlers registered with ipcMain,
 * with this contents as the sender and the loaded URL as the main frame's. executeJavaScript()
 * evaluates in the page's context, where the preload exposed its API: a real round trip through
 * the preload bridge, minus Chromium. Console messages are played with log().
 */
export class WebContents extends EventEmitter {
  readonly id = nextContentsId++;
  readonly sent: string[] = [];
  windowOpenHandler: Handler | undefined;
  url = '';
  private page: Context | undefined;
  private readonly pageListeners = new Map<string, Set<(...args: unknown[]) => void>>();

  constructor(private readonly ipcHandlers: Record<string, Handler> = {}) {
    super();
  }
  send(channel: string): void {
    this.sent.push(channel);
    for (const listener of this.pageListeners.get(channel) ?? []) listener({});
  }
  setWindowOpenHandler(handler: Handler): void {
    this.windowOpenHandler = handler;
  }
  isDestroyed(): boolean {
    return false;
  }
  /** Plays the renderer logging to its console, in Electron 45's event shape. */
  log(level: 'info' | 'warning' | 'error' | 'debug', message: string): void {
    this.emit('console-message', { level, message, lineNumber: 1, sourceId: this.url });
  }
  async executeJavaScript(code: string): Promise<unknown> {
    if (!this.page) throw new Error('Script failed to execute, this normally means an error was thrown. Check the renderer console for the error.');
    try {
      return structuredClone(await (new Script(code).runInContext(this.page) as Promise<unknown>));
    } catch (err) {
      this.log('error', `Uncaught ${(err as Error).message}`);
      throw new Error('Script failed to execute, this normally means an error was thrown. Check the renderer console for the error.');
    }
  }
  /** Runs the preload file for a page at `url`; what it exposes lands on the page's global. */
  async runPreload(path: string, url: string): Promise<void> {
    this.url = url;
    const page = createContext({});
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the stand-in's webContents is this window's
    const contents = this;
    const electron = {
      contextBridge: {
        exposeInMainWorld(name: string, api: unknown): void {
          (page as Record<string, unknown>)[name] = api;
        },
      },
      ipcRenderer: {
        async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
          const handler = contents.ipcHandlers[channel];
          if (!handler) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
          // Arguments and results cross processes as structured clones.
          return structuredClone(await handler({ sender: contents, senderFrame: { url: contents.url, parent: null } }, ...structuredClone(args)));
        },
        on(event: string, listener: (...args: unknown[]) => void): void {
          (contents.pageListeners.get(event) ?? contents.pageListeners.set(event, new Set()).get(event)!).add(listener);
        },
        removeListener(event: string, listener: (...args: unknown[]) => void): void {
          contents.pageListeners.get(event)?.delete(listener);
        },
      },
    };
    const sandboxRequire = (name: string) => {
      if (name === 'electron') return electron;
      throw new Error(`module not found: ${name}`);
    };
    (page as Record<string, unknown>).window = page;
    const source = await readFile(path, 'utf8');
    const wrapped = new Script(`(function (require, process, Buffer, global, setImmediate, clearImmediate, exports, module) {\n${source}\n})`);
    const module = { exports: {} };
    (wrapped.runInContext(page) as (...args: unknown[]) => void)(sandboxRequire, {}, undefined, page, undefined, undefined, module.exports, module);
    this.page = page;
  }
}

export function createElectron() {
  const recorded = {
    /** Every lifecycle-relevant call, in order: 'ready', 'protocol.handle', 'new BrowserWindow'… */
    calls: [] as string[],
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

  let ready = false;
  let entryFinished = false;
  let schemesRegistered = false;

  /** Electron's own wording where it has one. */
  function afterReady(what: string): void {
    if (!ready) throw new Error(`${what} cannot be used before the app is ready`);
    recorded.calls.push(what);
  }

  class App extends EventEmitter {
    private readonly readyPromise = new Promise<void>((resolve) => this.once('ready', () => resolve()));

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
    isReady(): boolean {
      return ready;
    }
    whenReady(): Promise<void> {
      return this.readyPromise;
    }
    quit(): void {
      recorded.quit++;
      const event = {
        defaultPrevented: false,
        preventDefault() {
          this.defaultPrevented = true;
        },
      };
      this.emit('before-quit', event);
    }
    exit(code = 0): void {
      recorded.calls.push(`exit ${code}`);
    }
  }

  const app = new App();

  /**
   * What Electron does once the entry module (and everything it imported) has evaluated: `ready`,
   * on a later turn of the event loop. Main must not wait for ready while it evaluates.
   */
  function finishEntryModule(): Promise<void> {
    if (entryFinished) throw new Error('the entry module finished already');
    entryFinished = true;
    return new Promise((resolve) =>
      setImmediate(() => {
        ready = true;
        recorded.calls.push('ready');
        app.emit('ready', {}, {});
        resolve();
      }),
    );
  }

  const protocol = {
    registerSchemesAsPrivileged(schemes: unknown[]): void {
      if (ready) throw new Error('protocol.registerSchemesAsPrivileged should be called before app is ready');
      if (schemesRegistered) throw new Error('protocol.registerSchemesAsPrivileged can be called only once');
      schemesRegistered = true;
      recorded.calls.push('protocol.registerSchemesAsPrivileged');
      recorded.privilegedSchemes.push(...schemes);
    },
    handle(scheme: string, handler: (request: Request) => Promise<Response>): void {
      afterReady('protocol.handle');
      if (recorded.protocolHandlers[scheme]) throw new Error(`The scheme "${scheme}" is already handled`);
      recorded.protocolHandlers[scheme] = handler;
    },
  };

  const net = {
    async fetch(url: string): Promise<Response> {
      if (!ready) throw new Error('net.fetch cannot be used before the app is ready');
      try {
        return new Response(await readFile(fileURLToPath(url)));
      } catch {
        return new Response('', { status: 404 });
      }
    },
  };

  const defaultSession = {
    setPermissionRequestHandler(h: typeof recorded.permissionRequest): void {
      recorded.permissionRequest = h;
    },
    setPermissionCheckHandler(h: Handler): void {
      recorded.permissionCheck = h;
    },
  };
  const session = {
    get defaultSession() {
      afterReady('session.defaultSession');
      return defaultSession;
    },
  };

  class BrowserWindow extends EventEmitter {
    readonly webContents = new WebContents(recorded.ipcHandlers);
    url: string | undefined;
    visible = false;
    constructor(readonly options: Record<string, unknown>) {
      super();
      afterReady('new BrowserWindow');
      recorded.windows.push(this);
      app.emit('web-contents-created', {}, this.webContents);
    }
    /** Like Electron: loading finishes on a later turn (did-finish-load), after the preload ran. */
    async loadURL(url: string): Promise<void> {
      this.url = url;
      this.emit('ready-to-show');
      await new Promise((r) => setImmediate(r));
      const preload = (this.options.webPreferences as { preload?: string } | undefined)?.preload;
      if (preload) {
        try {
          await this.webContents.runPreload(preload, url);
        } catch (err) {
          this.webContents.emit('preload-error', {}, preload, err);
        }
      }
      this.webContents.emit('did-finish-load');
    }
    show(): void {
      this.visible = true;
    }
    hide(): void {
      this.visible = false;
    }
    isVisible(): boolean {
      return this.visible;
    }
    focused = 0;
    focus(): void {
      this.focused++;
    }
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

  const ipcMain = {
    handle(channel: string, handler: Handler): void {
      if (recorded.ipcHandlers[channel]) throw new Error(`Attempted to register a second handler for '${channel}'`);
      recorded.ipcHandlers[channel] = handler;
    },
  };

  class Tray {
    menu: unknown;
    tooltip = '';
    constructor(readonly image: unknown) {
      afterReady('new Tray');
      recorded.trays.push(this);
    }
    setToolTip(text: string): void {
      this.tooltip = text;
    }
    setContextMenu(menu: unknown): void {
      this.menu = menu;
    }
    isDestroyed(): boolean {
      return false;
    }
  }

  const Menu = {
    buildFromTemplate: (template: unknown[]) => template,
  };

  const nativeImage = {
    createFromPath: (path: string) => ({ path, setTemplateImage: () => undefined }),
  };

  const clipboard = {
    text: '',
    readText(): string {
      return this.text;
    },
    writeText(text: string): void {
      this.text = text;
    },
  };

  const shell = {
    async openExternal(url: string): Promise<void> {
      recorded.openedExternal.push(url);
    },
  };

  class Notification {
    static isSupported(): boolean {
      return false;
    }
    constructor() {
      afterReady('new Notification');
    }
    show(): void {}
  }

  const globalShortcut = {
    register(accelerator: string): boolean {
      afterReady('globalShortcut.register');
      recorded.shortcuts.push(accelerator);
      return true;
    },
    unregisterAll(): void {
      afterReady('globalShortcut.unregisterAll');
    },
  };

  return {
    recorded,
    finishEntryModule,
    app,
    protocol,
    net,
    session,
    BrowserWindow,
    ipcMain,
    Tray,
    Menu,
    nativeImage,
    clipboard,
    shell,
    Notification,
    globalShortcut,
  };
}

const electron = createElectron();

export const {
  recorded,
  finishEntryModule,
  app,
  protocol,
  net,
  session,
  BrowserWindow,
  ipcMain,
  Tray,
  Menu,
  nativeImage,
  clipboard,
  shell,
  Notification,
  globalShortcut,
} = electron;
export type BrowserWindow = InstanceType<typeof BrowserWindow>;
export type Tray = InstanceType<typeof Tray>;
export default electron;
