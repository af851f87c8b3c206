/**
 * Workforce (external_account_authorized_user) and workload (external_account) identity
 * federation, against the STS and IAM Credentials stand-ins on 127.0.0.1, through the CLI, and
 * with gcloud's google-auth (Python) reading exported files.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { createHandlers } from '../electron/app/handlers/index.js';
import { ClipboardGuard } from '../electron/app/clipboard-guard.js';
import { buildTrayMenu } from '../electron/app/tray-menu.js';
import { SettingsStore } from '../electron/core/storage/settings-store.js';
import { accountIdFor } from '../electron/core/accounts/account-service.js';
import { poolOf } from '../electron/core/google/external-account-file.js';
import { startGoogleSim, type GoogleSim } from './support/google-sim.js';
import { RecordingClipboard } from './support/renderer-harness.js';
import { dirname, join } from 'node:path';
import { CLI, makeSandbox, runCliInProcess, type Sandbox } from './support/sandbox.js';

const WF_AUDIENCE = '//iam.googleapis.com/locations/global/workforcePools/acme-pool/providers/okta';
const WF_PRINCIPAL = 'principal://iam.googleapis.com/locations/global/workforcePools/acme-pool/subject/ann@acme.test';
const WL_AUDIENCE = '//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/ci-pool/providers/github';
const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const SA = 'deployer@proj-one.iam.gserviceaccount.com';
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

const SDK = '/usr/lib/google-cloud-sdk';
const PYTHON = existsSync(`${SDK}/platform/bundledpythonunix/bin/python3`) ? `${SDK}/platform/bundledpythonunix/bin/python3` : 'python3';

function run(command: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}

/** google-auth as gcloud bundles it: google.auth.default() with GOOGLE_APPLICATION_CREDENTIALS, one refresh. */
const GOOGLE_AUTH_PY = `
import json, google.auth, google.auth.transport.requests
creds, project = google.auth.default(scopes=['${CLOUD_PLATFORM}'])
creds.refresh(google.auth.transport.requests.Request())
print(json.dumps({'kind': type(creds).__module__, 'token': creds.token}))
`;

