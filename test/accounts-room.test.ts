/**
 * The accounts room's own rules, in process on a real keychain: one upsert of an account record
 * for sign-ins and imports, and one rule for the default account (what the surfaces show is what a
 * call naming no account gets, and a new account never takes it from the shown one).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { defaultOf, upsertAccount } from '../electron/core/accounts/account-records.js';
import type { AccountRecord, RegistryData } from '../electron/core/accounts/account-registry.js';
import type { Core } from '../electron/core/core.js';
import { importServiceAccountJson } from '../electron/core/google/service-account.js';
import { resolveProviderProfile } from '../electron/core/oauth/provider-profile.js';
import { makeSandbox, type Sandbox } from './support/sandbox.js';
import { rsaKeyPem } from './support/service-account-key.js';

const profile = resolveProviderProfile('https://accounts.google.com', 'google');
const client = { clientId: 'room-client.apps.googleusercontent.com', clientSecret: 'room-secret' };

const signIn = (core: Core, email: string | undefined, subject = `sub-${email}`) =>
  core.accounts.saveSignIn(profile, client, {
    subject,
    ...(email ? { email } : {}),
    grantedScopes: ['openid', 'email'],
    refreshToken: `1//${randomBytes(12).toString('hex')}`,
    accessToken: `ya29.${randomBytes(12).toString('hex')}`,
    accessTokenExpiresAt: Date.now() + 3_600_000,
  });

const serviceAccountKey = (email: string) =>
  JSON.stringify({
    type: 'service_account',
    project_id: 'room-project',
    private_key_id: randomBytes(20).toString('hex'),
    private_key: rsaKeyPem(),
    client_email: email,
    client_id: '100000000000000000001',
    token_uri: 'https://oauth2.googleapis.com/token',
  });

describe('accounts room', () => {
  let sandbox: Sandbox;
  let core: Core;
  beforeEach(async () => {
    sandbox = await makeSandbox();
    core = sandbox.core();
  });
  afterEach(async () => {
    await sandbox.cleanup();
  });

  const shownDefault = async () => (await core.accounts.list()).filter((a) => a.default).map((a) => a.email);
  const danglingDefault = () => core.accounts['registry'].update((d) => void (d.defaultAccount = 'gone'));

  it('makes the first account the default, whichever way it comes, and later ones leave it', async () => {
    const sa = 'robot@room-project.iam.gserviceaccount.com';
    await importServiceAccountJson(core.accounts, serviceAccountKey(sa));
    await signIn(core, 'ann@example.test');
    assert.deepEqual(await shownDefault(), [sa]);
    assert.equal((await core.accounts.resolve()).email, sa);
  });

  it('keeps the shown default when a new account signs in over a dangling default', async () => {
    await signIn(core, 'ann@example.test');
    await signIn(core, 'bob@example.test');
    await danglingDefault();
    assert.deepEqual(await shownDefault(), ['ann@example.test'], 'a dangling default shows the first account');
    await signIn(core, 'cat@example.test');
    assert.deepEqual(await shownDefault(), ['ann@example.test']);
    assert.equal((await core.accounts.resolve()).email, 'ann@example.test', 'what is shown is what a call naming no account gets');
  });

  it('keeps the shown default when a known service account is imported again over a dangling default', async () => {
    const sa = 'robot@room-project.iam.gserviceaccount.com';
    await signIn(core, 'ann@example.test');
    await importServiceAccountJson(core.accounts, serviceAccountKey(sa));
    await danglingDefault();
    await importServiceAccountJson(core.accounts, serviceAccountKey(sa));
    assert.deepEqual(await shownDefault(), ['ann@example.test']);
    assert.equal((await core.accounts.records()).defaultAccount, (await core.accounts.resolve()).id, 'the registry names it again');
  });

  it('keeps what the user set for a known account, whether it signs in again or its key is imported again', async () => {
    const ann = await signIn(core, 'ann@example.test');
    const sa = await importServiceAccountJson(core.accounts, serviceAccountKey('robot@room-project.iam.gserviceaccount.com'));
    for (const account of [ann, sa]) {
      await core.accounts.setImpersonation(account.id, ['target@p.iam.gserviceaccount.com']);
      await core.accounts.setProject(account.id, 'chosen-project');
    }
    await core.accounts.setQuotaProject(ann.id, 'billed-project');
    const annAgain = await signIn(core, undefined, ann.subject); // no email scope this time
    const saAgain = await importServiceAccountJson(core.accounts, serviceAccountKey('robot@room-project.iam.gserviceaccount.com'));
    for (const [before, after] of [
      [ann, annAgain],
      [sa, saAgain],
    ]) {
      assert.equal(after.id, before.id);
      assert.equal(after.email, before.email, 'the email known stays');
      assert.deepEqual(after.impersonate, ['target@p.iam.gserviceaccount.com']);
      assert.equal(after.project, 'chosen-project');
      assert.equal(after.createdAt, before.createdAt);
    }
    assert.equal(annAgain.quotaProject, 'billed-project');
    assert.deepEqual(
      (await core.accounts.records()).accounts.map((a) => a.id),
      [ann.id, sa.id],
      'replaced in place, not added',
    );
  });
});

describe('the default-account rule', () => {
  const record = (id: string): AccountRecord => ({
    id,
    subject: id,
    issuer: 'https://accounts.google.com',
    flavor: 'google',
    clientId: 'c',
    scopes: ['openid'],
    status: 'ready',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  });

  it('never moves the shown default on an upsert, over every registry shape and upsert', () => {
    let cases = 0;
    for (let n = 0; n <= 3; n++) {
      const ids = ['a', 'b', 'c'].slice(0, n);
      for (const chosen of [undefined, 'gone', ...ids]) {
        for (const upserted of [...ids, 'new']) {
          const data: RegistryData = { version: 1, accounts: ids.map(record), ...(chosen ? { defaultAccount: chosen } : {}) };
          const shown = defaultOf(data);
          const { createdAt: _c, updatedAt: _u, ...fresh } = record(upserted);
          upsertAccount(data, fresh);
          const expected = shown ?? upserted;
          assert.equal(defaultOf(data), expected, `${ids.join('') || 'empty'}, default ${chosen}, upsert ${upserted}`);
          assert.equal(data.defaultAccount, expected, 'written down as shown');
          cases++;
        }
      }
    }
    assert.equal(cases, 2 * 1 + 3 * 2 + 4 * 3 + 5 * 4);
  });
});
