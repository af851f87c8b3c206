import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwtPayload } from './support/flows.js';
import { HttpBrowser } from './support/http-browser.js';
import { startTestIdp, type IdpMode, type TestIdp } from './support/idp.js';
import { useIdpAndSandbox } from './support/fixtures.js';
import { findSecretsOnDisk, makeSandbox, runCli, runCliInProcess, startCli, startCliInProcess, type Sandbox } from './support/sandbox.js';

interface AccountJson {
  id: string;
  email: string;
  issuer: string;
  scopes: string[];
  default: boolean;
  status: string;
}

for (const mode of ['google', 'oidc'] as IdpMode[]) {
  describe(`tokentray CLI end to end (${mode} flavor)`, () => {
    let idp: TestIdp;
    let sandbox: Sandbox;
    const issued: string[] = [];

    before(async () => {
      idp = await startTestIdp({ mode });
      sandbox = await makeSandbox();
    });
    after(async () => {
      await sandbox.cleanup();
      await idp.close();
    });

    const clientFlags = () => ['--issuer', idp.issuer, '--flavor', mode, '--client-id', idp.client.clientId, '--client-secret', idp.client.clientSecret];
    const cli = (...args: string[]) => runCliInProcess(args, sandbox.env);
    const accounts = async () => JSON.parse((await cli('accounts', '--json')).stdout) as AccountJson[];

    async function login(user: string, extra: string[] = []) {
      const proc = startCliInProcess(['login', ...extra, '--login-hint', user, '--no-browser', '--timeout', '30'], sandbox.env);
      const url = new URL(await proc.authorizationUrl);
      const page = await new HttpBrowser(user).visit(url.href);
      return { url, page, result: await proc.done };
    }

    it('signs in through the browser with PKCE and prints the email', async () => {
      const { url, page, result } = await login('alice@example.test', clientFlags());
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'alice@example.test\n');
      const p = url.searchParams;
      assert.equal(p.get('code_challenge_method'), 'S256');
      assert.match(p.get('code_challenge')!, /^[\w-]{43}$/);
      assert.match(p.get('state')!, /^[\w-]{43}$/);
      assert.match(p.get('nonce')!, /^[\w-]{43}$/);
      assert.match(p.get('redirect_uri')!, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      // Google: its account chooser every time, and a refresh token every time.
      assert.equal(p.get('prompt'), mode === 'google' ? 'select_account consent' : 'consent');
      assert.deepEqual(idp.prompts, [p.get('prompt')], 'the IdP received it');
      assert.equal(p.get('login_hint'), 'alice@example.test');
      const scopes = p.get('scope')!.split(' ');
      if (mode === 'google') {
        assert.equal(p.get('access_type'), 'offline');
        assert.equal(p.get('include_granted_scopes'), 'true');
        assert.ok(!scopes.includes('offline_access'), 'Google rejects offline_access');
        assert.ok(scopes.includes('https://www.googleapis.com/auth/cloud-platform'));
      } else {
        assert.equal(p.get('access_type'), null);
        assert.ok(scopes.includes('offline_access'));
      }
      assert.equal(page.status, 200);
      assert.match(page.body, /Signed in/);
      // The redirect listener is one-shot: it is gone once the sign-in completed.
      await assert.rejects(fetch(p.get('redirect_uri')!));
    });

    it('prints a cached access token without asking the issuer, across processes', async () => {
      const before = { ...idp.grants };
      const a = await runCli(['print-access-token'], sandbox.env);
      const b = await runCli(['print-access-token'], sandbox.env);
      assert.equal(a.code, 0, a.stderr);
      assert.match(a.stdout, /^\S+\n$/);
      assert.equal(a.stderr, '');
      assert.ok(a.stdout === b.stdout, 'the second process reuses the token');
      assert.deepEqual(idp.grants, before, 'no request reached the token endpoint');
      issued.push(a.stdout.trim());
    });

    it('prints the ID token, whose audience is the client id', async () => {
      const res = await cli('print-identity-token');
      assert.equal(res.code, 0, res.stderr);
      const claims = decodeJwtPayload(res.stdout.trim());
      assert.equal(claims.aud, idp.client.clientId);
      assert.equal(claims.email, 'alice@example.test');
      assert.equal(claims.iss, idp.issuer);
      issued.push(res.stdout.trim());
    });

    it('prints a down-scoped access token for --scopes', async () => {
      const res = await cli('print-access-token', '--scopes', 'openid,email');
      assert.equal(res.code, 0, res.stderr);
      const full = await cli('print-access-token');
      assert.ok(res.stdout !== full.stdout, 'a separate token for the narrower scopes');
      issued.push(res.stdout.trim());
    });

    it('adds a second account with the remembered client; the first stays default until `use`', async () => {
      const { result } = await login('bob@example.test');
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'bob@example.test\n');
      let list = await accounts();
      assert.deepEqual(
        list.map((a) => [a.email, a.default, a.status]),
        [
          ['alice@example.test', true, 'ready'],
          ['bob@example.test', false, 'ready'],
        ],
      );
      for (const a of list) {
        assert.equal(a.issuer, idp.issuer);
        assert.match(a.id, /^[0-9a-f]{12}$/);
        assert.ok(a.scopes.length > 0);
      }
      const use = await cli('use', 'BOB@example.test');
      assert.equal(use.code, 0, use.stderr);
      list = await accounts();
      assert.deepEqual(
        list.map((a) => a.default),
        [false, true],
      );
      const bobId = decodeJwtPayload((await cli('print-identity-token')).stdout.trim()).sub;
      assert.equal(bobId, 'bob@example.test');
      const aliceId = await cli('print-identity-token', '--account', list[0].id);
      assert.equal(decodeJwtPayload(aliceId.stdout.trim()).sub, 'alice@example.test');
      const aliceAccess = await cli('print-access-token', '--account', 'alice@example.test');
      assert.equal(aliceAccess.code, 0, aliceAccess.stderr);
      assert.equal((await cli('use', list[0].id)).code, 0);
      assert.deepEqual(
        (await accounts()).map((a) => a.default),
        [true, false],
      );
    });

    it('keeps no token or secret in any file under TOKENTRAY_HOME', async () => {
      const core = sandbox.core();
      const secrets = [...issued, idp.client.clientSecret];
      for (const a of await core.accounts.list()) {
        const s = await core.accounts['vault'].getSecrets(a.id);
        secrets.push(s!.refreshToken);
        const cache = await core.accounts['vault'].getTokenCache(a.id);
        for (const t of Object.values(cache.access)) secrets.push(t.token);
        if (cache.id) secrets.push(cache.id.token);
      }
      assert.ok(secrets.length >= 6);
      assert.deepEqual(await findSecretsOnDisk(sandbox, secrets), []);
      const files = await readdir(sandbox.home);
      assert.deepEqual(
        files.filter((f) => f !== 'locks'),
        ['accounts.json'],
        'only the registry (and an empty lock folder)',
      );
    });

    it('logout revokes the grant at the issuer, then forgets the account', async () => {
      const core = sandbox.core();
      const bob = (await accounts()).find((a) => a.email === 'bob@example.test')!;
      const refreshToken = (await core.accounts['vault'].getSecrets(bob.id))!.refreshToken;
      assert.equal((await idp.introspect(refreshToken)).active, true);
      const res = await cli('logout', 'bob@example.test');
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /revoked/);
      assert.equal((await idp.introspect(refreshToken)).active, false);
      assert.deepEqual(
        (await accounts()).map((a) => a.email),
        ['alice@example.test'],
      );
      assert.equal(await core.accounts['vault'].getSecrets(bob.id), undefined);
      const again = await cli('print-access-token', '--account', 'bob@example.test');
      assert.equal(again.code, 1);
      assert.match(again.stderr, /^tokentray: ACCOUNT_NOT_FOUND: /);
    });
  });
}

