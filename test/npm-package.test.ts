import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { HttpBrowser } from './support/http-browser.js';
import { startTestIdp, type TestIdp } from './support/idp.js';
import { makeSandbox, runCli, startCli, type Sandbox } from './support/sandbox.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface PackResult {
  filename: string;
  files: Array<{ path: string }>;
}

/**
 * The `tokentray` CLI as people without a checkout get it: `npm pack`, then `npm install -g` of the
 * tarball into a throw-away prefix (dependencies come from the npm registry, keytar builds or
 * downloads its native module as it would for a user), then the installed command signs in against
 * the test IdP and prints a token.
 */
describe('the npm package of the CLI', () => {
  let work: string;
  let pack: PackResult;
  let installed: string;
  let bin: string;
  let idp: TestIdp;
  let sandbox: Sandbox;
  let pkg: { version: string; main: string; devDependencies: Record<string, string>; dependencies: Record<string, string> };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'tokentray-npm-'));
    pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as typeof pkg;
    // --ignore-scripts: `prepare` would rebuild dist/ while this suite runs from it; it is built.
    const packed = await run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, maxBuffer: 16 << 20 });
    pack = (JSON.parse(packed.stdout) as PackResult[])[0]!;
    const prefix = join(work, 'prefix');
    const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, npm_config_cache: join(work, 'npm-cache'), npm_config_update_notifier: 'false' };
    await run(npm, ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', join(work, pack.filename)], { cwd: work, env, maxBuffer: 16 << 20, timeout: 600_000 });
    installed = process.platform === 'win32' ? join(prefix, 'node_modules', 'tokentray') : join(prefix, 'lib', 'node_modules', 'tokentray');
    bin = process.platform === 'win32' ? join(prefix, 'tokentray.cmd') : join(prefix, 'bin', 'tokentray');
    idp = await startTestIdp({ mode: 'oidc' });
    sandbox = await makeSandbox();
    sandbox.env.PATH = env.PATH;
  });
  after(async () => {
    await sandbox?.cleanup();
    await idp?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('packs only what the CLI needs: no tests, no renderer, no sources, no app glue but the entry npm insists on', () => {
    const paths = pack.files.map((f) => f.path);
    assert.ok(paths.includes('dist/electron/cli/tokentray.js'));
    assert.ok(paths.includes('dist/electron/core/core.js'));
    assert.ok(paths.includes('package.json'));
    // npm always packs the file named by "main", which is the app's (Electron) entry module.
    const allowed = (p: string) => p === 'package.json' || p === 'README.md' || p === 'LICENSE' || p === pkg.main || p.startsWith('dist/electron/cli/') || p.startsWith('dist/electron/core/');
    assert.deepEqual(paths.filter((p) => !allowed(p)), []);
    for (const p of paths) assert.ok(!/(^|\/)test\/|\.test\.js$|^renderer\/|\.ts$|\.map$/.test(p), `leaves out ${p}`);
  });

  it('installs without Electron or any other dev dependency', async () => {
    const modules = await readdir(join(installed, 'node_modules'));
    for (const dep of Object.keys(pkg.dependencies)) assert.ok(modules.includes(dep), `${dep} installed`);
    for (const dev of Object.keys(pkg.devDependencies)) assert.ok(!modules.includes(dev.split('/')[0]!), `${dev} not installed`);
    assert.ok(!existsSync(join(installed, 'node_modules', 'electron')));
    // keytar's native module is there, built or downloaded for this Node.
    assert.ok(existsSync(join(installed, 'node_modules', 'keytar', 'build', 'Release', 'keytar.node')));
  });

  it('puts every command of package.json\'s bin on the PATH', async () => {
    const bins = Object.keys((JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin);
    assert.ok(bins.includes('tokentray') && bins.includes('docker-credential-tokentray'));
    for (const name of bins) assert.ok(existsSync(join(dirname(bin), process.platform === 'win32' ? `${name}.cmd` : name)), `${name} installed`);
  });

  it('runs `tokentray --version` from the installed copy', async () => {
    const res = await runCli(['--version'], sandbox.env, [bin]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, `tokentray ${pkg.version}\n`);
  });

  it('signs in for real from the installed copy and prints a token the IdP accepts', async () => {
    const cli = (args: string[]) => startCli(args, sandbox.env, [bin]);
    const login = cli(['login', '--issuer', idp.issuer, '--flavor', 'oidc', '--client-id', idp.client.clientId, '--client-secret', idp.client.clientSecret, '--login-hint', 'npm-user@example.test', '--no-browser', '--timeout', '60']);
    const page = await new HttpBrowser('npm-user@example.test').visit(await login.authorizationUrl);
    const result = await login.done;
    assert.equal(page.status, 200);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'npm-user@example.test\n');
    const token = await cli(['print-access-token']).done;
    assert.equal(token.code, 0, token.stderr);
    const facts = await idp.introspect(token.stdout.trim());
    assert.equal(facts.active, true, 'the IdP knows the printed access token');
    assert.equal(facts.sub, 'npm-user@example.test');
  });
});
