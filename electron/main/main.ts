import { app, clipboard, Notification, shell } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveAgentFromApp } from '../app/agent-service.js';
import { BackgroundRefresh } from '../app/background-refresh.js';
import { createHandlers, TokenWarmer } from '../app/handlers/index.js';
import { createSmokeEnvironment, isSmokeTest, runSmokeTest, SMOKE_UPDATE_FEED_VARIABLE, type SmokeProbe } from '../app/smoke-test.js';
import { ClipboardGuard } from '../app/clipboard-guard.js';
import { describeForWindow } from '../app/remedies.js';
import { createCore } from '../core/core.js';
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
import { setupWindow } from './window.js';
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
function keepTokensFresh(core: ReturnType<typeof createCore>, changed: () => void): void {
  const refresh = new BackgroundRefresh(new TokenWarmer(core), (line) => console.error(`TokenTray: ${line}`), changed);
  void refresh.tick();
  setInterval(() => void refresh.tick(), KEEP_FRESH_INTERVAL_MS).unref();
}

/** The app stays in the tray when the window closes; quitting lets the window close and stops what runs. */
function handleLifecycle(window: ReturnType<typeof setupWindow>, stop: () => void, smoke: boolean): void {
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
function settingsApplier(startAtLogin: boolean, updates: Awaited<ReturnType<typeof setupUpdates>>, copyDefault: () => void) {
  return async (next: { globalShortcut: string; startAtLogin: boolean; checkForUpdates: boolean }): Promise<void> => {
    applyGlobalShortcut(next.globalShortcut, copyDefault);
    if (next.startAtLogin !== startAtLogin) {
      await applyStartAtLogin(next.startAtLogin);
      startAtLogin = next.startAtLogin;
    }
    void updates?.setEnabled(next.checkForUpdates); // (turning it on checks now, in the background)
  };
}

/** Composes the app from the core and the thin Electron glue. */
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
              () => tray.exists(),
            )),
        }
      : {}),
  });

  let rebuildTray = async (): Promise<void> => undefined;
  const changed = () => {
    window.send(CHANGED_EVENT);
    void rebuildTray();
  };
  const log = (line: string) => console.error(`TokenTray: ${redact(line)}`);
  const updates = await setupUpdates({
    enabled: settings.get().checkForUpdates,
    ...(smoke && process.env[SMOKE_UPDATE_FEED_VARIABLE] ? { smokeFeed: process.env[SMOKE_UPDATE_FEED_VARIABLE] } : {}),
    onChange: changed,
    log,
  });
  const startAtLogin = settings.get().startAtLogin;
  const handlers = createHandlers({
    core,
    settings,
    clipboard: new ClipboardGuard(clipboard, () => settings.get().clipboardClearSeconds),
    openExternal: (url) => shell.openExternal(checkedExternalUrl(url, core.home)),
    onChange: changed,
    openFolder,
    onSettingsChange: settingsApplier(startAtLogin, updates, () => void actions.copyDefault()),
    ...(updates ? { updates } : {}),
  });
  const actions = createTrayActions({
    handlers,
    window,
    notify,
    restartToUpdate: () => updates?.restart(),
    quit: () => app.quit(),
  });
  setupIpc(handlers, (contents) => window.isOurs(contents));
  // The CLI, kubectl and docker ask the app first while it runs (core/agent).
  const agent = smoke ? Promise.resolve(undefined) : serveAgentFromApp(core, env, (line) => console.error(`TokenTray: ${line}`));

  const tray = setupTray({
    icon: join(root, 'assets', process.platform === 'darwin' ? 'trayTemplate.png' : 'tray.png'),
    listAccounts: () => handlers['accounts:list'](),
    isSigningIn: handlers.isSigningIn,
    updateState: () => updates?.state,
    onAction: actions.onAction,
  });
  rebuildTray = tray.rebuild;

  try {
    applyGlobalShortcut(settings.get().globalShortcut, () => void actions.copyDefault());
  } catch (err) {
    notify(describeForWindow(err));
  }
  // Keeps the entry pointing at this copy of the app (an AppImage may have moved since).
  if (startAtLogin && !smoke) void applyStartAtLogin(true).catch((err: unknown) => log(`start at login: ${describeForWindow(err)}`));
  const checkedForUpdates = updates?.start();
  keepTokensFresh(core, changed);
  handleLifecycle(
    window,
    () => {
      void handlers.dispose();
      void agent.then((served) => served?.stop());
    },
    smoke !== undefined,
  );
  if (!smoke) {
    // Started at login: stay in the tray.
    if (startedHidden(process.argv)) window.loadHidden();
    else window.show();
    return;
  }
  window.loadHidden();
  const result = await runSmokeTest(probe!, updates ? { updateChecked: async () => (await checkedForUpdates, updates.state) } : {});
  smoke.cleanup();
  reportAndExit(result);
}

// Not awaited: Electron emits `ready` only after the entry module has finished evaluating, so a
// top-level await on whenReady would hang. main() does its pre-ready work synchronously.
export const started = main().catch((err: unknown) => {
  console.error(`TokenTray could not start: ${redact(err instanceof Error ? err.message : String(err))}`);
  app.exit(1);
});
