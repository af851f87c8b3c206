import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { register } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { ADD_ACCOUNT_EVENT, INVOKE_CHANNELS } from '../electron/app/ipc-contract.js';
import { appDataDir } from '../electron/core/storage/paths.js';
import { APP_ENTRY, CONTENT_SECURITY_POLICY } from '../electron/app/window-policy.js';
import { startTestIdp } from './support/idp.js';
import { makeSandbox, type Sandbox } from './support/sandbox.js';

type Stub = typeof import('./support/electron-stub/electron.js');

/**
 * The main-process glue, run in Node with a stand-in for the `electron` module: checks how it
 * wires Electron (window options, IPC, protocol, permissions, navigation, tray), as far as that can
 * be seen without Electron's binary.
 */
describe('main-process glue, wired to a stand-in electron module', () => {
  let stub: Stub;
  let sandbox: Sandbox;

  before(async () => {
    sandbox = await makeSandbox();
    Object.assign(process.env, { TOKENTRAY_HOME: sandbox.env.TOKENTRAY_HOME, TOKENTRAY_KEYCHAIN_SERVICE: sandbox.env.TOKENTRAY_KEYCHAIN_SERVICE });
    register('./support/electron-stub/hooks.js', import.meta.url);
    stub = (await import('electron')) as unknown as Stub;
    // Electron emits ready only after the entry module has evaluated: an import that waits for
    // ready (a top-level await on whenReady) would never finish.
    let timer: NodeJS.Timeout | undefined;
    const main = await Promise.race([
      import('../electron/main/main.js'),
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error('main.js waits for ready while it evaluates: in Electron it would hang')), 30_000)),
      ),
    ]).finally(() => clearTimeout(timer));
    // Pre-ready work happened while the entry module evaluated; nothing that needs ready yet.
    assert.deepEqual(stub.recorded.calls, ['protocol.registerSchemesAsPrivileged']);
    await stub.finishEntryModule();
    await main.started;
  });
  after(async () => {
    await sandbox.cleanup();
  });

  const win = () => stub.recorded.windows[0];
  const event = (sender: unknown, frameUrl: string, parent: unknown = null) => ({ sender, senderFrame: { url: frameUrl, parent } });

  it("uses the CLI's app-data folder and a single instance", () => {
    assert.equal(stub.recorded.paths.userData, appDataDir());
    assert.equal(stub.recorded.paths.userData, sandbox.home);
    assert.equal(stub.recorded.singleInstanceLock, 1);
    assert.deepEqual(stub.recorded.names, ['TokenTray']);
  });

  it('a second launch shows and focuses the first window', () => {
    win().hide();
    const focused = win().focused;
    stub.app.emit('second-instance', {}, ['/usr/bin/tokentray'], '/');
    assert.equal(win().isVisible(), true);
    assert.equal(win().focused, focused + 1);
  });

  it('opens one hardened window on our own content', () => {
    assert.equal(stub.recorded.windows.length, 1);
    const prefs = win().options.webPreferences as Record<string, unknown>;
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.webSecurity, true);
    assert.equal(prefs.webviewTag, false);
    assert.ok(existsSync(prefs.preload as string), `the preload exists: ${String(prefs.preload)}`);
    assert.equal(win().url, APP_ENTRY);
    assert.deepEqual(stub.recorded.privilegedSchemes, [
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: false, corsEnabled: false } },
    ]);
  });

  it('serves the renderer on app:// with the CSP header, and nothing outside it', async () => {
    const handle = stub.recorded.protocolHandlers.app;
    const ok = await handle(new Request('app://tokentray/index.html'));
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
    assert.match(await ok.text(), /<title>TokenTray<\/title>/);
    for (const bad of [
      'app://tokentray/../../package.json',
      'app://tokentray/%2e%2e/%2e%2e/package.json',
      'app://other/index.html',
      'app://tokentray/missing.js',
    ]) {
      assert.equal((await handle(new Request(bad))).status, 404, bad);
    }
  });

  it('denies permissions, navigation away and new windows', () => {
    let granted: boolean | undefined;
    stub.recorded.permissionRequest!({}, 'media', (ok) => (granted = ok));
    assert.equal(granted, false);
    assert.equal(stub.recorded.permissionCheck!(), false);
    const contents = win().webContents;
    const navigate = (url: string) => {
      let prevented = false;
      contents.emit('will-navigate', { preventDefault: () => (prevented = true) }, url);
      return prevented;
    };
    assert.equal(navigate('https://evil.example/'), true);
    assert.equal(navigate('app://tokentray/other.html'), true);
    assert.equal(navigate(APP_ENTRY), false);
    assert.deepEqual(contents.windowOpenHandler!({ url: 'https://evil.example/' }), { action: 'deny' });
  });

  it('registers every IPC channel and checks the sender first', async () => {
    assert.deepEqual(Object.keys(stub.recorded.ipcHandlers).sort(), [...INVOKE_CHANNELS].sort());
    const list = stub.recorded.ipcHandlers['accounts:list'];
    assert.deepEqual(await list(event(win().webContents, APP_ENTRY)), { ok: true, value: [] });
    const untrusted = { ok: false, code: 'UNTRUSTED_SENDER', message: 'Refused a request that did not come from the TokenTray window.' };
    assert.deepEqual(await list(event(new stub.WebContents(), APP_ENTRY)), untrusted, 'another web contents');
    assert.deepEqual(await list(event(win().webContents, 'https://evil.example/')), untrusted, 'foreign content in our window');
    assert.deepEqual(await list(event(win().webContents, APP_ENTRY, {})), untrusted, 'a subframe');
    const badArgs = (await stub.recorded.ipcHandlers['tokens:copy'](event(win().webContents, APP_ENTRY), 'x', 'refresh', 'raw')) as { code: string };
    assert.equal(badArgs.code, 'INVALID_ARGUMENT');
  });

  it('hands only the private start page of the sign-in to shell.openExternal', async () => {
    const idp = await startTestIdp({ mode: 'google' });
    try {
      const ours = event(win().webContents, APP_ENTRY);
      const signIn = stub.recorded.ipcHandlers['accounts:sign-in'](ours, {
        issuer: idp.issuer,
        flavor: 'google',
        clientId: idp.client.clientId,
        clientSecret: idp.client.clientSecret,
      }) as Promise<{ ok: boolean; code?: string }>;
      for (let i = 0; i < 100 && stub.recorded.openedExternal.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(stub.recorded.openedExternal.length, 1);
      // The opener's arguments are public (ps): it gets a page only this user can read, which sends
      // the browser to a loopback address that redirects once.
      const page = stub.recorded.openedExternal[0];
      assert.match(page, /^file:\/\/\/.*\/sign-in\/\d+-\w{6}\/start\.html$/);
      const start = /content="0;url=(http:[^"]+)"/.exec(await readFile(fileURLToPath(page), 'utf8'))![1];
      assert.match(start, /^http:\/\/127\.0\.0\.1:\d+\/start\/[\w-]{43}$/);
      const redirect = await fetch(start, { redirect: 'manual' });
      assert.equal(redirect.status, 302);
      const opened = new URL(redirect.headers.get('location')!);
      assert.equal(`${opened.origin}${opened.pathname}`, `${idp.issuer}/auth`);
      assert.equal(opened.searchParams.get('code_challenge_method'), 'S256');
      assert.deepEqual(await stub.recorded.ipcHandlers['accounts:cancel-sign-in'](ours), { ok: true, value: true });
      assert.equal((await signIn).code, 'LOGIN_CANCELLED');
      // A renderer cannot make it open anything else: a plain-http issuer elsewhere is refused first.
      const refused = (await stub.recorded.ipcHandlers['accounts:sign-in'](ours, { issuer: 'http://evil.example', clientId: 'x' })) as { code: string };
      assert.equal(refused.code, 'INSECURE_ISSUER');
      assert.equal(stub.recorded.openedExternal.length, 1);
    } finally {
      await idp.close();
    }
  });

  it('builds the tray menu and acts on it', async () => {
    const tray = stub.recorded.trays[0];
    assert.equal(tray.tooltip, 'TokenTray');
    const labels = () => ((tray.menu ?? []) as Array<{ label?: string }>).map((m) => m.label ?? '---');
    // The menu is rebuilt asynchronously after each change: wait for it to settle.
    for (let i = 0; i < 100 && !labels().includes('Add account…'); i++) await new Promise((r) => setTimeout(r, 10));
    const menu = tray.menu as Array<{ label?: string; click?: () => void }>;
    assert.deepEqual(
      menu.map((m) => m.label ?? '---'),
      ['No accounts yet', '---', 'Add account…', 'Open TokenTray', 'Open Cloud Console', '---', 'Quit TokenTray'],
    );
    menu.find((m) => m.label === 'Add account…')!.click!();
    assert.equal(win().webContents.sent.at(-1), ADD_ACCOUNT_EVENT);
  });

  it('hides the window on close and quits only from the tray', async () => {
    assert.equal(win().tryClose(), false, 'closing hides to the tray');
    assert.equal(stub.recorded.quit, 0);
    const menu = stub.recorded.trays[0].menu as Array<{ label?: string; click?: () => void }>;
    menu.find((m) => m.label === 'Quit TokenTray')!.click!();
    assert.equal(stub.recorded.quit, 1);
    assert.equal(win().tryClose(), true, 'after Quit the window really closes');
  });
  it("keeps Electron's lifecycle order: privileged scheme before ready; protocol, session, window, tray, shortcut after", () => {
    const calls = stub.recorded.calls;
    const at = (call: string) => {
      assert.ok(calls.includes(call), `${call} was called: ${calls.join(', ')}`);
      return calls.indexOf(call);
    };
    const ready = at('ready');
    assert.ok(at('protocol.registerSchemesAsPrivileged') < ready);
    for (const after of ['session.defaultSession', 'protocol.handle', 'new BrowserWindow', 'new Tray', 'globalShortcut.unregisterAll'])
      assert.ok(at(after) > ready, after);
    assert.ok(!calls.some((c) => c.startsWith('exit')), 'main started without exiting');
  });
});

