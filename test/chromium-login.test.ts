import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium, signInWithChromium } from './support/chromium.js';
import { decodeJwtPayload, loginArgs } from './support/flows.js';
import { startTestIdp, type IdpMode, type TestIdp } from './support/idp.js';
import { makeSandbox, runCliInProcess, startCliInProcess, type Sandbox } from './support/sandbox.js';

describe('tokentray login in real Chromium', () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser.close();
  });

  for (const mode of ['google', 'oidc'] as IdpMode[]) {
    describe(`${mode} flavor`, () => {
      let idp: TestIdp;
      let sandbox: Sandbox;
      before(async () => {
        idp = await startTestIdp({ mode, interaction: 'dev' });
        sandbox = await makeSandbox();
      });
      after(async () => {
        await sandbox.cleanup();
        await idp.close();
      });

      it("signs in through the provider's own login and consent pages", async () => {
        const proc = startCliInProcess(loginArgs(idp, { flavor: true, timeoutSeconds: 60 }), sandbox.env);
        const url = await proc.authorizationUrl;
        const page = await signInWithChromium(browser, url, 'erin@example.test');
        assert.match(page.url, /^http:\/\/127\.0\.0\.1:\d+\/\?/);
        assert.match(page.text, /Signed in/);
        const result = await proc.done;
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout, 'erin@example.test\n');
        assert.doesNotMatch(page.text, /ey[\w-]{10,}\./, 'no token on the page');

        const id = await runCliInProcess(['print-identity-token'], sandbox.env);
        assert.equal(decodeJwtPayload(id.stdout.trim()).sub, 'erin@example.test');
        const access = await runCliInProcess(['print-access-token'], sandbox.env);
        assert.equal(access.code, 0, access.stderr);
        assert.equal(
          (await idp.introspect((await sandbox.core().accounts['vault'].getSecrets((await sandbox.core().accounts.list())[0].id))!.refreshToken)).active,
          true,
        );
      });
    });
  }
});
