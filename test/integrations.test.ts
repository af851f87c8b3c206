import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, mkdir, mkdtemp, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Core } from '../electron/core/core.js';
import { startMetadataServer, type MetadataServer } from '../electron/core/integrations/metadata-server.js';
import { importServiceAccountJson } from '../electron/core/google/service-account.js';
import { exportAdcFile } from '../electron/core/google/adc.js';
import { decodeJwtPayload, signInThroughCore } from './support/flows.js';
import { makeServiceAccountKey, startGoogleSim, type GoogleSim } from './support/google-sim.js';
import { startTestIdp, type TestIdp } from './support/idp.js';
import { CLI, makeSandbox, runCliInProcess, startCli, type Sandbox } from './support/sandbox.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SA = 'app@proj-three.iam.gserviceaccount.com';
const TARGET = 'api-caller@proj-three.iam.gserviceaccount.com';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP GET (fetch would not let us set Host or omit headers). */
function get(port: number, path: string, headers: Record<string, string> = { 'Metadata-Flavor': 'Google' }, method = 'GET'): Promise<Answer> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Runs a script with google-auth-library, unmodified, in its own process. */
function runGoogleAuth(script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, ['--input-type=commonjs', '-e', script], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}

const GOOGLE_AUTH_SCRIPT = `
const { GoogleAuth } = require('google-auth-library');
(async () => {
  const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
  const client = await auth.getClient();
  const { token } = await client.getAccessToken();
  const projectId = await auth.getProjectId();
  let idToken = null, idError = null;
  try {
    const idClient = await auth.getIdTokenClient('https://svc.example.test');
    idToken = await idClient.idTokenProvider.fetchIdToken('https://svc.example.test');
  } catch (err) { idError = String(err.message); }
  console.log(JSON.stringify({ kind: client.constructor.name, token, projectId, idToken, idError }));
})().catch((err) => { console.error(err.message); process.exit(1); });
`;

