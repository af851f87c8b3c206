import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createContext, Script } from 'node:vm';
import { describe, it } from 'node:test';
import { ADD_ACCOUNT_EVENT, API_CHANNELS, CHANGED_EVENT, GUIDE_PAGES } from '../electron/app/ipc-contract.js';
import {
  APP_ENTRY,
  checkedExternalUrl,
  CONTENT_SECURITY_POLICY,
  isAllowedExternalUrl,
  isAllowedNavigation,
  resolveAppFile,
  secureWebPreferences,
} from '../electron/app/window-policy.js';
import { consoleUrl } from '../electron/core/google/console-url.js';
import { isTokenTrayError } from '../electron/core/shared/errors.js';

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs the built preload the way Electron runs a sandboxed one: a wrapper with a limited require. */
async function runPreload() {
  const source = await readFile(join(dist, 'electron', 'preload', 'preload.cjs'), 'utf8');
  const required: string[] = [];
  const exposed: Record<string, Record<string, (...a: unknown[]) => unknown>> = {};
  const invoked: unknown[][] = [];
  const listeners = new Map<string, Set<(...a: unknown[]) => void>>();
  const electron = {
    contextBridge: { exposeInMainWorld: (name: string, api: Record<string, (...a: unknown[]) => unknown>) => (exposed[name] = api) },
    ipcRenderer: {
      invoke: async (...args: unknown[]) => (invoked.push(args), { ok: true, value: null }),
      on: (event: string, fn: (...a: unknown[]) => void) => (listeners.get(event) ?? listeners.set(event, new Set()).get(event)!).add(fn),
      removeListener: (event: string, fn: (...a: unknown[]) => void) => listeners.get(event)?.delete(fn),
    },
  };
  const sandboxRequire = (name: string) => {
    required.push(name);
    if (name === 'electron') return electron;
    throw new Error(`a sandboxed preload cannot require ${name}`);
  };
  const wrapped = new Script(`(function (require, process, Buffer, global, setImmediate, clearImmediate, exports, module) {\n${source}\n})`);
  const fn = wrapped.runInContext(createContext({})) as (...args: unknown[]) => void;
  const module = { exports: {} };
  fn(sandboxRequire, {}, undefined, {}, undefined, undefined, module.exports, module);
  return { required, exposed, invoked, listeners };
}

describe('preload bridge', () => {
  it('loads only electron and exposes the named API, never ipcRenderer', async () => {
    const { required, exposed } = await runPreload();
    assert.deepEqual(required, ['electron']);
    assert.deepEqual(Object.keys(exposed), ['tokentray']);
    assert.deepEqual(Object.keys(exposed.tokentray).sort(), [...Object.keys(API_CHANNELS), 'onAddAccountRequested', 'onChange'].sort());
    assert.ok(!Object.values(exposed.tokentray).some((v) => typeof v !== 'function'), 'functions only');
  });

  it('maps every method to its contract channel with its arguments', async () => {
    const { exposed, invoked } = await runPreload();
    for (const [method, channel] of Object.entries(API_CHANNELS)) {
      await exposed.tokentray[method]('a', 'b', 'c');
      assert.equal(invoked.at(-1)![0], channel, method);
    }
    await exposed.tokentray.copy('id1', 'access', 'curl');
    assert.deepEqual(invoked.at(-1), ['tokens:copy', 'id1', 'access', 'curl']);
    await exposed.tokentray.listAccounts();
    assert.deepEqual(invoked.at(-1), ['accounts:list']);
  });

  it('subscribes to change events and unsubscribes', async () => {
    const { exposed, listeners } = await runPreload();
    let calls = 0;
    const off = exposed.tokentray.onChange(() => calls++) as () => void;
    exposed.tokentray.onAddAccountRequested(() => calls++);
    for (const fn of listeners.get(CHANGED_EVENT)!) fn({ sender: 'ignored' }, 'payload');
    assert.equal(calls, 1);
    assert.equal(listeners.get(ADD_ACCOUNT_EVENT)!.size, 1);
    off();
    assert.equal(listeners.get(CHANGED_EVENT)!.size, 0);
  });
});

