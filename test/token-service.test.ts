import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { TokenTrayError } from '../electron/core/shared/errors.js';
import { reauthReason } from '../electron/core/tokens/reauth.js';
import { GOOGLE_ISSUER } from '../electron/core/oauth/provider-profile.js';
import type { AccountRecord } from '../electron/core/accounts/account-registry.js';
import type { Core } from '../electron/core/core.js';
import { decodeJwtPayload, revokeAtIdp, signInThroughCore } from './support/flows.js';
import { startTestIdp, type IdpMode, type TestIdp } from './support/idp.js';
import { makeSandbox, type Sandbox } from './support/sandbox.js';

const MINUTE = 60_000;

for (const mode of ['google', 'oidc'] as IdpMode[]) {
  describe(`token service (${mode} flavor)`, () => {
    let idp: TestIdp;
    let sandbox: Sandbox;
    let core: Core;
    let clock: number;
    let account: AccountRecord;

    before(async () => {
      idp = await startTestIdp({ mode });
    });
    after(async () => {
      await idp.close();
    });
    beforeEach(async () => {
      sandbox = await makeSandbox();
      clock = Date.now();
      core = sandbox.core(() => clock);
      idp.refreshError = undefined;
      account = await signInThroughCore(core, idp, 'carol@example.test');
    });
    afterEach(async () => {
      await sandbox.cleanup();
    });

    const refreshes = () => idp.grants.refresh_token ?? 0;
    const refreshToken = async () => (await core.accounts['vault'].getSecrets(account.id))!.refreshToken;

    it('serves the sign-in token from the cache, then refreshes once it nears expiry', async () => {
      const before = refreshes();
      const first = await core.tokens.getAccessToken(account);
      assert.equal(refreshes(), before, 'a fresh token needs no refresh');
      clock += 56 * MINUTE; // within the 5-minute margin of the 60-minute lifetime
      const second = await core.tokens.getAccessToken(account);
      assert.ok(second.token !== first.token, 'a new access token');
      assert.equal(refreshes(), before + 1);
      assert.ok((await core.tokens.getAccessToken(account)).token === second.token, 'the cached token is reused');
      assert.equal(refreshes(), before + 1, 'the refreshed token is cached');
      assert.equal((await idp.introspect(second.token)).active, true);
    });

    it('shares one refresh among concurrent requests (single flight)', async () => {
      clock += 56 * MINUTE;
      const before = refreshes();
      const tokens = await Promise.all(Array.from({ length: 12 }, () => core.tokens.getAccessToken(account)));
      assert.equal(refreshes(), before + 1);
      assert.equal(new Set(tokens.map((t) => t.token)).size, 1);
    });

    it(mode === 'google' ? 'keeps the refresh token when the response carries none' : 'stores a rotated refresh token', async () => {
      const old = await refreshToken();
      clock += 56 * MINUTE;
      await core.tokens.getAccessToken(account);
      const now = await refreshToken();
      if (mode === 'google') assert.ok(now === old, 'the refresh token was kept');
      else {
        assert.ok(now !== old, 'the rotated refresh token was stored');
        assert.equal((await idp.introspect(now)).active, true);
      }
      clock += 56 * MINUTE;
      await core.tokens.getAccessToken(account); // the stored token still works
    });

    it('hands out the ID token of the latest response, for the client id', async () => {
      const id = await core.tokens.getIdToken(account);
      const claims = decodeJwtPayload(id.token);
      assert.equal(claims.aud, idp.client.clientId);
      assert.equal(claims.email, 'carol@example.test');
      assert.equal(claims.iss, idp.issuer);
      clock += 56 * MINUTE;
      const before = refreshes();
      const renewed = await core.tokens.getIdToken(account);
      // Within one second the renewed token can be byte-identical (RS256 is deterministic).
      assert.equal(refreshes(), before + 1, 'an ID token near expiry is renewed by a refresh');
      assert.equal(decodeJwtPayload(renewed.token).aud, idp.client.clientId);
    });

    it('serves concurrent access- and ID-token callers each what they need', async () => {
      // The ID token is fresh, the access token is not: a shared refresh must not skip the access token.
      const cache = await core.accounts['vault'].getTokenCache(account.id);
      cache.access[''].expiresAt = clock - 1;
      cache.id!.expiresAt = clock + 50 * MINUTE;
      await core.accounts['vault'].setTokenCache(account.id, cache);
      const [id, access] = await Promise.all([core.tokens.getIdToken(account), core.tokens.getAccessToken(account)]);
      assert.ok(id.token);
      assert.ok(access?.token, 'the access caller got a token');
      assert.ok(access.expiresAt > clock);
    });

    it('judges short-lived tokens by their lifetime, not by a fixed 5-minute margin', async () => {
      // An issuer with 4-minute tokens: 2 minutes left is still a quarter of the lifetime or more.
      const cache = await core.accounts['vault'].getTokenCache(account.id);
      cache.access[''].obtainedAt = clock - 2 * MINUTE;
      cache.access[''].expiresAt = clock + 2 * MINUTE;
      await core.accounts['vault'].setTokenCache(account.id, cache);
      const before = refreshes();
      const token = await core.tokens.getAccessToken(account);
      assert.equal(refreshes(), before, 'no refresh while a quarter of its life is left');
      assert.equal(token.expiresAt, clock + 2 * MINUTE);
      clock += 90_000; // 30 s left: less than a quarter
      await core.tokens.getAccessToken(account);
      assert.equal(refreshes(), before + 1);
    });

    it('caches a down-scoped token apart from the full grant', async () => {
      const full = await core.tokens.getAccessToken(account);
      const before = refreshes();
      const narrow = await core.tokens.getAccessToken(account, ['openid', 'email']);
      assert.equal(refreshes(), before + 1);
      assert.ok(narrow.token !== full.token, 'a separate token for the narrower scopes');
      assert.ok((await core.tokens.getAccessToken(account, ['email', 'openid'])).token === narrow.token, 'scope order does not matter');
      assert.ok((await core.tokens.getAccessToken(account)).token === full.token, 'the full-grant token is untouched');
      assert.equal(refreshes(), before + 1);
    });

    it('marks a revoked account for sign-in again and keeps it', async () => {
      await revokeAtIdp(idp, await refreshToken());
      clock += 56 * MINUTE;
      await assert.rejects(core.tokens.getAccessToken(account), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'REAUTH_REQUIRED');
        assert.match(err.message, /invalid_grant/);
        assert.doesNotMatch(err.message, /tokentray/, 'the sentence names no command; the CLI adds one');
        assert.deepEqual(err instanceof TokenTrayError && err.facts, { remedy: 'sign-in-again', account: 'carol@example.test', accountId: account.id });
        // The test issuer plays Google's rules but is not Google: it is named, and Google is not.
        assert.ok(err.message.startsWith(`${idp.issuer} no longer accepts`), err.message);
        assert.doesNotMatch(err.message, /Google/);
        return true;
      });
      const [view] = await core.accounts.list();
      assert.equal(view.status, 'signin_required');
      assert.ok(await core.accounts['vault'].getSecrets(account.id), 'the keychain entry is kept');
      // Every later request says so without asking the issuer again.
      const before = refreshes();
      const again = await core.accounts.resolve(account.id);
      await assert.rejects(core.tokens.getAccessToken(again), { code: 'REAUTH_REQUIRED' });
      assert.equal(refreshes(), before);
      // Signing in again makes it ready.
      await signInThroughCore(core, idp, 'carol@example.test');
      assert.equal((await core.accounts.list())[0].status, 'ready');
    });

    it('explains invalid_rapt (Workspace re-authentication)', async () => {
      idp.refreshError = { error: 'invalid_grant', error_description: 'reauth related error (invalid_rapt)' };
      clock += 56 * MINUTE;
      await assert.rejects(core.tokens.getAccessToken(account), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'REAUTH_REQUIRED');
        assert.match(err.message, /invalid_rapt/);
        assert.match(err.message, /Workspace administrator/);
        return true;
      });
    });

    it('reports a failing token endpoint without marking the account', async () => {
      idp.refreshError = { error: 'temporarily_unavailable', error_description: 'try later' };
      clock += 56 * MINUTE;
      await assert.rejects(core.tokens.getAccessToken(account), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'TOKEN_REFRESH_FAILED');
        assert.match(err.message, /temporarily_unavailable: try later/);
        return true;
      });
      assert.equal((await core.accounts.list())[0].status, 'ready');
    });
  });
}

describe('why an account must sign in again', () => {
  const record = (issuer: string, flavor: 'google' | 'oidc') =>
    ({
      id: 'a1',
      kind: 'user',
      issuer,
      flavor,
      subject: 's',
      email: 'dana@example.test',
      clientId: 'c',
      scopes: ['openid'],
      impersonate: [],
      createdAt: 0,
    }) as unknown as AccountRecord;

  it("names Google, and its Testing-status rule, only for Google's own issuer", () => {
    assert.match(
      reauthReason(record(GOOGLE_ISSUER, 'google'), undefined),
      /^Google no longer accepts the refresh token of dana@example\.test \(invalid_grant\).*"Testing" status, Google expires its refresh tokens after 7 days/,
    );
    for (const [issuer, flavor] of [
      ['https://login.example.test', 'google'],
      ['https://login.example.test', 'oidc'],
      ['http://127.0.0.1:9', 'google'],
    ] as const) {
      const reason = reauthReason(record(issuer, flavor), undefined);
      assert.equal(reason, `${issuer} no longer accepts the refresh token of dana@example.test (invalid_grant): it was revoked or expired.`);
    }
  });
});
