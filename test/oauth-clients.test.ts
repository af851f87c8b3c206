import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeytarSecretStore } from '../electron/core/storage/secret-store.js';
import { useIdpAndSandbox } from './support/fixtures.js';
import { HttpBrowser } from './support/http-browser.js';
import { runCliInProcess, startCliInProcess } from './support/sandbox.js';

interface Listed {
  id: string;
  email: string;
  status: string;
}

describe('OAuth clients are their own records, outliving their accounts', () => {
  const fx = useIdpAndSandbox({ mode: 'google' });
  const cli = (...args: string[]) => runCliInProcess(args, fx.sandbox.env);
  const accounts = async () => JSON.parse((await cli('accounts', '--json')).stdout) as Listed[];
  /** `tokentray login ARGS --no-browser`, the browser step played for `user`. */
  const login = async (user: string, ...args: string[]) => {
    const proc = startCliInProcess(['login', ...args, '--no-browser', '--timeout', '30'], fx.sandbox.env);
    await new HttpBrowser(user).visit(await proc.authorizationUrl);
    return proc.done;
  };
  const flags = () => ['--issuer', fx.idp.issuer, '--flavor', 'google', '--client-id', fx.idp.client.clientId, '--client-secret', fx.idp.client.clientSecret];

  it('an account whose keychain items were deleted needs sign-in; login --login-hint signs it in with the stored client', async () => {
    assert.equal((await login('uma@example.test', ...flags(), '--login-hint', 'uma@example.test')).code, 0);
    assert.equal((await login('vic@example.test', '--login-hint', 'vic@example.test')).code, 0, 'a second account reuses the client');
    const uma = (await accounts()).find((a) => a.email === 'uma@example.test')!;
    const raw = new KeytarSecretStore(fx.sandbox.env.TOKENTRAY_KEYCHAIN_SERVICE);
    for (const key of [`account:${uma.id}`, `tokens:${uma.id}`, `tokens+:${uma.id}`]) await raw.delete(key);

    const res = await cli('print-access-token', '--account', 'uma@example.test');
    assert.equal(res.code, 1);
    assert.match(
      res.stderr,
      /^tokentray: KEYCHAIN_ENTRY_MISSING: The keychain item of uma@example\.test is missing or damaged\. Sign in again with `tokentray login --login-hint uma@example\.test`\./,
    );
    assert.deepEqual(
      (await accounts()).map((a) => [a.email, a.status]),
      [
        ['uma@example.test', 'signin_required'],
        ['vic@example.test', 'ready'],
      ],
    );
    const again = await cli('print-access-token', '--account', 'uma@example.test');
    assert.match(again.stderr, /^tokentray: REAUTH_REQUIRED: .*`tokentray login --login-hint uma@example\.test`/, 'the status names the same fix');

    const relogin = await login('uma@example.test', '--login-hint', 'uma@example.test');
    assert.equal(relogin.code, 0, relogin.stderr);
    assert.equal(relogin.stdout, 'uma@example.test\n');
    assert.deepEqual(
      (await accounts()).map((a) => a.status),
      ['ready', 'ready'],
    );
    assert.equal((await cli('print-access-token', '--account', 'uma@example.test')).code, 0);
  });

  it('a damaged account item is shown as needing sign-in, without any token request', async () => {
    const vic = (await accounts()).find((a) => a.email === 'vic@example.test')!;
    await new KeytarSecretStore(fx.sandbox.env.TOKENTRAY_KEYCHAIN_SERVICE).set(`account:${vic.id}`, '{"garbage"');
    assert.equal((await accounts()).find((a) => a.email === 'vic@example.test')!.status, 'signin_required');
    const res = await cli('print-access-token', '--account', 'vic@example.test');
    assert.match(
      res.stderr,
      /^tokentray: REAUTH_REQUIRED: The keychain item of vic@example\.test is missing or damaged\. Sign in again with `tokentray login --login-hint vic@example\.test`\./,
    );
    assert.equal((await login('vic@example.test', '--login-hint', 'vic@example.test')).code, 0);
    assert.equal((await accounts()).find((a) => a.email === 'vic@example.test')!.status, 'ready');
  });

  it('after logout of every account, login with no client flags uses the most recently used client and its issuer', async () => {
    const table = (await cli('clients')).stdout.split('\n');
    assert.match(table[0], /^ID +CLIENT ID +ISSUER +ACCOUNTS$/, 'a header row');
    assert.equal(table[1].indexOf(fx.idp.client.clientId), table[0].indexOf('CLIENT ID'), 'columns under their headers');
    const all = await cli('logout', '--all');
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stderr, /Signed out uma@example\.test: [^]*Signed out vic@example\.test: /);
    assert.deepEqual(await accounts(), []);
    const listed = JSON.parse((await cli('clients', '--json')).stdout) as Array<{ clientId: string; issuer: string; accounts: string[] }>;
    assert.deepEqual(
      listed.map((c) => [c.clientId, c.issuer, c.accounts]),
      [[fx.idp.client.clientId, fx.idp.issuer, []]],
    );
    assert.match((await cli('clients')).stdout.split('\n')[1], / \(no accounts\)$/);
    const res = await login('wes@example.test', '--login-hint', 'wes@example.test');
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(
      (await accounts()).map((a) => [a.email, a.status]),
      [['wes@example.test', 'ready']],
    );
  });

  it('logout --forget-client forgets the client with its last account; then login asks for the client file', async () => {
    const res = await cli('logout', 'wes@example.test', '--forget-client');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /Forgot its OAuth client tokentray-test-google/);
    assert.equal((await cli('clients')).stdout, '');
    const item = await new KeytarSecretStore(fx.sandbox.env.TOKENTRAY_KEYCHAIN_SERVICE).get(
      `client:${(await import('../electron/core/storage/credential-vault.js')).clientIdFor(fx.idp.issuer, fx.idp.client.clientId)}`,
    );
    assert.equal(item, undefined, 'its secret left the keychain');
    const again = await cli('login', '--no-browser');
    assert.equal(again.code, 1);
    assert.match(
      again.stderr,
      /^tokentray: CLIENT_REQUIRED: No OAuth client is known for https:\/\/accounts\.google\.com\. .*`tokentray login --client-secret-file FILE`/,
    );
  });

  it('keeps a client other accounts use; `clients remove` refuses one in use and removes one that is not', async () => {
    assert.equal((await login('xia@example.test', ...flags(), '--login-hint', 'xia@example.test')).code, 0);
    assert.equal((await login('yan@example.test', '--login-hint', 'yan@example.test')).code, 0);
    const kept = await cli('logout', 'xia@example.test', '--forget-client');
    assert.match(kept.stderr, /Kept its OAuth client tokentray-test-google: yan@example\.test still uses it\./);
    const refused = await cli('clients', 'remove', fx.idp.client.clientId);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^tokentray: CLIENT_IN_USE: .*`tokentray logout yan@example\.test --forget-client`/);
    assert.equal((await cli('logout', 'yan@example.test')).code, 0);
    const removed = await cli('clients', 'remove', fx.idp.client.clientId);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((await cli('clients')).stdout, '');
  });
});