describe('workforce and workload identity federation', () => {
  let sim: GoogleSim;
  let sandbox: Sandbox;
  let env: Record<string, string>;
  let workforceFile: string;
  let firstRefreshToken: string;
  const clientSecret = 'wf-secret-Zx81';

  before(async () => {
    sim = await startGoogleSim();
    sandbox = await makeSandbox();
    env = { ...sandbox.env, TOKENTRAY_GOOGLE_IAMCREDENTIALS_URL: sim.origin };
    firstRefreshToken = sim.addWorkforce({ clientId: 'wf-client', clientSecret, audience: WF_AUDIENCE, principal: WF_PRINCIPAL });
    sim.allow(WF_PRINCIPAL, SA);
    workforceFile = await sandbox.writeFile('workforce.json', JSON.stringify(workforceDoc(firstRefreshToken)));
  });
  after(async () => {
    await sandbox.cleanup();
    await sim.close();
  });

  const workforceDoc = (refreshToken: string, extra: Record<string, unknown> = {}) => ({
    type: 'external_account_authorized_user',
    audience: WF_AUDIENCE,
    refresh_token: refreshToken,
    token_url: `${sim.origin}/v1/oauthtoken`,
    token_info_url: `${sim.origin}/v1/introspect`,
    revoke_url: `${sim.origin}/v1/revoke`,
    client_id: 'wf-client',
    client_secret: clientSecret,
    quota_project_id: 'acme-quota',
    universe_domain: 'googleapis.com',
    ...extra,
  });
  const workloadDoc = (credentialSource: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    type: 'external_account',
    audience: WL_AUDIENCE,
    subject_token_type: JWT_TYPE,
    token_url: `${sim.origin}/v1/token`,
    credential_source: credentialSource,
    ...extra,
  });

  const cli = (...args: string[]) => runCliInProcess(args, env);
  const ok = async (...args: string[]) => {
    const res = await cli(...args);
    assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
    return res.stdout.trim();
  };
  const fails = async (code: string, ...args: string[]) => {
    const res = await cli(...args);
    assert.equal(res.code, 1, `${args.join(' ')} should fail: ${res.stdout}`);
    assert.match(res.stderr, new RegExp(`^tokentray: ${code}: `), res.stderr);
    return res.stderr;
  };
  const accountOf = async (name: string) => (await sandbox.core().accounts.records()).accounts.find((a) => a.subject === name || a.email === name)!;
  const dropCache = async (name: string) => {
    const core = sandbox.core();
    const { id } = await accountOf(name);
    await core.accounts.withAccountLock(id, () => core.accounts['vault'].setTokenCache(id, { access: {}, ids: {} }));
  };

  describe('workforce (external_account_authorized_user)', () => {
    it('imports the file: named by the principal token_info_url gives, kind workforce, secrets only in the keychain', async () => {
      assert.equal(await ok('adc', 'import', workforceFile), WF_PRINCIPAL);
      const listed = JSON.parse(await ok('accounts', '--json')) as Array<{ kind: string; subject: string; quotaProject: string | null }>;
      assert.deepEqual(
        listed.map((a) => [a.kind, a.subject, a.quotaProject]),
        [['workforce', WF_PRINCIPAL, 'acme-quota']],
        "the file's quota project is the account's",
      );
      const refresh = sim.stsRequests.find((r) => r.path === 'oauthtoken')!;
      assert.equal(refresh.authorization, `Basic ${Buffer.from(`wf-client:${clientSecret}`).toString('base64')}`);
      assert.deepEqual(refresh.form, { grant_type: 'refresh_token', refresh_token: firstRefreshToken });
      const files = await sandbox.files();
      assert.ok(!files.some((f) => f.text.includes(clientSecret) || f.text.includes('wf-rt-')), 'neither the client secret nor a refresh token on disk');
    });

    it('gives access tokens, cached across processes, and keeps each rotated refresh token', async () => {
      const a = await ok('print-access-token');
      assert.equal(await ok('print-access-token'), a, 'cached');
      const before = sim.counts['sts:refresh'];
      for (let i = 0; i < 2; i++) {
        await dropCache(WF_PRINCIPAL);
        // The stand-in refuses a spent refresh token: this succeeds only with the rotated one kept.
        assert.match(await ok('print-access-token'), /^ya29\.sts-/);
      }
      assert.equal(sim.counts['sts:refresh'], before + 2);
    });

    it('20 parallel print-access-token against the rotating STS: one refresh, nothing lost', async () => {
      await dropCache(WF_PRINCIPAL);
      const before = sim.counts['sts:refresh'];
      const runs = await Promise.all(Array.from({ length: 20 }, () => cli('print-access-token')));
      assert.deepEqual(
        runs.map((r) => r.code),
        Array(20).fill(0),
        runs.map((r) => r.stderr).join(''),
      );
      assert.equal(new Set(runs.map((r) => r.stdout)).size, 1, 'one token for all');
      assert.equal(sim.counts['sts:refresh'], before + 1, 'one exchange');
      await dropCache(WF_PRINCIPAL);
      assert.match(await ok('print-access-token'), /^ya29\.sts-/, 'the refresh token is still good');
    });

    it('ID tokens for an audience through an impersonated service account', async () => {
      const id = await ok('print-identity-token', '--audiences', 'https://svc.example.test', '--impersonate-service-account', SA);
      const claims = await sim.verifyIdToken(id);
      assert.equal(claims.aud, 'https://svc.example.test');
      assert.equal(sim.iamRequests.at(-1)?.target, SA);
      await fails('AUDIENCE_NOT_SUPPORTED', 'print-identity-token', '--audiences', 'https://svc.example.test');
    });

    it('exports the same kind of file (with the current refresh token) that google-auth in gcloud refreshes', async () => {
      const out = `${await sandbox.dir('export')}/adc.json`;
      assert.equal(await ok('adc', 'export', '--output', out), out);
      const doc = JSON.parse(await readFile(out, 'utf8')) as Record<string, string>;
      assert.equal(doc.type, 'external_account_authorized_user');
      assert.equal(doc.quota_project_id, 'acme-quota');
      assert.notEqual(doc.refresh_token, firstRefreshToken, 'the rotated refresh token');
      const py = await run(PYTHON, ['-c', GOOGLE_AUTH_PY], {
        PATH: process.env.PATH!,
        HOME: sandbox.root,
        PYTHONPATH: `${SDK}/lib/third_party`,
        GOOGLE_APPLICATION_CREDENTIALS: out,
      });
      assert.equal(py.code, 0, py.stderr);
      const got = JSON.parse(py.stdout) as { kind: string; token: string };
      assert.equal(got.kind, 'google.auth.external_account_authorized_user');
      assert.match(got.token, /^ya29\.sts-/);
    });

    it("tokentray exec gives google-auth (gcloud's, in Python) a live token of the workforce account", async () => {
      // The exported file's refresh token was spent by google-auth: sign the account in again by importing a fresh grant.
      const rt = sim.addWorkforce({ clientId: 'wf-client', clientSecret, audience: WF_AUDIENCE, principal: WF_PRINCIPAL });
      await writeFile(workforceFile, JSON.stringify(workforceDoc(rt)));
      await ok('adc', 'import', workforceFile);
      const script = `import google.auth, google.auth.transport.requests\nc, p = google.auth.default(scopes=['${CLOUD_PLATFORM}'])\nc.refresh(google.auth.transport.requests.Request())\nprint(c.token)`;
      const res = await runCliInProcess(['exec', '--', PYTHON, '-c', script], { ...env, PYTHONPATH: `${SDK}/lib/third_party` });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout.trim(), await ok('print-access-token'));
    });

    it('a revoked grant: account kept, marked for sign-in again, coded error', async () => {
      sim.revokeWorkforce(WF_PRINCIPAL);
      await dropCache(WF_PRINCIPAL);
      const err = await fails('REAUTH_REQUIRED', 'print-access-token');
      assert.match(err, /invalid or has expired/);
      assert.equal((await accountOf(WF_PRINCIPAL)).status, 'signin_required');
    });

    it('logout revokes at revoke_url and forgets the account', async () => {
      const rt = sim.addWorkforce({ clientId: 'wf-client', clientSecret, audience: WF_AUDIENCE, principal: WF_PRINCIPAL });
      await writeFile(workforceFile, JSON.stringify(workforceDoc(rt)));
      await ok('adc', 'import', workforceFile);
      const before = sim.counts['sts:revoke'] ?? 0;
      await ok('logout', WF_PRINCIPAL);
      assert.equal(sim.counts['sts:revoke'], before + 1);
      assert.equal(await accountOf(WF_PRINCIPAL), undefined);
      const core = sandbox.core();
      assert.equal((await core.accounts.records()).accounts.length, 0);
    });
  });

  describe('the window', () => {
    it("imports a workforce file through the import dialog's handler, lists it with kind and principal, copies its token", async () => {
      const rt = sim.addWorkforce({ clientId: 'wf-client', clientSecret, audience: WF_AUDIENCE, principal: WF_PRINCIPAL });
      const core = sandbox.core();
      const settings = new SettingsStore(core.home);
      await settings.load();
      const clipboard = new RecordingClipboard();
      const handlers = createHandlers({
        core,
        settings,
        clipboard: new ClipboardGuard(clipboard, () => 0),
        env,
        openExternal: async () => undefined,
        onChange: () => undefined,
      });
      const summary = await handlers['accounts:import-service-account'](JSON.stringify(workforceDoc(rt)));
      assert.deepEqual([summary.kind, summary.subject], ['workforce', WF_PRINCIPAL]);
      const tokens = await handlers['tokens:get'](summary.id);
      assert.match(tokens.access.token, /^ya29\.sts-/);
      assert.equal(tokens.id, null, 'no ID token of its own');
      await handlers['tokens:copy'](summary.id, 'access', 'raw');
      assert.equal(clipboard.text, tokens.access.token);
      const labels = buildTrayMenu({ accounts: await core.accounts.list(), signingIn: false }).map((i) => ('label' in i ? i.label : ''));
      assert.ok(labels.includes(`${WF_PRINCIPAL} (workforce, default)`), labels.join('|'));
      assert.ok(labels.includes('Copy access token') && !labels.includes('Copy ID token'));
      await handlers['accounts:remove'](summary.id);
    });
  });

  describe('workload (external_account)', () => {
    let subjectFile: string;
    before(async () => {
      subjectFile = await sandbox.writeFile('subject.jwt', 'eyJ.subject-one.sig\n');
      sim.addWorkload({ audience: WL_AUDIENCE, subjectTokenType: JWT_TYPE, subjectToken: 'eyJ.subject-one.sig', principal: 'principal://ci/one' });
      sim.addWorkload({ audience: WL_AUDIENCE, subjectTokenType: JWT_TYPE, subjectToken: 'eyJ.subject-two.sig', principal: 'principal://ci/two' });
      sim.allow('principal://ci/one', SA);
      sim.allow('principal://ci/two', SA);
    });

    it('file source: imports, exchanges the subject token read fresh at each refresh, with the RFC 8693 fields', async () => {
      const file = await sandbox.writeFile('wl-file.json', JSON.stringify(workloadDoc({ file: subjectFile })));
      const name = await ok('adc', 'import', file);
      assert.match(name, /ci-pool\/github/);
      const exchange = sim.stsRequests.filter((r) => r.path === 'token').at(-1)!;
      assert.deepEqual(exchange.form, {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        subject_token_type: JWT_TYPE,
        subject_token: 'eyJ.subject-one.sig',
        audience: WL_AUDIENCE,
        scope: CLOUD_PLATFORM,
      });
      await writeFile(subjectFile, 'eyJ.subject-two.sig');
      await dropCache(name);
      assert.match(await ok('print-access-token', '--account', name), /^ya29\.sts-/);
      assert.equal(sim.stsRequests.at(-1)?.form.subject_token, 'eyJ.subject-two.sig', 'read again');
      const files = await sandbox.files();
      assert.ok(!files.some((f) => f.text.includes('subject-two')), 'the subject token is never stored');
      await ok('logout', name);
    });

    it('two files of one pool with different subjects are two accounts: the second does not replace the first', async () => {
      const workloads = async () =>
        (JSON.parse(await ok('accounts', '--json')) as Array<{ id: string; kind: string }>).filter((a) => a.kind === 'workload').map((a) => a.id);
      assert.deepEqual(await workloads(), [], 'none before');
      const fileA = await sandbox.writeFile(
        'wl-a.json',
        JSON.stringify(workloadDoc({ file: await sandbox.writeFile('subject-a.jwt', 'eyJ.subject-one.sig') })),
      );
      const fileB = await sandbox.writeFile(
        'wl-b.json',
        JSON.stringify(workloadDoc({ file: await sandbox.writeFile('subject-b.jwt', 'eyJ.subject-two.sig') })),
      );
      await ok('adc', 'import', fileA);
      await ok('adc', 'import', fileB);
      await ok('adc', 'import', fileA); // the same source again: the same account
      const ids = await workloads();
      assert.equal(ids.length, 2, `two accounts: ${ids.join(', ')}`);
      const subjects = new Set<string | undefined>();
      for (const id of ids) {
        const core = sandbox.core(); // no cached token: the exchange itself shows whose subject it sends
        await core.accounts.withAccountLock(id, () => core.accounts['vault'].setTokenCache(id, { access: {}, ids: {} }));
        assert.match(await ok('print-access-token', '--account', id), /^ya29\.sts-/);
        subjects.add(sim.stsRequests.filter((r) => r.path === 'token').at(-1)?.form.subject_token);
      }
      assert.deepEqual([...subjects].sort(), ['eyJ.subject-one.sig', 'eyJ.subject-two.sig'], 'each account exchanges its own subject');
      for (const id of ids) await ok('logout', id);
    });

    it('an account imported when ids named only the pool keeps its id when the same file is imported again', async () => {
      const doc = workloadDoc({ file: subjectFile });
      const subject = `principalSet://${poolOf(WL_AUDIENCE)}`;
      const legacy = accountIdFor(doc.token_url, `${WL_AUDIENCE}\n${subject}`);
      const core = sandbox.core();
      const record = {
        id: legacy,
        kind: 'workload' as const,
        subject,
        issuer: doc.token_url,
        flavor: 'google' as const,
        clientId: '',
        scopes: [],
        status: 'ready' as const,
      };
      await core.accounts.saveFederatedAccount(record, JSON.stringify(doc), { token: 'ya29.sts-old', expiresAt: Date.now() + 3_600_000 });
      await ok('adc', 'import', await sandbox.writeFile('wl-again.json', JSON.stringify(doc)));
      const ids = (JSON.parse(await ok('accounts', '--json')) as Array<{ id: string; kind: string }>).filter((a) => a.kind === 'workload').map((a) => a.id);
      assert.deepEqual(ids, [legacy], 'the same account, not a second one');
      await ok('logout', legacy);
    });

    it('a re-import that fails keeps the stored file: nothing is stored before the file has given a token', async () => {
      const subject = await sandbox.writeFile('subject-keep.jwt', 'eyJ.subject-one.sig');
      const doc = workloadDoc({ file: subject });
      const name = await ok('adc', 'import', await sandbox.writeFile('wl-keep.json', JSON.stringify(doc)));
      const { id } = await accountOf(name);
      const stored = await sandbox.core().accounts.federationFile(id);
      // The same account (same pool and source), a changed file, and a subject token STS refuses.
      await writeFile(subject, 'eyJ.unknown-subject.sig');
      await fails(
        'FEDERATION_EXCHANGE_FAILED',
        'adc',
        'import',
        await sandbox.writeFile('wl-keep-2.json', JSON.stringify({ ...doc, quota_project_id: 'other-quota' })),
      );
      assert.equal(await sandbox.core().accounts.federationFile(id), stored, 'the stored file is as it was');
      await writeFile(subject, 'eyJ.subject-one.sig');
      await dropCache(name);
      assert.match(await ok('print-access-token', '--account', id), /^ya29\.sts-/);
      await ok('logout', id);
    });

    it('serves kubectl (ExecCredential), curl and the docker helper like any account', async () => {
      await writeFile(subjectFile, 'eyJ.subject-one.sig');
      const name = await ok('adc', 'import', await sandbox.writeFile('wl-tools.json', JSON.stringify(workloadDoc({ file: subjectFile }))));
      const token = await ok('print-access-token', '--account', name);
      const kube = JSON.parse(await ok('kube-credential', '--account', name)) as { kind: string; status: { token: string } };
      assert.deepEqual([kube.kind, kube.status.token], ['ExecCredential', token]);
      const { createServer } = await import('node:http');
      const server = createServer((req, res) => res.end(String(req.headers.authorization)));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const port = (server.address() as { port: number }).port;
        assert.equal(await ok('curl', '--account', name, `http://127.0.0.1:${port}/`, '-s'), `Bearer ${token}`);
      } finally {
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      }
      // As configure-docker records it: only a registry set up gets a token.
      await writeFile(join(env.TOKENTRAY_HOME, 'docker-registries.json'), JSON.stringify({ 'gcr.io': {} }));
      const helper = spawn(process.execPath, [`${dirname(CLI)}/docker-credential-tokentray.cjs`, 'get'], {
        env: { ...env, TOKENTRAY_ACCOUNT: name },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      helper.stdout.on('data', (d: Buffer) => (out += d.toString()));
      helper.stderr.on('data', (d: Buffer) => (out += d.toString()));
      helper.stdin.end('gcr.io\n');
      assert.equal(await new Promise((r) => helper.on('close', r)), 0, out);
      assert.equal((JSON.parse(out) as { Secret: string }).Secret, token);
      await ok('logout', name);
    });

    it('url source with headers and json format, impersonating a service account (token lifetime passed), ID tokens for an audience', async () => {
      const { createServer } = await import('node:http');
      const seen: string[] = [];
      const server = createServer((req, res) => {
        seen.push(String(req.headers['metadata-flavor']));
        res.end(JSON.stringify({ value: 'eyJ.subject-one.sig' }));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/token`;
        const doc = workloadDoc(
          { url, headers: { 'Metadata-Flavor': 'Google' }, format: { type: 'json', subject_token_field_name: 'value' } },
          {
            service_account_impersonation_url: `${sim.origin}/v1/projects/-/serviceAccounts/${SA}:generateAccessToken`,
            service_account_impersonation: { token_lifetime_seconds: 1800 },
          },
        );
        const file = await sandbox.writeFile('wl-url.json', JSON.stringify(doc));
        assert.equal(await ok('adc', 'import', file), SA);
        assert.deepEqual(seen, ['Google']);
        const access = sim.iamRequests.at(-1)!;
        assert.deepEqual([access.method, access.target, access.body.lifetime], ['generateAccessToken', SA, '1800s']);
        assert.match(await ok('print-access-token', '--account', SA), /^ya29\.sim-imp-/);
        const id = await ok('print-identity-token', '--account', SA, '--audiences', 'https://run.example.test');
        assert.equal((await sim.verifyIdToken(id)).aud, 'https://run.example.test');
        const out = `${await sandbox.dir('export-wl')}/wl.json`;
        await ok('adc', 'export', '--account', SA, '--output', out);
        assert.deepEqual(JSON.parse(await readFile(out, 'utf8')), doc, 'exported as imported');
        await ok('logout', SA);
      } finally {
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      }
    });

    it('executable source: never runs without GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1; its failure carries its own message', async () => {
      const dir = await sandbox.dir('exe');
      const marker = `${dir}/ran`;
      const good = `${dir}/good.sh`;
      await writeFile(good, `#!/bin/sh\ntouch ${marker}\necho '{"version":1,"success":true,"token_type":"${JWT_TYPE}","id_token":"eyJ.subject-one.sig"}'\n`);
      const bad = `${dir}/bad.sh`;
      await writeFile(bad, `#!/bin/sh\necho '{"version":1,"success":false,"code":"401","message":"Okta said no"}'\nexit 1\n`);
      const slow = `${dir}/slow.sh`;
      await writeFile(slow, '#!/bin/sh\nexec sleep 30\n');
      const nullish = `${dir}/null.sh`;
      await writeFile(nullish, '#!/bin/sh\necho null\n');
      for (const f of [good, bad, slow, nullish]) await chmod(f, 0o700);
      const fileFor = (command: string, timeout = 5000) =>
        sandbox.writeFile(`wl-exe-${timeout}-${command.length}.json`, JSON.stringify(workloadDoc({ executable: { command, timeout_millis: timeout } })));
      await fails('FEDERATION_EXECUTABLE_NOT_ALLOWED', 'adc', 'import', await fileFor(good));
      assert.equal(existsSync(marker), false, 'the program did not run');
      const allowed = { ...env, GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES: '1' };
      const yes = await runCliInProcess(['adc', 'import', await fileFor(good)], allowed);
      assert.equal(yes.code, 0, yes.stderr);
      assert.equal(existsSync(marker), true);
      const no = await runCliInProcess(['adc', 'import', await fileFor(bad)], allowed);
      assert.match(no.stderr, /^tokentray: FEDERATION_EXECUTABLE_FAILED: .*401: Okta said no/);
      const nothing = await runCliInProcess(['adc', 'import', await fileFor(nullish)], allowed);
      assert.match(nothing.stderr, /^tokentray: FEDERATION_EXECUTABLE_FAILED: The subject-token program .*null\.sh did not print a JSON object\./);
      const started = Date.now();
      const late = await runCliInProcess(['adc', 'import', await fileFor(slow)], allowed);
      assert.match(late.stderr, /^tokentray: FEDERATION_EXECUTABLE_FAILED: .*within 5000 ms/);
      assert.ok(Date.now() - started < 20_000);
      await runCliInProcess(['logout', yes.stdout.trim()], allowed);
    });

    it('refuses AWS sources, non-loopback http URLs, and reports STS errors sanitised', async () => {
      const aws = await sandbox.writeFile('wl-aws.json', JSON.stringify(workloadDoc({ environment_id: 'aws1', region_url: 'http://169.254.169.254/x' })));
      assert.match(await fails('FEDERATION_SOURCE_UNSUPPORTED', 'adc', 'import', aws), /AWS/);
      const plain = await sandbox.writeFile(
        'wl-http.json',
        JSON.stringify(workloadDoc({ file: subjectFile }, { token_url: 'http://sts.example.invalid/v1/token' })),
      );
      assert.match(await fails('INVALID_ENDPOINT', 'adc', 'import', plain), /https/);
      const wf = await sandbox.writeFile('wf-http.json', JSON.stringify(workforceDoc('x', { revoke_url: 'http://sts.example.invalid/v1/revoke' })));
      await fails('INVALID_ENDPOINT', 'adc', 'import', wf);
      await writeFile(subjectFile, 'eyJ.unknown.sig');
      const unknown = await sandbox.writeFile('wl-unknown.json', JSON.stringify(workloadDoc({ file: subjectFile })));
      assert.match(await fails('FEDERATION_EXCHANGE_FAILED', 'adc', 'import', unknown), /invalid_grant: The subject token is invalid/);
      assert.equal((await sandbox.core().accounts.records()).accounts.length, 0, 'nothing imported');
    });
  });
});
