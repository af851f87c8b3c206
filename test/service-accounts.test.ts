import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { importSPKI, jwtVerify, decodeProtectedHeader } from 'jose';
import { decodeJwtPayload, signInThroughCore } from './support/flows.js';
import { makeServiceAccountKey, startGoogleSim, type GoogleSim } from './support/google-sim.js';
import { useIdpAndSandbox } from './support/fixtures.js';
import { startTestIdp, type TestIdp } from './support/idp.js';
import { makeSandbox, runCliInProcess, type Sandbox } from './support/sandbox.js';

const SA = 'builder@proj-one.iam.gserviceaccount.com';
const TARGET = 'deployer@proj-one.iam.gserviceaccount.com';
const DELEGATE = 'relay@proj-one.iam.gserviceaccount.com';

describe('service accounts, impersonation and ID tokens for any audience', () => {
  let idp: TestIdp;
  let sim: GoogleSim;
  let sandbox: Sandbox;
  let env: Record<string, string>;
  let keyFile: string;
  let publicKeyPem: string;
  let privateKey: string;

  before(async () => {
    idp = await startTestIdp({ mode: 'google' });
    sim = await startGoogleSim(idp);
    sandbox = await makeSandbox();
    env = { ...sandbox.env, TOKENTRAY_GOOGLE_IAMCREDENTIALS_URL: sim.origin, TOKENTRAY_GOOGLE_TOKENINFO_URL: `${sim.origin}/tokeninfo` };
    const key = await makeServiceAccountKey(sim, SA);
    publicKeyPem = key.publicKeyPem;
    privateKey = String(key.json.private_key);
    keyFile = await sandbox.writeFile('sa.json', JSON.stringify(key.json, null, 2));
    await signInThroughCore(sandbox.core(), idp, 'jo@example.test');
    await makeServiceAccountKey(sim, TARGET);
    await makeServiceAccountKey(sim, DELEGATE);
  });
  after(async () => {
    await sandbox.cleanup();
    await sim.close();
    await idp.close();
  });

  const cli = (...args: string[]) => runCliInProcess(args, env);
  const ok = async (...args: string[]) => {
    const res = await cli(...args);
    assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
    return res.stdout.trim();
  };
  const fails = async (code: string, ...args: string[]) => {
    const res = await cli(...args);
    assert.equal(res.code, 1, `${args.join(' ')} should fail`);
    assert.match(res.stderr, new RegExp(`^tokentray: ${code}: `), res.stderr);
    return res.stderr;
  };

  it('imports a key: email on stdout, private key only in the keychain, file not copied', async () => {
    const res = await cli('import-service-account', keyFile);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, `${SA}\n`);
    const accounts = JSON.parse(await ok('accounts', '--json')) as Array<{ email: string; default: boolean }>;
    assert.deepEqual(
      accounts.map((a) => [a.email, a.default]),
      [
        ['jo@example.test', true],
        [SA, false],
      ],
    );
    assert.deepEqual((await readdir(sandbox.home)).sort(), ['accounts.json', 'locks'], 'the registry and the lock folder');
    const files = await sandbox.files();
    assert.ok(!files.some((f) => f.text.includes('PRIVATE KEY') || f.text.includes(privateKey.slice(40, 80))), 'no private key on disk');
    const record = JSON.parse(files[0].text).accounts.find((a: { email: string }) => a.email === SA);
    assert.equal(record.kind, 'service_account');
    assert.equal(record.projectId, 'proj-one');
    assert.match(record.privateKeyId, /^[0-9a-f]{40}$/);
    const core = sandbox.core();
    assert.equal((await core.accounts['vault'].getServiceAccountKey(record.id))?.privateKey, privateKey);
    // Importing the key again (a rotated key, say) keeps what the user set for the account.
    assert.equal((await cli('configure', SA, '--project', 'proj-chosen')).code, 0);
    assert.equal((await cli('import-service-account', keyFile)).code, 0);
    const again = JSON.parse(await ok('accounts', '--json')) as Array<{ email: string; project: string | null }>;
    assert.equal(again.find((a) => a.email === SA)?.project, 'proj-chosen');
  });

  it('refuses wrong files with codes that say what they are', async () => {
    const write = async (name: string, content: unknown) => {
      return sandbox.writeFile(`${name}.json`, typeof content === 'string' ? content : JSON.stringify(content));
    };
    const base = JSON.parse(JSON.stringify((await makeServiceAccountKey(sim, 'other@proj-one.iam.gserviceaccount.com')).json)) as Record<string, unknown>;
    assert.match(
      await fails(
        'SA_KEY_WRONG_TYPE',
        'import-service-account',
        await write('adc', { type: 'authorized_user', client_id: 'a', client_secret: 'b', refresh_token: 'c' }),
      ),
      /authorized_user/,
    );
    assert.match(await fails('SA_KEY_WRONG_TYPE', 'import-service-account', await write('client', { installed: { client_id: 'a' } })), /OAuth client file/);
    assert.match(
      await fails(
        'SA_KEY_BAD_PEM',
        'import-service-account',
        await write('pem', { ...base, private_key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }),
      ),
      /PKCS#8/,
    );
    assert.match(await fails('SA_KEY_INVALID', 'import-service-account', await write('noemail', { ...base, client_email: undefined })), /client_email/);
    assert.match(await fails('SA_KEY_INVALID', 'import-service-account', await write('nokid', { ...base, private_key_id: '' })), /private_key_id/);
    await fails('SA_KEY_INVALID_JSON', 'import-service-account', await write('json', '{"type": "service_account",'));
    // A broken key file's error must not quote the key (V8's JSON messages quote the text).
    const broken = `{"type": "service_account", "private_key": "${String(base.private_key).slice(0, 200).replace(/\n/g, '\\n')}" x "client_email": "a@b"}`;
    const quoted = await fails('SA_KEY_INVALID_JSON', 'import-service-account', await write('quoting', broken));
    assert.doesNotMatch(quoted, /MII/);
    assert.match(quoted, /error is at character \d+/);
    assert.match(
      await fails('SA_KEY_BAD_TOKEN_URI', 'import-service-account', await write('uri', { ...base, token_uri: 'http://evil.example.invalid/token' })),
      /https/,
    );
    await fails('SA_KEY_UNREADABLE', 'import-service-account', '/nonexistent/key.json');
    assert.equal((await cli('import-service-account')).code, 2);
  });

  it('mints access tokens with the JWT-bearer grant, cached across processes', async () => {
    const before = sim.counts['jwt-bearer:access'] ?? 0;
    const a = await ok('print-access-token', '--account', SA);
    const b = await ok('print-access-token', '--account', SA);
    assert.match(a, /^ya29\.sim-/);
    assert.ok(a === b, 'the second process reuses the cached token');
    assert.equal(sim.counts['jwt-bearer:access'], before + 1);
    const info = JSON.parse(await ok('info', '--account', SA, '--json')) as Record<string, unknown>;
    assert.deepEqual(
      [info.email, info.scopes, info.source, info.kind, info.tokenType],
      [SA, ['https://www.googleapis.com/auth/cloud-platform'], 'tokeninfo', 'service_account', 'Bearer'],
    );
    const narrow = await ok('print-access-token', '--account', SA, '--scopes', 'devstorage.read_only');
    assert.ok(narrow !== a);
    assert.equal(sim.counts['jwt-bearer:access'], before + 2);
  });

  it('signs a self-signed JWT for an API audience', async () => {
    const jwt = await ok('print-access-token', '--account', SA, '--self-signed-jwt', '--audience', 'https://pubsub.googleapis.com/');
    const { payload, protectedHeader } = await jwtVerify(jwt, await importSPKI(publicKeyPem, 'RS256'), {
      audience: 'https://pubsub.googleapis.com/',
      issuer: SA,
    });
    assert.equal(payload.sub, SA);
    assert.equal(payload.exp! - payload.iat!, 3600);
    assert.equal(protectedHeader.kid, decodeProtectedHeader(jwt).kid);
    assert.equal(protectedHeader.alg, 'RS256');
    await fails('NOT_A_SERVICE_ACCOUNT', 'print-access-token', '--self-signed-jwt', '--audience', 'https://pubsub.googleapis.com/');
    assert.equal((await cli('print-access-token', '--account', SA, '--self-signed-jwt')).code, 2, '--audience is required');
    assert.equal((await cli('print-access-token', '--account', SA, '--audience', 'https://x/')).code, 2, '--audience needs --self-signed-jwt');
  });

  it("gets a service account's ID token for an audience (target_audience grant)", async () => {
    const jwt = await ok('print-identity-token', '--account', SA, '--audiences', 'https://run.example.test');
    const claims = await sim.verifyIdToken(jwt);
    assert.equal(claims.aud, 'https://run.example.test');
    assert.equal(claims.email, SA);
    assert.match(await fails('AUDIENCE_REQUIRED', 'print-identity-token', '--account', SA), /--audiences/);
  });

  it('refuses an audience for a user account without impersonation, saying why', async () => {
    const err = await fails('AUDIENCE_NOT_SUPPORTED', 'print-identity-token', '--audiences', 'https://run.example.test');
    assert.match(err, /only for the OAuth client/);
    assert.match(err, /--impersonate-service-account/);
    assert.equal(decodeJwtPayload(await ok('print-identity-token')).aud, idp.client.clientId, "without an audience: the account's own ID token");
  });

  it('impersonates with generateAccessToken, as Google formats it, through a delegation chain', async () => {
    await fails('IMPERSONATION_DENIED', 'print-access-token', '--impersonate-service-account', TARGET);
    assert.match((await cli('print-access-token', '--impersonate-service-account', TARGET)).stderr, /roles\/iam\.serviceAccountTokenCreator on deployer@/);
    sim.allow('jo@example.test', TARGET);
    const token = await ok('print-access-token', '--impersonate-service-account', TARGET);
    assert.match(token, /^ya29\.sim-imp-/);
    assert.deepEqual(sim.iamRequests.at(-1), {
      method: 'generateAccessToken',
      target: TARGET,
      body: { scope: ['https://www.googleapis.com/auth/cloud-platform'], delegates: [], lifetime: '3600s' },
    });
    const calls = sim.counts.generateAccessToken;
    assert.equal(await ok('print-access-token', '--impersonate-service-account', TARGET), token, 'cached');
    assert.equal(sim.counts.generateAccessToken, calls);

    sim.allow('jo@example.test', DELEGATE);
    sim.allow(DELEGATE, 'other@proj-one.iam.gserviceaccount.com');
    await ok('print-access-token', '--impersonate-service-account', `other@proj-one.iam.gserviceaccount.com,${DELEGATE}`, '--scopes', 'bigquery');
    assert.deepEqual(sim.iamRequests.at(-1)!.body, {
      scope: ['https://www.googleapis.com/auth/bigquery'],
      delegates: [`projects/-/serviceAccounts/${DELEGATE}`],
      lifetime: '3600s',
    });
    assert.equal((await cli('print-access-token', '--impersonate-service-account', 'not-an-email')).code, 2);
    // No scope string names the impersonated token's cache entry.
    const forged = await cli('print-access-token', '--scopes', `imp:${TARGET}|https://www.googleapis.com/auth/cloud-platform`);
    assert.ok(!forged.stdout.includes(token), 'a user scope string never returns the impersonated token');
  });

  it('impersonates with generateIdToken for an audience, with the email when asked', async () => {
    const jwt = await ok('print-identity-token', '--impersonate-service-account', TARGET, '--audiences', 'https://api.example.test', '--include-email');
    const claims = await sim.verifyIdToken(jwt);
    assert.deepEqual([claims.aud, claims.email], ['https://api.example.test', TARGET]);
    assert.deepEqual(sim.iamRequests.at(-1), {
      method: 'generateIdToken',
      target: TARGET,
      body: { audience: 'https://api.example.test', delegates: [], includeEmail: true },
    });
    const plain = await sim.verifyIdToken(await ok('print-identity-token', '--impersonate-service-account', TARGET, '--audiences', 'https://api.example.test'));
    assert.equal(plain.email, undefined);
    await fails('AUDIENCE_REQUIRED', 'print-identity-token', '--impersonate-service-account', TARGET);
  });

  it('lets a service account impersonate another', async () => {
    sim.allow(SA, TARGET);
    const token = await ok('print-access-token', '--account', SA, '--impersonate-service-account', TARGET, '--scopes', 'pubsub');
    assert.match(token, /^ya29\.sim-imp-/);
  });

  it("describes a user token with Google's tokeninfo", async () => {
    const text = await ok('info');
    assert.match(text, /^account\s+jo@example\.test \([0-9a-f]{12}, user\)$/m);
    assert.match(text, /^source\s+tokeninfo$/m);
    assert.match(text, /^scopes\s+.*https:\/\/www\.googleapis\.com\/auth\/cloud-platform/m);
    assert.match(text, /^token type\s+Bearer$/m);
  });

  it('refuses endpoint overrides that are not https or loopback', async () => {
    const res = await runCliInProcess(['print-access-token', '--impersonate-service-account', 'new@proj-one.iam.gserviceaccount.com'], {
      ...env,
      TOKENTRAY_GOOGLE_IAMCREDENTIALS_URL: 'http://iam.example.com',
    });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^tokentray: INVALID_ENDPOINT: TOKENTRAY_GOOGLE_IAMCREDENTIALS_URL must be an https URL/);
  });

  it('forgets a service account on logout without pretending to revoke its key', async () => {
    const res = await cli('logout', SA);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /stays valid until you delete it in the Cloud Console/);
    await fails('ACCOUNT_NOT_FOUND', 'print-access-token', '--account', SA);
  });
});

