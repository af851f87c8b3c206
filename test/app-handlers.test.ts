import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHandlers, TokenWarmer, type AppHandlers } from '../electron/app/handlers/index.js';
import { SignInSlot } from '../electron/app/handlers/accounts.js';
import { Serial } from '../electron/app/handlers/deps.js';
import { MetadataSwitch } from '../electron/app/handlers/metadata.js';
import { ClipboardGuard } from '../electron/app/clipboard-guard.js';
import type { Core } from '../electron/core/core.js';
import { INVOKE_CHANNELS } from '../electron/app/ipc-contract.js';
import { dispatch } from '../electron/app/ipc-dispatch.js';
import { SettingsStore } from '../electron/core/storage/settings-store.js';
import { APP_ORIGIN, isTrustedSender } from '../electron/app/window-policy.js';
import { revokeAtIdp } from './support/flows.js';
import { HttpBrowser } from './support/http-browser.js';
import { startTestIdp, type TestIdp } from './support/idp.js';
import { RecordingClipboard } from './support/renderer-harness.js';
import { makeSandbox, type Sandbox } from './support/sandbox.js';

describe('IPC sender check', () => {
  const ok = { isOurWindow: true, isMainFrame: true, frameUrl: `${APP_ORIGIN}/index.html` };
  it("accepts our window's main frame showing our content", () => {
    assert.equal(isTrustedSender(ok, APP_ORIGIN), true);
  });
  it('refuses other windows, subframes, other origins and missing URLs', () => {
    for (const bad of [
      { ...ok, isOurWindow: false },
      { ...ok, isMainFrame: false },
      { ...ok, frameUrl: 'https://evil.example/index.html' },
      { ...ok, frameUrl: 'app://other/index.html' },
      { ...ok, frameUrl: 'file:///index.html' },
      { ...ok, frameUrl: undefined },
      { ...ok, frameUrl: 'not a url' },
    ])
      assert.equal(isTrustedSender(bad, APP_ORIGIN), false, JSON.stringify(bad));
  });
});

