import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { parseAuthorizedUser } from '../electron/core/google/adc.js';
import { AccountRegistry } from '../electron/core/accounts/account-registry.js';
import { parseClientSecretJson } from '../electron/core/oauth/client-file.js';
import { type TokenTrayError } from '../electron/core/shared/errors.js';
import { parseImpersonationChain } from '../electron/core/google/impersonation.js';
import { INVOKE_CHANNELS } from '../electron/app/ipc-contract.js';
import { validateArgs } from '../electron/app/ipc-dispatch.js';
import { startLoopbackListener, type AuthorizationCallback } from '../electron/core/oauth/loopback-listener.js';
import { resolveProviderProfile } from '../electron/core/oauth/provider-profile.js';
import { parseServiceAccountKey } from '../electron/core/google/service-account.js';
import { validateSettings } from '../electron/core/storage/settings-store.js';
import { run } from '../electron/cli/run.js';
import { displaySafe, terminalSafe } from '../electron/core/shared/sanitize.js';
import { readUserFile, USER_FILE_LIMIT_BYTES } from '../electron/core/storage/read-user-file.js';
import { FIXED_TEST_KEYS } from './support/fixed-test-keys.js';
import { makeSandbox, type Sandbox } from './support/sandbox.js';
import { binaryString, onlyCoded, RUNS, webUrl, withControl } from './support/properties.js';

/** Valid documents, then mutated: fields replaced, removed or added, and the JSON text cut and spliced. */
function mutations(valid: Record<string, unknown>): fc.Arbitrary<string> {
  const keys = Object.keys(valid);
  const edited = fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...keys), fc.string()), fc.option(fc.jsonValue(), { nil: undefined })), { maxLength: 4 })
    .map((edits) => {
      const doc: Record<string, unknown> = structuredClone(valid);
      for (const [k, v] of edits) {
        if (v === undefined) delete doc[k];
        else doc[k] = v;
      }
      return JSON.stringify(doc);
    });
  const text = JSON.stringify(valid);
  const spliced = fc
    .tuple(fc.nat(text.length), fc.nat(text.length), fc.string({ maxLength: 8 }))
    .map(([a, b, ins]) => text.slice(0, Math.min(a, b)) + ins + text.slice(Math.max(a, b)));
  return fc.oneof(
    edited,
    spliced,
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string(),
  );
}

