import { app, clipboard, Notification, shell } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveAgentFromApp } from '../app/agent-service.js';
import { BackgroundRefresh } from '../app/background-refresh.js';
import { createHandlers, TokenWarmer, type AppHandlers } from '../app/handlers/index.js';
import { createSmokeEnvironment, isSmokeTest, runSmokeTest, SMOKE_UPDATE_FEED_VARIABLE, type SmokeProbe } from '../app/smoke-test.js';
import { ClipboardGuard } from '../app/clipboard-guard.js';
import { describeForWindow } from '../app/remedies.js';
import { createCore, type Core } from '../core/core.js';
import { keepSecretsFromChildren } from '../core/shared/child-env.js';
import { TokenTrayError } from '../core/shared/errors.js';
import { CHANGED_EVENT } from '../app/ipc-contract.js';
import { redact, setLogSink } from '../core/shared/logger.js';
import { disableCoreDumps } from '../core/shared/core-dumps.js';
import { APP_NAME, appDataDir } from '../core/storage/paths.js';
import { SettingsStore } from '../core/storage/settings-store.js';
import { createTrayActions } from '../app/tray-actions.js';
import { checkedExternalUrl } from '../app/window-policy.js';
import { setupIpc } from './ipc.js';
import { registerAppScheme, setupAppProtocol, setupSecurity } from './security.js';
import { applyGlobalShortcut } from './shortcut.js';
import { setupTray } from './tray.js';
import { reportAndExit, watchRenderer } from './smoke.js';
import { setupWindow, type MainWindow } from './window.js';
import { applyStartAtLogin, startedHidden } from './login-item.js';
import { setupUpdates } from './updates.js';

const here = dirname(fileURLToPath(import.meta.url)); // dist/electron/main
const root = join(here, '..', '..', '..');
const KEEP_FRESH_INTERVAL_MS = 60_000;

function notify(body: string): void {
  if (Notification.isSupported()) new Notification({ title: 'TokenTray', body: redact(body) }).show();
}

/**
 * What must happen before Electron is ready, synchronously; false when another instance runs (this
 * one quits). `smoke` is the throw-away environment of --smoke-test, set before anything reads it.
 */
function prepareBeforeReady(): { smoke: ReturnType<typeof createSmokeEnvironment> | undefined } | false {
  disableCoreDumps(); // the main process holds refresh tokens for as long as the app runs
  if (process.env.TOKENTRAY_VERBOSE === '1') setLogSink((line) => console.error(`tokentray: ${line}`));
  app.setName(APP_NAME);
  const smoke = isSmokeTest(process.argv) ? createSmokeEnvironment() : undefined;
  // The CLI reads and writes this same folder (and the same keychain service).
  app.setPath('userData', appDataDir());
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }
  registerAppScheme();
  return { smoke };
}

/** Tokens are refreshed ahead of expiry while the app runs. */
function keepTokensFresh(core: Core, changed: () => void): void {
  const refresh = new BackgroundRefresh(new TokenWarmer(core), log, changed);
  void refresh.tick();
  setInterval(() => void refresh.tick(), KEEP_FRESH_INTERVAL_MS).unref();
}

/** The app stays in the tray when the window closes; quitting lets the window close and stops what runs. */
function handleLifecycle(window: MainWindow, stop: () => void, smoke: boolean): void {
  if (!smoke) {
    // (macOS may emit activate at launch: the smoke test's window must stay hidden.)
    app.on('second-instance', () => window.show());
    app.on('activate', () => window.show());
  }
  app.on('window-all-closed', () => undefined);
  app.on('before-quit', () => {
    window.allowClose();
    stop();
  });
}

async function openFolder(path: string): Promise<void> {
  const failure = await shell.openPath(path);
  if (failure) throw new TokenTrayError('FOLDER_UNAVAILABLE', `Cannot open the folder ${path}: ${failure}.`, { facts: { path } });
}

/** What a settings change does outside the store: the shortcut, the login item, update checks. */
function settingsApplier(startAtLogin: boolean, updates: Updates, copyDefault: () => void) {
  return async (next: { globalShortcut: string; startAtLogin: boolean; checkForUpdates: boolean }): Promise<void> => {
    applyGlobalShortcut(next.globalShortcut, copyDefault);
    if (next.startAtLogin !== startAtLogin) {
      await applyStartAtLogin(next.startAtLogin);
      startAtLogin = next.startAtLogin;
    }
    void updates?.setEnabled(next.checkForUpdates); // (turning it on checks now, in the background)
  };
}

type Smoke = ReturnType<typeof createSmokeEnvironment> | undefined;
type Updates = Awaited<ReturnType<typeof setupUpdates>>;
type TrayActions = ReturnType<typeof createTrayActions>;
const log = (line: string) => console.error(`TokenTray: ${redact(line)}`);

