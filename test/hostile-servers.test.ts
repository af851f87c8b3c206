import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configure } from '../electron/core/oauth/oidc.js';
import { resolveProviderProfile } from '../electron/core/oauth/provider-profile.js';
import { isLoopbackHostname } from '../electron/core/shared/url-policy.js';
import { useIdpAndSandbox } from './support/fixtures.js';
import { FIXED_TEST_KEYS } from './support/fixed-test-keys.js';
import { expireCache, signInThroughCore } from './support/flows.js';
import { discoveryDocument, rssProbe, runCliWith, startHostileServer, streamEndless, type HostileServer } from './support/hostile.js';
import { makeSandbox, runCliInProcess, type Sandbox } from './support/sandbox.js';

/** Records every URL fetched in this process, at the lowest layer TokenTray's requests pass through. */
function spyOnFetch(): { urls: string[]; restore(): void } {
  const original = globalThis.fetch;
  const urls: string[] = [];
  globalThis.fetch = (input: string | URL | Request, init?: RequestInit) => {
    urls.push(input instanceof Request ? input.url : String(input));
    return original(input, init);
  };
  return { urls, restore: () => void (globalThis.fetch = original) };
}

const remote = (urls: string[]) => urls.filter((u) => !isLoopbackHostname(new URL(u).hostname));

const ENDPOINTS = ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'revocation_endpoint', 'introspection_endpoint'] as const;

describe('every endpoint from discovery is checked, not just the issuer (issue 13 §3)', () => {
  let sandbox: Sandbox;
  let server: HostileServer;
  let overrides: Record<string, unknown> = {};
  before(async () => {
    sandbox = await makeSandbox();
    server = await startHostileServer((_req, res, s) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(discoveryDocument(s.origin, overrides)));
    });
  });
  after(async () => {
    await server.close();
    await sandbox.cleanup();
  });

  for (const name of ENDPOINTS) {
    it(`login stops at a plain-http ${name} on a remote host, before the browser and before any request there`, async () => {
      overrides = { [name]: `http://${name.replace(/_/g, '-')}.example.invalid/x` };
      server.requests.length = 0;
      // A check of logic: the CLI's run() in this process, as the bin calls it.
      const res = await runCliInProcess(
        ['login', '--issuer', server.origin, '--client-id', 'cid', '--client-secret', 'not-so-secret', '--no-browser', '--timeout', '5'],
        sandbox.env,
      );
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stderr, new RegExp(`^tokentray: INSECURE_ENDPOINT: .*${name}`, 'm'));
      assert.doesNotMatch(res.stderr, /https?:\/\/\S+\/auth\?/, 'no authorization URL was shown');
      assert.deepEqual(server.requests, ['GET /.well-known/openid-configuration']);
    });
  }

  it('refuses credentials in an endpoint and non-URL endpoints, with no request made (fetch spy)', async () => {
    for (const [value, code] of [
      [`http://u:p@127.0.0.1:1/token`, 'INSECURE_ENDPOINT'],
      ['https://u@token.example.invalid/t', 'INSECURE_ENDPOINT'],
      ['ftp://token.example.invalid/t', 'INSECURE_ENDPOINT'],
      [42, 'DISCOVERY_FAILED'],
      ['not a url', 'DISCOVERY_FAILED'],
    ] as const) {
      overrides = { token_endpoint: value };
      const spy = spyOnFetch();
      try {
        await assert.rejects(configure(resolveProviderProfile(server.origin), { clientId: `c-${String(value)}`, clientSecret: 's' }), { code });
      } finally {
        spy.restore();
      }
      assert.deepEqual(spy.urls, [`${server.origin}/.well-known/openid-configuration`]);
    }
  });
});

describe('the issuer stored in accounts.json is checked on every use (issue 13 §3)', () => {
  const fx = useIdpAndSandbox({ mode: 'oidc' });

  it('after editing the issuer to a remote plain-http host, refresh, info and logout refuse it before any request', async () => {
    const core = fx.sandbox.core();
    const account = await signInThroughCore(core, fx.idp, 'alice@example.test');
    const path = join(fx.sandbox.home, 'accounts.json');
    const original = await readFile(path, 'utf8');
    await writeFile(path, original.split(JSON.stringify(fx.idp.issuer)).join(JSON.stringify('http://issuer.example.invalid')));
    await expireCache(core, account.id);
    try {
      for (const args of [['print-access-token'], ['print-identity-token'], ['info'], ['logout', account.id]]) {
        const res = await runCliInProcess(args, fx.sandbox.env);
        assert.equal(res.code, 1, `${args[0]}: ${res.stderr}`);
        // logout keeps the account and says why it could not revoke: the same check, inside.
        assert.match(
          res.stderr,
          args[0] === 'logout' ? /^tokentray: REVOKE_FAILED: .*Refusing the plain-http issuer/m : /^tokentray: INSECURE_ISSUER: /m,
          args[0],
        );
        assert.match(res.stderr, /http:\/\/issuer\.example\.invalid/);
      }
      const spy = spyOnFetch();
      try {
        await assert.rejects(fx.sandbox.core().tokens.getAccessToken(await fx.sandbox.core().accounts.resolve(account.id)), { code: 'INSECURE_ISSUER' });
      } finally {
        spy.restore();
      }
      assert.deepEqual(remote(spy.urls), []);
      assert.deepEqual(spy.urls, []);
    } finally {
      await writeFile(path, original);
    }
  });
});