describe('property: every parser answers hostile input with a coded error only', () => {
  it(`client files (${RUNS} cases)`, () => {
    let parsed = 0; // the success branch: a property that never reached it proved half of what it says
    const valid = { installed: { client_id: 'id.apps.googleusercontent.com', client_secret: 'GOCSPX-x', redirect_uris: ['http://localhost'] } };
    fc.assert(
      fc.property(
        fc.oneof(
          mutations(valid),
          mutations(valid.installed).map((inner) => `{"installed": ${inner}}`),
        ),
        (text) => {
          try {
            const client = parseClientSecretJson(text, 'f.json');
            assert.equal(typeof client.clientId, 'string');
            parsed++;
          } catch (err) {
            onlyCoded(err);
          }
        },
      ),
      { numRuns: RUNS },
    );
    assert.ok(parsed > 0, `no case of ${RUNS} was valid`);
  });

  it(`ADC files (${RUNS} cases)`, () => {
    let parsed = 0; // the success branch: a property that never reached it proved half of what it says
    fc.assert(
      fc.property(mutations({ type: 'authorized_user', client_id: 'a', client_secret: 'b', refresh_token: 'c', quota_project_id: 'p' }), (text) => {
        try {
          parseAuthorizedUser(text, 'adc.json');
          parsed++;
        } catch (err) {
          onlyCoded(err);
        }
      }),
      { numRuns: RUNS },
    );
    assert.ok(parsed > 0, `no case of ${RUNS} was valid`);
  });

  it(`service-account keys (${RUNS} cases)`, async () => {
    let parsed = 0; // the success branch: a property that never reached it proved half of what it says
    const valid = {
      type: 'service_account',
      project_id: 'p',
      private_key_id: 'k',
      private_key: FIXED_TEST_KEYS.rsa2048,
      client_email: 'a@p.iam.gserviceaccount.com',
      client_id: '1',
      token_uri: 'https://oauth2.googleapis.com/token',
    };
    await fc.assert(
      fc.asyncProperty(mutations(valid), async (text) => {
        try {
          await parseServiceAccountKey(text, 'key.json');
          parsed++;
        } catch (err) {
          onlyCoded(err);
        }
      }),
      { numRuns: RUNS },
    );
    assert.ok(parsed > 0, `no case of ${RUNS} was valid`);
  });

  describe('registry files', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'tokentray-prop-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    it(`registry files (${RUNS} cases)`, async () => {
      let parsed = 0; // the success branch: a property that never reached it proved half of what it says
      const registry = new AccountRegistry(dir);
      const account = {
        id: 'a',
        subject: 's',
        email: 'e@x',
        issuer: 'https://accounts.google.com',
        flavor: 'google',
        clientId: 'c',
        scopes: ['openid'],
        status: 'ready',
        createdAt: 'x',
        updatedAt: 'x',
      };
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            mutations({ version: 1, defaultAccount: 'a', accounts: [account] }),
            mutations(account).map((a) => `{"version":1,"accounts":[${a}]}`),
          ),
          async (text) => {
            await writeFile(registry.path, text);
            try {
              const data = await registry.load();
              assert.ok(Array.isArray(data.accounts));
              parsed++;
            } catch (err) {
              onlyCoded(err);
            }
          },
        ),
        { numRuns: RUNS },
      );
      assert.ok(parsed > 0, `no case of ${RUNS} was valid`);
    });
  });

  it(`settings, impersonation chains, issuers, IPC arguments (${RUNS} cases each)`, () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        (v) =>
          void (() => {
            try {
              validateSettings(v);
            } catch (err) {
              onlyCoded(err);
            }
          })(),
      ),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.array(fc.string())),
        (v) =>
          void (() => {
            try {
              parseImpersonationChain(v);
            } catch (err) {
              onlyCoded(err);
            }
          })(),
      ),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), webUrl()),
        fc.constantFrom(undefined, 'google', 'oidc'),
        (v, flavor) =>
          void (() => {
            try {
              resolveProviderProfile(v, flavor);
            } catch (err) {
              onlyCoded(err);
            }
          })(),
      ),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...INVOKE_CHANNELS), fc.string()),
        fc.oneof(fc.array(fc.jsonValue(), { maxLength: 5 }), fc.jsonValue()),
        (channel, args) => {
          try {
            validateArgs(channel, args);
          } catch (err) {
            onlyCoded(err);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});

interface Answer {
  status: number;
  body: string;
}

function send(port: number, method: string, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('property: the loopback redirect listener', () => {
  it(`answers ${RUNS} random requests without crashing; only the one right callback completes`, async () => {
    const state = 'the-expected-state_0123456789';
    const listener = await startLoopbackListener({ expectedState: state, timeoutMs: 600_000 });
    let settled: AuthorizationCallback | undefined;
    void listener.callback.then(
      (cb) => (settled = cb),
      () => undefined,
    );
    const port = Number(new URL(listener.redirectUri).port);
    const param = fc.tuple(
      fc.oneof(fc.constantFrom('code', 'state', 'error', 'error_description', 'iss', 'scope', 'authuser', 'STATE', 'state '), fc.string({ maxLength: 20 })),
      fc.oneof(fc.constant(state), fc.constant(`${state}x`), fc.constant(''), fc.string({ maxLength: 50 }), fc.string({ minLength: 2000, maxLength: 9000 })),
    );
    const requestArb = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'HEAD'),
      segments: fc.oneof(fc.constant([] as string[]), fc.array(fc.string({ maxLength: 12 }), { maxLength: 4 })),
      params: fc.array(param, { maxLength: 6 }),
    });
    try {
      await fc.assert(
        fc.asyncProperty(requestArb, async ({ method, segments, params }) => {
          const path = `/${segments.map(encodeURIComponent).join('/')}`;
          const query = new URLSearchParams(params).toString();
          const url = new URL(`http://127.0.0.1${path}${query ? `?${query}` : ''}`);
          const states = url.searchParams.getAll('state');
          // The oracle: this one would be the real answer; it is sent at the end, alone.
          fc.pre(!(method === 'GET' && url.pathname === '/' && states.length === 1 && states[0] === state));
          const res = await send(port, method, `${path}${query ? `?${query}` : ''}`);
          assert.ok([400, 414, 431].includes(res.status), `${method} ${path}?${query.slice(0, 80)} → ${res.status}`);
          assert.equal(settled, undefined, 'a stray request completed the attempt');
        }),
        { numRuns: RUNS },
      );
      // A path that a resolver would turn into another host is still not `/`.
      assert.equal((await send(port, 'GET', `//evil.example/?code=abc&state=${state}`)).status, 400);
      assert.equal(settled, undefined);
      const real = send(port, 'GET', `/?code=abc&state=${state}&scope=openid`);
      await new Promise((r) => setTimeout(r, 50));
      const completed = settled as AuthorizationCallback | undefined;
      assert.ok(completed, 'the right callback completes it');
      completed.finish({ ok: true });
      assert.equal((await real).status, 200);
    } finally {
      listener.close();
    }
  });
});