describe('a service account as the first (default) account', () => {
  let idp: TestIdp;
  let sim: GoogleSim;
  let sandbox: Sandbox;
  before(async () => {
    idp = await startTestIdp({ mode: 'google' });
    sim = await startGoogleSim(idp);
    sandbox = await makeSandbox();
  });
  after(async () => {
    await sandbox.cleanup();
    await sim.close();
    await idp.close();
  });

  it('is never taken for an OAuth client to reuse, and stays ready', async () => {
    const { json } = await makeServiceAccountKey(sim, 'first@proj-one.iam.gserviceaccount.com');
    const file = await sandbox.writeFile('first.json', JSON.stringify(json));
    assert.equal((await runCliInProcess(['import-service-account', file], sandbox.env)).code, 0);
    const login = await runCliInProcess(['login', '--no-browser'], sandbox.env);
    assert.equal(login.code, 1);
    assert.match(login.stderr, /^tokentray: CLIENT_REQUIRED: /);
    const [view] = JSON.parse((await runCliInProcess(['accounts', '--json'], sandbox.env)).stdout) as Array<{ status: string; default: boolean }>;
    assert.deepEqual([view.status, view.default], ['ready', true]);
    assert.equal((await runCliInProcess(['print-access-token'], sandbox.env)).code, 0);
  });
});

describe('tokentray info for other issuers', () => {
  const fx = useIdpAndSandbox({ mode: 'oidc' });
  before(async () => {
    await signInThroughCore(fx.sandbox.core(), fx.idp, 'kim@example.test');
  });

  it("uses the issuer's introspection endpoint", async () => {
    const res = await runCliInProcess(['info', '--json'], fx.sandbox.env);
    assert.equal(res.code, 0, res.stderr);
    const info = JSON.parse(res.stdout) as Record<string, unknown>;
    assert.equal(info.source, 'introspection');
    assert.equal(info.tokenType, 'Bearer');
    assert.ok((info.expiresIn as number) > 3000);
    assert.ok(Array.isArray(info.scopes));
  });
});