describe('IPC argument validation (dispatch)', () => {
  const calls: string[] = [];
  const handlers = Object.fromEntries(INVOKE_CHANNELS.map((c) => [c, async (...args: unknown[]) => (calls.push(c), args)])) as unknown as AppHandlers;

  it('passes well-formed calls to the handler', async () => {
    const good: Array<[string, unknown[]]> = [
      ['accounts:list', []],
      ['accounts:sign-in', [{ scopes: ['email', 'cloud-platform'], loginHint: 'a@b.c', issuer: 'https://accounts.google.com', flavor: 'google' }]],
      ['accounts:sign-in', [{}]],
      ['accounts:cancel-sign-in', []],
      ['accounts:remove', ['abc']],
      ['accounts:set-default', ['abc']],
      ['tokens:get', ['abc']],
      ['tokens:refresh', ['abc']],
      ['tokens:copy', ['abc', 'id', 'curl']],
      ['tokens:copy', ['abc', 'id', 'raw', { audience: 'https://x.example' }]],
      ['tokens:copy', ['abc', 'access', 'raw', { impersonated: true }]],
      ['tokens:info', ['abc']],
      ['accounts:import-service-account', ['{"type":"service_account"}']],
      ['accounts:set-impersonation', ['abc', ['sa@p.iam.gserviceaccount.com']]],
      ['accounts:set-impersonation', ['abc', []]],
      ['accounts:set-quota-project', ['abc', 'proj-billing']],
      ['accounts:set-quota-project', ['abc', '']],
      ['metadata:get', []],
      ['metadata:set', [{ enabled: false }]],
      ['metadata:set', [{ enabled: true, accountId: 'abc' }]],
      ['settings:get', []],
      ['settings:set', [{ clipboardClearSeconds: 10 }]],
      ['accounts:import-adc', []],
      ['metadata:copy-exports', []],
      ['guide:open', ['consent-screen']],
      ['guide:open', ['credentials']],
      ['accounts:open-console', ['abc']],
    ];
    for (const [channel, args] of good) {
      const result = await dispatch(handlers, channel, args);
      assert.equal(result.ok, true, `${channel} ${JSON.stringify(result)}`);
    }
    assert.equal(calls.length, good.length);
  });

  it('refuses malformed calls with INVALID_ARGUMENT before any handler runs', async () => {
    calls.length = 0;
    const bad: Array<[string, unknown]> = [
      ['accounts:delete-everything', []],
      ['__proto__', []],
      ['accounts:list', 'not-an-array'],
      ['accounts:list', [1]],
      ['accounts:remove', []],
      ['accounts:remove', [42]],
      ['accounts:remove', ['']],
      ['accounts:remove', ['x'.repeat(201)]],
      ['accounts:sign-in', [null]],
      ['accounts:sign-in', [[]]],
      ['accounts:sign-in', [{ scopes: 'email' }]],
      ['accounts:sign-in', [{ scopes: [1] }]],
      ['accounts:sign-in', [{ flavor: 'saml' }]],
      ['accounts:sign-in', [{ redirectUri: 'http://evil' }]],
      ['accounts:sign-in', [{ clientJson: 'x'.repeat(70_000) }]],
      ['tokens:copy', ['abc', 'refresh', 'raw']],
      ['tokens:copy', ['abc', 'access', 'html']],
      ['tokens:copy', ['abc', 'access']],
      ['tokens:copy', ['abc', 'access', 'raw', { impersonated: 'yes' }]],
      ['tokens:copy', ['abc', 'access', 'raw', { audience: '' }]],
      ['tokens:copy', ['abc', 'access', 'raw', { target: 'x' }]],
      ['tokens:copy', ['abc', 'access', 'raw', {}, 'extra']],
      ['accounts:import-service-account', [{ type: 'service_account' }]],
      ['accounts:import-service-account', ['x'.repeat(70_000)]],
      ['accounts:set-impersonation', ['abc', 'sa@p.iam.gserviceaccount.com']],
      ['accounts:set-impersonation', ['abc', [1]]],
      ['accounts:set-quota-project', ['abc', 42]],
      ['accounts:set-quota-project', ['abc']],
      ['accounts:set-quota-project', ['abc', 'p'.repeat(101)]],
      ['metadata:set', [{ enabled: 'yes' }]],
      ['metadata:set', [{ enabled: true, port: 80 }]],
      ['metadata:set', [true]],
      ['accounts:import-adc', ['/home/someone/.config/gcloud/application_default_credentials.json']],
      ['metadata:copy-exports', ['export X=1']],
      ['guide:open', ['https://evil.example/']],
      ['guide:open', []],
      ['accounts:open-console', []],
      ['accounts:open-console', [42]],
      ['accounts:open-console', ['abc', 'extra']],
      ['accounts:set-impersonation', ['abc', Array.from({ length: 11 }, () => 'a@b')]],
      ['settings:set', [{ clipboardClearSeconds: '5' }]],
      ['settings:set', [{ theme: 'dark' }]],
      ['settings:set', [{ globalShortcut: 'x'.repeat(201) }]],
    ];
    for (const [channel, args] of bad) {
      const result = await dispatch(handlers, channel, args);
      assert.deepEqual([result.ok, result.ok ? '' : result.code], [false, 'INVALID_ARGUMENT'], `${channel} ${JSON.stringify(args).slice(0, 60)}`);
    }
    assert.deepEqual(calls, []);
  });

  it("reports a handler's own failure as a Result, never a throw", async () => {
    const failing = {
      ...handlers,
      'accounts:list': async () => {
        throw new Error('boom');
      },
    } as AppHandlers;
    assert.deepEqual(await dispatch(failing, 'accounts:list', []), { ok: false, code: 'INTERNAL', message: 'Something went wrong in TokenTray: boom' });
  });
});

