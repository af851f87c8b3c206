import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { run } from '../electron/cli/run.js';
import { makeSandbox, type Sandbox } from './support/sandbox.js';
import { FIXED_TEST_KEYS } from './support/fixed-test-keys.js';
import { RUNS, webUrl, withControl } from './support/properties.js';

// Issue 13 §4, in a file of its own: each case is a whole CLI run (import, then signing).

describe('property: no INTERNAL error reaches a user for a bad service-account key (issue 13 §4)', () => {
  let sandbox: Sandbox;
  let dir: string;
  before(async () => {
    sandbox = await makeSandbox();
    dir = await mkdtemp(join(tmpdir(), 'tokentray-prop-keys-'));
  });
  after(async () => {
    await sandbox.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it(`import-service-account, then signing with what was imported (${RUNS} cases)`, async () => {
    const pkcs8 = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();
    // The same kinds and sizes as ever; the slow ones to make (RSA from 2047 bits, RSA-PSS) are fixed.
    const keys = [
      ...[512, 1024].map((bits) => pkcs8(generateKeyPairSync('rsa', { modulusLength: bits }).privateKey)),
      FIXED_TEST_KEYS.rsa2047,
      FIXED_TEST_KEYS.rsa2048,
      FIXED_TEST_KEYS.rsa3072,
      pkcs8(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
      pkcs8(generateKeyPairSync('ed25519').privateKey),
      FIXED_TEST_KEYS.rsaPss2048,
    ];
    const tokenUri = fc.oneof(
      fc.constantFrom(
        undefined,
        'https://oauth2.googleapis.com/token',
        'http://127.0.0.1:9/token',
        'https://user:pass@oauth2.example.invalid/token',
        'http://oauth2.example.invalid/token',
        'ftp://x.invalid/',
        '',
        'not a url',
        'https://[::1]:9/t',
        'http://localhost:9/t',
      ),
      webUrl(),
      fc.string(),
      fc.jsonValue(),
    );
    const email = fc.oneof(fc.constant('sa@p.iam.gserviceaccount.com'), fc.emailAddress(), withControl, fc.string());
    const doc = fc.record({ key: fc.constantFrom(...keys), tokenUri, email, kid: fc.oneof(fc.constant('k1'), fc.string(), withControl) });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(doc, async ({ key, tokenUri: uri, email: mail, kid }) => {
        const path = join(dir, `key${n++ % 4}.json`);
        await writeFile(
          path,
          JSON.stringify({
            type: 'service_account',
            project_id: 'p',
            private_key_id: kid,
            private_key: key,
            client_email: mail,
            client_id: '1',
            ...(uri === undefined ? {} : { token_uri: uri }),
          }),
          { mode: 0o600 },
        );
        let out = '';
        const io = { env: sandbox.env, stdout: (t: string) => (out += t), stderr: (t: string) => (out += t) };
        const imported = await run(['import-service-account', path], io);
        assert.doesNotMatch(out, /INTERNAL/);
        assert.ok(imported === 0 || /^tokentray: [A-Z_]+: /.test(out), out);
        if (imported !== 0) return;
        const id = /\(account id ([0-9a-f]{12})\)/.exec(out)![1];
        const signed = await run(['print-access-token', '--account', id, '--self-signed-jwt', '--audience', 'https://pubsub.googleapis.com/'], io);
        assert.doesNotMatch(out, /INTERNAL/);
        assert.equal(signed, 0, out);
      }),
      { numRuns: RUNS },
    );
  });
});