// ---- Issue 13: control characters and non-regular files (HTTP answers and service-account keys have their own files) ----

const TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('property: control characters in identity fields (issue 13 §2)', () => {
  let sandbox: Sandbox;
  before(async () => {
    // The in-memory keychain: what is printed is the point here, not the D-Bus round trips.
    sandbox = await makeSandbox({ secrets: 'memory' });
  });
  after(async () => {
    await sandbox.cleanup();
  });

  it(`printed text is terminal-safe and JSON still decodes to the original (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(fc.oneof(binaryString(), withControl), (s) => {
        const shown = terminalSafe(JSON.stringify({ s }));
        assert.doesNotMatch(shown, TERMINAL_CONTROL);
        assert.equal((JSON.parse(shown) as { s: string }).s, s);
        assert.doesNotMatch(terminalSafe(s), TERMINAL_CONTROL);
        assert.doesNotMatch(displaySafe(s), /[\u0000-\u001f\u007f-\u009f]/);
      }),
      { numRuns: RUNS },
    );
  });

  it(`every parser and the sign-in refuse them in ids and emails (${RUNS} cases)`, async () => {
    const pem = FIXED_TEST_KEYS.rsa2048;
    const core = sandbox.core();
    const profile = resolveProviderProfile('http://127.0.0.1:9', 'oidc');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('sa', 'adc', 'client', 'sign-in', 'impersonate'), fc.nat(3), withControl, async (kind, which, value) => {
        let code: string;
        try {
          if (kind === 'sa') {
            const field = ['client_email', 'client_id', 'private_key_id', 'project_id'][which];
            const doc = {
              type: 'service_account',
              project_id: 'p',
              private_key_id: 'k',
              private_key: pem,
              client_email: 'a@p.iam.gserviceaccount.com',
              client_id: '1',
              [field]: field === 'client_email' ? `${value}@p` : value,
            };
            await parseServiceAccountKey(JSON.stringify(doc), 'key.json');
          } else if (kind === 'adc') {
            const field = ['client_id', 'client_secret', 'refresh_token', 'quota_project_id'][which];
            parseAuthorizedUser(
              JSON.stringify({ type: 'authorized_user', client_id: 'a', client_secret: 'b', refresh_token: 'c', [field]: value }),
              'adc.json',
            );
          } else if (kind === 'client') {
            parseClientSecretJson(
              JSON.stringify({ installed: { client_id: 'id', client_secret: 's', [which % 2 ? 'client_id' : 'client_secret']: value } }),
              'client.json',
            );
          } else if (kind === 'impersonate') {
            // Inside the name: whitespace at either end is trimmed, as it should be.
            parseImpersonationChain(which % 2 ? `x${value}x@p.iam.gserviceaccount.com` : `sa@p.iam.gserviceaccount.com,x${value}x@p`);
          } else {
            // Refused before the keychain is touched, so no entry is ever written here.
            const identity = which % 2 ? { subject: value, email: 'a@b.c' } : { subject: 's', email: value };
            await core.accounts.saveSignIn(
              profile,
              { clientId: 'c' },
              { ...identity, grantedScopes: [], refreshToken: 'r', accessToken: 'a', accessTokenExpiresAt: 0 },
            );
          }
          assert.fail(`${kind}: accepted ${JSON.stringify(value)}`);
        } catch (err) {
          onlyCoded(err);
          code = (err as TokenTrayError).code;
          const expected = {
            sa: 'SA_KEY_INVALID',
            adc: 'ADC_FILE_INVALID',
            client: 'CLIENT_FILE_INVALID',
            'sign-in': 'IDENTITY_INVALID',
            impersonate: 'USAGE',
          }[kind];
          // A client_id that is empty once trimmed is refused for that reason first.
          if (!(kind === 'client' && value.trim() === '')) assert.equal(code, expected, (err as Error).message);
          assert.doesNotMatch((err as Error).message, /[\u0000-\u001f\u007f-\u009f]/, 'the message quotes the value escaped');
        }
      }),
      { numRuns: RUNS },
    );
    assert.deepEqual(await core.accounts.list(), []);
  });

  it(`\`tokentray accounts\` prints any hand-edited registry terminal-safe (${RUNS} cases)`, async () => {
    const path = join(sandbox.home, 'accounts.json');
    await fc.assert(
      fc.asyncProperty(fc.oneof(withControl, binaryString()), fc.oneof(withControl, fc.string()), fc.boolean(), async (email, subject, json) => {
        const record = {
          id: 'a1',
          subject,
          email,
          issuer: 'https://accounts.google.com',
          flavor: 'google',
          clientId: 'c',
          scopes: [subject],
          status: 'ready',
          impersonate: [email],
          createdAt: 'x',
          updatedAt: 'x',
        };
        await writeFile(path, JSON.stringify({ version: 1, accounts: [record] }));
        let out = '';
        const code = await run(json ? ['accounts', '--json'] : ['accounts'], {
          env: sandbox.env,
          store: sandbox.store!,
          stdout: (t) => (out += t),
          stderr: (t) => (out += t),
        });
        assert.equal(code, 0, out);
        assert.doesNotMatch(out, TERMINAL_CONTROL);
        if (json) assert.equal((JSON.parse(out) as Array<{ email: string }>)[0].email, email);
      }),
      { numRuns: RUNS },
    );
    await rm(path, { force: true });
  });
});

