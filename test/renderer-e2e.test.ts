import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { createHandlers, type AppHandlers } from '../electron/app/handlers/index.js';
import { ClipboardGuard } from '../electron/app/clipboard-guard.js';
import type { Core } from '../electron/core/core.js';
import { SettingsStore } from '../electron/core/storage/settings-store.js';
import { launchChromium, signInWithChromium } from './support/chromium.js';
import { decodeJwtPayload, signInThroughCore } from './support/flows.js';
import { HttpBrowser } from './support/http-browser.js';
import { resolveProviderProfile } from '../electron/core/oauth/provider-profile.js';
import { signIn } from '../electron/core/oauth/sign-in.js';
import { makeServiceAccountKey, startGoogleSim, type GoogleSim } from './support/google-sim.js';
import { startTestIdp, type TestIdp } from './support/idp.js';
import { openApp, overlaps, RecordingClipboard, serveRenderer, shownBoxes, visibilityOf, waitForShown, type AppPage } from './support/renderer-harness.js';
import { makeSandbox, type Sandbox } from './support/sandbox.js';
import { debUpdaterFor, startUpdateFeed, type UpdateFeed } from './support/update-feed.js';
import { UpdatePolicy } from '../electron/app/update-policy.js';
import { updaterPort } from '../electron/app/updater-port.js';
import type { AppHandlerDeps } from '../electron/app/handlers/index.js';

const SHOTS = 'test-results';

/** What page.evaluate code uses of the browser (this file is compiled without DOM types). */
interface BrowserGlobals {
  DataTransfer: new () => { items: { add(file: File): void } };
}