describe('handlers over the real core', () => {
  let idp: TestIdp;
  let sandbox: Sandbox;
  let core: Core;
  let handlers: AppHandlers;
  let clock = Date.now();
  const clipboard = new RecordingClipboard();
  let changes = 0;
  let browserUser = 'hana@example.test';
  let holdBrowser = false;
  const opened: string[] = [];
  const browsers: HttpBrowser[] = [];

  before(async () => {
    idp = await startTestIdp({ mode: 'google' });
    sandbox = await makeSandbox();
    core = sandbox.core(() => clock);
    const settings = new SettingsStore(core.home);
    await settings.load();
    handlers = createHandlers({
      core,
      settings,
      clipboard: new ClipboardGuard(clipboard, () => 0),
      async openExternal(url) {
        opened.push(url);
        if (holdBrowser) return;
        const browser = new HttpBrowser(browserUser);
        browsers.push(browser);
        void browser.visit(url);
      },
      onChange: () => void changes++,
    });
  });
  after(async () => {
    await sandbox.cleanup();
    await idp.close();
  });

  const client = () => ({ clientId: idp.client.clientId, clientSecret: idp.client.clientSecret, issuer: idp.issuer, flavor: 'google' as const });

  it('signs in, reports changes, and lists the account', async () => {
    const before = changes;
    const account = await handlers['accounts:sign-in']({ ...client(), loginHint: 'hana@example.test', scopes: ['email cloud-platform'] });
    assert.equal(account.email, 'hana@example.test');
    assert.equal(account.default, true);
    assert.ok(changes >= before + 2, 'start and end of the sign-in are announced');
    // The browser gets the one-time start address, which redirects to the issuer.
    assert.match(opened.at(-1)!, /^file:\/\/\/.*\/home\/sign-in\/\d+-\w{6}\/start\.html$/, 'the private start page, never an address');
    const authorization = new URL(browsers.at(-1)!.history[1]);
    assert.equal(`${authorization.origin}${authorization.pathname}`, `${idp.issuer}/auth`);
    assert.equal(authorization.searchParams.get('scope'), 'openid email https://www.googleapis.com/auth/cloud-platform');
    assert.deepEqual(
      (await handlers['accounts:list']()).map((a) => a.email),
      ['hana@example.test'],
    );
  });

  it('signing an account in again refuses anyone else the browser brings back, and stores nothing', async () => {
    const hana = (await handlers['accounts:list']()).find((a) => a.email === 'hana@example.test')!;
    const before = await handlers['accounts:list']();
    browserUser = 'mallory@example.test';
    try {
      await assert.rejects(handlers['accounts:sign-in']({ accountId: hana.id }), { code: 'LOGIN_IDENTITY_MISMATCH' });
    } finally {
      browserUser = 'hana@example.test';
    }
    assert.deepEqual(await handlers['accounts:list'](), before);
  });

  it('refuses a second sign-in while one waits, and cancels it', async () => {
    holdBrowser = true;
    const first = handlers['accounts:sign-in']({ loginHint: 'ivan@example.test' });
    while (!handlers.isSigningIn() || opened.length < 2) await new Promise((r) => setTimeout(r, 5));
    await assert.rejects(handlers['accounts:sign-in']({}), { code: 'SIGN_IN_IN_PROGRESS' });
    assert.equal(await handlers['accounts:cancel-sign-in'](), true);
    await assert.rejects(first, { code: 'LOGIN_CANCELLED' });
    assert.equal(handlers.isSigningIn(), false);
    assert.equal(await handlers['accounts:cancel-sign-in'](), false);
    holdBrowser = false;
  });

  it('refuses a Web-application client file without opening a browser', async () => {
    const before = opened.length;
    await assert.rejects(handlers['accounts:sign-in']({ clientJson: JSON.stringify({ web: { client_id: 'x', client_secret: 'y' } }) }), {
      code: 'CLIENT_FILE_WEB_CLIENT',
    });
    assert.equal(opened.length, before);
  });

  it('returns tokens with the decoded ID token, and copies from the cache without the network', async () => {
    const [account] = await handlers['accounts:list']();
    const tokens = await handlers['tokens:get'](account.id);
    assert.equal(tokens.id?.claims.aud, idp.client.clientId);
    assert.equal(tokens.id?.header.alg, 'RS256');
    const grants = { ...idp.grants };
    const result = await handlers['tokens:copy'](account.id, 'access', 'header');
    assert.deepEqual(idp.grants, grants, 'no request to the issuer');
    assert.equal(result.expiresAt, tokens.access.expiresAt);
    assert.ok(clipboard.text === `Authorization: Bearer ${tokens.access.token}`);
  });

  it('sets and clears the quota project (a checked project id); Copy header and Copy curl carry it', async () => {
    const [account] = await handlers['accounts:list']();
    const changed = changes;
    const listed = await handlers['accounts:set-quota-project'](account.id, 'proj-billing');
    assert.equal(listed.find((a) => a.id === account.id)!.quotaProject, 'proj-billing');
    assert.ok(changes > changed, 'the tray and window hear of it');
    const tokens = await handlers['tokens:get'](account.id);
    await handlers['tokens:copy'](account.id, 'access', 'header');
    assert.ok(clipboard.text === `Authorization: Bearer ${tokens.access.token}\nx-goog-user-project: proj-billing`);
    await handlers['tokens:copy'](account.id, 'access', 'curl');
    assert.ok(clipboard.text.startsWith(`curl -H "Authorization: Bearer ${tokens.access.token}" -H "x-goog-user-project: proj-billing" `));
    await assert.rejects(handlers['accounts:set-quota-project'](account.id, 'Not A Project'), { code: 'INVALID_PROJECT' });
    const cleared = await handlers['accounts:set-quota-project'](account.id, '');
    assert.equal(cleared.find((a) => a.id === account.id)!.quotaProject, undefined);
    await handlers['tokens:copy'](account.id, 'access', 'header');
    assert.ok(clipboard.text === `Authorization: Bearer ${tokens.access.token}`);
  });

  it('opens the Cloud Console as the account (the address `tokentray console` opens), and only for a known account', async () => {
    const [account] = await handlers['accounts:list']();
    holdBrowser = true;
    try {
      const before = opened.length;
      assert.equal(await handlers['accounts:open-console'](account.id), true);
      assert.deepEqual(opened.slice(before), [`https://console.cloud.google.com/?authuser=${encodeURIComponent(account.email!)}`]);
      await assert.rejects(handlers['accounts:open-console']('no-such-account'), { code: 'ACCOUNT_NOT_FOUND' });
      assert.equal(opened.length, before + 1, 'nothing opened for an unknown account');
    } finally {
      holdBrowser = false;
    }
  });

  it('keeps tokens fresh ahead of expiry, and reports a revoked account', async () => {
    const [account] = await handlers['accounts:list']();
    const refreshes = idp.grants.refresh_token ?? 0;
    const warmer = new TokenWarmer(core);
    assert.equal(await warmer.round(), false);
    assert.equal(idp.grants.refresh_token ?? 0, refreshes, 'nothing to do while tokens are fresh');
    clock += 56 * 60_000;
    assert.equal(await warmer.round(), false);
    // (The test clock moves but the provider's ID-token expiry does not, so the ID token may be
    // refreshed on its own too: count at least one refresh, then none for the cached access token.)
    assert.ok((idp.grants.refresh_token ?? 0) > refreshes, 'refreshed before expiry');
    const afterWarm = idp.grants.refresh_token;
    await handlers['tokens:copy'](account.id, 'access', 'raw');
    assert.equal(idp.grants.refresh_token, afterWarm, 'a copy after warming needs no refresh');
    await revokeAtIdp(idp, (await core.accounts['vault'].getSecrets(account.id))!.refreshToken);
    clock += 56 * 60_000;
    assert.equal(await warmer.round(), true);
    assert.equal((await handlers['accounts:list']())[0].status, 'signin_required');
    const before = changes;
    await assert.rejects(handlers['tokens:copy'](account.id, 'access', 'raw'), { code: 'REAUTH_REQUIRED' });
    assert.equal(changes, before + 1, 'the window is told the status changed');
  });

  it('signs an account in again with its own client', async () => {
    const [account] = await handlers['accounts:list']();
    const again = await handlers['accounts:sign-in']({ accountId: account.id, loginHint: 'hana@example.test' });
    assert.equal(again.id, account.id);
    assert.equal(again.status, 'ready');
  });

  it('sets the default and removes (revoking) accounts', async () => {
    browserUser = 'ivan@example.test';
    const ivan = await handlers['accounts:sign-in']({ loginHint: 'ivan@example.test' });
    assert.equal(ivan.default, false);
    const list = await handlers['accounts:set-default'](ivan.id);
    assert.deepEqual(
      list.map((a) => [a.email, a.default]),
      [
        ['hana@example.test', false],
        ['ivan@example.test', true],
      ],
    );
    const rt = (await core.accounts['vault'].getSecrets(ivan.id))!.refreshToken;
    assert.deepEqual(await handlers['accounts:remove'](ivan.id), { revoked: true });
    assert.equal((await idp.introspect(rt)).active, false);
    assert.deepEqual(
      (await handlers['accounts:list']()).map((a) => [a.email, a.default]),
      [['hana@example.test', true]],
    );
    await assert.rejects(handlers['tokens:get'](ivan.id), { code: 'ACCOUNT_NOT_FOUND' });
  });

  it('sets and clears an impersonation target, refusing what is not an email', async () => {
    const [account] = await handlers['accounts:list']();
    await assert.rejects(handlers['accounts:set-impersonation'](account.id, ['not an email']), { code: 'USAGE' });
    const list = await handlers['accounts:set-impersonation'](account.id, ['t@p.iam.gserviceaccount.com', 'd@p.iam.gserviceaccount.com']);
    assert.deepEqual(list[0].impersonate, ['t@p.iam.gserviceaccount.com', 'd@p.iam.gserviceaccount.com']);
    assert.deepEqual((await handlers['accounts:set-impersonation'](account.id, []))[0].impersonate, []);
    await assert.rejects(handlers['tokens:copy'](account.id, 'access', 'raw', { impersonated: true }), { code: 'INVALID_ARGUMENT' });
  });

  it('refuses a wrong service-account key without touching the keychain', async () => {
    await assert.rejects(handlers['accounts:import-service-account']('{"installed": {"client_id": "x"}}'), { code: 'SA_KEY_WRONG_TYPE' });
    await assert.rejects(handlers['accounts:import-service-account']('nope'), { code: 'SA_KEY_INVALID_JSON' });
    assert.equal((await handlers['accounts:list']()).length, 1);
  });

  it('rolls settings back when applying them fails, and applies the previous ones again', async () => {
    const settings = new SettingsStore(core.home);
    await settings.load();
    const applied: string[] = [];
    const h = createHandlers({
      core,
      settings,
      clipboard: new ClipboardGuard(clipboard, () => 0),
      openExternal: async () => undefined,
      onChange: () => undefined,
      onSettingsChange: (s) => {
        applied.push(s.globalShortcut);
        if (s.globalShortcut === 'Alt+X') throw Object.assign(new Error('taken'), { code: 'SHORTCUT_UNAVAILABLE' });
      },
    });
    await h['settings:set']({ globalShortcut: 'Alt+Y' });
    await assert.rejects(h['settings:set']({ globalShortcut: 'Alt+X' }), /taken/);
    assert.equal((await h['settings:get']()).globalShortcut, 'Alt+Y');
    assert.equal((await new SettingsStore(core.home).load()).globalShortcut, 'Alt+Y');
    assert.deepEqual(applied, ['Alt+Y', 'Alt+X', 'Alt+Y'], 'the old shortcut is registered again');
  });

  it('switches the metadata server one toggle at a time, leaving none behind', async () => {
    const [on1, on2] = await Promise.all([handlers['metadata:set']({ enabled: true }), handlers['metadata:set']({ enabled: true })]);
    assert.ok(on1.running && on2.running);
    assert.notEqual(on1.host, on2.host, 'the second replaced the first');
    await assert.rejects(fetch(`http://${on1.host}/`, { headers: { 'Metadata-Flavor': 'Google' } }), 'the first was stopped');
    assert.deepEqual(await handlers['metadata:set']({ enabled: false }), { running: false });
    await assert.rejects(fetch(`http://${on2.host}/`, { headers: { 'Metadata-Flavor': 'Google' } }));
  });
  it('checks setting values in the store, after the contract checked their shape', async () => {
    const result = await dispatch(handlers, 'settings:set', [{ clipboardClearSeconds: -5 }]);
    assert.deepEqual([result.ok, result.ok ? '' : result.code], [false, 'SETTINGS_INVALID']);
  });

  it('applies overlapping settings changes one at a time, so a rollback restores what its own change replaced', async () => {
    const settings = new SettingsStore(core.home);
    await settings.load();
    const applied: string[] = [];
    const h = createHandlers({
      core,
      settings,
      clipboard: new ClipboardGuard(clipboard, () => 0),
      openExternal: async () => undefined,
      onChange: () => undefined,
      async onSettingsChange(s) {
        applied.push(s.globalShortcut);
        // The failing one takes its time, so the other change arrives while it is being applied.
        if (s.globalShortcut === 'Alt+X') {
          await new Promise((r) => setTimeout(r, 50));
          throw new Error('taken');
        }
      },
    });
    await h['settings:set']({ globalShortcut: 'Alt+Y' });
    const [failed, second] = await Promise.allSettled([h['settings:set']({ globalShortcut: 'Alt+X' }), h['settings:set']({ globalShortcut: 'Alt+Z' })]);
    assert.equal(failed.status, 'rejected');
    assert.equal(second.status, 'fulfilled');
    assert.deepEqual(applied, ['Alt+Y', 'Alt+X', 'Alt+Y', 'Alt+Z']);
    assert.equal((await new SettingsStore(core.home).load()).globalShortcut, 'Alt+Z', 'saved is what was applied last');
  });

  it('stops the metadata server for good on dispose, even while a switch is under way', async () => {
    const h = createHandlers({
      core,
      settings: new SettingsStore(core.home),
      clipboard: new ClipboardGuard(clipboard, () => 0),
      openExternal: async () => undefined,
      onChange: () => undefined,
    });
    const running = await h['metadata:set']({ enabled: true });
    const restarting = h['metadata:set']({ enabled: true });
    await h.dispose();
    await assert.rejects(restarting, { code: 'APP_QUITTING' }, 'a start still queued when quitting is refused');
    await assert.rejects(fetch(`http://${running.host}/`, { headers: { 'Metadata-Flavor': 'Google' } }), 'dispose stopped the running one');
    assert.deepEqual(await h['metadata:get'](), { running: false });
    await assert.rejects(h['metadata:set']({ enabled: true }), { code: 'APP_QUITTING' });
    assert.deepEqual(await h['metadata:get'](), { running: false });
  });

  it('joins a keep-fresh round asked for while one runs', async () => {
    const warmer = new TokenWarmer(core);
    const [a, b] = [warmer.round(), warmer.round()];
    assert.equal(a, b);
    await a;
    assert.notEqual(warmer.round(), a, 'a later round is a new one');
  });
});

