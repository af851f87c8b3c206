import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { createHandlers, type AppHandlers } from '../electron/app/handlers/index.js';
import { ClipboardGuard } from '../electron/app/clipboard-guard.js';
import type { Core } from '../electron/core/core.js';
import { SettingsStore } from '../electron/core/storage/settings-store.js';
import { launchChromium, signInWithChromium } from './support/chromium.js';
import { decodeJwtPayload } from './support/flows.js';
import { makeServiceAccountKey, startGoogleSim, type GoogleSim } from './support/google-sim.js';
import { startTestIdp, type TestIdp } from './support/idp.js';
import { openApp, RecordingClipboard, serveRenderer, type AppPage } from './support/renderer-harness.js';
import { makeSandbox, type Sandbox } from './support/sandbox.js';

const SHOTS = 'test-results';

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
  const loginPages: string[] = [];
  let nextUser = 'frank@example.test';
  let cancelNext = false;

  before(async () => {
    await mkdir(SHOTS, { recursive: true });
    [browser, idp, sandbox, server] = await Promise.all([launchChromium(), startTestIdp({ mode: 'google', interaction: 'dev' }), makeSandbox(), serveRenderer()]);
    sim = await startGoogleSim(idp);
    sandbox.env.TOKENTRAY_GOOGLE_IAMCREDENTIALS_URL = sim.origin;
    sandbox.env.TOKENTRAY_GOOGLE_TOKENINFO_URL = `${sim.origin}/tokeninfo`;
    core = sandbox.core();
    const settings = new SettingsStore(core.home);
    await settings.load();
    handlers = createHandlers({
      core,
      settings,
      clipboard: new ClipboardGuard(clipboard, () => settings.get().clipboardClearSeconds),
      async openExternal(url) {
        // The system browser: here a new tab of the same Chromium, driven like a user.
        void signInWithChromium(browser, url, nextUser, { cancel: cancelNext }).then((page) => loginPages.push(page.text));
      },
      onChange: () => void app?.emit('accounts:changed'),
      env: sandbox.env,
    });
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
  });

  it('shows the empty state and no console errors (CSP holds)', async () => {
    await app.page.getByRole('heading', { name: 'No accounts yet' }).waitFor();
    await app.page.screenshot({ path: `${SHOTS}/01-empty.png` });
    assert.deepEqual(app.consoleErrors, []);
  });

  it('shows a provider error as a sentence when the user cancels at the provider', async () => {
    cancelNext = true;
    const { page } = app;
    await page.click('#add-account');
    await page.setInputFiles('#client-file', {
      name: 'client_secret_test.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify({ installed: { client_id: idp.client.clientId, client_secret: idp.client.clientSecret, redirect_uris: ['http://localhost'] } })),
    });
    await page.click('details summary');
    await page.fill('#issuer', idp.issuer);
    await page.selectOption('#flavor', 'google');
    await page.click('#add-submit');
    const error = page.locator('#add-error');
    await error.filter({ hasText: 'declined' }).waitFor();
    assert.match(await error.innerText(), /^Sign-in was declined in the browser \(access_denied\)\. Run the sign-in again and allow access to continue\.$/);
    await page.screenshot({ path: `${SHOTS}/02-provider-error.png` });
    cancelNext = false;
  });

  it('adds an account through the provider\'s login page and lists it', async () => {
    const { page } = app;
    await page.fill('#login-hint', 'frank@example.test');
    await page.click('#add-submit');
    await page.locator('#add-waiting').waitFor({ state: 'visible' });
    await page.locator('.account-item').filter({ hasText: 'frank@example.test' }).waitFor();
    assert.equal(await page.locator('#add-dialog').evaluate((d) => (d as unknown as { open: boolean }).open), false);
    assert.match(loginPages.at(-1)!, /Signed in/);
    const item = page.locator('.account-item').first();
    assert.match(await item.innerText(), /frank@example\.test\s*default/);
    await page.locator('.token-card[data-kind="access"] .countdown').filter({ hasText: /expires in/ }).waitFor();
    await page.screenshot({ path: `${SHOTS}/03-account.png` });
  });

  it('masks tokens until revealed, and the countdown moves', async () => {
    const { page } = app;
    const account = (await core.accounts.list())[0]!;
    const access = await core.tokens.getAccessToken(await core.accounts.resolve(account.id));
    const value = page.locator('[data-token="access"]');
    assert.ok(!(await value.innerText()).includes(access.token), 'masked');
    await page.click('[data-action="reveal-access"]');
    assert.equal(await value.innerText(), access.token);
    await page.click('[data-action="reveal-access"]');
    assert.ok(!(await value.innerText()).includes(access.token), 'hidden again');
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
      await page.locator('#toast').filter({ hasText: message }).waitFor();
      assert.equal(clipboard.writes.length, before + 1, action);
      assert.ok(clipboard.writes.at(-1) === text, `${action} put the right text on the clipboard`);
    }
  });

  it('shows the ID token\'s decoded header and claims', async () => {
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
    await page.locator('.account-item').filter({ hasText: /gina@example\.test\s*default/ }).waitFor();
    const views = await core.accounts.list();
    assert.deepEqual(views.map((v) => [v.email, v.default]), [['frank@example.test', false], ['gina@example.test', true]]);
  });

  it('saves settings and refuses bad ones with a sentence', async () => {
    const { page } = app;
    await page.click('#open-settings');
    await page.fill('#shortcut', 'Hyper+Nope');
    await page.click('#settings-form button[type="submit"]');
    assert.match(await page.locator('#settings-error').innerText(), /is not a shortcut/);
    await page.fill('#shortcut', 'CommandOrControl+Shift+T');
    await page.fill('#clear-seconds', '30');
    await page.click('#settings-form button[type="submit"]');
    await page.locator('#toast').filter({ hasText: 'Settings saved.' }).waitFor();
    assert.deepEqual((await handlers['settings:get']()), { clipboardClearSeconds: 30, globalShortcut: 'CommandOrControl+Shift+T' });
  });

  it('removes an account after asking: its grant is revoked', async () => {
    const { page } = app;
    const gina = (await core.accounts.list()).find((a) => a.email === 'gina@example.test')!;
    const refreshToken = (await core.accounts.vault.getSecrets(gina.id))!.refreshToken;
    await page.locator('.account-item').filter({ hasText: 'gina@example.test' }).click();
    await page.click('[data-action="remove"]');
    await page.locator('#remove-dialog').getByText(/revokes the grant of gina@example\.test/).waitFor();
    await page.click('#remove-form button[type="submit"]');
    await page.locator('#toast').filter({ hasText: 'grant was revoked' }).waitFor();
    await page.locator('.account-item').filter({ hasText: 'gina@example.test' }).waitFor({ state: 'detached' });
    assert.equal((await idp.introspect(refreshToken)).active, false);
    assert.deepEqual((await core.accounts.list()).map((a) => a.email), ['frank@example.test']);
  });

  it('marks a revoked account "sign in again" and signs it in again', async () => {
    const { page } = app;
    const frank = (await core.accounts.list())[0]!;
    const secrets = (await core.accounts.vault.getSecrets(frank.id))!;
    await fetch(`${idp.issuer}/token/revocation`, { method: 'POST', body: new URLSearchParams({ token: secrets.refreshToken, client_id: idp.client.clientId, client_secret: idp.client.clientSecret }) });
    await page.locator('.account-item').filter({ hasText: 'frank@example.test' }).click();
    await page.click('[data-action="refresh"]');
    await page.locator('.notice').filter({ hasText: 'invalid_grant' }).waitFor();
    await page.locator('.account-item').filter({ hasText: /frank@example\.test.*sign in again/s }).waitFor();
    await page.screenshot({ path: `${SHOTS}/04-sign-in-again.png` });
    nextUser = 'frank@example.test';
    await page.click('[data-action="sign-in-again"]');
    await page.locator('.token-card[data-kind="access"]').waitFor();
    assert.equal((await core.accounts.list())[0]!.status, 'ready');
    const id = await core.tokens.getIdToken(await core.accounts.resolve(frank.id));
    assert.equal(decodeJwtPayload(id.token).sub, 'frank@example.test');
    assert.deepEqual(app.consoleErrors, []);
  });

  it('checks the token with Google\'s tokeninfo and shows what it says', async () => {
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
    await card.locator('[data-token="impersonated"]').filter({ hasText: /Google refused .*roles\/iam\.serviceAccountTokenCreator/ }).waitFor();
    sim.allow('frank@example.test', target);
    await page.click('[data-action="refresh"]');
    await card.locator('.countdown').filter({ hasText: /expires in/ }).waitFor();
    await page.click('[data-action="copy-impersonated-raw"]');
    await page.locator('#toast').filter({ hasText: `Copied the access token of ${target}.` }).waitFor();
    assert.match(clipboard.writes.at(-1)!, /^ya29\.sim-imp-/);
    await page.fill('#audience', 'https://api.example.test');
    await page.click('[data-action="copy-id-audience"]');
    await page.locator('#toast').filter({ hasText: 'Copied the ID token for https://api.example.test.' }).waitFor();
    const claims = await sim.verifyIdToken(clipboard.writes.at(-1)!);
    assert.deepEqual([claims.aud, claims.email], ['https://api.example.test', target]);
    await page.screenshot({ path: `${SHOTS}/05-impersonation.png` });
  });

  it('imports a service-account key in the window and copies its tokens', async () => {
    const { page } = app;
    const email = 'ci-bot@proj-two.iam.gserviceaccount.com';
    const { json } = await makeServiceAccountKey(sim, email);
    await page.click('#import-sa');
    await page.setInputFiles('#sa-file', { name: 'key.json', mimeType: 'application/json', buffer: Buffer.from('{"type": "authorized_user"}') });
    await page.click('#import-form button[type="submit"]');
    await page.locator('#import-error').filter({ hasText: /authorized_user/ }).waitFor();
    await page.setInputFiles('#sa-file', { name: 'key.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(json)) });
    await page.click('#import-form button[type="submit"]');
    await page.locator('.account-item').filter({ hasText: email }).waitFor();
    assert.match(await page.locator('.account-item').filter({ hasText: email }).innerText(), /service account · proj-two/);
    await page.locator('.token-card[data-kind="access"] .countdown').filter({ hasText: /expires in/ }).waitFor();
    await page.click('[data-action="copy-access-raw"]');
    await page.locator('#toast').filter({ hasText: 'Copied the access token.' }).waitFor();
    assert.match(clipboard.writes.at(-1)!, /^ya29\.sim-/);
    assert.match(await page.locator('[data-token="id"]').innerText(), /needs an audience/);
    await page.fill('#audience', 'https://run.example.test');
    await page.click('[data-action="copy-id-audience"]');
    await page.locator('#toast').filter({ hasText: 'Copied the ID token for https://run.example.test.' }).waitFor();
    assert.equal((await sim.verifyIdToken(clipboard.writes.at(-1)!)).aud, 'https://run.example.test');
    await page.screenshot({ path: `${SHOTS}/06-service-account.png` });
    assert.deepEqual(app.consoleErrors, []);
  });

  it('switches the metadata-server emulator on and off, showing the lines to paste', async () => {
    const { page } = app;
    await page.click('#open-metadata');
    await page.check('#metadata-enabled');
    const lines = page.locator('#metadata-exports');
    await lines.filter({ hasText: 'GCE_METADATA_HOST' }).waitFor();
    const host = /export GCE_METADATA_HOST=(127\.0\.0\.1:\d+)/.exec(await lines.innerText())![1]!;
    assert.match(await lines.innerText(), new RegExp(`export GCE_METADATA_IP=${host.replace('.', '\\.')}`));
    const res = await fetch(`http://${host}/computeMetadata/v1/instance/service-accounts/default/email`, { headers: { 'Metadata-Flavor': 'Google' } });
    const served = await page.locator('#metadata-account').inputValue();
    const views = await core.accounts.list();
    assert.equal(await res.text(), views.find((a) => a.id === served)?.email, JSON.stringify(views.map((v) => [v.id, v.email, v.default])));
    await page.screenshot({ path: `${SHOTS}/07-metadata-server.png` });
    await page.uncheck('#metadata-enabled');
    await page.locator('#metadata-lines').waitFor({ state: 'hidden' });
    await assert.rejects(fetch(`http://${host}/`, { headers: { 'Metadata-Flavor': 'Google' } }));
    await page.click('#metadata-close');
  });

  it('is readable in dark mode too (screenshot)', async () => {
    const { page } = app;
    await page.emulateMedia({ colorScheme: 'dark' });
    const bg = await page.locator('body').evaluate((body) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(body).backgroundColor);
    assert.equal(bg, 'rgb(22, 24, 28)');
    await page.screenshot({ path: `${SHOTS}/08-dark.png` });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('shows a damaged account list with the file\'s path, overwrites nothing, and recovers', async () => {
    const { page } = app;
    const file = join(sandbox.home, 'accounts.json');
    const good = await readFile(file, 'utf8');
    const before = await page.locator('.account-item').count();
    assert.ok(before > 0);
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
    await page.screenshot({ path: `${SHOTS}/09-damaged-registry.png` });
    // Whatever the window is asked to do now, the file stays as it is.
    const views = JSON.parse(good) as { accounts: Array<{ id: string }> };
    await assert.rejects(handlers['accounts:set-default'](views.accounts[0]!.id), (err: { code?: string }) => err.code === 'REGISTRY_CORRUPT');
    assert.equal(await readFile(file, 'utf8'), damaged, 'nothing overwrote the damaged file');
    // Repaired by the user: the list comes back.
    await writeFile(file, good);
    await app.emit('accounts:changed');
    await page.locator('.account-item').nth(before - 1).waitFor();
    await page.getByRole('heading', { name: 'Account list damaged' }).waitFor({ state: 'detached' });
    assert.deepEqual(app.consoleErrors, []);
  });
});
