import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { parse } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  'runs-on': string;
  if?: string;
  permissions?: Record<string, string>;
  container?: string;
  needs?: string[];
  strategy?: { matrix: { os?: string[]; node?: string[] } };
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const OSES = ['ubuntu-latest', 'macos-latest', 'windows-latest'];

/**
 * The CI workflow cannot run here; this checks that it could: it parses, runs what the issue asks
 * on the three OSes, and every npm script, file and action it names exists.
 */
describe('.github/workflows/ci.yml', () => {
  let wf: Workflow;
  let scripts: Record<string, string>;
  let runs: Array<{ job: string; step: Step; line: string }>;

  before(async () => {
    wf = parse(await readFile(join(root, '.github', 'workflows', 'ci.yml'), 'utf8')) as Workflow;
    scripts = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    runs = Object.entries(wf.jobs).flatMap(([job, j]) =>
      j.steps.flatMap((step) =>
        (step.run ?? '')
          .split('\n')
          .map((line) => line.trim())
          .filter((line) => line && !line.startsWith('#'))
          .map((line) => ({ job, step, line })),
      ),
    );
  });

  const oses = (job: Job) => (job['runs-on'] === '${{ matrix.os }}' ? job.strategy!.matrix.os! : [job['runs-on']]);
  const stepsRunning = (job: Job, pattern: RegExp) => job.steps.filter((s) => s.run !== undefined && pattern.test(s.run));

  it('runs on pushes and pull requests', () => {
    assert.ok('push' in wf.on && 'pull_request' in wf.on);
  });

  it('runs npm test on Linux through .ci/run (npm ci, then the isolated keychain)', async () => {
    const [name, job] = Object.entries(wf.jobs).find(([, j]) => stepsRunning(j, /\.ci\/run/).length > 0)!;
    assert.ok(name);
    assert.deepEqual(oses(job), ['ubuntu-latest']);
    assert.match(job.container ?? '', /^node:(2[2-9]|[3-9]\d)-bookworm$/, 'a Debian with Node 22+, as .ci/run expects (apt-get, root)');
    const ci = await readFile(join(root, '.ci', 'run'), 'utf8');
    assert.match(ci, /^npm ci\b/m);
    assert.match(ci, /^ {2}npm test$/m);
    assert.match(ci, /^ {2}npm run "test:node\$\{TOKENTRAY_TEST_NODE\}"$/m, 'or the suites under the Node the matrix names');
    assert.match(scripts.test, /sh test\/run-tests\.sh$/, 'npm test runs through test/run-tests.sh');
    assert.match(
      await readFile(join(root, 'test', 'run-tests.sh'), 'utf8'),
      /^sh "\$here\/with-keychain\.sh" node "\$here\/\.\.\/dist\/test\/support\/run-files\.js" /m,
      '… which runs the suites under the throw-away keyring',
    );
  });

  it('runs the suites on the oldest Node the CLI supports and on Node 24, each with an npm script to do it locally', async () => {
    const job = Object.values(wf.jobs).find((j) => stepsRunning(j, /\.ci\/run/).length > 0)!;
    const nodes = job.strategy?.matrix.node ?? [];
    const engines = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    assert.deepEqual(nodes, [/^>=(\d+)/.exec(engines)![1], '24']);
    assert.equal(stepsRunning(job, /\.ci\/run/)[0].env?.TOKENTRAY_TEST_NODE, '${{ matrix.node }}');
    for (const node of nodes) {
      assert.equal(scripts[`test:node${node}`], `npm run build && npm run lint && npx -y -p node@${node} sh test/run-tests.sh`, `npm run test:node${node}`);
    }
  });

  it('runs the real-Electron smoke test on all three OSes, under xvfb-run on Linux', () => {
    const job = Object.values(wf.jobs).find((j) => stepsRunning(j, /npm run smoke-test/).length > 0)!;
    assert.deepEqual(oses(job), OSES);
    const smoke = stepsRunning(job, /npm run smoke-test/);
    const linux = smoke.find((s) => s.if === "runner.os == 'Linux'");
    const others = smoke.find((s) => s.if === "runner.os != 'Linux'");
    assert.ok(linux && others, 'one step for Linux, one for the rest');
    assert.match(linux.run!, /xvfb-run -a npm run smoke-test/);
    assert.match(linux.run!, /^sh test\/with-keychain\.sh /, 'Linux gets a Secret Service to talk to');
    assert.match(scripts['smoke-test'], /node dist\/test\/support\/smoke-update-feed\.js$/); // electron . --smoke-test against a loopback update feed
    // Electron 42+ downloads its binary on first use; keytar must match Electron's ABI.
    const order = job.steps.map((s) => s.run ?? s.uses ?? '');
    const at = (re: RegExp) => order.findIndex((r) => re.test(r));
    assert.ok(at(/^npm ci$/) < at(/install-electron/) && at(/install-electron/) < at(/install-app-deps/) && at(/install-app-deps/) < at(/smoke-test/));
  });

  it('runs the agent over a real named pipe on windows-latest, with the script that runs the same suite here', () => {
    const [name, job] = Object.entries(wf.jobs).find(([, j]) => stepsRunning(j, /npm run test:agent-pipe/).length > 0)!;
    assert.ok(name);
    assert.deepEqual(oses(job), ['windows-latest']);
    const order = job.steps.map((s) => s.run ?? s.uses ?? '');
    assert.ok(order.indexOf('npm ci') >= 0 && order.indexOf('npm ci') < order.indexOf('npm run test:agent-pipe'));
    // Plain node --test (Windows has no sh): the suite chooses the named pipe there (test/agent-pipe.test.ts).
    assert.match(scripts['test:agent-pipe'], /^npm run build && node --test [^|;]*dist\/test\/agent-pipe\.test\.js$/);
    assert.ok(existsSync(join(root, 'test', 'agent-pipe.test.ts')));
  });

  it('builds the installers on all three OSes and uploads them', async () => {
    const job = Object.values(wf.jobs).find((j) => stepsRunning(j, /npm run dist/).length > 0)!;
    assert.deepEqual(oses(job), OSES);
    assert.deepEqual(job.needs, ['test', 'smoke']);
    const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    const paths = String(upload.with!.path)
      .trim()
      .split('\n')
      .map((p) => p.trim());
    // app-builder-lib loads configuration through jiti, which would leave a cache in $TMPDIR/jiti.
    const previousJiti = process.env.JITI_FS_CACHE;
    process.env.JITI_FS_CACHE = 'false';
    let output: string;
    try {
      const { getConfig } = require('app-builder-lib/out/util/config/config.js') as {
        getConfig(dir: string, path: string): Promise<{ directories: { output: string } }>;
      };
      output = (await getConfig(root, 'build/electron-builder.yml')).directories.output;
    } finally {
      if (previousJiti === undefined) delete process.env.JITI_FS_CACHE;
      else process.env.JITI_FS_CACHE = previousJiti;
    }
    for (const p of paths) assert.ok(p.startsWith(`${output}/`), `${p} is in electron-builder's output folder`);
    for (const ext of ['AppImage', 'deb', 'dmg', 'exe', 'tgz']) assert.ok(paths.includes(`${output}/*.${ext}`), `uploads *.${ext}`);
    assert.equal(upload.with!['if-no-files-found'], 'error');
    assert.ok(stepsRunning(job, new RegExp(`npm pack .*--pack-destination ${output}$`)).length === 1, "the CLI's npm tarball goes along");
  });

  it('publishes installers and the update feed on a version tag only, after the tests', () => {
    const job = wf.jobs.release as Job & { if?: string; permissions?: Record<string, string> };
    assert.ok(job, 'a release job');
    assert.equal(job.if, "startsWith(github.ref, 'refs/tags/v')");
    assert.deepEqual(job.needs, ['test', 'smoke']);
    assert.deepEqual(oses(job), OSES);
    assert.deepEqual(job.permissions, { contents: 'write' });
    const publish = stepsRunning(job, /npm run dist -- --publish always$/);
    assert.equal(publish.length, 1);
    assert.equal((publish[0] as Step & { env?: Record<string, string> }).env?.GH_TOKEN, '${{ secrets.GITHUB_TOKEN }}');
    for (const [name, other] of Object.entries(wf.jobs)) {
      if (name !== 'release') for (const s of stepsRunning(other, /npm run dist/)) assert.match(s.run!, /--publish never/, `${name} never publishes`);
    }
  });

  it('publishes the npm package with provenance on a version tag, after the tests, with the secret docs name', async () => {
    const [name, job] = Object.entries(wf.jobs).find(([, j]) => stepsRunning(j, /\bnpm publish\b/).length > 0)!;
    const publish = stepsRunning(job, /\bnpm publish\b/)[0];
    assert.match(publish.run!, /^npm publish --provenance --access public$/);
    assert.deepEqual(job.needs, ['test', 'smoke']);
    assert.equal(job.permissions!['id-token'], 'write', 'provenance needs the OIDC token');
    assert.equal(job.permissions!.contents, 'read');
    assert.match(job.if!, /startsWith\(github\.ref, 'refs\/tags\/v'\)/);
    assert.ok((wf.on.push as { tags: string[] }).tags.includes('v*'), 'version tags trigger the workflow');
    assert.ok(job.steps.some((s) => s.uses?.startsWith('actions/setup-node@') && s.with!['registry-url'] === 'https://registry.npmjs.org'));
    const secret = /secrets\.(\w+)/.exec(String((publish as { env?: Record<string, string> }).env?.NODE_AUTH_TOKEN))?.[1];
    assert.ok(secret, `${name} authenticates with a secret`);
    assert.match(await readFile(join(root, 'docs', 'desktop-app.md'), 'utf8'), new RegExp(`\\b${secret}\\b`), 'docs/desktop-app.md names the secret');
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { private?: boolean };
    assert.notEqual(pkg.private, true, 'a private package cannot be published');
  });

  it('names only npm scripts that exist', () => {
    const named = runs.flatMap(({ line }) => [...line.matchAll(/\bnpm run ([\w:-]+)/g)].map((m) => m[1]));
    assert.ok(named.length >= 2);
    for (const s of named) assert.ok(scripts[s], `package.json has the script "${s}"`);
    for (const { line } of runs) if (/\bnpm test\b/.test(line)) assert.ok(scripts.test);
    for (const { line } of runs) if (/\bnpm ci\b/.test(line)) assert.ok(existsSync(join(root, 'package-lock.json')), 'npm ci needs the lock file');
  });

  it('names only files that exist, and only commands the packages provide', () => {
    const files = runs.flatMap(({ line }) => line.split(/\s+/).filter((w) => /^\.?[\w-]+(\/[\w.-]+)+$/.test(w) && !w.startsWith('release/')));
    assert.ok(files.includes('.ci/run') && files.includes('test/with-keychain.sh'));
    for (const f of files) assert.ok(existsSync(join(root, f)), `${f} exists`);
    const npx = runs.flatMap(({ line }) => [...line.matchAll(/\bnpx ([\w-]+)/g)].map((m) => m[1]));
    const bins = new Set<string>();
    for (const pkg of ['electron', 'electron-builder']) {
      const bin = (require(`${pkg}/package.json`) as { bin: Record<string, string> }).bin;
      for (const name of Object.keys(bin)) bins.add(name);
    }
    for (const b of npx) assert.ok(bins.has(b), `npx ${b} is a command of a dev dependency`);
  });

  it('uses only well-known actions, pinned to a major version, and sets up Node 22 or later', () => {
    for (const job of Object.values(wf.jobs)) {
      for (const step of job.steps) {
        if (!step.uses) continue;
        assert.match(step.uses, /^actions\/(checkout|setup-node|upload-artifact)@v\d+$/);
        if (step.uses.startsWith('actions/setup-node@')) assert.equal(step.with!['node-version'], '${{ env.NODE_VERSION }}');
      }
    }
    assert.ok(Number(wf.env!.NODE_VERSION) >= 22, 'electron-builder and Electron 45 need Node 22.12+');
  });
});