describe('handler state, one owner each', () => {
  it('a sign-in slot holds one attempt, announces its start and end, and cancels it', async () => {
    const seen: boolean[] = [];
    const slot: SignInSlot = new SignInSlot(() => seen.push(slot.busy));
    let release!: () => void;
    let aborted = false;
    const first = slot.hold((signal) => {
      signal.addEventListener('abort', () => (aborted = true));
      return new Promise<string>((r) => (release = () => r('done')));
    });
    assert.equal(slot.busy, true);
    await assert.rejects(
      slot.hold(async () => 'second'),
      { code: 'SIGN_IN_IN_PROGRESS' },
    );
    assert.equal(slot.cancel(), true);
    assert.equal(aborted, true);
    release();
    assert.equal(await first, 'done');
    assert.deepEqual(seen, [true, false], 'announced busy at the start, free at the end (the tray reads busy then)');
    assert.equal(slot.cancel(), false);
    await assert.rejects(
      slot.hold(async () => {
        throw new Error('failed');
      }),
      /failed/,
    );
    assert.equal(slot.busy, false, 'a failed attempt frees the slot');
  });

  it('a serial queue runs tasks in order, never two at once, and goes on after a failure', async () => {
    const serial = new Serial();
    const log: string[] = [];
    let active = 0;
    const task =
      (name: string, ms: number, fail = false) =>
      async () => {
        assert.equal(active++, 0, 'never two at once');
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        active--;
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([serial.run(task('a', 30, true)), serial.run(task('b', 1)), serial.run(task('c', 10))]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'fulfilled', 'fulfilled'],
    );
    assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    await serial.idle();
  });

  it('a metadata switch started and stopped from many overlapping calls leaves at most the last one running', async () => {
    const sandbox = await makeSandbox();
    try {
      const core = sandbox.core();
      {
        const account = await core.accounts['registry'].update((data) => {
          const now = new Date().toISOString();
          const record = {
            id: 'acct1',
            kind: 'user' as const,
            subject: 's',
            email: 'm@example.test',
            issuer: 'https://issuer.invalid',
            flavor: 'google' as const,
            clientId: 'c',
            scopes: [],
            status: 'ready' as const,
            createdAt: now,
            updatedAt: now,
          };
          data.accounts.push(record);
          data.defaultAccount = record.id;
          return record;
        });
        const metadata = new MetadataSwitch(core);
        const toggles = Array.from({ length: 12 }, (_, i) => metadata.set(i % 3 === 2 ? { enabled: false } : { enabled: true, accountId: account.id }));
        const statuses = await Promise.all(toggles);
        const last = statuses.at(-1)!;
        assert.equal(last.running, false);
        for (const s of statuses.filter((x) => x.running))
          await assert.rejects(fetch(`http://${s.host}/`, { headers: { 'Metadata-Flavor': 'Google' } }), `${s.host} was stopped`);
        const on = await metadata.set({ enabled: true });
        assert.equal(on.accountId, account.id, 'the default account');
        await metadata.close();
        await assert.rejects(fetch(`http://${on.host}/`, { headers: { 'Metadata-Flavor': 'Google' } }));
      }
    } finally {
      await sandbox.cleanup();
    }
  });
});