/** Composes the app from the core and the thin Electron glue: a list of set-up calls. */
export async function main(): Promise<void> {
  const prepared = prepareBeforeReady();
  if (!prepared) return;
  const { smoke } = prepared;
  await app.whenReady();
  setupSecurity();
  setupAppProtocol(join(root, 'dist', 'renderer'));
  // The core keeps the file vault's passphrase; what the system starts for the app never sees it.
  const env = keepSecretsFromChildren(process.env);
  const core = createCore({ env });
  const settings = new SettingsStore(core.home);
  await settings.load();
  const ui = setupShell(smoke);
  const updates = await startUpdates(settings, smoke, ui.changed);
  const { handlers, actions } = setupHandlers(core, settings, ui, updates);
  // The CLI, kubectl and docker ask the app first while it runs (core/agent).
  const agent = smoke ? Promise.resolve(undefined) : serveAgentFromApp(core, env, log);
  ui.attachTray(createTray(handlers, updates, actions));
  applySettingsAtStart(settings, actions, smoke);
  const checkedForUpdates = updates?.start();
  keepTokensFresh(core, ui.changed);
  handleLifecycle(
    ui.window,
    () => {
      void handlers.dispose();
      void agent.then((served) => served?.stop());
    },
    smoke !== undefined,
  );
  if (!smoke) return showAtStart(ui.window);
  ui.window.loadHidden();
  const result = await runSmokeTest(ui.probe()!, updates ? { updateChecked: async () => (await checkedForUpdates, updates.state) } : {});
  smoke.cleanup();
  reportAndExit(result);
}

interface Shell {
  window: MainWindow;
  /** Accounts changed: the window hears it, and the tray menu (once there) is rebuilt. */
  changed(): void;
  attachTray(tray: { rebuild(): Promise<void>; exists(): boolean }): void;
  /** What --smoke-test watches in the renderer. */
  probe(): SmokeProbe | undefined;
}

/** The window, and the change signal that reaches it and the tray (made later, from the handlers). */
function setupShell(smoke: Smoke): Shell {
  let tray: { rebuild(): Promise<void>; exists(): boolean } | undefined;
  let probe: SmokeProbe | undefined;
  const window = setupWindow({
    preload: join(root, 'dist', 'electron', 'preload', 'preload.cjs'),
    icon: join(root, 'assets', 'icon.png'),
    ...(smoke
      ? {
          beforeLoad: (contents) =>
            (probe = watchRenderer(
              contents,
              () => window.isVisible(),
              () => tray?.exists() ?? false,
            )),
        }
      : {}),
  });
  return {
    window,
    changed() {
      window.send(CHANGED_EVENT);
      void tray?.rebuild();
    },
    attachTray: (made) => void (tray = made),
    probe: () => probe,
  };
}

function startUpdates(settings: SettingsStore, smoke: Smoke, changed: () => void): Promise<Updates> {
  const smokeFeed = smoke ? process.env[SMOKE_UPDATE_FEED_VARIABLE] : undefined;
  return setupUpdates({ enabled: settings.get().checkForUpdates, ...(smokeFeed ? { smokeFeed } : {}), onChange: changed, log });
}

/** The window's IPC handlers and the tray's actions, which copy through those handlers. */
function setupHandlers(core: Core, settings: SettingsStore, ui: Shell, updates: Updates): { handlers: AppHandlers; actions: TrayActions } {
  const handlers: AppHandlers = createHandlers({
    core,
    settings,
    clipboard: new ClipboardGuard(clipboard, () => settings.get().clipboardClearSeconds),
    openExternal: (url) => shell.openExternal(checkedExternalUrl(url, core.home)),
    onChange: ui.changed,
    openFolder,
    onSettingsChange: settingsApplier(settings.get().startAtLogin, updates, () => void actions.copyDefault()),
    ...(updates ? { updates } : {}),
  });
  const actions = createTrayActions({ handlers, window: ui.window, notify, restartToUpdate: () => updates?.restart(), quit: () => app.quit() });
  setupIpc(handlers, (contents) => ui.window.isOurs(contents));
  return { handlers, actions };
}

function createTray(handlers: AppHandlers, updates: Updates, actions: TrayActions): ReturnType<typeof setupTray> {
  return setupTray({
    icon: join(root, 'assets', process.platform === 'darwin' ? 'trayTemplate.png' : 'tray.png'),
    listAccounts: () => handlers['accounts:list'](),
    isSigningIn: handlers.isSigningIn,
    updateState: () => updates?.state,
    onAction: actions.onAction,
  });
}

/** The saved shortcut, and the login item pointed at this copy of the app (an AppImage may have moved since). */
function applySettingsAtStart(settings: SettingsStore, actions: TrayActions, smoke: Smoke): void {
  try {
    applyGlobalShortcut(settings.get().globalShortcut, () => void actions.copyDefault());
  } catch (err) {
    notify(describeForWindow(err));
  }
  if (settings.get().startAtLogin && !smoke) void applyStartAtLogin(true).catch((err: unknown) => log(`start at login: ${describeForWindow(err)}`));
}

/** Started at login: stay in the tray. */
function showAtStart(window: MainWindow): void {
  if (startedHidden(process.argv)) window.loadHidden();
  else window.show();
}

// Not awaited: Electron emits `ready` only after the entry module has finished evaluating, so a
// top-level await on whenReady would hang. main() does its pre-ready work synchronously.
export const started = main().catch((err: unknown) => {
  console.error(`TokenTray could not start: ${redact(err instanceof Error ? err.message : String(err))}`);
  app.exit(1);
});