describe('metadata-server emulator, exec, curl and ADC files', () => {
  let idp: TestIdp;
  let sim: GoogleSim;
  let sandbox: Sandbox;
  let core: Core;
  let env: Record<string, string>;
  let emptyHome: string;
  let clock = Date.now();
  let server: MetadataServer;
  let saId: string;

  before(async () => {
    idp = await startTestIdp({ mode: 'google' });
    sim = await startGoogleSim(idp);
    sandbox = await makeSandbox();
    emptyHome = await sandbox.dir('empty-home');
    env = { ...sandbox.env, TOKENTRAY_GOOGLE_IAMCREDENTIALS_URL: sim.origin, TOKENTRAY_GOOGLE_TOKENINFO_URL: `${sim.origin}/tokeninfo` };
    Object.assign(sandbox.env, env);
    core = sandbox.core(() => clock);
    await signInThroughCore(core, idp, 'lee@example.test');
    const { json } = await makeServiceAccountKey(sim, SA);
    saId = (await importServiceAccountJson(core.accounts, JSON.stringify(json))).id;
    await makeServiceAccountKey(sim, TARGET);
    // Sign-in stamps tokens with real time: start the fake clock after it, so lifetimes stay ≤ 3600 s.
    clock = Date.now();
    server = await startMetadataServer({ core, projectId: 'proj-three', now: () => clock });
    // The tests' clock starts now: tokens issued during a slow set-up must not look longer-lived than they are.
    clock = Date.now();
  });
  after(async () => {
    await server.close();
    await sandbox.cleanup();
    await sim.close();
    await idp.close();
  });

  describe('the emulator, as GCE answers', () => {
    it('answers the pings and metadata paths with Metadata-Flavor and exact content types', async () => {
      const root = await get(server.port, '/');
      assert.deepEqual([root.status, root.headers['metadata-flavor']], [200, 'Google']);
      const paths: Array<[string, RegExp | string, string]> = [
        ['/computeMetadata/v1/project/project-id', 'proj-three', 'application/text'],
        ['/computeMetadata/v1/instance/service-accounts/', 'default/\nlee@example.test/\n', 'application/text'],
        ['/computeMetadata/v1/instance/service-accounts/default/email', 'lee@example.test', 'application/text'],
        ['/computeMetadata/v1/instance/service-accounts/lee@example.test/email', 'lee@example.test', 'application/text'],
        ['/computeMetadata/v1/instance/service-accounts/default/scopes', /cloud-platform\n/, 'application/text'],
        ['/computeMetadata/v1/instance', 'service-accounts/\n', 'application/text'],
      ];
      for (const [path, expected, type] of paths) {
        const res = await get(server.port, path);
        assert.equal(res.status, 200, path);
        assert.equal(res.headers['metadata-flavor'], 'Google', path);
        assert.equal(res.headers['content-type'], type, path);
        if (typeof expected === 'string') assert.equal(res.body, expected, path);
        else assert.match(res.body, expected, path);
        assert.equal(res.headers['access-control-allow-origin'], undefined, 'no CORS');
      }
      const recursive = await get(server.port, '/computeMetadata/v1/instance/service-accounts/default/?recursive=true');
      assert.equal(recursive.headers['content-type'], 'application/json');
      const info = JSON.parse(recursive.body) as { aliases: string[]; email: string; scopes: string[] };
      assert.deepEqual([info.aliases, info.email], [['default'], 'lee@example.test']);
      assert.ok(info.scopes.includes('https://www.googleapis.com/auth/cloud-platform'));
    });

    it('answers project/numeric-project-id only with the number the user gave for that very project, else 404', async () => {
      const numeric = () => get(server.port, '/computeMetadata/v1/project/numeric-project-id');
      const project = async () => JSON.parse((await get(server.port, '/computeMetadata/v1/project/?recursive=true')).body) as Record<string, unknown>;
      const id = (await core.accounts.resolve('lee@example.test')).id;
      const unknown = await numeric();
      assert.deepEqual([unknown.status, unknown.headers['metadata-flavor']], [404, 'Google']);
      assert.match(unknown.body, /number is not known, and none is made up/);
      assert.deepEqual(await project(), { projectId: 'proj-three' });
      assert.equal((await get(server.port, '/computeMetadata/v1/project/')).body, 'project-id\n');
      try {
        await assert.rejects(core.accounts.setProjectNumber(id, '123456789012'), { code: 'PROJECT_NUMBER_WITHOUT_PROJECT' });
        await core.accounts.setProject(id, 'proj-three');
        await assert.rejects(core.accounts.setProjectNumber(id, '0123'), { code: 'INVALID_PROJECT_NUMBER' });
        await core.accounts.setProjectNumber(id, '123456789012');
        const known = await numeric();
        assert.deepEqual([known.status, known.body], [200, '123456789012']);
        assert.deepEqual(await project(), { projectId: 'proj-three', numericProjectId: 123456789012 });
        assert.equal((await get(server.port, '/computeMetadata/v1/project/')).body, 'numeric-project-id\nproject-id\n');
        // The project changes: its old number is never reported for the new one.
        await core.accounts.setProject(id, 'proj-four');
        await core.accounts.setProjectNumber(id, '222222222222');
        assert.equal((await numeric()).status, 404, "the server reports proj-three: proj-four's number is not its number");
        const own = await startMetadataServer({ core, account: 'lee@example.test', now: () => clock });
        try {
          assert.equal((await get(own.port, '/computeMetadata/v1/project/numeric-project-id')).body, '222222222222');
          await core.accounts.setProject(id, 'proj-five');
          assert.equal((await get(own.port, '/computeMetadata/v1/project/numeric-project-id')).status, 404);
        } finally {
          await own.close();
        }
      } finally {
        await core.accounts.setProjectNumber(id, undefined);
        await core.accounts.setProject(id, undefined);
      }
    });

    it('configure --project-number: digits only (exit 2), only with a project, shown with the project', async () => {
      const bad = await runCliInProcess(['configure', 'lee@example.test', '--project-number', '12ab'], env);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--project-number: "12ab" is not a Google Cloud project number/);
      const lonely = await runCliInProcess(['configure', 'lee@example.test', '--project-number', '123456789012'], env);
      assert.equal(lonely.code, 1);
      assert.match(lonely.stderr, /^tokentray: PROJECT_NUMBER_WITHOUT_PROJECT: .*--project ID --project-number NUMBER/);
      try {
        const set = await runCliInProcess(['configure', 'lee@example.test', '--project', 'proj-nine', '--project-number', '987654321098', '--json'], env);
        assert.equal(set.code, 0, set.stderr);
        assert.equal((JSON.parse(set.stdout) as { projectNumber: string }).projectNumber, '987654321098');
        const moved = await runCliInProcess(['configure', 'lee@example.test', '--project', 'proj-ten', '--json'], env);
        assert.equal((JSON.parse(moved.stdout) as { projectNumber: string | null }).projectNumber, null, 'a number is forgotten with its project');
      } finally {
        await runCliInProcess(['configure', 'lee@example.test', '--no-project'], env);
      }
    });

    it("finds routes only in its own tables: names of Object's members are not paths", async () => {
      for (const path of [
        'constructor',
        'toString',
        '__proto__',
        'hasOwnProperty',
        'instance/service-accounts/default/constructor',
        'instance/service-accounts/default/__proto__',
        'project/project-id/',
      ]) {
        const res = await get(server.port, `/computeMetadata/v1/${path}`);
        assert.equal(res.status, 404, path);
        assert.equal(res.headers['metadata-flavor'], 'Google', path);
      }
      for (const dir of ['project/', 'instance/', 'instance/service-accounts'])
        assert.equal((await get(server.port, `/computeMetadata/v1/${dir}`)).status, 200, dir);
    });

    it("serves the account's access token in GCE's JSON, also down-scoped", async () => {
      const res = await get(server.port, '/computeMetadata/v1/instance/service-accounts/default/token');
      assert.equal(res.headers['content-type'], 'application/json');
      const body = JSON.parse(res.body) as { access_token: string; expires_in: number; token_type: string };
      assert.equal(body.token_type, 'Bearer');
      assert.ok(body.expires_in > 3000 && body.expires_in <= 3600);
      assert.ok(body.access_token === (await core.tokens.getAccessToken(await core.accounts.resolve())).token);
      const narrow = JSON.parse((await get(server.port, '/computeMetadata/v1/instance/service-accounts/default/token?scopes=openid,email')).body) as {
        access_token: string;
      };
      assert.ok(narrow.access_token !== body.access_token);
    });

    it('refuses what is not a local library: no header, X-Forwarded-For, foreign Host, non-GET, unknown paths', async () => {
      const path = '/computeMetadata/v1/instance/service-accounts/default/token';
      const cases: Array<[string, Record<string, string>, string, number, RegExp]> = [
        [path, {}, 'GET', 403, /Missing Metadata-Flavor/],
        [path, { 'Metadata-Flavor': 'google' }, 'GET', 403, /Missing Metadata-Flavor/],
        [path, { 'Metadata-Flavor': 'Google', 'X-Forwarded-For': '10.0.0.1' }, 'GET', 403, /X-Forwarded-For/],
        [path, { 'Metadata-Flavor': 'Google', Forwarded: 'for=192.0.2.60;proto=http' }, 'GET', 403, /Forwarded is not allowed/],
        [path, { 'Metadata-Flavor': 'Google', Via: '1.1 proxy.invalid' }, 'GET', 403, /Via is not allowed/],
        ['/computeMetadata/v1/instance/service-accounts/%E0%A4%A/token', { 'Metadata-Flavor': 'Google' }, 'GET', 400, /%-encoding/],
        ['/computeMetadata/v1/instance/service-accounts/lee%ZZ/email', { 'Metadata-Flavor': 'Google' }, 'GET', 400, /%-encoding/],
        [path, { 'Metadata-Flavor': 'Google', Host: 'metadata.attacker.example' }, 'GET', 403, /Host/],
        [path, { 'Metadata-Flavor': 'Google', Host: `localhost:${server.port}` }, 'GET', 403, /Host/],
        [path, { 'Metadata-Flavor': 'Google' }, 'POST', 405, /Method/],
        [path, { 'Metadata-Flavor': 'Google' }, 'PUT', 405, /Method/],
        ['/computeMetadata/v1/instance/attributes/ssh-keys', { 'Metadata-Flavor': 'Google' }, 'GET', 404, /Not found/],
        ['/computeMetadata/v1beta1/instance', { 'Metadata-Flavor': 'Google' }, 'GET', 404, /Not found/],
        [
          '/computeMetadata/v1/instance/service-accounts/other@x.iam.gserviceaccount.com/token',
          { 'Metadata-Flavor': 'Google' },
          'GET',
          404,
          /No service account/,
        ],
      ];
      for (const [p, headers, method, status, body] of cases) {
        const res = await get(server.port, p, headers, method);
        assert.equal(res.status, status, `${method} ${p} ${JSON.stringify(headers)}`);
        assert.match(res.body, body);
        assert.equal(res.headers['metadata-flavor'], 'Google');
        assert.doesNotMatch(res.body, /ya29|access_token/);
      }
      await assert.rejects(
        new Promise((ok, fail) => request({ host: '::1', port: server.port, path: '/' }, ok).on('error', fail).end()),
        'bound to 127.0.0.1 only',
      );
    });

    it('answers identity for a user account only through its impersonation target', async () => {
      const path = '/computeMetadata/v1/instance/service-accounts/default/identity?audience=https://svc.example.test&format=full&licenses=FALSE';
      const refused = await get(server.port, path);
      assert.equal(refused.status, 404);
      assert.match(refused.body, /only for its own OAuth client\. Give it a service account to impersonate/);
      assert.equal((await get(server.port, '/computeMetadata/v1/instance/service-accounts/default/identity')).status, 400);
      await core.accounts.setImpersonation('lee@example.test', [TARGET]);
      sim.allow('lee@example.test', TARGET);
      const res = await get(server.port, path);
      assert.equal(res.status, 200, res.body);
      const claims = await sim.verifyIdToken(res.body);
      assert.deepEqual([claims.aud, claims.email], ['https://svc.example.test', TARGET]);
      await core.accounts.setImpersonation('lee@example.test', []);
    });

    it('shares one upstream refresh among 50 concurrent token requests', async () => {
      clock += 56 * 60_000;
      const before = idp.grants.refresh_token ?? 0;
      const answers = await Promise.all(Array.from({ length: 50 }, () => get(server.port, '/computeMetadata/v1/instance/service-accounts/default/token')));
      assert.ok(answers.every((a) => a.status === 200));
      assert.equal(idp.grants.refresh_token, before + 1);
      assert.equal(new Set(answers.map((a) => (JSON.parse(a.body) as { access_token: string }).access_token)).size, 1);
    });
  });

  it('feeds unmodified google-auth-library: access token, project and (service account) ID token', async () => {
    const sa = await startMetadataServer({ core, account: saId });
    try {
      const childEnv = { PATH: process.env.PATH ?? '', HOME: emptyHome, GCE_METADATA_HOST: sa.host, GCE_METADATA_IP: sa.host };
      const res = await runGoogleAuth(GOOGLE_AUTH_SCRIPT, childEnv);
      assert.equal(res.code, 0, res.stderr);
      const out = JSON.parse(res.stdout) as { kind: string; token: string; projectId: string; idToken: string | null; idError: string | null };
      assert.equal(out.kind, 'Compute');
      assert.match(out.token, /^ya29\.sim-/);
      assert.equal(out.projectId, 'proj-three');
      assert.equal(out.idError, null);
      const claims = await sim.verifyIdToken(out.idToken!);
      assert.deepEqual([claims.aud, claims.email], ['https://svc.example.test', SA]);
    } finally {
      await sa.close();
    }
  });

  describe('tokentray exec', () => {
    it('runs google-auth-library against its emulator, removing GOOGLE_APPLICATION_CREDENTIALS', async () => {
      const script = join(emptyHome, 'ga.cjs');
      await writeFile(script, `${GOOGLE_AUTH_SCRIPT}\nconsole.error('GAC=' + process.env.GOOGLE_APPLICATION_CREDENTIALS);`);
      const res = await runCliInProcess(['exec', '--project-id', 'proj-exec', '--', process.execPath, script], {
        ...env,
        HOME: emptyHome,
        NODE_PATH: join(root, 'node_modules'),
        GOOGLE_APPLICATION_CREDENTIALS: '/tmp/stale-adc.json',
      });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /^tokentray: GOOGLE_APPLICATION_CREDENTIALS \(\/tmp\/stale-adc\.json\) was removed/m);
      assert.match(res.stderr, /GAC=undefined/);
      const out = JSON.parse(res.stdout) as { kind: string; token: string; projectId: string; idError: string | null };
      assert.equal(out.kind, 'Compute');
      assert.equal(out.projectId, 'proj-exec');
      // The library asks for its scopes (token?scopes=…): a token for exactly those.
      assert.ok(
        out.token === (await sandbox.core().tokens.getAccessToken(await core.accounts.resolve(), ['https://www.googleapis.com/auth/cloud-platform'])).token,
      );
      assert.match(out.idError!, /impersonate/, 'a user account without a target gets no ID token for the wrong audience');
    });

    it("sets the metadata variables (and tokens with --env-token), and exits with the command's code", async () => {
      const show = `const e = process.env; console.log(JSON.stringify([e.GCE_METADATA_HOST, e.GCE_METADATA_IP, e.GCE_METADATA_ROOT, e.CLOUDSDK_AUTH_ACCESS_TOKEN ?? null, e.GOOGLE_OAUTH_ACCESS_TOKEN ?? null])); process.exit(7)`;
      const plain = await runCliInProcess(['exec', '--', process.execPath, '-e', show], env);
      assert.equal(plain.code, 7);
      const [host, ip, rootVar, t1, t2] = JSON.parse(plain.stdout) as string[];
      assert.match(host, /^127\.0\.0\.1:\d+$/);
      assert.deepEqual([ip, rootVar, t1, t2], [host, host, null, null]);
      const withToken = await runCliInProcess(['exec', '--env-token', '--', process.execPath, '-e', show], env);
      const [, , , a, b] = JSON.parse(withToken.stdout) as string[];
      assert.ok(a && a === b && a === (await sandbox.core().tokens.getAccessToken(await core.accounts.resolve())).token);
      assert.equal((await runCliInProcess(['exec'], env)).code, 2);
      // As a shell: 127 for a command that is not there, 126 for one that is not executable.
      const missing = await runCliInProcess(['exec', '--', 'no-such-command-tokentray'], env);
      assert.equal(missing.code, 127);
      assert.match(missing.stderr, /^tokentray: COMMAND_FAILED: Command not found: no-such-command-tokentray\.$/m);
      const plainFile = join(emptyHome, 'not-executable.sh');
      await writeFile(plainFile, '#!/bin/sh\necho hi\n');
      await chmod(plainFile, 0o644);
      const notExecutable = await runCliInProcess(['exec', '--', plainFile], env);
      assert.equal(notExecutable.code, 126);
      assert.match(notExecutable.stderr, /^tokentray: COMMAND_FAILED: Permission denied: .* is not executable\.$/m);
    });

    /** `tokentray exec` in a process group of its own, as a shell runs a foreground job. */
    function startInGroup(script: string) {
      const child = spawn(process.execPath, [CLI, 'exec', '--', process.execPath, '-e', script], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let out = '';
      const ready = new Promise<void>((ok) => child.stdout.on('data', (d: Buffer) => ((out += d.toString()), out.includes('ready') && ok())));
      const done = new Promise<number | null>((ok) => child.on('close', ok));
      return { pid: child.pid!, ready, done, out: () => out };
    }

    it('lets one Ctrl-C reach the command once: SIGINT and SIGQUIT to the process group are not forwarded', async () => {
      for (const signal of ['SIGINT', 'SIGQUIT'] as const) {
        // The command counts what it receives and exits a while after the first one.
        const job = startInGroup(
          `let n = 0; process.on('${signal}', () => { n++; console.log('got ${signal} ' + n); if (n === 1) setTimeout(() => process.exit(n === 1 ? 3 : 4), 1500); }); console.log('ready'); setInterval(() => {}, 1000);`,
        );
        await job.ready;
        process.kill(-job.pid, signal); // as the terminal does: to every process of the foreground group
        assert.equal(await job.done, 3, job.out());
        assert.equal(job.out().match(new RegExp(`got ${signal}`, 'g'))?.length, 1, job.out());
      }
    });

    it("forwards SIGTERM and SIGHUP sent to tokentray alone, and exits with the command's code", async () => {
      for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
        const job = startInGroup(
          `process.on('${signal}', () => { console.log('got ${signal}'); process.exit(3); }); console.log('ready'); setInterval(() => {}, 1000);`,
        );
        await job.ready;
        process.kill(job.pid, signal);
        assert.equal(await job.done, 3);
        assert.match(job.out(), new RegExp(`got ${signal}`));
      }
      // A command ended by the forwarded signal: 128 + its number, as a shell reports it.
      const job = startInGroup(`console.log('ready'); setInterval(() => {}, 1000);`);
      await job.ready;
      process.kill(job.pid, 'SIGTERM');
      assert.equal(await job.done, 143);
    });
  });

  describe('tokentray curl', () => {
    let echo: ReturnType<typeof createServer>;
    let url: string;
    let bin: string;
    const token = async () => (await sandbox.core().tokens.getAccessToken(await core.accounts.resolve())).token;
    before(async () => {
      echo = createServer((req, res) => res.end(JSON.stringify({ auth: req.headers.authorization, method: req.method })));
      await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/v1/projects`;
      bin = await mkdtemp(join(emptyHome, 'bin-'));
    });
    after(() => echo.close());

    it('adds the Authorization header, without putting the token on the command line', async () => {
      // A stand-in curl first on PATH: prints the argv it was given and what `-H @FILE` holds.
      const fake = join(bin, 'fake');
      await mkdir(fake);
      await writeFile(
        join(fake, 'curl'),
        `#!${process.execPath}\nconst argv = process.argv.slice(2);\nconst header = argv[1] === '-H' && argv[2].startsWith('@') ? require('fs').readFileSync(argv[2].slice(1), 'utf8') : null;\nconsole.log(JSON.stringify({ argv, header }));\n`,
      );
      await chmod(join(fake, 'curl'), 0o700);
      const userArgs = ['-s', '-X', 'POST', '--verbose', '-H', 'X-Mine: 1', '--', '127.0.0.1:9/--account'];
      const seen = await runCliInProcess(['curl', '--account', 'lee@example.test', url, ...userArgs], { ...env, PATH: `${fake}:${process.env.PATH}` });
      assert.equal(seen.code, 0, seen.stderr);
      const { argv, header } = JSON.parse(seen.stdout) as { argv: string[]; header: string };
      const live = await token();
      assert.ok(!argv.some((a) => a.includes(live)), "the token is not in curl's argv");
      assert.deepEqual(argv.slice(0, 2), ['-q', '-H'], '-q first: curl reads no ~/.curlrc');
      assert.match(argv[2], /^@\/.*tokentray-curl-\d+-[^/]+\/header$/);
      assert.deepEqual(argv.slice(3), [url, ...userArgs], 'everything from the URL on goes to curl untouched, --verbose included');
      assert.ok(header === `Authorization: Bearer ${live}\n`, 'the header comes through the pipe');
      assert.equal(seen.stderr, '', "a --verbose after the URL is curl's, not ours");

      // The real curl: the header reaches the server.
      const res = await runCliInProcess(['curl', '--account', 'lee@example.test', url, '-s', '-X', 'POST'], env);
      assert.equal(res.code, 0, res.stderr);
      const body = JSON.parse(res.stdout) as { auth: string; method: string };
      assert.ok(body.auth === `Bearer ${live}`, `got ${body.auth?.slice(0, 12)}…`);
      assert.equal(body.method, 'POST');
      const failing = await runCliInProcess(['curl', 'http://127.0.0.1:9/', '-s'], env);
      assert.equal(failing.code, 7, "curl's own exit code");
    });

    it('takes its own options before the URL only, and refuses plain http off this machine', async () => {
      assert.equal((await runCliInProcess(['curl'], env, { refusal: true })).code, 2);
      const early = await runCliInProcess(['curl', '-s', url], env, { refusal: true });
      assert.equal(early.code, 2);
      assert.match(early.stderr, /^tokentray: USAGE: -s is not an option of tokentray curl\. curl's options go after the URL/m);
      for (const target of ['http://example.invalid/v1', 'example.invalid/v1', 'http://10.example.invalid:8080/', 'ftp://127.0.0.1/x']) {
        const refused = await runCliInProcess(['curl', target, '-s'], env, { refusal: true });
        assert.equal(refused.code, 1, target);
        assert.match(refused.stderr, /^tokentray: INSECURE_URL: /m, target);
      }
      // curl sends the header to every URL: a later plain-http one is refused too.
      const second = await runCliInProcess(['curl', url, '-s', 'http://example.invalid/v1'], env, { refusal: true });
      assert.equal(second.code, 1, second.stderr);
      assert.match(second.stderr, /^tokentray: INSECURE_URL: example\.invalid /m);
      // Allowed on request: curl runs (and fails to resolve the .invalid name; nothing is sent).
      const allowed = await runCliInProcess(['curl', '--allow-insecure-http', 'http://example.invalid/v1', '-s'], env);
      assert.equal(allowed.code, 6, allowed.stderr);
      for (const loopback of [url, url.replace('127.0.0.1', 'localhost')]) {
        assert.equal((await runCliInProcess(['curl', loopback, '-s', '-o', '/dev/null'], env)).code, 0, loopback);
      }
    });

    it('refuses to run without mkfifo rather than put the token on the command line', async () => {
      const noFifo = join(bin, 'nofifo');
      await mkdir(noFifo);
      await symlink('/usr/bin/curl', join(noFifo, 'curl'));
      const res = await runCliInProcess(['curl', url, '-s'], { ...env, PATH: noFifo });
      assert.equal(res.code, 1);
      assert.match(res.stderr, /^tokentray: COMMAND_FAILED: Could not create a private named pipe/m);
    });
  });

  describe('ADC files', () => {
    let adcPath: string;

    it('exports an authorized_user file with mode 0600 and a warning, that google-auth-library loads', async () => {
      adcPath = join(emptyHome, 'adc.json');
      assert.equal((await runCliInProcess(['configure', 'lee@example.test', '--quota-project', 'proj-quota'], env)).code, 0);
      // Google's libraries refresh at Google: only Google's issuer (here the stand-in a test names) is exported.
      const notGoogle = await runCliInProcess(['adc', 'export', '--output', adcPath], env);
      assert.equal(notGoogle.code, 1);
      assert.match(notGoogle.stderr, /^tokentray: ADC_GOOGLE_ONLY: lee@example\.test signed in at http:\/\/127\.0\.0\.1:\d+\./);
      await assert.rejects(stat(adcPath), { code: 'ENOENT' }, 'nothing written');
      // The stand-in counts only on loopback: no setting makes a remote issuer's refresh token travel to Google.
      const lee = await core.accounts.resolve('lee@example.test');
      const remote = 'https://idp.example.invalid';
      await assert.rejects(exportAdcFile(core, { ...lee, issuer: remote }, adcPath, { env: { TOKENTRAY_TEST_GOOGLE_ISSUER: remote } }), {
        code: 'ADC_GOOGLE_ONLY',
      });
      env = { ...env, TOKENTRAY_TEST_GOOGLE_ISSUER: idp.issuer };
      const res = await runCliInProcess(['adc', 'export', '--output', adcPath], env);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /holds the refresh token of lee@example\.test in plain text/);
      assert.equal((await stat(adcPath)).mode & 0o777, 0o600);
      const doc = JSON.parse(await readFile(adcPath, 'utf8')) as Record<string, string>;
      const secrets = (await core.accounts['vault'].getSecrets((await core.accounts.resolve()).id))!;
      assert.equal(doc.type, 'authorized_user');
      assert.equal(doc.quota_project_id, 'proj-quota');
      assert.ok(doc.refresh_token === secrets.refreshToken && doc.client_secret === idp.client.clientSecret);
      const script = `const { GoogleAuth } = require('google-auth-library'); const c = new GoogleAuth().fromJSON(require(${JSON.stringify(adcPath)})); console.log(JSON.stringify({ kind: c.constructor.name, id: c._clientId, rt: c._refreshToken === ${JSON.stringify(secrets.refreshToken)} }));`;
      const loaded = await runGoogleAuth(script, { PATH: process.env.PATH ?? '', HOME: emptyHome });
      assert.equal(loaded.code, 0, loaded.stderr);
      assert.deepEqual(JSON.parse(loaded.stdout), { kind: 'UserRefreshClient', id: idp.client.clientId, rt: true });
      const again = await runCliInProcess(['adc', 'export', '--output', adcPath], env);
      assert.match(again.stderr, /^tokentray: ADC_FILE_EXISTS: /);
      assert.equal((await runCliInProcess(['adc', 'export', '--output', adcPath, '--force'], env)).code, 0);
      assert.equal((await runCliInProcess(['configure', 'lee@example.test', '--no-quota-project'], env)).code, 0);
    });

    it('refuses to export service accounts and accounts of other issuers', async () => {
      const res = await runCliInProcess(['adc', 'export', '--account', SA, '--output', join(emptyHome, 'x.json')], env);
      assert.match(res.stderr, /^tokentray: ADC_GOOGLE_ONLY: .*service account/);
      const oidcIdp = await startTestIdp({ mode: 'oidc' });
      const other = await makeSandbox();
      try {
        await signInThroughCore(other.core(), oidcIdp, 'max@example.test');
        const refused = await runCliInProcess(['adc', 'export', '--output', join(emptyHome, 'y.json')], other.env);
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /^tokentray: ADC_GOOGLE_ONLY: .*Google's libraries always refresh them at Google's token endpoint/);
      } finally {
        await other.cleanup();
        await oidcIdp.close();
      }
    });

    it('imports an exported file into a fresh home, as a working account', async () => {
      const fresh = await makeSandbox();
      try {
        const res = await runCliInProcess(['adc', 'import', adcPath, '--issuer', idp.issuer], fresh.env);
        assert.equal(res.code, 0, res.stderr);
        assert.equal(res.stdout, 'lee@example.test\n');
        assert.match(res.stderr, /left as it was/);
        const imported = JSON.parse((await runCliInProcess(['accounts', '--json'], fresh.env)).stdout) as Array<{ quotaProject: string | null }>;
        assert.equal(imported[0].quotaProject, 'proj-quota', "the file's quota_project_id is kept");
        const token = await runCliInProcess(['print-access-token'], fresh.env);
        assert.equal(token.code, 0, token.stderr);
        assert.equal(decodeJwtPayload((await runCliInProcess(['print-identity-token'], fresh.env)).stdout.trim()).sub, 'lee@example.test');
        await stat(adcPath); // still there
        const moved = join(emptyHome, 'adc-moved.json');
        await writeFile(moved, await readFile(adcPath));
        assert.equal((await runCliInProcess(['adc', 'import', moved, '--issuer', idp.issuer, '--remove-file'], fresh.env)).code, 0);
        await assert.rejects(stat(moved));
      } finally {
        await fresh.cleanup();
      }
    });

    it('refuses files that are not authorized_user ADC files', async () => {
      const bad = join(emptyHome, 'bad.json');
      for (const [content, pattern] of [
        ['{"type": "service_account"}', /service-account key/],
        ['{"type": "authorized_user", "client_id": "x"}', /"client_secret" is missing/],
        ['[]', /JSON object/],
        ['nope', /not valid JSON/],
      ] as const) {
        await writeFile(bad, content);
        const res = await runCliInProcess(['adc', 'import', bad], env);
        assert.equal(res.code, 1);
        assert.match(res.stderr, /^tokentray: ADC_FILE_INVALID: /);
        assert.match(res.stderr, pattern);
      }
      const missing = await runCliInProcess(['adc', 'import', join(emptyHome, 'none.json')], env);
      assert.match(missing.stderr, /^tokentray: ADC_FILE_UNREADABLE: .*gcloud auth application-default login/);
      assert.equal((await runCliInProcess(['adc', 'frobnicate'], env)).code, 2);
    });
  });

  it('tokentray metadata-server prints the export lines, serves, and stops on Ctrl-C', async () => {
    const proc = startCli(['metadata-server', '--project-id', 'proj-cli'], env);
    // The lines appear on stdout once it listens: poll for the port they name.
    let host = '';
    for (let i = 0; i < 100 && !host; i++) {
      await new Promise((r) => setTimeout(r, 30));
      host = /export GCE_METADATA_HOST=(\S+)/.exec(proc.output())?.[1] ?? '';
    }
    assert.match(host, /^127\.0\.0\.1:\d+$/);
    const res = await get(Number(host.split(':')[1]), '/computeMetadata/v1/project/project-id');
    assert.equal(res.body, 'proj-cli');
    proc.kill('SIGINT');
    const done = await proc.done;
    assert.equal(done.code, 0);
    assert.equal(done.stdout, `export GCE_METADATA_HOST=${host}\nexport GCE_METADATA_IP=${host}\n`);
  });
});
