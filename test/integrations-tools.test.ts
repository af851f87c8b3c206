/**
 * Tokens for every tool, with the real tools installed on this machine: gcloud under `exec`,
 * kubectl's exec credential plugin, docker's credential helper; per-account settings from the
 * CLI; and a metadata server that only its own user can reach (another user played by `runuser`).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Core } from '../electron/core/core.js';
import { createPeerUidLookup } from '../electron/core/integrations/peer-uid.js';
import { withoutForeignCredentials, withProperty } from '../electron/core/integrations/gcloud-config.js';
import { signInThroughCore } from './support/flows.js';
import { makeServiceAccountKey, startGoogleSim, type GoogleSim } from './support/google-sim.js';
import { startTestIdp, type TestIdp } from './support/idp.js';
import { CLI, makeSandbox, runCliInProcess, startCli, type Sandbox } from './support/sandbox.js';
import { runTool, startHttps, startRegistry } from './support/tools.js';

const DOCKER_HELPER = join(dirname(CLI), 'docker-credential-tokentray.cjs');
const TARGET = 'deployer@proj-four.iam.gserviceaccount.com';

/** The SDK of the gcloud on PATH, as gcloud's launcher finds it (its bin/gcloud resolved), with no Python start-up. */
async function gcloudSdkRoot(): Promise<string> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const found = await realpath(join(dir, 'gcloud')).catch(() => undefined);
    if (found) return dirname(dirname(found));
  }
  throw new Error('gcloud is not on PATH');
}

/** Every file under a folder with a hash of its content and its mtime (gcloud's logs left out). */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    const rel = path.slice(dir.length + 1);
    if (rel.startsWith('logs/') || rel.startsWith('.last_')) continue;
    out[rel] = `${createHash('sha256')
      .update(await readFile(path))
      .digest('hex')
      .slice(0, 16)} ${(await stat(path)).mtimeMs}`;
  }
  return out;
}