describe('window policy (Electron security checklist)', () => {
  it('hardens webPreferences', () => {
    const prefs = secureWebPreferences('/p.cjs');
    assert.deepEqual(
      {
        contextIsolation: prefs.contextIsolation,
        sandbox: prefs.sandbox,
        nodeIntegration: prefs.nodeIntegration,
        webSecurity: prefs.webSecurity,
        allowRunningInsecureContent: prefs.allowRunningInsecureContent,
        webviewTag: prefs.webviewTag,
      },
      { contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, allowRunningInsecureContent: false, webviewTag: false },
    );
  });

  it('has a CSP with no remote sources, mirrored in index.html', async () => {
    assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/);
    assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-|https?:|\*/);
    const html = await readFile(join(dist, 'renderer', 'index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    // frame-ancestors is not allowed in a meta tag; the header carries it.
    assert.equal(meta, CONTENT_SECURITY_POLICY.replace("; frame-ancestors 'none'", ''));
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline scripts');
  });

  it('allows navigation only to the entry page', () => {
    assert.equal(isAllowedNavigation(APP_ENTRY), true);
    for (const url of [
      'https://accounts.google.com/',
      'app://tokentray/other.html',
      'app://evil/index.html',
      'file:///index.html',
      'javascript:alert(1)',
      'nonsense',
    ]) {
      assert.equal(isAllowedNavigation(url), false, url);
    }
  });

  it("opens only the Cloud Console's pages and this home's own sign-in start pages in the system browser", () => {
    const home = '/home/u/.config/TokenTray';
    const page = `file://${home}/sign-in/4242-aB3dE9/start.html`;
    const asAccount = consoleUrl({ kind: 'user', email: 'ada@example.test', subject: '1', flavor: 'google' }, { project: 'my-project' });
    for (const ok of [...Object.values(GUIDE_PAGES), asAccount, 'https://console.cloud.google.com/', page])
      assert.equal(isAllowedExternalUrl(ok, home), true, ok);
    for (const bad of [
      // https, but no page the app opens: the issuer is reached through the start page only.
      'https://accounts.google.com/o/oauth2/v2/auth?x=1',
      'https://example.invalid/',
      'https://console.cloud.google.com.example.invalid/',
      'https://console.cloud.google.com:8443/',
      'https://example.invalid/?https://console.cloud.google.com/',
      'https://u@console.cloud.google.com/',
      'http://console.cloud.google.com/',
      'http://accounts.google.com/',
      'http://127.0.0.1:5000/start/abc',
      'https://127.0.0.1:5000/start/abc',
      'https://localhost/x',
      'https://[::1]/',
      'https://0x7f.1/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://host/share',
      'https://user:pw@example.com/',
      'nonsense',
      `file://${home}/sign-in/4242-aB3dE9/../../accounts.json`,
      `file://${home}/sign-in/evil/start.html`,
      `file://${home}/sign-in/4242-aB3dE9/start.html?x=1`,
      `file://${home}/sign-in/4242-aB3dE9/sub/start.html`,
      `file://otherhost${home}/sign-in/4242-aB3dE9/start.html`,
      `file:///other/TokenTray/sign-in/4242-aB3dE9/start.html`,
      // The start page spelt otherwise than its own address: each reads as it to a URL parser.
      `file://localhost${home}/sign-in/4242-aB3dE9/start.html`,
      `file:${home}/sign-in/4242-aB3dE9/start.html`,
      `FILE://${home}/sign-in/4242-aB3dE9/start.html`,
      `file://${home.replaceAll('/', '\\')}\\sign-in\\4242-aB3dE9\\start.html`,
      `file://${home}/sign-in/4242-aB3dE9/%73tart.html`,
      `file://${home}/sign-in/x/../4242-aB3dE9/start.html`,
      `file://${home}/sign-in/x/%2e%2e/4242-aB3dE9/start.html`,
      `file://${home}/sign-in/4242-aB3dE9/start.html?`,
      `file://${home}/sign-in/4242-aB3dE9/start.html#`,
      `file://${home}/sign-in/4242-aB3dE9/start\t.html`,
    ]) {
      assert.equal(isAllowedExternalUrl(bad, home), false, bad);
    }
  });

  it('hands the browser a Console page as the checking parser reads it, a start page as it is, and refuses the rest', () => {
    const home = '/home/u/.config/TokenTray';
    const page = `file://${home}/sign-in/4242-aB3dE9/start.html`;
    assert.equal(checkedExternalUrl(page, home), page);
    for (const [given, handed] of [
      ['https://console.cloud.google.com/apis/credentials', 'https://console.cloud.google.com/apis/credentials'],
      ['https://CONSOLE.cloud.google.com:443\\apis\\credentials', 'https://console.cloud.google.com/apis/credentials'],
      ['https://console.cloud.google.com/\t@example.invalid', 'https://console.cloud.google.com/@example.invalid'],
    ]) {
      assert.equal(checkedExternalUrl(given, home), handed, given);
    }
    for (const bad of ['https://example.invalid/', 'https://console.cloud.google.com.example.invalid/', 'http://127.0.0.1:5000/start/abc'])
      assert.throws(
        () => checkedExternalUrl(bad, home),
        (err) => isTokenTrayError(err, 'EXTERNAL_URL_REFUSED'),
        bad,
      );
  });

  it('maps app:// requests into the renderer folder only', () => {
    assert.equal(resolveAppFile('/r', 'app://tokentray/index.html'), '/r/index.html');
    assert.equal(resolveAppFile('/r', 'app://tokentray/'), '/r/index.html');
    assert.equal(resolveAppFile('/r', 'app://tokentray/assets/a.js'), '/r/assets/a.js');
    // URL parsing already removes dot segments, plain or percent-encoded; encoded slashes are the way out.
    assert.equal(resolveAppFile('/r', 'app://tokentray/../x'), '/r/x');
    assert.equal(resolveAppFile('/r', 'app://tokentray/%2e%2e/x'), '/r/x');
    for (const bad of [
      'app://tokentray/%2F..%2F..%2Fetc%2Fpasswd',
      'app://tokentray/a/..%2F..%2F..%2Fx',
      'app://other/index.html',
      'https://tokentray/index.html',
      'app://tokentray/%00',
      'app://tokentray/%E0%A4%A',
    ]) {
      assert.equal(resolveAppFile('/r', bad), null, bad);
    }
  });
});