describe("the stand-in electron module keeps Electron's lifecycle rules", () => {
  it('throws on what needs ready before ready, and on privileged schemes after it', async () => {
    const { createElectron } = await import('./support/electron-stub/electron.js');
    const e = createElectron();
    let resolved = false;
    void e.app.whenReady().then(() => (resolved = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(resolved, false, 'whenReady waits for the entry module to finish');
    assert.throws(() => new e.BrowserWindow({}), /before the app is ready/);
    assert.throws(() => new e.Tray({}), /before the app is ready/);
    assert.throws(() => e.protocol.handle('app', async () => new Response('')), /before the app is ready/);
    assert.throws(() => e.globalShortcut.register('Alt+T'), /before the app is ready/);
    assert.throws(() => e.session.defaultSession, /before the app is ready/);
    e.protocol.registerSchemesAsPrivileged([{ scheme: 'app' }]);
    assert.throws(() => e.protocol.registerSchemesAsPrivileged([{ scheme: 'app' }]), /only once/);
    const finished = e.finishEntryModule();
    assert.equal(resolved, false, 'ready comes on a later turn, not during the entry module');
    await finished;
    await e.app.whenReady();
    assert.equal(resolved, true);
    assert.throws(() => e.protocol.registerSchemesAsPrivileged([{ scheme: 'other' }]), /before app is ready/);
    assert.doesNotThrow(() => new e.Tray({}));
    assert.deepEqual(e.recorded.calls, ['protocol.registerSchemesAsPrivileged', 'ready', 'new Tray']);
  });
});