describe('tokentray login: failures', () => {
  let idp: TestIdp;
  let sandbox: Sandbox;

  before(async () => {
    idp = await startTestIdp({ mode: 'google' });
  });
  after(async () => {
    await idp.close();
  });

  const flags = () => [
    '--issuer',
    idp.issuer,
    '--client-id',
    idp.client.clientId,
    '--client-secret',
    idp.client.clientSecret,
    '--flavor',
    'google',
    '--no-browser',
  ];
  const withSandbox = (fn: () => Promise<void>) => async () => {
    sandbox = await makeSandbox();
    try {
      await fn();
    } finally {
      await sandbox.cleanup();
    }
  };

  it(
    'ignores a callback with the wrong state, then completes with the right one',
    withSandbox(async () => {
      const proc = startCliInProcess(['login', ...flags(), '--timeout', '30'], sandbox.env);
      const url = new URL(await proc.authorizationUrl);
      const redirect = url.searchParams.get('redirect_uri')!;
      const forged = await fetch(`${redirect}?code=stolen&state=wrong`);
      assert.equal(forged.status, 400);
      assert.match(await forged.text(), /does not answer the sign-in/);
      const twice = await fetch(`${redirect}?code=x&state=${url.searchParams.get('state')}&state=${url.searchParams.get('state')}`);
      assert.equal(twice.status, 400, 'a duplicated state is not ours');
      const page = await new HttpBrowser().visit(url.href);
      assert.equal(page.status, 200);
      const result = await proc.done;
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'alice@example.test\n');
    }),
  );

  it(
    'turns a declined consent into LOGIN_DENIED and shows the browser a sentence',
    withSandbox(async () => {
      idp.deny = true;
      try {
        const proc = startCliInProcess(['login', ...flags(), '--timeout', '30'], sandbox.env);
        const page = await new HttpBrowser().visit(await proc.authorizationUrl);
        assert.equal(page.status, 400);
        assert.match(page.body, /declined/);
        const result = await proc.done;
        assert.equal(result.code, 1);
        assert.match(result.stderr, /^tokentray: LOGIN_DENIED: Sign-in was declined/m);
        assert.equal(result.stdout, '');
        assert.deepEqual(await sandbox.files(), []);
      } finally {
        idp.deny = false;
      }
    }),
  );

  it(
    'times out with LOGIN_TIMEOUT and closes the listener',
    withSandbox(async () => {
      const started = Date.now();
      const proc = startCliInProcess(['login', ...flags(), '--timeout', '1'], sandbox.env);
      const redirect = new URL(await proc.authorizationUrl).searchParams.get('redirect_uri')!;
      const result = await proc.done;
      assert.equal(result.code, 1);
      assert.match(result.stderr, /tokentray: LOGIN_TIMEOUT: Sign-in was not completed within 1 seconds/);
      assert.ok(Date.now() - started < 8000);
      await assert.rejects(fetch(redirect));
    }),
  );

  it(
    'cancels on Ctrl-C with LOGIN_CANCELLED, exit 130',
    withSandbox(async () => {
      const proc = startCli(['login', ...flags(), '--timeout', '30'], sandbox.env);
      await proc.authorizationUrl;
      proc.kill('SIGINT');
      const result = await proc.done;
      assert.equal(result.code, 130, 'a shell reports Ctrl-C as 128 + SIGINT');
      assert.match(result.stderr, /tokentray: LOGIN_CANCELLED: /);
    }),
  );

  it(
    'refuses a plain-http issuer that is not on loopback, before any request',
    withSandbox(async () => {
      const res = await runCliInProcess(
        ['login', '--issuer', 'http://accounts.example.com', '--client-id', 'x', '--client-secret', 'y', '--no-browser'],
        sandbox.env,
      );
      assert.equal(res.code, 1);
      assert.match(res.stderr, /^tokentray: INSECURE_ISSUER: Refusing the plain-http issuer http:\/\/accounts\.example\.com/);
    }),
  );

  it(
    'says PROVIDER_UNREACHABLE when the issuer is down',
    withSandbox(async () => {
      const res = await runCliInProcess(['login', '--issuer', 'http://127.0.0.1:9', '--client-id', 'x', '--client-secret', 'y', '--no-browser'], sandbox.env);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /^tokentray: PROVIDER_UNREACHABLE: Could not reach http:\/\/127\.0\.0\.1:9/);
    }),
  );

  it(
    'says DISCOVERY_FAILED when the issuer answers garbage',
    withSandbox(async () => {
      idp.brokenDiscovery = true;
      try {
        const res = await runCliInProcess(['login', ...flags()], sandbox.env);
        assert.equal(res.code, 1);
        assert.match(res.stderr, /^tokentray: DISCOVERY_FAILED: /);
      } finally {
        idp.brokenDiscovery = false;
      }
    }),
  );

  it(
    'says KEYCHAIN_UNAVAILABLE without a keychain, before the browser, and writes nothing',
    withSandbox(async () => {
      const env = { ...sandbox.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/tokentray-bus' };
      delete (env as Record<string, string | undefined>).DISPLAY;
      const res = await runCli(['login', ...flags()], env);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /^tokentray: KEYCHAIN_UNAVAILABLE: The system keychain is not available .*Secret Service/m);
      assert.doesNotMatch(res.stderr, /https?:\/\/127/, 'no authorization URL was shown');
      assert.deepEqual(await sandbox.files(), []);
    }),
  );

  it(
    'never overwrites a corrupt registry: REGISTRY_CORRUPT, file kept',
    withSandbox(async () => {
      const path = join(sandbox.home, 'accounts.json');
      await writeFile(path, '{"version": 1, "accounts": [ {"id": ');
      for (const args of [['accounts'], ['print-access-token'], ['login', ...flags()]]) {
        const res = await runCliInProcess(args, sandbox.env);
        assert.equal(res.code, 1, args.join(' '));
        assert.match(res.stderr, /^tokentray: REGISTRY_CORRUPT: The account registry .*accounts\.json is not valid JSON/);
      }
      assert.equal(await readFile(path, 'utf8'), '{"version": 1, "accounts": [ {"id": ');
    }),
  );

  it(
    'reports NO_ACCOUNTS and CLIENT_REQUIRED on a fresh home',
    withSandbox(async () => {
      const res = await runCliInProcess(['print-access-token'], sandbox.env);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /^tokentray: NO_ACCOUNTS: No account is signed in\. Run `tokentray login` first\./);
      const login = await runCliInProcess(['login', '--no-browser'], sandbox.env);
      assert.equal(login.code, 1);
      assert.match(login.stderr, /^tokentray: CLIENT_REQUIRED: No OAuth client is known for https:\/\/accounts\.google\.com/);
    }),
  );

  it(
    'exits 2 on usage errors',
    withSandbox(async () => {
      for (const args of [
        ['frobnicate'],
        ['print-access-token', '--bogus'],
        ['use'],
        ['login', '--flavor', 'saml'],
        ['login', '--timeout', 'soon'],
        ['accounts', 'extra'],
        [],
      ]) {
        const res = await runCliInProcess(args, sandbox.env);
        assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
        assert.equal(res.stdout, '');
      }
      const help = await runCliInProcess(['--help'], sandbox.env);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /print-access-token/);
    }),
  );
});

