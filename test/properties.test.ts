import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { parseAuthorizedUser } from '../electron/core/google/adc.js';
import { AccountRegistry } from '../electron/core/storage/account-registry.js';
import { parseClientSecretJson } from '../electron/core/oauth/client-file.js';
import { TokenTrayError } from '../electron/core/shared/errors.js';
import { parseImpersonationChain } from '../electron/core/google/impersonation.js';
import { INVOKE_CHANNELS } from '../electron/app/ipc-contract.js';
import { validateArgs } from '../electron/app/ipc-dispatch.js';
import { startLoopbackListener, type AuthorizationCallback } from '../electron/core/oauth/loopback-listener.js';
import { resolveProviderProfile } from '../electron/core/oauth/provider-profile.js';
import { parseServiceAccountKey } from '../electron/core/google/service-account.js';
import { validateSettings } from '../electron/core/storage/settings-store.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 1000);

/** Only our coded errors may escape a parser; anything else is a bug. */
function onlyCoded(err: unknown): void {
  if (!(err instanceof TokenTrayError)) throw new Error(`not a coded error: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  assert.match(err.code, /^[A-Z_]+$/);
  assert.ok(err.message.length > 10);
}

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
  const spliced = fc.tuple(fc.nat(text.length), fc.nat(text.length), fc.string({ maxLength: 8 })).map(([a, b, ins]) => text.slice(0, Math.min(a, b)) + ins + text.slice(Math.max(a, b)));
  return fc.oneof(edited, spliced, fc.jsonValue().map((v) => JSON.stringify(v)), fc.string());
}

describe('property: every parser answers hostile input with a coded error only', () => {
  it(`client files (${RUNS} cases)`, () => {
    const valid = { installed: { client_id: 'id.apps.googleusercontent.com', client_secret: 'GOCSPX-x', redirect_uris: ['http://localhost'] } };
    fc.assert(
      fc.property(fc.oneof(mutations(valid), mutations(valid.installed).map((inner) => `{"installed": ${inner}}`)), (text) => {
        try {
          const client = parseClientSecretJson(text, 'f.json');
          assert.equal(typeof client.clientId, 'string');
        } catch (err) {
          onlyCoded(err);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it(`ADC files (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(mutations({ type: 'authorized_user', client_id: 'a', client_secret: 'b', refresh_token: 'c', quota_project_id: 'p' }), (text) => {
        try {
          parseAuthorizedUser(text, 'adc.json');
        } catch (err) {
          onlyCoded(err);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it(`service-account keys (${RUNS} cases)`, async () => {
    const { generateKeyPair, exportPKCS8 } = await import('jose');
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const valid = { type: 'service_account', project_id: 'p', private_key_id: 'k', private_key: await exportPKCS8(privateKey), client_email: 'a@p.iam.gserviceaccount.com', client_id: '1', token_uri: 'https://oauth2.googleapis.com/token' };
    await fc.assert(
      fc.asyncProperty(mutations(valid), async (text) => {
        try {
          await parseServiceAccountKey(text, 'key.json');
        } catch (err) {
          onlyCoded(err);
        }
      }),
      { numRuns: RUNS },
    );
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
      const registry = new AccountRegistry(dir);
      const account = { id: 'a', subject: 's', email: 'e@x', issuer: 'https://accounts.google.com', flavor: 'google', clientId: 'c', scopes: ['openid'], status: 'ready', createdAt: 'x', updatedAt: 'x' };
      await fc.assert(
        fc.asyncProperty(fc.oneof(mutations({ version: 1, defaultAccount: 'a', accounts: [account] }), mutations(account).map((a) => `{"version":1,"accounts":[${a}]}`)), async (text) => {
          await writeFile(registry.path, text);
          try {
            const data = await registry.load();
            assert.ok(Array.isArray(data.accounts));
          } catch (err) {
            onlyCoded(err);
          }
        }),
        { numRuns: RUNS },
      );
    });
  });

  it(`settings, impersonation chains, issuers, IPC arguments (${RUNS} cases each)`, () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => void (() => { try { validateSettings(v); } catch (err) { onlyCoded(err); } })()), { numRuns: RUNS });
    fc.assert(fc.property(fc.oneof(fc.string(), fc.array(fc.string())), (v) => void (() => { try { parseImpersonationChain(v); } catch (err) { onlyCoded(err); } })()), { numRuns: RUNS });
    fc.assert(fc.property(fc.oneof(fc.string(), fc.webUrl()), fc.constantFrom(undefined, 'google', 'oidc'), (v, flavor) => void (() => { try { resolveProviderProfile(v, flavor as 'google' | 'oidc' | undefined); } catch (err) { onlyCoded(err); } })()), { numRuns: RUNS });
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...INVOKE_CHANNELS), fc.string()), fc.oneof(fc.array(fc.jsonValue(), { maxLength: 5 }), fc.jsonValue()), (channel, args) => {
        try {
          validateArgs(channel as (typeof INVOKE_CHANNELS)[number], args);
        } catch (err) {
          onlyCoded(err);
        }
      }),
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
    void listener.callback.then((cb) => (settled = cb), () => undefined);
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