describe('tokens for every tool', () => {
  let idp: TestIdp;
  let sim: GoogleSim;
  let sandbox: Sandbox;
  let core: Core;
  let env: Record<string, string>;
  let box: string;

  /** Whether the test IdP says this access token is live, and whose it is. */
  async function ownerOf(token: string): Promise<string | undefined> {
    const info = await idp.introspect(token);
    return info.active ? String(info.sub) : undefined;
  }

  before(async () => {
    idp = await startTestIdp({ mode: 'google' });
    sim = await startGoogleSim(idp);
    sandbox = await makeSandbox();
    box = await mkdtemp(join(tmpdir(), 'tokentray-tools-'));
    // gcloud and docker read their configuration from the sandbox, never from this machine's user.
    env = {
      ...sandbox.env,
      TOKENTRAY_GOOGLE_IAMCREDENTIALS_URL: sim.origin,
      CLOUDSDK_CONFIG: join(box, 'gcloud-empty'),
      CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
      CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
      CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
      DOCKER_CONFIG: join(box, 'docker-unused'),
    };
    delete env.TOKENTRAY_ACCOUNT;
    Object.assign(sandbox.env, env);
    core = sandbox.core();
    await signInThroughCore(core, idp, 'lee@example.test');
    await signInThroughCore(core, idp, 'kim@example.test');
  });
  after(async () => {
    await rm(box, { recursive: true, force: true });
    await sandbox.cleanup();
    await sim.close();
    await idp.close();
  });

  describe('configure, TOKENTRAY_ACCOUNT and the project', () => {
    it('stores per-account project and impersonation, shown by accounts --json (null when unset)', async () => {
      const listed = async () =>
        JSON.parse((await runCliInProcess(['accounts', '--json'], env)).stdout) as Array<{
          email: string;
          project: string | null;
          impersonate: string[] | null;
        }>;
      assert.deepEqual(
        (await listed()).map((a) => [a.email, a.project, a.impersonate]),
        [
          ['lee@example.test', null, null],
          ['kim@example.test', null, null],
        ],
      );
      const set = await runCliInProcess(
        [
          'configure',
          'kim@example.test',
          '--project',
          'proj-kim',
          '--impersonate-service-account',
          `${TARGET},relay@proj-four.iam.gserviceaccount.com`,
          '--json',
        ],
        env,
      );
      assert.equal(set.code, 0, set.stderr);
      assert.deepEqual(JSON.parse(set.stdout), {
        account: 'kim@example.test',
        id: (await core.accounts.resolve('kim@example.test')).id,
        project: 'proj-kim',
        projectNumber: null,
        quotaProject: null,
        impersonate: [TARGET, 'relay@proj-four.iam.gserviceaccount.com'],
      });
      const kim = (await listed()).find((a) => a.email === 'kim@example.test')!;
      assert.deepEqual([kim.project, kim.impersonate], ['proj-kim', [TARGET, 'relay@proj-four.iam.gserviceaccount.com']]);
      // Bad input changes nothing.
      for (const [args, code, pattern] of [
        [['--project', 'Not_A_Project'], 2, /^tokentray: USAGE: --project: "Not_A_Project" is not a Google Cloud project id/m],
        [['--project', 'abc'], 2, /^tokentray: USAGE: --project: "abc" is not/m],
        [['--impersonate-service-account', 'not an email'], 2, /^tokentray: USAGE: /m],
        [['--project', 'proj-x1', '--no-project'], 2, /^tokentray: USAGE: give --project or --no-project/m],
        [['--no-impersonation', '--impersonate-service-account', TARGET], 2, /^tokentray: USAGE: /m],
      ] as const) {
        const res = await runCliInProcess(['configure', 'kim@example.test', ...args], env);
        assert.equal(res.code, code, args.join(' '));
        assert.match(res.stderr, pattern);
      }
      assert.equal((await runCliInProcess(['configure', 'nobody@example.test', '--project', 'proj-kim'], env)).code, 1);
      assert.deepEqual((await listed()).find((a) => a.email === 'kim@example.test')!.project, 'proj-kim');
      assert.equal((await runCliInProcess(['configure', 'kim@example.test', '--no-impersonation', '--no-project'], env)).code, 0);
      const cleared = (await listed()).find((a) => a.email === 'kim@example.test')!;
      assert.deepEqual([cleared.project, cleared.impersonate], [null, null]);
      // The window's setting and the CLI's are one: the core sees what configure stored.
      await runCliInProcess(['configure', 'kim@example.test', '--impersonate-service-account', TARGET], env);
      assert.deepEqual((await core.accounts.resolve('kim@example.test')).impersonate, [TARGET]);
      await core.accounts.setImpersonation('kim@example.test', []);
    });

    it('TOKENTRAY_ACCOUNT selects the account for every command; --account wins over it', async () => {
      const kimEnv = { ...env, TOKENTRAY_ACCOUNT: 'kim@example.test' };
      assert.equal(await ownerOf((await runCliInProcess(['print-access-token'], env)).stdout.trim()), 'lee@example.test');
      assert.equal(await ownerOf((await runCliInProcess(['print-access-token'], kimEnv)).stdout.trim()), 'kim@example.test');
      assert.equal(await ownerOf((await runCliInProcess(['print-access-token', '--account', 'lee@example.test'], kimEnv)).stdout.trim()), 'lee@example.test');
      const kube = JSON.parse((await runCliInProcess(['kube-credential'], kimEnv)).stdout) as { status: { token: string } };
      assert.equal(await ownerOf(kube.status.token), 'kim@example.test');
      const email = await runCliInProcess(
        [
          'exec',
          '--project-id',
          'proj-z1',
          '--',
          process.execPath,
          '-e',
          `fetch('http://' + process.env.GCE_METADATA_HOST + '/computeMetadata/v1/instance/service-accounts/default/email', { headers: { 'Metadata-Flavor': 'Google' } }).then((r) => r.text()).then(console.log)`,
        ],
        kimEnv,
      );
      assert.equal(email.stdout.trim(), 'kim@example.test');
      const wrong = await runCliInProcess(['print-access-token'], { ...env, TOKENTRAY_ACCOUNT: 'ghost@example.test' });
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /^tokentray: ACCOUNT_NOT_FOUND: No account "ghost@example\.test"/m);
    });

    it("resolves the project as --project-id, else the account's, else gcloud's (from its files), else none (404 and one note)", async () => {
      const gcloudDir = join(box, 'gcloud-project');
      await mkdir(join(gcloudDir, 'configurations'), { recursive: true });
      await writeFile(join(gcloudDir, 'active_config'), 'work\n');
      await writeFile(
        join(gcloudDir, 'configurations', 'config_work'),
        '[core]\naccount = someone@example.test\nproject = proj-from-gcloud\n\n[compute]\nregion = europe-west1\n',
      );
      await writeFile(join(gcloudDir, 'configurations', 'config_default'), '[core]\nproject = proj-not-active\n');
      // curl asks (a node child would cost a start-up each): the body, then the status and the variable on their own lines.
      const ask =
        'curl -s -H "Metadata-Flavor: Google" -w "\\n%{http_code}\\n" "http://$GCE_METADATA_HOST/computeMetadata/v1/project/project-id"; echo "${CLOUDSDK_CORE_PROJECT-(unset)}"';
      const project = async (flags: string[], extra: Record<string, string>) => {
        const res = await runCliInProcess(['exec', ...flags, '--', 'sh', '-c', ask], { ...env, ...extra });
        assert.equal(res.code, 0, res.stderr);
        const lines = res.stdout.split('\n');
        const [status, variable] = lines.slice(-3, -1);
        const answer: [number, string, string | null] = [Number(status), lines.slice(0, -3).join('\n').trim(), variable === '(unset)' ? null : variable];
        return { answer, stderr: res.stderr };
      };
      const withGcloud = { CLOUDSDK_CONFIG: gcloudDir };
      assert.deepEqual((await project([], withGcloud)).answer, [200, 'proj-from-gcloud', null]);
      assert.deepEqual((await project([], { ...withGcloud, CLOUDSDK_ACTIVE_CONFIG_NAME: 'default' })).answer, [200, 'proj-not-active', null]);
      await runCliInProcess(['configure', 'lee@example.test', '--project', 'proj-of-lee'], env);
      assert.deepEqual((await project([], withGcloud)).answer, [200, 'proj-of-lee', 'proj-of-lee']);
      assert.deepEqual((await project(['--project-id', 'proj-flag'], withGcloud)).answer, [200, 'proj-flag', 'proj-flag']);
      await runCliInProcess(['configure', 'lee@example.test', '--no-project'], env);
      const none = await project([], { CLOUDSDK_CONFIG: join(box, 'gcloud-none') });
      assert.equal(none.answer[0], 404);
      assert.match(none.answer[1], /No project is set/);
      assert.equal(none.stderr.match(/no Google Cloud project is set/g)?.length, 1, 'said once');
      assert.match(none.stderr, /tokentray configure ACCOUNT --project ID/);
      assert.doesNotMatch(none.stderr + none.answer[1], /tokentray-local/);

      // The metadata-server command resolves the same way.
      const proc = startCli(['metadata-server'], { ...env, ...withGcloud });
      let host = '';
      for (let i = 0; i < 200 && !host; i++) {
        await new Promise((r) => setTimeout(r, 30));
        host = /export GCE_METADATA_HOST=(\S+)/.exec(proc.output())?.[1] ?? '';
      }
      const res = await fetch(`http://${host}/computeMetadata/v1/project/project-id`, { headers: { 'Metadata-Flavor': 'Google' } });
      assert.equal(await res.text(), 'proj-from-gcloud');
      proc.kill('SIGTERM');
      assert.equal((await proc.done).code, 0);
    });
  });

  describe('gcloud under exec', () => {
    let gcloudEnv: Record<string, string>;
    let config: string;
    const gcloud = (args: string[]) => runTool('gcloud', args, gcloudEnv);

    before(async () => {
      config = join(box, 'gcloud');
      gcloudEnv = { ...env, CLOUDSDK_CONFIG: config, HOME: box };
    });

    it('prints a live token of the TokenTray account after gcloud cached "not on GCE", and leaves gcloud\'s files as they were', async () => {
      const first = await gcloud(['auth', 'print-access-token']);
      assert.equal(first.code, 1);
      assert.match(first.stderr, /You do not currently have an active account selected/);
      assert.equal(await readFile(join(config, 'gce'), 'utf8'), 'False', 'gcloud cached "not on GCE"');
      const before = await snapshot(config);

      // Both gcloud runs under one exec (one CLI start-up), which also names its private folder.
      const res = await runCliInProcess(
        ['exec', '--', 'sh', '-c', `gcloud auth print-access-token && gcloud config list account '--format=value(core.account)' && echo "$CLOUDSDK_CONFIG"`],
        gcloudEnv,
      );
      assert.equal(res.code, 0, res.stderr);
      const [token, account, privateConfig] = res.stdout.trim().split('\n');
      assert.equal(await ownerOf(token), 'lee@example.test', 'a live token of the TokenTray account');
      assert.equal(account, 'lee@example.test');

      assert.deepEqual(await snapshot(config), before, "the user's gcloud folder is untouched");
      const again = await gcloud(['auth', 'print-access-token']);
      assert.equal(again.code, 1, 'plain gcloud behaves as before');
      assert.match(again.stderr, /You do not currently have an active account selected/);
      // This exec's own folder (another test file may run an exec meanwhile).
      assert.ok(privateConfig.startsWith(join(process.env.XDG_RUNTIME_DIR ?? tmpdir(), 'tokentray-gcloud-')), privateConfig);
      await assert.rejects(stat(privateConfig), { code: 'ENOENT' }, 'the private configuration is removed');
    });

    it('uses the TokenTray account even when gcloud has an active account of its own, which it keeps', async () => {
      const own = 'gcloud-own@proj-four.iam.gserviceaccount.com';
      const { json } = await makeServiceAccountKey(sim, own);
      const keyDir = join(box, 'keys');
      await mkdir(keyDir, { mode: 0o700, recursive: true });
      await writeFile(join(keyDir, 'own.json'), JSON.stringify(json), { mode: 0o600 });
      const activated = await gcloud(['auth', 'activate-service-account', `--key-file=${join(keyDir, 'own.json')}`]);
      assert.equal(activated.code, 0, activated.stderr);
      await rm(keyDir, { recursive: true, force: true });
      // Written as `gcloud config set project` would, without its check against the Cloud API (the network).
      const file = join(config, 'configurations', 'config_default');
      await writeFile(file, (await readFile(file, 'utf8')).replace('[core]\n', '[core]\nproject = proj-own\n'));
      const plain = await gcloud(['auth', 'print-access-token']);
      assert.equal(plain.code, 0, plain.stderr);
      assert.match(plain.stdout, /^ya29\.sim-/, "gcloud's own account's token, from its own token endpoint");
      const before = await snapshot(config);

      // Both gcloud runs under one exec (one CLI start-up).
      const res = await runCliInProcess(['exec', '--', 'sh', '-c', 'gcloud auth print-access-token && gcloud config get-value project'], gcloudEnv);
      assert.equal(res.code, 0, res.stderr);
      const [token, project] = res.stdout.trim().split('\n');
      assert.equal(await ownerOf(token), 'lee@example.test');
      assert.equal(project, 'proj-own', "gcloud's other settings stay");

      assert.deepEqual(await snapshot(config), before);
      const after = await gcloud(['auth', 'print-access-token']);
      assert.equal(after.code, 0, after.stderr);
      assert.match(after.stdout, /^ya29\.sim-/);
      assert.equal((await gcloud(['config', 'get-value', 'account'])).stdout.trim(), own);
    });

    it('leaves out only the properties that name other credentials from the copy', () => {
      const { text, dropped } = withoutForeignCredentials(
        '[core]\naccount = a@b.test\nproject = p-1\n[auth]\nimpersonate_service_account = x@y.test,\n  z@y.test\ndisable_ssl_validation = False\n[compute]\naccount = kept\n',
      );
      assert.deepEqual(dropped, ['core/account', 'auth/impersonate_service_account']);
      assert.equal(text, '[core]\nproject = p-1\n[auth]\ndisable_ssl_validation = False\n[compute]\naccount = kept\n');
    });

    it('sets a property in its section (replacing it), or in a new section, as strict configparser requires', () => {
      assert.equal(
        withProperty('[core]\nproject = p-1\n[billing]\nquota_project = old\n  continued\nx = 1\n', 'billing', 'quota_project', 'q-1'),
        '[core]\nproject = p-1\n[billing]\nquota_project = q-1\nx = 1\n',
      );
      assert.equal(withProperty('[core]\nproject = p-1', 'billing', 'quota_project', 'q-1'), '[core]\nproject = p-1\n[billing]\nquota_project = q-1\n');
      assert.equal(withProperty('', 'billing', 'quota_project', 'q-1'), '[billing]\nquota_project = q-1\n');
    });
  });

  describe('kubectl: the exec credential plugin', () => {
    let api: { port: number; close(): Promise<void> };
    const seen: string[] = [];

    before(async () => {
      // A stand-in API server: /api only for a bearer token that is live at the test IdP.
      api = await startHttps(join(box, 'kube-tls'), (req, res) => {
        const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
        void (async () => {
          const who = token ? await ownerOf(token) : undefined;
          if (token) seen.push(token);
          res.setHeader('Content-Type', 'application/json');
          if (!who)
            return res
              .writeHead(401)
              .end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 }));
          if (req.url?.startsWith('/api'))
            return res.end(
              JSON.stringify({
                kind: 'APIVersions',
                versions: ['v1'],
                serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${api.port}` }],
                servedTo: who,
              }),
            );
          return res.writeHead(404).end('{}');
        })();
      });
    });
    after(() => api.close());

    async function kubeconfig(name: string, apiVersion: string, extraArgs: string[] = []): Promise<string> {
      const path = join(box, `kubeconfig-${name}`);
      const yaml = `apiVersion: v1
kind: Config
clusters:
- name: stand-in
  cluster:
    server: https://127.0.0.1:${api.port}
    insecure-skip-tls-verify: true
users:
- name: tokentray
  user:
    exec:
      apiVersion: ${apiVersion}
      command: ${JSON.stringify(process.execPath)}
      args: ${JSON.stringify([CLI, 'kube-credential', ...extraArgs])}
      interactiveMode: Never
      provideClusterInfo: false
contexts:
- name: stand-in
  context: { cluster: stand-in, user: tokentray }
current-context: stand-in
`;
      await writeFile(path, yaml, { mode: 0o600 });
      return path;
    }

    it('kubectl get --raw /api sends a live token of the account, for v1beta1 and v1', async () => {
      for (const version of ['client.authentication.k8s.io/v1beta1', 'client.authentication.k8s.io/v1']) {
        const config = await kubeconfig(version.split('/')[1], version, ['--account', 'kim@example.test']);
        const res = await runTool('kubectl', ['--kubeconfig', config, 'get', '--raw', '/api'], env);
        assert.equal(res.code, 0, res.stderr);
        assert.equal((JSON.parse(res.stdout) as { servedTo: string }).servedTo, 'kim@example.test', version);
        assert.equal(await ownerOf(seen.at(-1)!), 'kim@example.test');
      }
    });

    it("prints an ExecCredential in the apiVersion kubectl asks for, with the token's expiry", async () => {
      const v1 = await runCliInProcess(['kube-credential'], {
        ...env,
        KUBERNETES_EXEC_INFO: JSON.stringify({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1', spec: { interactive: false } }),
      });
      assert.equal(v1.code, 0, v1.stderr);
      const credential = JSON.parse(v1.stdout) as { apiVersion: string; kind: string; status: { token: string; expirationTimestamp: string } };
      assert.deepEqual([credential.apiVersion, credential.kind], ['client.authentication.k8s.io/v1', 'ExecCredential']);
      assert.match(credential.status.expirationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const left = Date.parse(credential.status.expirationTimestamp) - Date.now();
      assert.ok(left > 5 * 60_000 && left <= 3600_000, `${left} ms left`);
      assert.equal(await ownerOf(credential.status.token), 'lee@example.test');
      const plain = JSON.parse((await runCliInProcess(['kube-credential'], env)).stdout) as { apiVersion: string };
      assert.equal(plain.apiVersion, 'client.authentication.k8s.io/v1beta1');
      // Impersonation: a token of the service account, from IAM Credentials.
      sim.allow('lee@example.test', TARGET);
      const imp = JSON.parse((await runCliInProcess(['kube-credential', '--impersonate-service-account', TARGET], env)).stdout) as {
        status: { token: string };
      };
      assert.match(imp.status.token, /^ya29\.sim-imp-/);
      assert.equal(sim.iamRequests.at(-1)?.target, TARGET);
    });

    it('fails with one coded line on stderr and exit 1, never a prompt; kubectl reports it', async () => {
      const res = await runCliInProcess(['kube-credential', '--account', 'ghost@example.test'], env);
      assert.equal(res.code, 1);
      assert.equal(res.stdout, '');
      assert.match(res.stderr, /^tokentray: ACCOUNT_NOT_FOUND: [^\n]+\n$/);
      assert.equal((await runCliInProcess(['kube-credential', '--bogus'], env)).code, 1);
      const config = await kubeconfig('ghost', 'client.authentication.k8s.io/v1beta1', ['--account', 'ghost@example.test']);
      const kube = await runTool('kubectl', ['--kubeconfig', config, 'get', '--raw', '/api'], env);
      assert.notEqual(kube.code, 0);
      assert.match(kube.stderr, /tokentray: ACCOUNT_NOT_FOUND/);
    });
  });

  describe('quota project: a per-account setting every surface sends', () => {
    let api: { port: number; close(): Promise<void> };
    const seen: Array<{ quota: string | undefined; who: string | undefined }> = [];
    const SDK = '/usr/lib/google-cloud-sdk';

    before(async () => {
      // A stand-in Google API that records who called and which quota project they named.
      api = await startHttps(join(box, 'quota-api'), (req, res) => {
        void (async () => {
          const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
          const quota = req.headers['x-goog-user-project'];
          seen.push({ quota: Array.isArray(quota) ? quota.join(',') : quota, who: token ? await ownerOf(token) : undefined });
          res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
        })();
      });
    });
    after(() => api.close());

    const accountsJson = async () =>
      JSON.parse((await runCliInProcess(['accounts', '--json'], env)).stdout) as Array<{ email: string; quotaProject: string | null }>;

    it('configure sets and clears it (checked as a project id), accounts --json shows it, service accounts are refused', async () => {
      assert.equal((await accountsJson()).find((a) => a.email === 'lee@example.test')!.quotaProject, null);
      const set = await runCliInProcess(['configure', 'lee@example.test', '--quota-project', 'proj-billing', '--json'], env);
      assert.equal(set.code, 0, set.stderr);
      assert.equal((JSON.parse(set.stdout) as { quotaProject: string }).quotaProject, 'proj-billing');
      assert.equal((await accountsJson()).find((a) => a.email === 'lee@example.test')!.quotaProject, 'proj-billing');
      const bad = await runCliInProcess(['configure', 'lee@example.test', '--quota-project', 'Bad_Project'], env);
      assert.equal(bad.code, 2, 'a bad option value is a usage error');
      assert.match(bad.stderr, /^tokentray: USAGE: --quota-project: "Bad_Project" is not a Google Cloud project id/m);
      const key = await makeServiceAccountKey(sim, 'quota-sa@proj-sa.iam.gserviceaccount.com');
      const keyFile = join(box, 'quota-sa.json');
      await writeFile(keyFile, JSON.stringify(key.json), { mode: 0o600 });
      assert.equal((await runCliInProcess(['import-service-account', keyFile], env)).code, 0);
      await rm(keyFile);
      for (const args of [
        ['configure', 'quota-sa@proj-sa.iam.gserviceaccount.com', '--quota-project', 'proj-billing'],
        ['curl', '--account', 'quota-sa@proj-sa.iam.gserviceaccount.com', '--quota-project', 'proj-billing', 'https://127.0.0.1:1/'],
      ]) {
        const refused = await runCliInProcess(args, env);
        assert.equal(refused.code, 1, args.join(' '));
        assert.match(refused.stderr, /^tokentray: QUOTA_PROJECT_NOT_FOR_SERVICE_ACCOUNTS: quota-sa@proj-sa\.iam\.gserviceaccount\.com is a service account/m);
      }
      await runCliInProcess(['logout', 'quota-sa@proj-sa.iam.gserviceaccount.com'], env);
      assert.equal((await accountsJson()).find((a) => a.email === 'lee@example.test')!.quotaProject, 'proj-billing', 'the refusal changed nothing');
      await signInThroughCore(core, idp, 'lee@example.test');
      assert.equal((await accountsJson()).find((a) => a.email === 'lee@example.test')!.quotaProject, 'proj-billing', 'a new sign-in keeps it');
    });

    it("google-auth in gcloud's Python under exec sends x-goog-user-project (the account's, or --quota-project's)", async () => {
      const script = [
        'import sys, google.auth, google.auth.transport.requests as tr',
        'creds, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])',
        's = tr.AuthorizedSession(creds)',
        'print(s.get(sys.argv[1], verify=sys.argv[2]).status_code)',
      ].join('\n');
      const python = join(SDK, 'platform/bundledpythonunix/bin/python3');
      const pyEnv = { ...env, PYTHONPATH: join(SDK, 'lib/third_party'), NO_GCE_CHECK: 'False' };
      const url = `https://127.0.0.1:${api.port}/v1/things`;
      const ca = join(box, 'quota-api', 'cert.pem');
      for (const [extra, expected] of [
        [[], 'proj-billing'],
        [['--quota-project', 'proj-other'], 'proj-other'],
      ] as const) {
        const from = seen.length;
        const res = await runTool(process.execPath, [CLI, 'exec', '--account', 'lee@example.test', ...extra, '--', python, '-c', script, url, ca], pyEnv);
        assert.equal(res.code, 0, res.stderr);
        assert.equal(res.stdout.trim(), '200');
        assert.deepEqual(seen.slice(from), [{ quota: expected, who: 'lee@example.test' }]);
      }
      const vars = await runCliInProcess(
        ['exec', '--account', 'lee@example.test', '--', 'sh', '-c', 'echo "$GOOGLE_CLOUD_QUOTA_PROJECT $CLOUDSDK_BILLING_QUOTA_PROJECT"'],
        env,
      );
      assert.equal(vars.stdout, 'proj-billing proj-billing\n');
      const none = await runCliInProcess(['exec', '--account', 'kim@example.test', '--', 'sh', '-c', 'echo "[${GOOGLE_CLOUD_QUOTA_PROJECT-unset}]"'], env);
      assert.equal(none.stdout, '[unset]\n');
    });

    it("exec's private gcloud configuration holds billing/quota_project, read by the real gcloud without the variable", async () => {
      const own = join(box, 'gcloud-quota');
      await mkdir(join(own, 'configurations'), { recursive: true, mode: 0o700 });
      await writeFile(join(own, 'active_config'), 'default');
      await writeFile(join(own, 'configurations', 'config_default'), '[billing]\nquota_project = proj-user\n[core]\nproject = proj-own\n');
      const gEnv = { ...env, CLOUDSDK_CONFIG: own, HOME: box };
      const get = (account: string, ...extra: string[]) =>
        runCliInProcess(
          ['exec', '--account', account, ...extra, '--', 'env', '-u', 'CLOUDSDK_BILLING_QUOTA_PROJECT', 'gcloud', 'config', 'get', 'billing/quota_project'],
          gEnv,
        );
      for (const [account, extra, expected] of [
        ['lee@example.test', [], 'proj-billing'],
        ['lee@example.test', ['--quota-project', 'proj-other'], 'proj-other'],
        ['kim@example.test', [], 'proj-user'],
      ] as const) {
        const res = await get(account, ...extra);
        assert.equal(res.code, 0, res.stderr);
        assert.equal(res.stdout.trim(), expected, `${account} ${extra.join(' ')}`);
      }
      assert.equal(
        await readFile(join(own, 'configurations', 'config_default'), 'utf8'),
        '[billing]\nquota_project = proj-user\n[core]\nproject = proj-own\n',
        "the user's file is untouched",
      );
      await rm(own, { recursive: true, force: true });
    });

    it("curl sends the header unless the user's own arguments carry it; metadata-server prints the variable", async () => {
      const url = `https://127.0.0.1:${api.port}/v1/curl`;
      let from = seen.length;
      assert.equal((await runCliInProcess(['curl', '--account', 'lee@example.test', url, '-k', '-s'], env)).code, 0);
      assert.deepEqual(seen.slice(from), [{ quota: 'proj-billing', who: 'lee@example.test' }]);
      from = seen.length;
      assert.equal((await runCliInProcess(['curl', '--account', 'lee@example.test', url, '-k', '-s', '-H', 'X-Goog-User-Project: mine-own'], env)).code, 0);
      assert.deepEqual(seen.slice(from), [{ quota: 'mine-own', who: 'lee@example.test' }]);
      from = seen.length;
      assert.equal((await runCliInProcess(['curl', '--account', 'kim@example.test', url, '-k', '-s'], env)).code, 0);
      assert.deepEqual(seen.slice(from), [{ quota: undefined, who: 'kim@example.test' }]);
      const proc = startCli(['metadata-server', '--account', 'lee@example.test', '--quota-project', 'proj-once'], env);
      let out = '';
      for (let i = 0; i < 200 && !/GOOGLE_CLOUD_QUOTA_PROJECT/.test(out); i++) {
        await new Promise((r) => setTimeout(r, 30));
        out = proc.output();
      }
      proc.kill('SIGTERM');
      await proc.done;
      assert.match(out, /^export GOOGLE_CLOUD_QUOTA_PROJECT=proj-once$/m);
    });
  });

  describe('docker: the credential helper', () => {
    let registry: { port: number; close(): Promise<void> };
    let bin: string;
    let dockerEnv: Record<string, string>;
    const basics: string[] = [];

    before(async () => {
      // A stand-in registry: a Basic challenge on /v2/, the manifest only for a live token of an account.
      registry = await startRegistry(join(box, 'registry-tls'), async (user, secret) => {
        const who = secret ? await ownerOf(secret) : undefined;
        basics.push(`${user}:${who ?? ''}`);
        return user === 'oauth2accesstoken' ? who : undefined;
      });
      bin = join(box, 'docker-bin');
      await mkdir(bin, { recursive: true });
      await writeFile(join(bin, 'docker-credential-tokentray'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(DOCKER_HELPER)} "$@"\n`);
      await chmod(join(bin, 'docker-credential-tokentray'), 0o700);
      dockerEnv = { ...env, DOCKER_CONFIG: join(box, 'docker'), PATH: `${bin}:${process.env.PATH}` };
    });
    after(() => registry.close());

    it('configure-docker adds credHelpers, keeping every other key and entry, and remembers the account', async () => {
      await mkdir(dockerEnv.DOCKER_CONFIG, { recursive: true });
      const path = join(dockerEnv.DOCKER_CONFIG, 'config.json');
      await writeFile(
        path,
        JSON.stringify({ auths: { 'ghcr.invalid': {} }, credHelpers: { 'other.invalid': 'gcloud', 'eu.gcr.io': 'gcloud' }, psFormat: 'table {{.ID}}' }),
      );
      const host = `127.0.0.1:${registry.port}`;
      // The stand-in registry is not Google's: refused, and nothing written, unless allowed.
      const notGoogle = await runCliInProcess(['configure-docker', '--account', 'kim@example.test', host, 'eu.gcr.io'], dockerEnv);
      assert.equal(notGoogle.code, 1);
      assert.match(notGoogle.stderr, new RegExp(`^tokentray: REGISTRY_NOT_GOOGLE: ${host.replace(/\./g, '\\.')} is not a Google registry`, 'm'));
      const res = await runCliInProcess(
        ['configure-docker', '--account', 'kim@example.test', '--allow-other-host', host, 'https://europe-west1-docker.pkg.dev', 'eu.gcr.io'],
        dockerEnv,
      );
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, new RegExp(`warning: ${host.replace(/\./g, '\\.')} is not a Google registry; it will receive a Google access token`));
      assert.equal(res.stdout, `${host}\neurope-west1-docker.pkg.dev\neu.gcr.io\n`);
      assert.match(res.stderr, /eu\.gcr\.io used docker-credential-gcloud until now/);
      const doc = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
      assert.deepEqual(doc, {
        auths: { 'ghcr.invalid': {} },
        credHelpers: { 'other.invalid': 'gcloud', 'eu.gcr.io': 'tokentray', [host]: 'tokentray', 'europe-west1-docker.pkg.dev': 'tokentray' },
        psFormat: 'table {{.ID}}',
      });
      // Defaults, into a fresh folder.
      const fresh = { ...dockerEnv, DOCKER_CONFIG: join(box, 'docker-fresh') };
      assert.equal((await runCliInProcess(['configure-docker'], fresh)).code, 0);
      const created = JSON.parse(await readFile(join(fresh.DOCKER_CONFIG, 'config.json'), 'utf8')) as { credHelpers: Record<string, string> };
      assert.deepEqual(Object.keys(created.credHelpers), ['gcr.io', 'us.gcr.io', 'eu.gcr.io', 'asia.gcr.io']);
      assert.equal((await stat(join(fresh.DOCKER_CONFIG, 'config.json'))).mode & 0o777, 0o600);
      // A file that is not JSON is left as it is.
      const broken = { ...dockerEnv, DOCKER_CONFIG: join(box, 'docker-broken') };
      await mkdir(broken.DOCKER_CONFIG, { recursive: true });
      await writeFile(join(broken.DOCKER_CONFIG, 'config.json'), '{"auths": ');
      const refused = await runCliInProcess(['configure-docker', 'gcr.io'], broken);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /^tokentray: DOCKER_CONFIG_INVALID: /m);
      assert.equal(await readFile(join(broken.DOCKER_CONFIG, 'config.json'), 'utf8'), '{"auths": ');
    });

    it('the real docker CLI pulls a manifest with a live token of the remembered account', async () => {
      const res = await runTool('docker', ['manifest', 'inspect', '--insecure', `127.0.0.1:${registry.port}/team/app:v1`], dockerEnv);
      assert.equal(res.code, 0, res.stderr);
      assert.equal((JSON.parse(res.stdout) as { schemaVersion: number }).schemaVersion, 2);
      assert.ok(basics.includes('oauth2accesstoken:kim@example.test'), basics.join(' '));
    });

    it('speaks the helper protocol: get, list, and store/erase that change nothing', async () => {
      const host = `127.0.0.1:${registry.port}`;
      const helper = (action: string, input: string) => runTool(process.execPath, [DOCKER_HELPER, action], dockerEnv, input);
      const got = await helper('get', `${host}\n`);
      assert.equal(got.code, 0, got.stderr);
      const creds = JSON.parse(got.stdout) as { ServerURL: string; Username: string; Secret: string };
      assert.deepEqual([creds.ServerURL, creds.Username], [host, 'oauth2accesstoken']);
      assert.equal(await ownerOf(creds.Secret), 'kim@example.test');
      // A registry configure-docker did not record gets the protocol's "not found", never a token.
      for (const other of ['https://europe-docker.pkg.dev', 'unknown.invalid', 'https://index.docker.io/v1/']) {
        const refused = await helper('get', other);
        assert.deepEqual([refused.code, refused.stdout], [1, 'credentials not found in native keychain\n'], other);
      }
      const list = JSON.parse((await helper('list', '')).stdout) as Record<string, string>;
      assert.equal(list[host], 'oauth2accesstoken');
      assert.equal(list['europe-west1-docker.pkg.dev'], 'oauth2accesstoken');
      const registries = await readFile(join(sandbox.home, 'docker-registries.json'), 'utf8');
      assert.equal((await helper('store', JSON.stringify({ ServerURL: host, Username: 'u', Secret: 'not-a-token-0123456789' }))).code, 0);
      assert.equal((await helper('erase', host)).code, 0);
      assert.equal(await readFile(join(sandbox.home, 'docker-registries.json'), 'utf8'), registries);
      assert.doesNotMatch(registries, /not-a-token/);
      await runCliInProcess(['configure-docker', 'gcr.io'], dockerEnv);
      const failing = await runTool(process.execPath, [DOCKER_HELPER, 'get'], { ...dockerEnv, TOKENTRAY_ACCOUNT: 'ghost@example.test' }, 'https://gcr.io');
      assert.equal(failing.code, 1);
      assert.match(failing.stdout, /^tokentray: ACCOUNT_NOT_FOUND: /, 'docker shows what the helper printed on stdout');
    });

    it('the real docker CLI sends no token to a registry configure-docker did not record, even one config.json points at us', async () => {
      const path = join(dockerEnv.DOCKER_CONFIG, 'config.json');
      const doc = JSON.parse(await readFile(path, 'utf8')) as { credHelpers: Record<string, string> };
      const stray = `localhost:${registry.port}`;
      doc.credHelpers[stray] = 'tokentray'; // as a hand edit (or another tool) would leave it
      await writeFile(path, JSON.stringify(doc));
      const seen = basics.length;
      const res = await runTool('docker', ['manifest', 'inspect', '--insecure', `${stray}/team/app:v1`], dockerEnv);
      assert.notEqual(res.code, 0);
      assert.deepEqual(basics.slice(seen), [], 'the registry saw no credentials');
    });

    it("accepts every registry gcloud lists as Google's, refuses others, and --remove undoes only what it did", async () => {
      const sdk = await gcloudSdkRoot();
      const constants = await readFile(join(sdk, 'lib/googlecloudsdk/core/docker/constants.py'), 'utf8');
      const listed = [...constants.matchAll(/'([a-z0-9.-]+\.(?:gcr\.io|pkg\.dev)|gcr\.io)'/g)].map((m) => m[1]);
      assert.ok(listed.length > 50, `gcloud's list: ${listed.length}`);
      const own = { ...dockerEnv, DOCKER_CONFIG: join(box, 'docker-google') };
      for (let i = 0; i < listed.length; i += 50) {
        const some = await runCliInProcess(['configure-docker', ...listed.slice(i, i + 50)], own);
        assert.equal(some.code, 0, some.stderr);
        assert.doesNotMatch(some.stderr, /warning/);
      }
      for (const other of ['docker.io', 'ghcr.io', 'gcr.io.invalid', 'evil-gcr.io', 'docker.pkg.dev', 'x.pkg.dev.invalid', 'gcr.io:444']) {
        const refused = await runCliInProcess(['configure-docker', other], own);
        assert.equal(refused.code, 1, other);
        assert.match(refused.stderr, /REGISTRY_NOT_GOOGLE/, other);
      }
      const path = join(own.DOCKER_CONFIG, 'config.json');
      const before = JSON.parse(await readFile(path, 'utf8')) as { credHelpers: Record<string, string> };
      before.credHelpers['mirror.gcr.io'] = 'gcloud'; // another helper's entry stays
      await writeFile(path, JSON.stringify({ ...before, auths: { 'x.invalid': {} } }));
      const removed = await runCliInProcess(['configure-docker', '--remove', 'us-docker.pkg.dev', 'https://gcr.io', 'mirror.gcr.io', 'nothing.invalid'], own);
      assert.equal(removed.code, 0, removed.stderr);
      assert.equal(removed.stdout, 'us-docker.pkg.dev\ngcr.io\nmirror.gcr.io\n');
      assert.match(removed.stderr, /nothing\.invalid was not set up/);
      const after = JSON.parse(await readFile(path, 'utf8')) as { credHelpers: Record<string, string>; auths: unknown };
      assert.deepEqual(after.auths, { 'x.invalid': {} });
      assert.equal(after.credHelpers['mirror.gcr.io'], 'gcloud');
      assert.equal(after.credHelpers['us-docker.pkg.dev'], undefined);
      assert.equal(after.credHelpers['gcr.io'], undefined);
      assert.equal(after.credHelpers['eu.gcr.io'], 'tokentray');
      const helperGet = await runTool(process.execPath, [DOCKER_HELPER, 'get'], own, 'us-docker.pkg.dev');
      assert.deepEqual([helperGet.code, helperGet.stdout], [1, 'credentials not found in native keychain\n']);
    });

    it('logout names the registries an account served; a registry whose account is gone says so by email', async () => {
      await signInThroughCore(core, idp, 'max@example.test');
      const own = { ...dockerEnv, DOCKER_CONFIG: join(box, 'docker-max') };
      assert.equal((await runCliInProcess(['configure-docker', '--account', 'max@example.test', 'us-docker.pkg.dev', 'asia.gcr.io'], own)).code, 0);
      const out = await runCliInProcess(['logout', 'max@example.test', '--no-revoke'], own);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stderr, /registries (us-docker\.pkg\.dev, asia\.gcr\.io|asia\.gcr\.io, us-docker\.pkg\.dev) used this account/);
      const gone = await runTool(process.execPath, [DOCKER_HELPER, 'get'], own, 'https://us-docker.pkg.dev');
      assert.equal(gone.code, 1);
      assert.match(gone.stdout, /^tokentray: ACCOUNT_NOT_FOUND: us-docker\.pkg\.dev was set up with max@example\.test that is no longer signed in/);
      assert.doesNotMatch(gone.stdout, /ya29|"Secret"/);
    });
  });

  describe('a metadata server only its own user can reach', () => {
    const tokenPath = '/computeMetadata/v1/instance/service-accounts/default/token';
    const asNobody = (url: string, extra: string[] = []) =>
      runTool('runuser', ['-u', 'nobody', '--', 'curl', '-s', '-S', '-H', 'Metadata-Flavor: Google', ...extra, url], env);

    it('refuses another local user (runuser -u nobody) and serves its own, over IPv4 and IPv4-mapped IPv6', async () => {
      const proc = startCli(['metadata-server', '--project-id', 'proj-own'], env);
      let host = '';
      for (let i = 0; i < 200 && !host; i++) {
        await new Promise((r) => setTimeout(r, 30));
        host = /export GCE_METADATA_HOST=(\S+)/.exec(proc.output())?.[1] ?? '';
      }
      try {
        const other = await asNobody(`http://${host}${tokenPath}`);
        assert.match(other.stdout, /^Forbidden: this metadata server serves only the user who started it \(uid 0\), not uid 65534\.$/m, other.stderr);
        assert.doesNotMatch(other.stdout, /access_token/);
        const otherPing = await asNobody(`http://${host}/`, ['-o', '/dev/null', '-w', '%{http_code}']);
        assert.equal(otherPing.stdout, '403');
        const port = host.split(':')[1];
        const mine = await runTool('curl', ['-s', '-H', 'Metadata-Flavor: Google', `http://${host}${tokenPath}`], env);
        assert.match(mine.stdout, /"access_token"/);
        const mapped = await runTool(
          'curl',
          ['-s', '-g', '-H', 'Metadata-Flavor: Google', '-H', `Host: ${host}`, `http://[::ffff:127.0.0.1]:${port}/computeMetadata/v1/project/project-id`],
          env,
        );
        assert.equal(mapped.stdout, 'proj-own');
        const otherMapped = await runTool(
          'runuser',
          ['-u', 'nobody', '--', 'curl', '-s', '-g', '-H', 'Metadata-Flavor: Google', '-H', `Host: ${host}`, `http://[::ffff:127.0.0.1]:${port}${tokenPath}`],
          env,
        );
        assert.match(otherMapped.stdout, /^Forbidden/);
      } finally {
        proc.kill('SIGTERM');
        await proc.done;
      }
    });

    it("exec's server on its random port refuses another user too", async () => {
      const res = await runCliInProcess(
        [
          'exec',
          '--project-id',
          'proj-own',
          '--',
          'sh',
          '-c',
          `runuser -u nobody -- curl -s -H 'Metadata-Flavor: Google' "http://$GCE_METADATA_HOST${tokenPath}"; echo; curl -s -o /dev/null -w '%{http_code}' -H 'Metadata-Flavor: Google' "http://$GCE_METADATA_HOST${tokenPath}"`,
        ],
        env,
      );
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /^Forbidden: this metadata server serves only the user who started it/m);
      assert.match(res.stdout, /\n200$/);
    });

    it('reads the peer from /proc/net/tcp and tcp6 rows (little-endian words, mapped addresses)', async () => {
      const dir = join(box, 'proc');
      await mkdir(dir, { recursive: true });
      const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
      await writeFile(
        join(dir, 'tcp'),
        `${header}   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n   1: 0100007F:C350 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 2 1 0 20 4 30 10 -1\n`,
      );
      await writeFile(
        join(dir, 'tcp6'),
        `${header}   0: 0000000000000000FFFF00000100007F:C351 0000000000000000FFFF00000100007F:1F90 01 00000000:00000000 00:00000000 00000000 65534        0 3 1 0 20 4 30 10 -1\n`,
      );
      const lookup = createPeerUidLookup([join(dir, 'tcp'), join(dir, 'tcp6')]);
      const server = { address: '127.0.0.1', port: 8080 };
      // Asked together: one read of each table serves the batch.
      assert.deepEqual(
        await Promise.all([
          lookup({ address: '127.0.0.1', port: 50000 }, server),
          lookup({ address: '::ffff:127.0.0.1', port: 50001 }, server),
          lookup({ address: '127.0.0.1', port: 50001 }, server),
          lookup({ address: '127.0.0.1', port: 50002 }, server),
          lookup({ address: '127.0.0.1', port: 50000 }, { address: '127.0.0.1', port: 8081 }),
          lookup({ address: '::1', port: 50000 }, server),
        ]),
        [1000, 65534, 65534, undefined, undefined, undefined],
      );
    });
  });
});