describe('tokentray login --client-secret-file', () => {
  const fx = useIdpAndSandbox({ mode: 'google' });

  async function clientFile(name: string, content: string): Promise<string> {
    return fx.sandbox.writeFile(`${name}.json`, content);
  }

  it('signs in with a downloaded Desktop-app client file', async () => {
    const file = await clientFile(
      'client_secret_desktop',
      JSON.stringify({
        installed: {
          client_id: fx.idp.client.clientId,
          project_id: 'tokentray-test',
          auth_uri: `${fx.idp.issuer}/auth`,
          token_uri: `${fx.idp.issuer}/token`,
          auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
          client_secret: fx.idp.client.clientSecret,
          redirect_uris: ['http://localhost'],
        },
      }),
    );
    const proc = startCliInProcess(
      [
        'login',
        '--issuer',
        fx.idp.issuer,
        '--flavor',
        'google',
        '--client-secret-file',
        file,
        '--login-hint',
        'dora@example.test',
        '--no-browser',
        '--timeout',
        '30',
      ],
      fx.sandbox.env,
    );
    await new HttpBrowser('dora@example.test').visit(await proc.authorizationUrl);
    const res = await proc.done;
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'dora@example.test\n');
    // The registry, and lock files that hold no secret (the canary checks them all on cleanup).
    const files = (await fx.sandbox.files()).filter((f) => !f.path.endsWith('.lock'));
    assert.equal(files.length, 1);
    assert.ok(!files[0].text.includes(fx.idp.client.clientSecret), 'the client secret stays in the keychain');
  });

  const cases: Array<[string, string, RegExp]> = [
    ['web', JSON.stringify({ web: { client_id: 'a', client_secret: 'b' } }), /^tokentray: CLIENT_FILE_WEB_CLIENT: .*"Web application" client.*"Desktop app"/],
    ['sa', JSON.stringify({ type: 'service_account', client_email: 'x@y' }), /^tokentray: CLIENT_FILE_WRONG_TYPE: .*service-account key/],
    ['broken', '{"installed": {', /^tokentray: CLIENT_FILE_INVALID_JSON: /],
    ['noid', JSON.stringify({ installed: { client_secret: 'b' } }), /^tokentray: CLIENT_FILE_INVALID: .*"installed\.client_id" is missing/],
    ['array', '[]', /^tokentray: CLIENT_FILE_INVALID: /],
  ];
  for (const [name, content, expected] of cases) {
    it(`refuses a ${name} client file with a coded error`, async () => {
      const file = await clientFile(name, content);
      const res = await runCliInProcess(['login', '--issuer', fx.idp.issuer, '--client-secret-file', file, '--no-browser'], fx.sandbox.env);
      assert.equal(res.code, 1);
      assert.match(res.stderr, expected);
    });
  }

  it('refuses a missing client file', async () => {
    const res = await runCliInProcess(['login', '--client-secret-file', '/nonexistent/client.json', '--no-browser'], fx.sandbox.env);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^tokentray: CLIENT_FILE_UNREADABLE: Cannot read the client file \/nonexistent\/client\.json: no such file\./);
  });
});
