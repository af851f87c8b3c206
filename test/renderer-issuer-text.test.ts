import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { AppHandlers } from '../electron/app/handlers/index.js';
import { SettingsStore } from '../electron/core/storage/settings-store.js';
import { accountIdFor } from '../electron/core/accounts/account-service.js';
import { launchChromium } from './support/chromium.js';
import { assertVisible } from './support/hostile.js';
import { handlersForTest, openApp, serveRenderer, type AppPage } from './support/renderer-harness.js';
import { makeSandbox, type Sandbox } from './support/sandbox.js';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe("the window shows an ID token's claims with nothing hidden (issue 18 §5)", () => {
  let browser: Browser;
  let sandbox: Sandbox;
  let server: Awaited<ReturnType<typeof serveRenderer>>;
  let handlers: AppHandlers;
  let app: AppPage;
  // Claims the issuer signed and TokenTray does not store: shown, so they must not reorder or hide text.
  const claims = {
    sub: '5',
    email: 'mallory@example.test',
    name: 'Mallory \u202eexe.gnp',
    nickname: 'a\u200bb\u2028c',
    exp: Math.floor(Date.now() / 1000) + 3600,
  };

  before(async () => {
    [browser, sandbox, server] = await Promise.all([launchChromium(), makeSandbox(), serveRenderer()]);
    const core = sandbox.core();
    const issuer = 'http://127.0.0.1:9';
    const id = accountIdFor(issuer, claims.sub);
    await core.accounts['registry'].update((data) => {
      data.accounts.push({
        id,
        subject: claims.sub,
        email: claims.email,
        issuer,
        flavor: 'oidc',
        clientId: 'c',
        scopes: ['openid', 'email'],
        status: 'ready',
        createdAt: 'x',
        updatedAt: 'x',
      });
      data.defaultAccount = id;
    });
    await core.accounts['vault'].setSecrets(id, { refreshToken: 'refresh-not-used' });
    const expiresAt = claims.exp * 1000;
    await core.accounts['vault'].setTokenCache(id, {
      access: { '': { token: 'opaque-access', expiresAt } },
      ids: {},
      id: { token: `${b64({ alg: 'RS256' })}.${b64(claims)}.c2ln`, expiresAt },
    });
    const settings = new SettingsStore(core.home);
    await settings.load();
    handlers = handlersForTest(core, settings, { env: sandbox.env });
    app = await openApp(browser, server.origin, handlers);
  });
  after(async () => {
    await handlers?.dispose();
    await app?.context.close();
    await browser?.close();
    await server?.close();
    await sandbox?.cleanup();
  });

  it('the claims are escaped where a bidi override or a separator would act, and still decode to the values', async () => {
    const { page } = app;
    await page.click('details.claims summary');
    const shown = await page.locator('pre[data-claims="payload"]').innerText();
    assertVisible(shown, 'the claims');
    const parsed = JSON.parse(shown) as typeof claims;
    assert.equal(parsed.name, claims.name);
    assert.equal(parsed.nickname, claims.nickname);
  });
});
