import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redact, registerSecret } from '../electron/core/shared/logger.js';
import { expireCache, signInThroughCore } from './support/flows.js';
import { useIdpAndSandbox } from './support/fixtures.js';
import { runCli } from './support/sandbox.js';

describe('redaction', () => {
  it('removes every kind of secret TokenTray handles, and keeps the rest', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXZhbHVl';
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n';
    const cases: Array<[string, string]> = [
      ['Authorization: Bearer ya29.a0AfH6SMBx-secret', 'Authorization: Bearer [REDACTED]'],
      ['authorization: basic dXNlcjpwYXNz', 'authorization: basic [REDACTED]'],
      [`id token ${jwt} here`, 'id token [REDACTED JWT] here'],
      ['{"access_token":"ya29.abc","expires_in":3599,"token_type":"Bearer"}', '{"access_token":"[REDACTED]","expires_in":3599,"token_type":"Bearer"}'],
      ['{"refresh_token": "rt-fake-test-value", "scope": "openid"}', '{"refresh_token": "[REDACTED]", "scope": "openid"}'],
      ['a Google refresh token 1//0gFAKEfaketestvalue in text', 'a Google refresh token [REDACTED] in text'],
      [
        'grant_type=refresh_token&refresh_token=1%2F%2Fabc&client_secret=GOCSPX-xyz&client_id=app',
        'grant_type=refresh_token&refresh_token=[REDACTED]&client_secret=[REDACTED]&client_id=app',
      ],
      ['code=4%2F0Ad-abc&code_verifier=verifier123&state=s1', 'code=[REDACTED]&code_verifier=[REDACTED]&state=s1'],
      ['assertion=abc.def.ghi&grant_type=urn', 'assertion=[REDACTED]&grant_type=urn'],
      [`key: ${pem}done`, 'key: [REDACTED PRIVATE KEY]\ndone'],
      [`{"private_key": ${JSON.stringify(pem)}}`, '{"private_key": "[REDACTED]"}'],
      ['secret GOCSPX-1a2b3c4d5e in text', 'secret [REDACTED] in text'],
      ['nothing secret: https://oauth2.googleapis.com/token 200', 'nothing secret: https://oauth2.googleapis.com/token 200'],
    ];
    for (const [input, expected] of cases) assert.equal(redact(input), expected, input);
    registerSecret('my-custom-secret-value');
    assert.equal(redact('x my-custom-secret-value y'), 'x [REDACTED] y');
  });
});

describe('--verbose', () => {
  const fx = useIdpAndSandbox({ mode: 'google' });

  it('shows the HTTP exchanges of a refresh, with every secret redacted', async () => {
    const { idp, sandbox } = fx;
    const core = sandbox.core();
    const account = await signInThroughCore(core, idp, 'quinn@example.test');
    await expireCache(core, account.id);
    const res = await runCli(['print-access-token', '--verbose'], sandbox.env);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^\S+\n$/, 'stdout still holds only the token');
    assert.match(res.stderr, /^tokentray: HTTP GET http:\/\/127\.0\.0\.1:\d+\/\.well-known\/openid-configuration/m);
    assert.match(res.stderr, /^tokentray: HTTP POST http:\/\/127\.0\.0\.1:\d+\/token .*refresh_token=\[REDACTED\]/m);
    assert.match(res.stderr, /^tokentray: HTTP 200 POST .*"access_token":"\[REDACTED\]"/m);
    assert.match(res.stderr, /client_secret=\[REDACTED\]/);
    assert.ok(!res.stderr.includes(res.stdout.trim()), 'the new token is not in the log');
    assert.ok(!res.stderr.includes(idp.client.clientSecret));
    // Off by default.
    const quiet = await runCli(['print-access-token'], sandbox.env);
    assert.equal(quiet.stderr, '');
  });

  it("logs a login's exchanges without the code, verifier or tokens", async () => {
    const res = await runCli(
      ['--verbose', 'login', '--issuer', 'http://127.0.0.1:9', '--client-id', 'x', '--client-secret', 'a-secret-from-the-command-line', '--no-browser'],
      fx.sandbox.env,
    );
    assert.equal(res.code, 1);
    assert.match(res.stderr, /HTTP GET http:\/\/127\.0\.0\.1:9\/\.well-known\/openid-configuration failed/);
    assert.ok(!res.stderr.includes('a-secret-from-the-command-line'));
  });
});

describe('logging HTTP exchanges', () => {
  it('redacts a response before cutting it, so a cut never exposes part of a secret', async () => {
    const { createServer } = await import('node:http');
    const { loggingFetch, setLogSink } = await import('../electron/core/shared/logger.js');
    const secret = `opaque-${'s'.repeat(300)}`;
    const server = createServer((_req, res) => res.end(JSON.stringify({ pad: 'p'.repeat(1960), refresh_token: secret })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const lines: string[] = [];
    setLogSink((line) => lines.push(line));
    try {
      await (await loggingFetch(`http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/`)).text();
    } finally {
      setLogSink(undefined);
      server.close();
    }
    assert.ok(lines.length >= 2);
    assert.ok(!lines.join('\n').includes('opaque-sss'), 'no part of the secret in the log');
  });
});