describe('the window, in real Chromium, against the real handlers', () => {
  let browser: Browser;
  let idp: TestIdp;
  let sandbox: Sandbox;
  let core: Core;
  let server: Awaited<ReturnType<typeof serveRenderer>>;
  let handlers: AppHandlers;
  let app: AppPage;
  let sim: GoogleSim;
  const clipboard = new RecordingClipboard();
  /** The text each browser sign-in ended on; a promise, since the tab settles after the app has the account. */
  const loginPages: Array<Promise<string>> = [];
  let nextUser = 'frank@example.test';
  let cancelNext = false;
  // The provider's pages run in Chromium for the cancel and the first sign-in; later sign-ins post
  // the same login and consent forms through HttpBrowser (the window's side is the same, ~2.5 s quicker each).
  let providerInChromium = true;
  /** Cloud Console pages the first-run guide opened. */
  const guidePages: string[] = [];
  /** Where gcloud's ADC file is looked for (CLOUDSDK_CONFIG); outside the sandbox home, removed after. */
  let gcloudDir: string;
  /** Folders the damaged-registry page asked the file manager to open. */
  const openedFolders: string[] = [];
  let deps: AppHandlerDeps;
  let feed: UpdateFeed | undefined;

  before(async () => {
    await mkdir(SHOTS, { recursive: true });
    [browser, idp, sandbox, server] = await Promise.all([
      launchChromium(),
      startTestIdp({ mode: 'google', interaction: 'dev' }),
      makeSandbox(),
      serveRenderer(),
    ]);
    sim = await startGoogleSim(idp);
    sandbox.env.TOKENTRAY_GOOGLE_IAMCREDENTIALS_URL = sim.origin;
    sandbox.env.TOKENTRAY_GOOGLE_TOKENINFO_URL = `${sim.origin}/tokeninfo`;
    gcloudDir = await mkdtemp(join(tmpdir(), 'tokentray-gcloud-'));
    sandbox.env.CLOUDSDK_CONFIG = gcloudDir;
    core = sandbox.core();
    const settings = new SettingsStore(core.home);
    await settings.load();
    deps = {
      core,
      settings,
      clipboard: new ClipboardGuard(clipboard, () => settings.get().clipboardClearSeconds),
      async openExternal(url) {
        if (url.startsWith('https://console.cloud.google.com/')) {
          guidePages.push(url); // the guide's links: recorded, never fetched
          return;
        }
        // The system browser: here a new tab of the same Chromium, driven like a user.
        const text = providerInChromium
          ? signInWithChromium(browser, url, nextUser, { cancel: cancelNext }).then((page) => page.text)
          : new HttpBrowser(nextUser).visit(url).then((page) => page.body);
        text.catch(() => undefined); // awaited by the test that looks at it; not an unhandled rejection meanwhile
        loginPages.push(text);
      },
      onChange: () => void app?.emit('accounts:changed'),
      env: sandbox.env,
      adcIssuer: idp.issuer,
      openFolder: async (path) => void openedFolders.push(path),
    };
    handlers = createHandlers(deps);
    app = await openApp(browser, server.origin, handlers);
  });
  after(async () => {
    await handlers?.dispose();
    await app?.context.close();
    await browser?.close();
    await server?.close();
    await sandbox?.cleanup();
    await sim?.close();
    await idp?.close();
    await feed?.close();
    if (gcloudDir) await rm(gcloudDir, { recursive: true, force: true });
  });

  const shown = async (selector: string) => (await visibilityOf(app.page, selector)).shown;
  /**
   * Waits for the status bar to say `text`. When it never does, the failure says what the window
   * showed instead (the status bar, its alerts) and each call it made to main with its time and
   * outcome, so that a slow step, a missed toast and an error are told apart.
   */
  async function toastSays(text: string | RegExp): Promise<void> {
    try {
      await app.page.locator('#toast').filter({ hasText: text }).waitFor();
    } catch (err) {
      const seen = { toast: await app.page.locator('#toast').textContent(), alerts: await app.page.locator('[role="alert"]').allTextContents() };
      const calls = app.calls().slice(-6).join('; ');
      throw new Error(
        `The status bar never said ${String(text)} (${(err as Error).message.split('\n')[0]}). It showed ${JSON.stringify(seen)}; last calls: ${calls}; clipboard writes: ${clipboard.writes.length}.`,
      );
    }
  }
  /** An open dialog and each of its buttons are inside the 700 px window; then a screenshot. */
  async function dialogFits(id: string, shot: string): Promise<void> {
    const dialog = await waitForShown(app.page, `#${id}`, true);
    assert.ok(dialog.inViewport, `#${id} fits the window: ${JSON.stringify(dialog.box)}`);
    for (const button of await app.page.locator(`#${id} .dialog-actions button`).all()) {
      const box = await button.boundingBox();
      assert.ok(box && box.y >= 0 && box.y + box.height <= 700, `${await button.innerText()} of #${id} is in view`);
    }
    await app.page.screenshot({ path: `${SHOTS}/${shot}.png` });
  }

  it('first run: the steps to an OAuth client, with links to the Cloud Console, and the gcloud path', async () => {
    const { page } = app;
    await waitForShown(page, '[data-view="first-run"]', true);
    assert.deepEqual(app.consoleErrors, [], 'no console errors (CSP holds)');
    const text = await page.locator('[data-view="first-run"]').innerText();
    assert.match(text, /Desktop app/);
    assert.match(text, /client_secret_….json/);
    assert.match(text, /gcloud auth application-default login/);
    assert.equal(await page.locator('[data-path="oauth-client"] ol > li').count(), 5, 'five steps');
    for (const sel of ['[data-path="oauth-client"]', '[data-path="gcloud"]', '[data-action="first-add"]', '[data-action="import-adc"]']) {
      const v = await visibilityOf(page, sel);
      assert.ok(v.shown && v.inViewport, `${sel} is visible in a 700 px window: ${JSON.stringify(v)}`);
    }
    assert.equal(await shown('#add-waiting'), false, 'no spinner anywhere before a sign-in');
    assert.equal(await shown('#account-filter'), false);
    await page.locator('[data-view="first-run"] [data-guide="consent-screen"]').click();
    await page.locator('[data-view="first-run"] [data-guide="credentials"]').click();
    assert.deepEqual(guidePages, ['https://console.cloud.google.com/apis/credentials/consent', 'https://console.cloud.google.com/apis/credentials']);
    await page.screenshot({ path: `${SHOTS}/01-first-run.png` });
  });

  it("first run: importing gcloud's credentials before gcloud wrote them says what to run", async () => {
    const { page } = app;
    await page.click('[data-view="first-run"] [data-action="import-adc"]');
    const error = page.locator('#adc-error');
    await error.filter({ hasText: 'gcloud' }).waitFor();
    assert.equal(
      await error.innerText(),
      `No credentials from gcloud were found at ${join(gcloudDir, 'application_default_credentials.json')}. Run \`gcloud auth application-default login\` in a terminal first, then import again.`,
    );
    assert.ok(await shown('#adc-error'));
  });

  it('the metadata server cannot be switched on with no accounts', async () => {
    const { page } = app;
    await page.click('#open-metadata');
    await waitForShown(page, '#metadata-dialog', true);
    assert.equal(await page.locator('#metadata-enabled').isDisabled(), true);
    assert.ok(await shown('#metadata-no-accounts'));
    assert.equal(await shown('#metadata-lines'), false);
    assert.deepEqual(await handlers['metadata:get'](), { running: false });
    await page.click('#metadata-close');
    await waitForShown(page, '#metadata-dialog', false);
  });

  it('a client file dropped on the window opens Add account with it; the dialog fits the window and scrolls inside', async () => {
    const { page } = app;
    const clientJson = JSON.stringify({
      installed: { client_id: idp.client.clientId, client_secret: idp.client.clientSecret, redirect_uris: ['http://localhost'] },
    });
    const drop = await page.evaluateHandle((json) => {
      const dt = new (globalThis as unknown as BrowserGlobals).DataTransfer();
      dt.items.add(new File([json], 'client_secret_1234-test.apps.googleusercontent.com.json', { type: 'application/json' }));
      return dt;
    }, clientJson);
    await page.locator('#detail').dispatchEvent('dragover', { dataTransfer: drop });
    await page.locator('#detail').dispatchEvent('drop', { dataTransfer: drop });
    await waitForShown(page, '#add-dialog', true);
    assert.equal(
      await page.locator('#client-file').evaluate((el) => (el as unknown as { files: Array<{ name: string }> }).files[0]?.name),
      'client_secret_1234-test.apps.googleusercontent.com.json',
    );
    // The file is in hand: the steps to get one fold away, so every field fits without scrolling.
    assert.equal(
      await page.locator('#client-howto').evaluate((el) => (el as unknown as { open: boolean }).open),
      false,
      'the steps fold away once a file is chosen',
    );
    for (const sel of ['#extra-scopes', '#login-hint', '#scope-presets']) {
      const field = await visibilityOf(page, sel);
      assert.ok(field.shown && field.inViewport, `${sel} is whole in view: ${JSON.stringify(field)}`);
    }
    const fits = await page.locator('#add-form .dialog-scroll').evaluate((el) => {
      const e = el as unknown as { scrollHeight: number; clientHeight: number };
      return e.scrollHeight <= e.clientHeight + 1;
    });
    assert.ok(fits, 'nothing is cut off at the bottom of the dialog');
    // Behind the dialog the first-run guide (the same steps) and its import error are hidden, not repeated.
    for (const sel of ['[data-view="first-run"]', '[data-path="oauth-client"] ol', '#adc-error']) {
      const behind = await visibilityOf(page, sel);
      assert.equal(behind.shown, false, `${sel} is hidden while the dialog is open: ${JSON.stringify(behind)}`);
    }
    // No field is cut off at the dialog's sides.
    const sides = await page.locator('#add-dialog').boundingBox();
    for (const field of await page.locator('#add-dialog input:visible, #add-dialog select:visible, #add-dialog button:visible').all()) {
      const box = await field.boundingBox();
      assert.ok(
        box && sides && box.x >= sides.x && box.x + box.width <= sides.x + sides.width + 0.5,
        `${await field.evaluate((el) => (el as unknown as { outerHTML: string }).outerHTML.slice(0, 80))} is inside the dialog's width`,
      );
    }
    // The spinner is hidden until Sign in is pressed (it was always shown: .waiting{display:flex} beat [hidden]).
    const spinner = await visibilityOf(page, '#add-waiting');
    assert.equal(spinner.shown, false, JSON.stringify(spinner));
    assert.equal(spinner.display, 'none');
    // Fits the 700 px window; its buttons are in view; the rest scrolls inside.
    const dialog = await visibilityOf(page, '#add-dialog');
    assert.ok(dialog.inViewport, `the dialog fits the window: ${JSON.stringify(dialog.box)}`);
    for (const sel of ['#add-submit', '#add-cancel']) assert.ok((await visibilityOf(page, sel)).inViewport, `${sel} in view`);
    await page.screenshot({ path: `${SHOTS}/02-add-dialog.png` });
    // Opened again, the steps make it taller than the window: it scrolls inside, buttons in view.
    await page.click('#client-howto summary');
    const scroll = await page.locator('#add-form .dialog-scroll').evaluate((el) => {
      const e = el as unknown as { scrollHeight: number; clientHeight: number; scrollTop: number };
      const before = { scrollHeight: e.scrollHeight, clientHeight: e.clientHeight };
      e.scrollTop = 10_000;
      return { ...before, scrolled: e.scrollTop > 0 };
    });
    assert.ok(scroll.scrollHeight > scroll.clientHeight && scroll.scrolled, `the content scrolls inside the dialog: ${JSON.stringify(scroll)}`);
    for (const sel of ['#add-submit', '#add-cancel']) assert.ok((await visibilityOf(page, sel)).inViewport, `${sel} still in view when scrolled`);
    // A file that is not JSON is refused with a sentence.
    const notJson = await page.evaluateHandle(() => {
      const dt = new (globalThis as unknown as BrowserGlobals).DataTransfer();
      dt.items.add(new File(['x'], 'notes.txt', { type: 'text/plain' }));
      return dt;
    });
    await page.locator('#add-dialog').dispatchEvent('drop', { dataTransfer: notJson });
    assert.equal(await page.locator('#add-error').innerText(), 'notes.txt is not a JSON file: drop the client_secret_….json you downloaded.');
  });

  it('shows a provider error as a sentence when the user cancels at the provider, without the spinner', async () => {
    cancelNext = true;
    const { page } = app;
    await page.click('#client-fieldset details:not(#client-howto) summary');
    await page.fill('#issuer', idp.issuer);
    await page.selectOption('#flavor', 'google');
    await page.click('#add-submit');
    const error = page.locator('#add-error');
    await error.filter({ hasText: 'declined' }).waitFor();
    assert.match(await error.innerText(), /^Sign-in was declined in the browser \(access_denied\)\. Run the sign-in again and allow access to continue\.$/);
    assert.ok(await shown('#add-error'));
    await waitForShown(page, '#add-waiting', false, 2000);
    assert.equal(await page.locator('#add-submit').isDisabled(), false);
    await page.screenshot({ path: `${SHOTS}/03-provider-error.png` });
    cancelNext = false;
  });

  it("adds an account through the provider's login page and lists it", async () => {
    const { page } = app;
    await page.fill('#login-hint', 'frank@example.test');
    const prompts = idp.prompts.length;
    const opened = loginPages.length;
    await page.click('#add-submit');
    const waiting = await waitForShown(page, '#add-waiting', true);
    assert.ok(waiting.inViewport, 'the spinner is in view while the browser is out');
    await page.screenshot({ path: `${SHOTS}/04-signing-in.png` });
    await page.locator('.account-item').filter({ hasText: 'frank@example.test' }).waitFor();
    await waitForShown(page, '#add-dialog', false);
    assert.deepEqual(idp.prompts.slice(prompts), ['select_account consent'], "Google's account chooser is asked for");
    assert.equal(await page.locator('#add-dialog').evaluate((d) => (d as unknown as { open: boolean }).open), false);
    assert.equal(loginPages.length, opened + 1, 'one browser sign-in per Add');
    assert.match(await loginPages.at(-1)!, /Signed in/);
    const item = page.locator('.account-item').first();
    assert.match(await item.innerText(), /frank@example\.test\s[^\n]*\s*default/);
    await page
      .locator('.token-card[data-kind="access"] .countdown')
      .filter({ hasText: /expires in/ })
      .waitFor();
    await waitForShown(page, '#toast', true);
    await page.screenshot({ path: `${SHOTS}/05-account.png` });
    providerInChromium = false;
  });

  it('masks tokens until revealed, and the countdown moves', async () => {
    const { page } = app;
    const account = (await core.accounts.list())[0];
    const access = await core.tokens.getAccessToken(await core.accounts.resolve(account.id));
    const value = page.locator('[data-token="access"]');
    assert.ok(!(await value.innerText()).includes(access.token), 'masked');
    await page.click('[data-action="reveal-access"]');
    assert.equal(await value.innerText(), access.token);
    await page.click('[data-action="reveal-access"]');
    assert.ok(!(await value.innerText()).includes(access.token), 'hidden again');
    // A revealed ID token (a long JWT) is shown whole, not cut off after three lines.
    const id = (await core.tokens.getIdToken(await core.accounts.resolve(account.id))).token;
    await page.click('[data-action="reveal-id"]');
    const idValue = page.locator('[data-token="id"]');
    assert.equal(await idValue.innerText(), id);
    const fit = await idValue.evaluate((el) => {
      const e = el as unknown as { scrollHeight: number; clientHeight: number };
      return { scrollHeight: e.scrollHeight, clientHeight: e.clientHeight };
    });
    assert.ok(fit.scrollHeight <= fit.clientHeight + 1, `the whole ID token is in view: ${JSON.stringify(fit)}`);
    await page.screenshot({ path: `${SHOTS}/06-revealed.png` });
    await page.click('[data-action="reveal-id"]');
    const countdown = page.locator('.token-card[data-kind="access"] .countdown');
    const first = await countdown.innerText();
    await countdown.filter({ hasNotText: first }).waitFor({ timeout: 3000 });
    assert.match(await countdown.innerText(), /^expires in \d+:\d\d$/);
  });

  it('copies every token form to the clipboard', async () => {
    const { page } = app;
    const account = await core.accounts.resolve();
    const access = (await core.tokens.getAccessToken(account)).token;
    const id = (await core.tokens.getIdToken(account)).token;
    const expected: Array<[string, string, string]> = [
      ['copy-access-raw', access, 'Copied the access token.'],
      ['copy-access-header', `Authorization: Bearer ${access}`, 'Copied the access Authorization header.'],
      ['copy-access-curl', `curl -H "Authorization: Bearer ${access}" https://openidconnect.googleapis.com/v1/userinfo`, 'Copied the access curl command.'],
      ['copy-id-raw', id, 'Copied the ID token.'],
      ['copy-id-header', `Authorization: Bearer ${id}`, 'Copied the ID Authorization header.'],
    ];
    for (const [action, text, message] of expected) {
      const before = clipboard.writes.length;
      await page.click(`[data-action="${action}"]`);
      await toastSays(message);
      assert.equal(clipboard.writes.length, before + 1, action);
      assert.ok(clipboard.writes.at(-1) === text, `${action} put the right text on the clipboard`);
      // The toast is shown, and clear of every card and button.
      const toast = await waitForShown(page, '#toast', true);
      for (const box of [
        ...(await shownBoxes(page, '#detail .token-card, #detail button, #detail .scopes, #detail .account-header', '#detail')),
        ...(await shownBoxes(page, '.sidebar button')),
      ]) {
        assert.ok(!overlaps(toast.box!, box), `the toast covers "${box.label}"`);
      }
    }
  });

  it("shows the ID token's decoded header and claims", async () => {
    const { page } = app;
    await page.click('details.claims summary');
    const claims = JSON.parse(await page.locator('pre[data-claims="payload"]').innerText()) as Record<string, unknown>;
    assert.equal(claims.aud, idp.client.clientId);
    assert.equal(claims.email, 'frank@example.test');
    const header = JSON.parse(await page.locator('pre[data-claims="header"]').innerText()) as Record<string, unknown>;
    assert.equal(header.alg, 'RS256');
  });

  it('refreshes now, keeps the layout, and reflects it', async () => {
    const { page } = app;
    const box = await page.locator('.token-card[data-kind="access"]').boundingBox();
    const before = idp.grants.refresh_token ?? 0;
    await page.click('[data-action="refresh"]');
    await page.locator('body:not([aria-busy])').waitFor({ state: 'attached' });
    assert.equal(idp.grants.refresh_token, before + 1);
    const after = await page.locator('.token-card[data-kind="access"]').boundingBox();
    assert.deepEqual(after, box, 'no layout jump');
  });

  it('adds a second account with the remembered client; make default', async () => {
    const { page } = app;
    nextUser = 'gina@example.test';
    await page.click('#add-account');
    assert.match(await page.locator('#client-remembered').innerText(), /use the client frank@example\.test signed in with/);
    await page.click('#add-submit');
    await page.locator('.account-item').filter({ hasText: 'gina@example.test' }).waitFor();
    await page.locator('[data-action="make-default"]').click();
    await page
      .locator('.account-item')
      .filter({ hasText: /gina@example\.test.*default/ })
      .waitFor();
    await toastSays('Default account changed.');
    assert.ok(await shown('#toast'));
    // Another account: the old confirmation goes away.
    await page.locator('.account-item').filter({ hasText: 'frank@example.test' }).click();
    await waitForShown(page, '#toast', false, 2000);
    await page.locator('.account-item').filter({ hasText: 'gina@example.test' }).click();
    const views = await core.accounts.list();
    assert.deepEqual(
      views.map((v) => [v.email, v.default]),
      [
        ['frank@example.test', false],
        ['gina@example.test', true],
      ],
    );
  });

  it('opens the Cloud Console as the shown account, and saves its quota project, refusing a bad one with a sentence', async () => {
    const { page } = app;
    const gina = (await core.accounts.list()).find((a) => a.email === 'gina@example.test')!;
    await page.locator('.account-item').filter({ hasText: 'gina@example.test' }).click();
    const before = guidePages.length;
    await page.locator('[data-action="open-console"]').click();
    for (let i = 0; i < 100 && guidePages.length === before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(guidePages.slice(before), ['https://console.cloud.google.com/?authuser=gina%40example.test']);

    await page.fill('#quota-project', 'Not A Project!');
    await page.click('[data-action="save-quota-project"]');
    await toastSays(/project/i);
    assert.doesNotMatch(await page.locator('#toast').innerText(), /bill/, 'an error, not a confirmation');
    assert.equal((await core.accounts.list()).find((a) => a.id === gina.id)!.quotaProject, undefined, 'nothing saved');

    await page.fill('#quota-project', 'gina-billing');
    await page.click('[data-action="save-quota-project"]');
    await toastSays('bill gina-billing');
    assert.equal((await core.accounts.list()).find((a) => a.id === gina.id)!.quotaProject, 'gina-billing');
    assert.equal(await page.inputValue('#quota-project'), 'gina-billing', 'the field shows the saved project');
    await page.click('[data-action="clear-quota-project"]');
    await toastSays('Quota project cleared.');
    assert.equal((await core.accounts.list()).find((a) => a.id === gina.id)!.quotaProject, undefined);
  });

  it('saves settings and refuses bad ones with a sentence', async () => {
    const { page } = app;
    await page.click('#open-settings');
    await dialogFits('settings-dialog', '14-settings');
    // Nothing is cut off at the dialog's right edge (the long checkbox labels wrap).
    const sides = (await page.locator('#settings-dialog').boundingBox())!;
    for (const label of await page.locator('#settings-dialog label, #settings-dialog .field').all()) {
      const box = (await label.boundingBox())!;
      const scroll = await label.evaluate(
        (el) => (el as unknown as { scrollWidth: number; clientWidth: number }).scrollWidth - (el as unknown as { clientWidth: number }).clientWidth,
      );
      assert.ok(box.x + box.width <= sides.x + sides.width && scroll <= 1, `${await label.innerText()} fits the dialog`);
    }
    // A safe default: copied tokens leave the clipboard after 45 s; updates on, no start at login.
    assert.equal(await page.locator('#clear-seconds').inputValue(), '45');
    assert.equal(await page.locator('#check-updates').isChecked(), true);
    assert.equal(await page.locator('#start-at-login').isChecked(), false);
    // The shortcut is recorded by pressing it; typing Electron's syntax does nothing.
    assert.equal(await page.locator('#shortcut').getAttribute('readonly'), '');
    await page.click('#shortcut');
    await page.keyboard.type('Hyper+Nope');
    assert.equal(await page.locator('#shortcut').inputValue(), 'None');
    assert.match(await page.locator('#shortcut-hint').innerText(), /Add Ctrl, Alt, Shift or Super/);
    await page.keyboard.press('Control+Shift+KeyT');
    assert.equal(await page.locator('#shortcut').inputValue(), 'Ctrl+Shift+T');
    assert.match(await page.locator('#shortcut-hint').innerText(), /Recorded/);
    assert.equal(await shown('#settings-dialog'), true, 'pressing keys in the box neither submits nor closes the dialog');
    await page.fill('#clear-seconds', '-3');
    await page.click('#settings-form button[type="submit"]');
    assert.match(await page.locator('#settings-error').innerText(), /whole seconds from 0/);
    await page.fill('#clear-seconds', '30');
    await page.locator('#check-updates').uncheck();
    await page.click('#settings-form button[type="submit"]');
    await toastSays('Settings saved.');
    assert.deepEqual(await handlers['settings:get'](), {
      clipboardClearSeconds: 30,
      globalShortcut: 'CommandOrControl+Shift+T',
      checkForUpdates: false,
      startAtLogin: false,
    });
    await page.click('#open-settings');
    await waitForShown(page, '#settings-dialog', true);
    await page.click('#shortcut-clear');
    await page.locator('#check-updates').check();
    await page.click('#settings-form button[type="submit"]');
    await waitForShown(page, '#settings-dialog', false);
    assert.deepEqual(await handlers['settings:get'](), { clipboardClearSeconds: 30, globalShortcut: '', checkForUpdates: true, startAtLogin: false });
  });

  it('removes an account after asking: its grant is revoked', async () => {
    const { page } = app;
    const gina = (await core.accounts.list()).find((a) => a.email === 'gina@example.test')!;
    const refreshToken = (await core.accounts['vault'].getSecrets(gina.id))!.refreshToken;
    await page.locator('.account-item').filter({ hasText: 'gina@example.test' }).click();
    await page.click('[data-action="remove"]');
    await page
      .locator('#remove-dialog')
      .getByText(/revokes the grant of gina@example\.test/)
      .waitFor();
    await dialogFits('remove-dialog', '15-remove');
    await page.click('#remove-form button[type="submit"]');
    await toastSays('Removed gina@example.test; its grant was revoked.');
    await page.locator('.account-item').filter({ hasText: 'gina@example.test' }).waitFor({ state: 'detached' });
    assert.equal((await idp.introspect(refreshToken)).active, false);
    assert.deepEqual(
      (await core.accounts.list()).map((a) => a.email),
      ['frank@example.test'],
    );
  });

  it('marks a revoked account "sign in again" and signs it in again', async () => {
    const { page } = app;
    const frank = (await core.accounts.list())[0];
    const secrets = (await core.accounts['vault'].getSecrets(frank.id))!;
    await fetch(`${idp.issuer}/token/revocation`, {
      method: 'POST',
      body: new URLSearchParams({ token: secrets.refreshToken, client_id: idp.client.clientId, client_secret: idp.client.clientSecret }),
    });
    await page.locator('.account-item').filter({ hasText: 'frank@example.test' }).click();
    await page.click('[data-action="refresh"]');
    await page.locator('.notice').filter({ hasText: 'invalid_grant' }).waitFor();
    await page
      .locator('.account-item')
      .filter({ hasText: /frank@example\.test.*sign in again/s })
      .waitFor();
    // The window speaks to a window user: a button, never "run `tokentray login`".
    const notice = await page.locator('.notice').innerText();
    assert.doesNotMatch(notice, /tokentray|--login-hint/, notice);
    // The test issuer plays Google's rules but is not Google: the banner names it, never "Google".
    assert.match(notice, new RegExp(`^${idp.issuer.replace(/[.]/g, '\\.')} no longer accepts the refresh token of frank@example\\.test \\(invalid_grant\\)`));
    assert.doesNotMatch(notice, /Google/);
    // The removal's message belonged to the page it was shown on, not to this one.
    await waitForShown(page, '#toast', false, 1000); // (it fades out in 0.15 s)
    const button = await visibilityOf(page, '[data-action="sign-in-again"]');
    assert.ok(button.shown && button.inViewport);
    assert.equal(await shown('.token-card'), false, 'no token cards while it needs a sign-in');
    // The status bar stays one short row at the bottom, with or without the update banner above.
    const bar = (await page.locator('.status-bar').boundingBox())!;
    assert.ok(bar.height < 60 && Math.abs(bar.y + bar.height - 700) < 1, `the status bar is the window's last row: ${JSON.stringify(bar)}`);
    await page.screenshot({ path: `${SHOTS}/07-sign-in-again.png` });
    nextUser = 'frank@example.test';
    await page.click('[data-action="sign-in-again"]');
    await page.locator('.token-card[data-kind="access"]').waitFor();
    assert.equal(await shown('.notice'), false);
    assert.equal((await core.accounts.list())[0].status, 'ready');
    const id = await core.tokens.getIdToken(await core.accounts.resolve(frank.id));
    assert.equal(decodeJwtPayload(id.token).sub, 'frank@example.test');
    assert.deepEqual(app.consoleErrors, []);
  });

  it("checks the token with Google's tokeninfo and shows what it says", async () => {
    const { page } = app;
    await page.click('[data-action="check-token"]');
    const info = page.locator('dl.token-info[data-info="tokeninfo"]');
    await info.waitFor();
    assert.match(await info.innerText(), /frank@example\.test/);
    assert.match(await info.innerText(), /cloud-platform/);
  });

  it('impersonates a service account and copies its tokens, refusals shown as sentences', async () => {
    const { page } = app;
    const target = 'runner@proj-two.iam.gserviceaccount.com';
    await makeServiceAccountKey(sim, target);
    await page.fill('#impersonate', target);
    await page.click('[data-action="save-impersonation"]');
    const card = page.locator('.token-card[data-kind="impersonated"]');
    await card
      .locator('[data-token="impersonated"]')
      .filter({ hasText: /Google refused .*roles\/iam\.serviceAccountTokenCreator/ })
      .waitFor();
    sim.allow('frank@example.test', target);
    await page.click('[data-action="refresh"]');
    await card
      .locator('.countdown')
      .filter({ hasText: /expires in/ })
      .waitFor();
    await page.click('[data-action="copy-impersonated-raw"]');
    await toastSays(`Copied the access token of ${target}.`);
    assert.match(clipboard.writes.at(-1)!, /^ya29\.sim-imp-/);
    await page.fill('#audience', 'https://api.example.test');
    await page.click('[data-action="copy-id-audience"]');
    await toastSays('Copied the ID token for https://api.example.test.');
    const claims = await sim.verifyIdToken(clipboard.writes.at(-1)!);
    assert.deepEqual([claims.aud, claims.email], ['https://api.example.test', target]);
    await page.screenshot({ path: `${SHOTS}/08-impersonation.png` });
  });

  it('imports a service-account key in the window and copies its tokens', async () => {
    const { page } = app;
    const email = 'ci-bot@proj-two.iam.gserviceaccount.com';
    const { json } = await makeServiceAccountKey(sim, email);
    await page.click('#import-sa');
    await dialogFits('import-dialog', '16-import-key');
    await page.setInputFiles('#sa-file', { name: 'key.json', mimeType: 'application/json', buffer: Buffer.from('{"type": "authorized_user"}') });
    await page.click('#import-form button[type="submit"]');
    await page
      .locator('#import-error')
      .filter({ hasText: /authorized_user/ })
      .waitFor();
    await page.setInputFiles('#sa-file', { name: 'key.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(json)) });
    await page.click('#import-form button[type="submit"]');
    await page.locator('.account-item').filter({ hasText: email }).waitFor();
    assert.match(await page.locator('.account-item').filter({ hasText: email }).innerText(), /service account · proj-two/);
    await page
      .locator('.token-card[data-kind="access"] .countdown')
      .filter({ hasText: /expires in/ })
      .waitFor();
    await page.click('[data-action="copy-access-raw"]');
    await toastSays('Copied the access token.');
    assert.match(clipboard.writes.at(-1)!, /^ya29\.sim-/);
    assert.match(await page.locator('[data-token="id"]').innerText(), /needs an audience/);
    await page.fill('#audience', 'https://run.example.test');
    await page.click('[data-action="copy-id-audience"]');
    await toastSays('Copied the ID token for https://run.example.test.');
    assert.equal((await sim.verifyIdToken(clipboard.writes.at(-1)!)).aud, 'https://run.example.test');
    await page.screenshot({ path: `${SHOTS}/09-service-account.png` });
    assert.deepEqual(app.consoleErrors, []);
  });

  it('switches the metadata-server emulator on and off, showing the lines to paste', async () => {
    const { page } = app;
    await page.click('#open-metadata');
    await page.check('#metadata-enabled');
    const lines = page.locator('#metadata-exports');
    await lines.filter({ hasText: 'GCE_METADATA_HOST' }).waitFor();
    assert.ok(await shown('#metadata-lines'));
    assert.equal(await shown('#metadata-no-accounts'), false);
    const host = /export GCE_METADATA_HOST=(127\.0\.0\.1:\d+)/.exec(await lines.innerText())![1];
    const expected = `export GCE_METADATA_HOST=${host}\nexport GCE_METADATA_IP=${host}\nexport GCE_METADATA_ROOT=${host}`;
    assert.equal(await lines.innerText(), expected, 'the lines exec sets, GCE_METADATA_ROOT (gcloud) included');
    // Copy: the main process writes the clipboard (the window has no clipboard permission).
    await page.click('#metadata-copy');
    await page.locator('#metadata-copy').filter({ hasText: 'Copied' }).waitFor();
    assert.equal(clipboard.writes.at(-1), expected);
    const res = await fetch(`http://${host}/computeMetadata/v1/instance/service-accounts/default/email`, { headers: { 'Metadata-Flavor': 'Google' } });
    const served = await page.locator('#metadata-account').inputValue();
    const views = await core.accounts.list();
    assert.equal(await res.text(), views.find((a) => a.id === served)?.email, JSON.stringify(views.map((v) => [v.id, v.email, v.default])));
    await dialogFits('metadata-dialog', '10-metadata-server');
    await page.uncheck('#metadata-enabled');
    await page.locator('#metadata-lines').waitFor({ state: 'hidden' });
    await assert.rejects(fetch(`http://${host}/`, { headers: { 'Metadata-Flavor': 'Google' } }));
    await assert.rejects(handlers['metadata:copy-exports'](), { code: 'METADATA_SERVER_STOPPED' });
    await page.click('#metadata-close');
  });

  it('imports the credentials gcloud wrote, in the window (no client of its own)', async () => {
    const { page } = app;
    // What `gcloud auth application-default login` leaves behind: an authorized_user file.
    const profile = resolveProviderProfile(idp.issuer, 'google');
    const grant = await signIn({
      profile,
      client: idp.client,
      scopes: ['email', 'cloud-platform'],
      loginHint: 'adele@example.test',
      home: gcloudDir,
      presentAuthorization: ({ startUrl }) => void new HttpBrowser('adele@example.test').visit(startUrl),
    });
    await writeFile(
      join(gcloudDir, 'application_default_credentials.json'),
      JSON.stringify({ type: 'authorized_user', client_id: idp.client.clientId, client_secret: idp.client.clientSecret, refresh_token: grant.refreshToken }),
      { mode: 0o600 },
    );
    await page.click('#add-account');
    assert.equal(
      await page.locator('#client-howto').evaluate((el) => (el as unknown as { open: boolean }).open),
      false,
      'the steps stay closed once a client is known',
    );
    await page.click('#add-form [data-action="import-adc"]');
    await page.locator('.account-item').filter({ hasText: 'adele@example.test' }).waitFor();
    await waitForShown(page, '#add-dialog', false);
    await toastSays("Imported adele@example.test from gcloud's credentials.");
    await page
      .locator('.token-card[data-kind="access"] .countdown')
      .filter({ hasText: /expires in/ })
      .waitFor();
    assert.match(await page.locator('.account-header').innerText(), /adele@example\.test/);
  });

  it('long emails end in "…" with the full address on hover; a filter box above 8 accounts', async () => {
    const { page } = app;
    const long = 'maximilian.alexander.von-sehr-langer-name@subsidiary.engineering.example.test';
    const many = [long, ...Array.from({ length: 5 }, (_, i) => `teammate${i + 1}@example.test`)];
    const other = sandbox.core();
    for (const user of many) await signInThroughCore(other, idp, user);
    await app.emit('accounts:changed');
    const item = page.locator('.account-item').filter({ hasText: 'maximilian' });
    await item.waitFor();
    const name = await item.locator('.account-name').evaluate((el) => {
      const e = el as unknown as { scrollWidth: number; clientWidth: number; getBoundingClientRect(): { height: number }; textContent: string };
      return { scrollWidth: e.scrollWidth, clientWidth: e.clientWidth, height: e.getBoundingClientRect().height, text: e.textContent };
    });
    assert.equal(name.text, long, 'the text is whole (the ellipsis is drawn, not cut)');
    assert.ok(name.scrollWidth > name.clientWidth, 'ellipsized');
    assert.ok(name.height < 30, `one line, not four: ${name.height}px`);
    assert.match((await item.getAttribute('title')) ?? '', new RegExp(`^${long.replace(/[.]/g, '\\.')}\n`));
    const count = (await core.accounts.list()).length;
    assert.ok(count >= 9, `${count} accounts`);
    const filter = await visibilityOf(page, '#account-filter');
    assert.ok(filter.shown && filter.inViewport, 'the filter box is shown above 8 accounts');
    await page.fill('#account-filter', 'teammate3');
    await page.locator('.account-item').filter({ hasText: 'frank' }).waitFor({ state: 'detached' });
    assert.deepEqual(await page.locator('.account-item .account-name').allInnerTexts(), ['teammate3@example.test']);
    await page.fill('#account-filter', 'nobody-here');
    assert.equal(await page.locator('.account-item').count(), 0);
    assert.ok(await shown('#account-list .hint'));
    await page.fill('#account-filter', '');
    assert.equal(await page.locator('.account-item').count(), count);
    // The list says that it scrolls, and how many are below; scrolled to the end, that goes.
    await page.locator('#account-list').evaluate((el) => ((el as unknown as { scrollTop: number }).scrollTop = 0));
    const more = await waitForShown(page, '#account-more', true);
    assert.ok(more.inViewport, JSON.stringify(more));
    const hiddenBelow = await page.locator('.account-item').evaluateAll((items) => {
      const list = (
        items[0] as unknown as { parentElement: { parentElement: { getBoundingClientRect(): { bottom: number } } } }
      ).parentElement.parentElement.getBoundingClientRect().bottom;
      return items.filter((i) => (i as unknown as { getBoundingClientRect(): { bottom: number } }).getBoundingClientRect().bottom > list + 1).length;
    });
    assert.ok(hiddenBelow > 0, 'the list overflows');
    assert.equal(await page.locator('#account-more').innerText(), `↓ ${hiddenBelow} more accounts`);
    await page.screenshot({ path: `${SHOTS}/11-many-accounts.png` });
    await page.locator('#account-list').evaluate((el) => ((el as unknown as { scrollTop: number }).scrollTop = 100_000));
    await waitForShown(page, '#account-more', false);
    await page.locator('#account-list').evaluate((el) => ((el as unknown as { scrollTop: number }).scrollTop = 0));
  });

  it('is readable in dark mode too (screenshot)', async () => {
    const { page } = app;
    await page.emulateMedia({ colorScheme: 'dark' });
    const bg = await page
      .locator('body')
      .evaluate((body) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(body).backgroundColor);
    assert.equal(bg, 'rgb(22, 24, 28)');
    await page.screenshot({ path: `${SHOTS}/12-dark.png` });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('offers a downloaded, verified update as "Restart to update", and says when one is refused', async () => {
    const { page } = app;
    feed = await startUpdateFeed('0.2.0');
    const restarts: string[] = [];
    const policyFor = async (source: UpdateFeed, dir: string) => {
      const { updater } = await debUpdaterFor(source, '0.1.0', await sandbox.dir(dir));
      return new UpdatePolicy({
        updater: { ...updaterPort(updater), restartToInstall: () => void restarts.push('restart') },
        enabled: true,
        onChange: () => void app.emit('accounts:changed'),
        every: () => () => undefined,
      });
    };
    assert.equal(await shown('#update-banner'), false, 'no banner without an update');
    const policy = await policyFor(feed, 'updater-ok');
    deps.updates = policy;
    await policy.start();
    await page.locator('#update-restart').filter({ hasText: 'Restart to update to v0.2.0' }).waitFor();
    const button = await visibilityOf(page, '#update-restart');
    assert.ok(button.shown && button.inViewport, JSON.stringify(button));
    assert.equal(await page.locator('#update-text').innerText(), 'TokenTray 0.2.0 is downloaded and verified.');
    assert.deepEqual(restarts, [], 'never restarts on its own');
    const bar = (await page.locator('.status-bar').boundingBox())!;
    assert.ok(bar.height < 60 && Math.abs(bar.y + bar.height - 700) < 1, `the status bar is the window's last row: ${JSON.stringify(bar)}`);
    await page.screenshot({ path: `${SHOTS}/17-update-ready.png` });
    await page.click('#update-restart');
    for (let i = 0; i < 100 && restarts.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(restarts, ['restart']);

    const damaged = await startUpdateFeed('0.2.0', { damaged: true });
    try {
      const refusing = await policyFor(damaged, 'updater-damaged');
      deps.updates = refusing;
      await refusing.start();
      await page.locator('#update-text').filter({ hasText: 'Update to 0.2.0 refused: the download did not match its checksum.' }).waitFor();
      assert.equal(await shown('#update-restart'), false, 'nothing to restart to');
      assert.ok(await shown('#update-banner'));
    } finally {
      await damaged.close();
    }
    deps.updates = undefined;
    await app.emit('accounts:changed');
    await waitForShown(page, '#update-banner', false);
  });

  it("shows a damaged account list with the file's path, overwrites nothing, and recovers", async () => {
    const { page } = app;
    const file = join(sandbox.home, 'accounts.json');
    const good = await readFile(file, 'utf8');
    const before = await page.locator('.account-item').count();
    assert.ok(before > 0);
    // A message of the moment before the damage (here: a new default account) ...
    await page.locator('.account-item').filter({ hasNotText: 'default' }).first().click();
    await page.click('[data-action="make-default"]');
    await toastSays('Default account changed.');
    // Damaged while the app runs: cut off mid-file, as a crashed editor or sync tool might leave it.
    const damaged = good.slice(0, Math.floor(good.length / 2));
    await writeFile(file, damaged);
    await app.emit('accounts:changed');
    await page.getByRole('heading', { name: 'Account list damaged' }).waitFor();
    const alert = page.getByRole('alert').filter({ hasText: 'Account list damaged' });
    const text = await alert.innerText();
    assert.ok(text.includes(file), `the window names the file: ${text}`);
    assert.match(text, /is not valid JSON\. It was left untouched/);
    assert.equal(await page.locator('.account-item').count(), 0, 'no stale accounts shown');
    // ... does not stay under the damage page.
    await waitForShown(page, '#toast', false, 1000); // (it fades out in 0.15 s)
    // It offers what to do: open the folder, or keep a copy and start fresh.
    for (const [action, label] of [
      ['open-folder', 'Open the folder'],
      ['start-fresh', 'Keep a copy and start fresh'],
    ]) {
      const v = await visibilityOf(page, `[data-action="${action}"]`);
      assert.ok(v.shown && v.inViewport, `${action}: ${JSON.stringify(v)}`);
      assert.equal(await page.locator(`[data-action="${action}"]`).innerText(), label);
    }
    await page.click('[data-action="open-folder"]');
    for (let i = 0; i < 100 && openedFolders.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(openedFolders, [sandbox.home]);
    await page.screenshot({ path: `${SHOTS}/13-damaged-registry.png` });
    // Whatever the window is asked to do now, the file stays as it is.
    const views = JSON.parse(good) as { accounts: Array<{ id: string }> };
    await assert.rejects(handlers['accounts:set-default'](views.accounts[0].id), (err: { code?: string }) => err.code === 'REGISTRY_CORRUPT');
    assert.equal(await readFile(file, 'utf8'), damaged, 'nothing overwrote the damaged file');
    // Repaired by the user: the list comes back.
    await writeFile(file, good);
    await app.emit('accounts:changed');
    await page
      .locator('.account-item')
      .nth(before - 1)
      .waitFor();
    await page.getByRole('heading', { name: 'Account list damaged' }).waitFor({ state: 'detached' });

    // Damaged again; this time the user keeps a copy and starts fresh.
    await writeFile(file, damaged);
    await app.emit('accounts:changed');
    await page.click('[data-action="start-fresh"]');
    await waitForShown(page, '[data-view="first-run"]', true);
    const copies = (await readdir(sandbox.home)).filter((n) => n.startsWith('accounts.json.damaged-'));
    assert.equal(copies.length, 1, copies.join());
    assert.equal(await readFile(join(sandbox.home, copies[0]), 'utf8'), damaged, 'the damaged list is kept as it was');
    assert.deepEqual(await core.accounts.list(), []);
    await toastSays(`Kept the damaged list as ${join(sandbox.home, copies[0])}. Starting with no accounts.`);
    // Starting fresh from a list that reads fine moves nothing.
    assert.equal(await handlers['accounts:start-fresh'](), null);
    assert.deepEqual(app.consoleErrors, []);
  });
});

describe("the README's screenshot (docs/window.png), from the real renderer", () => {
  // Two Google accounts as a user has them: issuer accounts.google.com, a Desktop-app client id, Google's
  // scope URLs. Their tokens come from a sign-in at the local test IdP, cached as the core caches them,
  // so the window shows them without asking anyone (nothing here talks to Google).
  it('shows a realistic Google account, no loopback issuer, no toast', async () => {
    const [browser, idp, sandbox, server] = await Promise.all([launchChromium(), startTestIdp({ mode: 'google' }), makeSandbox(), serveRenderer()]);
    try {
      const core = sandbox.core();
      const google = resolveProviderProfile('https://accounts.google.com');
      const client = { clientId: '123456789012-3v8mfh0kq7c2oq1bpd5n6ls4s9rt0abc.apps.googleusercontent.com', clientSecret: idp.client.clientSecret };
      for (const user of ['ada.lovelace@example.com', 'ada@analytical-engines.example.com']) {
        const result = await signIn({
          profile: resolveProviderProfile(idp.issuer, 'google'),
          client: idp.client,
          loginHint: user,
          home: core.home,
          presentAuthorization: ({ startUrl }) => void new HttpBrowser(user).visit(startUrl),
        });
        await core.accounts.saveSignIn(google, client, {
          ...result,
          grantedScopes: ['openid', 'https://www.googleapis.com/auth/userinfo.email', 'https://www.googleapis.com/auth/cloud-platform'],
        });
      }
      const settings = new SettingsStore(core.home);
      await settings.load();
      const handlers = createHandlers({
        core,
        settings,
        clipboard: new ClipboardGuard(new RecordingClipboard(), () => 0),
        async openExternal() {},
        onChange() {},
        env: sandbox.env,
      });
      const app = await openApp(browser, server.origin, handlers);
      try {
        const { page } = app;
        await page
          .locator('.token-card[data-kind="access"] .countdown')
          .filter({ hasText: /expires in/ })
          .waitFor();
        await page
          .locator('.token-card[data-kind="id"] .countdown')
          .filter({ hasText: /expires in/ })
          .waitFor();
        const visible = await page.locator('body').innerText();
        assert.doesNotMatch(visible, /127\.0\.0\.1|localhost|example\.test/, 'no loopback issuer or test address in sight');
        assert.match(visible, /https:\/\/accounts\.google\.com/);
        assert.equal(await visibilityOf(page, '#toast').then((v) => v.shown), false, 'no toast over the content');
        assert.equal(await visibilityOf(page, 'dialog[open]').then((v) => v.shown), false);
        await page.screenshot({ path: `${SHOTS}/window.png` });
        if (process.env.TOKENTRAY_UPDATE_DOCS_SCREENSHOT === '1') await page.screenshot({ path: 'docs/window.png' });
        assert.deepEqual(app.consoleErrors, []);
      } finally {
        await handlers.dispose();
        await app.context.close();
      }
    } finally {
      await browser.close();
      await server.close();
      await sandbox.cleanup();
      await idp.close();
    }
  });
});