describe('endless responses are cut off (issue 13 §5)', () => {
  let sandbox: Sandbox;
  let server: HostileServer;
  let mode: 'discovery' | 'token' | 'announced' = 'discovery';
  let keys: string;
  before(async () => {
    sandbox = await makeSandbox();
    keys = await mkdtemp(join(tmpdir(), 'tokentray-keys-'));
    server = await startHostileServer((req, res, s) => {
      if (req.url === '/.well-known/openid-configuration' && mode !== 'discovery') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify(discoveryDocument(s.origin)));
      }
      if (mode === 'announced') {
        // A length no one can send: refused from the header alone.
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(8 * 1024 ** 3) });
        return void res.write('{"access_token":"');
      }
      req.resume();
      streamEndless(res, s);
    });
  });
  after(async () => {
    await server.close();
    await sandbox.cleanup();
    await rm(keys, { recursive: true, force: true });
  });

  async function expectCutOff(args: string[], what: string): Promise<void> {
    server.sent = 0;
    const res = await runCliWith(args, sandbox.env, { nodeArgs: rssProbe(), killAfterMs: 60_000 });
    assert.equal(res.killed, false, `${what}: the CLI hung`);
    assert.equal(res.code, 1, `${what}: ${res.stderr}`);
    assert.match(res.stderr, /^tokentray: PROVIDER_BAD_RESPONSE: .*larger than/m, what);
    assert.ok(res.maxRssKb !== undefined, 'the probe reported');
    // A CLI run peaks near 100 MB; without the cap the 256 MB body alone grew it past 600 MB.
    assert.ok(res.maxRssKb < 200 * 1024, `${what}: peak memory ${Math.round(res.maxRssKb / 1024)} MB`);
    assert.ok(server.sent < 64 * 1024 * 1024, `${what}: the server sent ${Math.round(server.sent / 1024 / 1024)} MB before the client hung up`);
    console.log(`# ${what}: peak RSS ${Math.round(res.maxRssKb / 1024)} MB, server wrote ${Math.round(server.sent / 1024)} KB before the client hung up`);
  }

  it('an endless discovery document (openid-client, via customFetch)', async () => {
    mode = 'discovery';
    await expectCutOff(
      ['login', '--issuer', server.origin, '--client-id', 'cid', '--client-secret', 'not-so-secret', '--no-browser', '--timeout', '5'],
      'discovery',
    );
  });

  it('an endless token response (openid-client refresh during adc import)', async () => {
    mode = 'token';
    const adc = join(sandbox.home, 'adc.json');
    await writeFile(adc, JSON.stringify({ type: 'authorized_user', client_id: 'cid', client_secret: 'not-so-secret', refresh_token: 'refresh-token-value' }), {
      mode: 0o600,
    });
    await expectCutOff(['adc', 'import', adc, '--issuer', server.origin], 'token endpoint');
  });

  it("an endless answer at a service account's token_uri (TokenTray's own Google HTTP)", async () => {
    mode = 'token';
    const key = join(keys, 'key.json');
    const privateKey = FIXED_TEST_KEYS.rsa2048;
    const email = 'endless@tokentray-test.iam.gserviceaccount.com';
    await writeFile(
      key,
      JSON.stringify({
        type: 'service_account',
        project_id: 'p',
        private_key_id: 'k',
        private_key: privateKey,
        client_email: email,
        client_id: '1',
        token_uri: `${server.origin}/token`,
      }),
      { mode: 0o600 },
    );
    // Set-up: the import in this process, into the keychain the CLI processes below read.
    const imported = await runCliInProcess(['import-service-account', key], sandbox.env);
    assert.equal(imported.code, 0, imported.stderr);
    await expectCutOff(['print-access-token', '--account', email], 'service-account token_uri');
    mode = 'announced';
    const announced = await runCliWith(['print-access-token', '--account', email], sandbox.env, { killAfterMs: 30_000 });
    assert.match(announced.stderr, /^tokentray: PROVIDER_BAD_RESPONSE: /m, 'a Content-Length past the cap is refused at once');
  });
});
