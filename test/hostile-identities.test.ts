import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildTrayMenu } from '../electron/app/tray-menu.js';
import { accountIdFor } from '../electron/core/accounts/account-service.js';
import { useIdpAndSandbox } from './support/fixtures.js';
import { loginArgs } from './support/flows.js';
import { HttpBrowser } from './support/http-browser.js';
import { assertTerminalSafe, HOSTILE_EMAIL } from './support/hostile.js';
import { CLI, makeSandbox, runCliInProcess, startCliInProcess, type Sandbox } from './support/sandbox.js';
import { rsaKeyPem, serviceAccountKey } from './support/service-account-key.js';

describe('terminal escapes from a hostile issuer (issue 13 §2)', () => {
  const fx = useIdpAndSandbox({ mode: 'oidc' });

  it('login refuses an ID token whose email and sub carry terminal escapes, and prints none of them', async () => {
    fx.idp.user = HOSTILE_EMAIL; // the test IdP puts this into the ID token's sub and email
    try {
      const proc = startCliInProcess(loginArgs(fx.idp), fx.sandbox.env);
      const page = await new HttpBrowser().visit(await proc.authorizationUrl);
      const res = await proc.done;
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stderr, /^tokentray: IDENTITY_INVALID: .*control characters/m);
      assert.equal(res.stdout, '');
      assertTerminalSafe(res.stderr, 'stderr');
      assert.ok(!page.body.includes('\u001b'), 'the browser page names no raw escape either');
      const list = await runCliInProcess(['accounts', '--json'], fx.sandbox.env);
      assert.deepEqual(JSON.parse(list.stdout), [], 'nothing was stored');
    } finally {
      fx.idp.user = 'alice@example.test';
    }
  });
});

describe('terminal escapes in files (issue 13 §2)', () => {
  let sandbox: Sandbox;
  let dir: string;
  before(async () => {
    sandbox = await makeSandbox();
    dir = await mkdtemp(join(sandbox.home, 'files-'));
  });
  after(async () => {
    await sandbox.cleanup();
  });

  it('import-service-account refuses a client_email or id with control characters', async () => {
    for (const [field, value] of [
      ['client_email', `evil\u001b]0;PWNED\u0007@p.iam.gserviceaccount.com`],
      ['client_id', '12\u009b31m34'],
      ['private_key_id', 'k\u007f1'],
      ['project_id', 'p\u001b[2J'],
    ] as const) {
      const path = join(dir, `${field}.json`);
      await writeFile(path, JSON.stringify(serviceAccountKey({ [field]: value })));
      const res = await runCliInProcess(['import-service-account', path], sandbox.env);
      assert.equal(res.code, 1, `${field}: ${res.stderr}`);
      assert.match(res.stderr, new RegExp(`^tokentray: SA_KEY_INVALID: .*"${field}" contains control characters`, 'm'));
      assertTerminalSafe(res.stdout + res.stderr, field);
    }
    assert.deepEqual(JSON.parse((await runCliInProcess(['accounts', '--json'], sandbox.env)).stdout), []);
  });

  it('adc import refuses control characters in the file before any request', async () => {
    const path = join(dir, 'adc.json');
    await writeFile(path, JSON.stringify({ type: 'authorized_user', client_id: 'id\u001b]0;x\u0007', client_secret: 's', refresh_token: 'r' }));
    // The issuer is a loopback port nobody listens on: the check must come before any request.
    const res = await runCliInProcess(['adc', 'import', path, '--issuer', 'http://127.0.0.1:9'], sandbox.env);
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /^tokentray: ADC_FILE_INVALID: .*"client_id" contains control characters/m);
    assertTerminalSafe(res.stderr);
  });

  it('a client file with control characters in its client id is refused', async () => {
    const path = join(dir, 'client.json');
    await writeFile(path, JSON.stringify({ installed: { client_id: 'x\u009d.apps.googleusercontent.com', client_secret: 's' } }));
    const res = await runCliInProcess(['login', '--client-secret-file', path, '--issuer', 'http://127.0.0.1:9', '--no-browser'], sandbox.env);
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /CLIENT_FILE_INVALID: .*control characters/);
    assertTerminalSafe(res.stderr);
  });

  it('a hand-edited accounts.json is printed with its escapes made visible, and --json still round-trips', async () => {
    const issuer = 'https://accounts.google.com';
    const subject = '1\u001b[31m2';
    const id = accountIdFor(issuer, subject);
    const record = {
      id,
      subject,
      email: HOSTILE_EMAIL,
      issuer,
      flavor: 'google',
      clientId: 'c\u0085',
      scopes: ['openid'],
      status: 'signin_required',
      statusReason: 'x\u001b]0;T\u0007',
      impersonate: ['sa\u001b@p.iam.gserviceaccount.com'],
      createdAt: 'x',
      updatedAt: 'x',
    };
    await writeFile(join(sandbox.home, 'accounts.json'), JSON.stringify({ version: 1, defaultAccount: id, accounts: [record] }));

    const text = await runCliInProcess(['accounts'], sandbox.env);
    assert.equal(text.code, 0, text.stderr);
    assertTerminalSafe(text.stdout, '`accounts`');
    assert.ok(text.stdout.includes('\\u001b]52;c;SGFja2Vk\\u0007'), `the escape is shown, not hidden: ${text.stdout}`);

    const json = await runCliInProcess(['accounts', '--json'], sandbox.env);
    assertTerminalSafe(json.stdout, '`accounts --json`');
    const [parsed] = JSON.parse(json.stdout) as Array<{ email: string }>;
    assert.equal(parsed.email, HOSTILE_EMAIL, 'JSON consumers get the exact value back');

    const use = await runCliInProcess(['use', id], sandbox.env);
    assert.equal(use.code, 0, use.stderr);
    assertTerminalSafe(use.stderr, '`use`');
    const missing = await runCliInProcess(['print-access-token', '--account', `nobody\u001b]0;x\u0007`], sandbox.env);
    assert.match(missing.stderr, /ACCOUNT_NOT_FOUND/);
    assertTerminalSafe(missing.stderr, 'an error quoting the argument');
    const token = await runCliInProcess(['print-access-token'], sandbox.env);
    assert.equal(token.code, 1);
    assertTerminalSafe(token.stderr, 'an error naming the account');
  });

  it('docker-credential-tokentray prints a hostile registry name escaped, on stdout (docker shows it) and stderr', async () => {
    const helper = join(dirname(CLI), 'docker-credential-tokentray.cjs');
    const child = spawn(process.execPath, [helper, 'get'], { env: sandbox.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.end('registry\u001b]0;PWNED\u0007.example.invalid/\u009b2J\n');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 2, out); // a USAGE error: exit 2, as in every TokenTray program
    assert.match(out, /^tokentray: USAGE: .*not a registry host name/m);
    assertTerminalSafe(out, 'docker-credential-tokentray');
  });

  it('the tray menu shows names with control characters escaped', () => {
    const items = buildTrayMenu({
      signingIn: false,
      accounts: [
        {
          id: 'a',
          kind: 'user',
          email: HOSTILE_EMAIL,
          subject: 's',
          issuer: 'https://accounts.google.com',
          flavor: 'google',
          scopes: [],
          default: true,
          status: 'ready',
          impersonate: ['x\u009b@y'],
        },
      ],
    });
    for (const item of items) if ('label' in item) assertTerminalSafe(item.label.replace(/[\n\t]/g, '\\n'), `tray label ${JSON.stringify(item.label)}`);
  });
});