describe('property: files a user names (issue 13 §5)', () => {
  let dir: string;
  const specials: string[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tokentray-prop-files-'));
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', ['-m', '600', fifo]);
    await symlink(fifo, join(dir, 'to-fifo'));
    await symlink('/dev/urandom', join(dir, 'to-urandom'));
    specials.push(fifo, join(dir, 'to-fifo'), join(dir, 'to-urandom'), '/dev/urandom', '/dev/zero', '/dev/null', dir);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(`are read only when regular and at most 1 MB, and never hang (${RUNS} cases)`, async () => {
    const size = fc.oneof(
      fc.nat(4096),
      fc.integer({ min: USER_FILE_LIMIT_BYTES - 2, max: USER_FILE_LIMIT_BYTES + 2 }),
      fc.integer({ min: USER_FILE_LIMIT_BYTES, max: 8 * USER_FILE_LIMIT_BYTES }),
    );
    const target = fc.oneof(fc.record({ special: fc.constantFrom(...specials) }), fc.record({ size }), fc.constant({ missing: true as const }));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(target, async (t) => {
        let path: string;
        if ('special' in t) path = t.special;
        else if ('missing' in t) path = join(dir, 'missing');
        else {
          path = join(dir, `f${n++ % 4}`);
          await writeFile(path, '');
          await truncate(path, t.size);
        }
        const read = readUserFile(path, 'CLIENT_FILE_UNREADABLE', 'the client file');
        const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${path} hung`)), 10_000).unref());
        try {
          const text = await Promise.race([read, timeout]);
          assert.ok('size' in t && t.size <= USER_FILE_LIMIT_BYTES, `${path} was read`);
          assert.equal(text.length, t.size);
        } catch (err) {
          onlyCoded(err);
          const code = (err as TokenTrayError).code;
          if ('special' in t) assert.equal(code, 'FILE_NOT_REGULAR');
          else if ('missing' in t) assert.equal(code, 'CLIENT_FILE_UNREADABLE');
          else assert.ok(t.size > USER_FILE_LIMIT_BYTES && code === 'FILE_TOO_LARGE', `${t.size} bytes → ${code}`);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