describe('weak or odd service-account keys (issue 13 §4)', () => {
  let sandbox: Sandbox;
  let dir: string;
  before(async () => {
    sandbox = await makeSandbox();
    dir = await mkdtemp(join(sandbox.home, 'keys-'));
  });
  after(async () => {
    await sandbox.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses RSA-512 and RSA-1024 keys at import with SA_KEY_WEAK', async () => {
    for (const bits of [512, 1024]) {
      const path = join(dir, `rsa${bits}.json`);
      await writeFile(path, JSON.stringify(serviceAccountKey({}, rsaKeyPem(bits))), { mode: 0o600 });
      const res = await runCliInProcess(['import-service-account', path], sandbox.env);
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stderr, new RegExp(`^tokentray: SA_KEY_WEAK: .*RSA-${bits}`, 'm'));
    }
    assert.deepEqual(JSON.parse((await runCliInProcess(['accounts', '--json'], sandbox.env)).stdout), []);
  });

  it('refuses a token_uri with a user name and password, or plain http to a remote host, with SA_KEY_BAD_TOKEN_URI', async () => {
    for (const uri of [
      'https://user:pass@oauth2.example.invalid/token',
      'https://user@oauth2.example.invalid/token',
      'http://oauth2.example.invalid/token',
      'not a url',
    ]) {
      const path = join(dir, 'uri.json');
      await writeFile(path, JSON.stringify(serviceAccountKey({ token_uri: uri })), { mode: 0o600 });
      const res = await runCliInProcess(['import-service-account', path], sandbox.env);
      assert.equal(res.code, 1, `${uri}: ${res.stderr}`);
      assert.match(res.stderr, /^tokentray: SA_KEY_BAD_TOKEN_URI: /m, uri);
      assert.ok(!res.stderr.includes('pass@'), 'the password is not echoed');
    }
  });

  it('a weak key stored before these checks gets SA_KEY_WEAK when used, never INTERNAL', async () => {
    const core = sandbox.core();
    const email = 'old@tokentray-test.iam.gserviceaccount.com';
    const tokenUri = 'http://127.0.0.1:9/token';
    const id = accountIdFor(tokenUri, email);
    await core.accounts['vault'].setServiceAccountKey(id, { clientEmail: email, clientId: email, privateKey: rsaKeyPem(1024), privateKeyId: 'k', tokenUri });
    await core.accounts['registry'].update((data) => {
      data.accounts.push({
        id,
        kind: 'service_account',
        subject: email,
        email,
        issuer: tokenUri,
        flavor: 'google',
        clientId: email,
        scopes: ['https://www.googleapis.com/auth/cloud-platform'],
        status: 'ready',
        privateKeyId: 'k',
        createdAt: 'x',
        updatedAt: 'x',
      });
    });
    for (const args of [
      ['print-access-token', '--account', email],
      ['print-access-token', '--account', email, '--self-signed-jwt', '--audience', 'https://pubsub.googleapis.com/'],
    ]) {
      const res = await runCliInProcess(args, sandbox.env);
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stderr, /^tokentray: SA_KEY_WEAK: /m, args.join(' '));
      assert.doesNotMatch(res.stderr, /INTERNAL/);
    }
  });
});
