import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, realpath, rm } from 'node:fs/promises';
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

/** A Node to install and run the package with: its bin folder, and headers for keytar's build. */
interface Runtime {
  label: string;
  major: number;
  resolve(): Promise<{ binDir: string; nodedir?: string }>;
}

// npm on Node 22+ turns on Node's compile cache, in the temp folder by default.
const npmEnv = { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' };

/**
 * Node MAJOR: the one running the tests when it is that major, else the npm registry's `node`
 * package (cached by npm after the first run; the suites themselves may run on it: test:node24).
 * keytar has no prebuilt module for it offline: node-gyp builds one against the headers that
 * package ships, so nothing is fetched from nodejs.org.
 */
async function nodeOfMajor(major: number): Promise<{ binDir: string; nodedir?: string }> {
  if (Number(process.versions.node.split('.')[0]) === major) return { binDir: dirname(process.execPath) };
  const found = await run(npm, ['exec', '--yes', `--package=node@${major}`, '-c', 'command -v node'], {
    cwd: tmpdir(),
    env: npmEnv,
    maxBuffer: 1 << 20,
    timeout: 600_000,
  });
  const node = await realpath(found.stdout.trim());
  const nodedir = join(dirname(dirname(node)), 'node_modules', `node-${process.platform}-${process.arch}`);
  return { binDir: dirname(node), ...(existsSync(join(nodedir, 'include', 'node')) ? { nodedir } : {}) };
}

const RUNTIMES: Runtime[] = [
  // The Node the package declares (engines: >=20), and a current LTS.
  { label: 'the declared Node 20', major: 20, resolve: () => nodeOfMajor(20) },
  { label: 'Node 24 LTS', major: 24, resolve: () => nodeOfMajor(24) },
];

type PackageJson = { version: string; main: string; devDependencies: Record<string, string>; dependencies: Record<string, string> };

/** One `npm pack` for the whole file: every runtime installs the same tarball. */
let packing: Promise<{ dir: string; pack: PackResult; pkg: PackageJson }> | undefined;
function packOnce(): Promise<{ dir: string; pack: PackResult; pkg: PackageJson }> {
  packing ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tokentray-pack-'));
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as PackageJson;
    // --ignore-scripts: `prepare` would rebuild dist/ while this suite runs from it; it is built.
    const packed = await run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: root, env: npmEnv, maxBuffer: 16 << 20 });
    return { dir, pack: (JSON.parse(packed.stdout) as PackResult[])[0], pkg };
  })();
  return packing;
}
after(async () => {
  if (packing) await rm((await packing).dir, { recursive: true, force: true });
});

/**
 * keytar is N-API (its package.json: runtime napi, target 3), so one build serves every Node. The
 * first runtime's install builds it from source (prebuild-install finds nothing offline); later
 * installs get that build as a local prebuild, as prebuild-install hands users a downloaded one:
 * npm's install and keytar's install script still run on each Node, only the compiler does not.
 */
let keytarPrebuilds: string | undefined;
async function keepKeytarBuild(keytar: string, into: string): Promise<void> {
  const { version } = JSON.parse(await readFile(join(keytar, 'package.json'), 'utf8')) as { version: string };
  await mkdir(into, { recursive: true });
  const name = `keytar-v${version}-napi-v3-${process.platform}-${process.arch}.tar.gz`;
  await run('tar', ['-czf', join(into, name), '-C', keytar, 'build/Release/keytar.node']);
  keytarPrebuilds = into;
}

describe('the npm package of the CLI: its contents', () => {
  it('packs only what the CLI needs: no tests, no renderer, no sources, no app glue but the entry npm insists on', async () => {
    const { pack, pkg } = await packOnce();
    const paths = pack.files.map((f) => f.path);
    assert.ok(paths.includes('dist/electron/cli/tokentray.js'));
    assert.ok(paths.includes('dist/electron/core/core.js'));
    assert.ok(paths.includes('package.json'));
    // npm always packs the file named by "main", which is the app's (Electron) entry module.
    const allowed = (p: string) =>
      p === 'package.json' ||
      p === 'README.md' ||
      p === 'LICENSE' ||
      p === pkg.main ||
      p.startsWith('dist/electron/cli/') ||
      p.startsWith('dist/electron/core/') ||
      p === 'dist/man/tokentray.1';
    assert.ok(paths.includes('dist/man/tokentray.1'), 'the man page');
    assert.deepEqual(
      paths.filter((p) => !allowed(p)),
      [],
    );
    for (const p of paths) assert.ok(!/(^|\/)test\/|\.test\.js$|^renderer\/|\.ts$|\.map$/.test(p), `leaves out ${p}`);
  });
});

/**
 * The `tokentray` CLI as people without a checkout get it: `npm pack`, then `npm install -g` of the
 * tarball into a throw-away prefix (dependencies come from the npm registry, keytar builds or
 * downloads its native module as it would for a user), then the installed command signs in against
 * the test IdP and prints a token.
 */
for (const runtime of RUNTIMES)
  describe(`the npm package of the CLI, on ${runtime.label}`, () => {
    let work: string;
    let installed: string;
    let bin: string;
    let prefix: string;
    let idp: TestIdp;
    let sandbox: Sandbox;
    let pkg: PackageJson;
    let prebuilt: boolean;

    before(async () => {
      work = await mkdtemp(join(tmpdir(), 'tokentray-npm-'));
      const packed = await packOnce();
      pkg = packed.pkg;
      prefix = join(work, 'prefix');
      const node = await runtime.resolve();
      const env = {
        ...npmEnv,
        PATH: `${join(prefix, 'bin')}${delimiter}${node.binDir}${delimiter}${process.env.PATH ?? ''}`,
        // One cache for the file: the second install takes the registry's tarballs from it.
        npm_config_cache: join(packed.dir, 'npm-cache'),
        npm_config_update_notifier: 'false',
        ...(node.nodedir ? { npm_config_nodedir: node.nodedir } : {}),
        ...(keytarPrebuilds ? { npm_config_keytar_local_prebuilds: keytarPrebuilds } : {}),
      };
      prebuilt = keytarPrebuilds !== undefined;
      // --prefer-offline: what the file's cache holds from the first install is not asked for again.
      await run(npm, ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(packed.dir, packed.pack.filename)], {
        cwd: work,
        env,
        maxBuffer: 16 << 20,
        timeout: 600_000,
      });
      installed = process.platform === 'win32' ? join(prefix, 'node_modules', 'tokentray') : join(prefix, 'lib', 'node_modules', 'tokentray');
      bin = process.platform === 'win32' ? join(prefix, 'tokentray.cmd') : join(prefix, 'bin', 'tokentray');
      if (!prebuilt) await keepKeytarBuild(join(installed, 'node_modules', 'keytar'), join(packed.dir, 'prebuilds'));
      idp = await startTestIdp({ mode: 'oidc' });
      sandbox = await makeSandbox();
      sandbox.env.PATH = env.PATH;
      sandbox.env.NODE_DISABLE_COMPILE_CACHE = '1';
    });
    after(async () => {
      await sandbox?.cleanup();
      await idp?.close();
      await rm(work, { recursive: true, force: true });
    });

    it('installs without Electron or any other dev dependency', async () => {
      const modules = await readdir(join(installed, 'node_modules'));
      for (const dep of Object.keys(pkg.dependencies)) assert.ok(modules.includes(dep), `${dep} installed`);
      for (const dev of Object.keys(pkg.devDependencies)) assert.ok(!modules.includes(dev.split('/')[0]), `${dev} not installed`);
      assert.ok(!existsSync(join(installed, 'node_modules', 'electron')));
      // keytar's native module is there, built or downloaded, and this Node loads it.
      const keytar = join(installed, 'node_modules', 'keytar');
      assert.ok(existsSync(join(keytar, 'build', 'Release', 'keytar.node')));
      assert.equal(
        existsSync(join(keytar, 'build', 'Release', 'obj.target')),
        !prebuilt,
        prebuilt ? 'taken from the prebuild, not compiled again' : 'compiled',
      );
      const loaded = await run('node', ['-p', `process.versions.node.split('.')[0] + ' ' + typeof require(${JSON.stringify(keytar)}).getPassword`], {
        env: sandbox.env,
      });
      assert.equal(loaded.stdout, `${runtime.major} function\n`);
    });

    it("puts every command of package.json's bin on the PATH", async () => {
      const bins = Object.keys((JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin);
      assert.ok(bins.includes('tokentray') && bins.includes('docker-credential-tokentray'));
      for (const name of bins) assert.ok(existsSync(join(dirname(bin), process.platform === 'win32' ? `${name}.cmd` : name)), `${name} installed`);
    });

    it('runs `tokentray --version` from the installed copy, on that Node', async () => {
      const res = await runCli(['--version'], sandbox.env, [bin]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, `tokentray ${pkg.version}\n`);
      const { stdout } = await run('node', ['--version'], { env: sandbox.env });
      assert.equal(Number(/^v(\d+)\./.exec(stdout)![1]), runtime.major, "the bin's `#!/usr/bin/env node` finds this Node");
    });

    it('prints a bash completion script that bash accepts and that completes from the installed copy', async () => {
      const script = await runCli(['completion', 'bash'], sandbox.env, [bin]);
      assert.equal(script.code, 0, script.stderr);
      const res = await run(
        'bash',
        ['--norc', '--noprofile', '-c', `${script.stdout}\nCOMP_WORDS=(tokentray pr); COMP_CWORD=1; _tokentray; printf '%s\\n' "\${COMPREPLY[@]}"`],
        { env: sandbox.env },
      );
      assert.deepEqual(res.stdout.split('\n').filter(Boolean).sort(), ['print-access-token', 'print-identity-token']);
    });

    it('installs tokentray(1) where man finds it from the PATH', async () => {
      const { MANPATH: _, ...env } = sandbox.env;
      const where = await run('man', ['-w', 'tokentray'], { env });
      assert.equal(await realpath(where.stdout.trim()), await realpath(join(installed, 'dist', 'man', 'tokentray.1')));
      const page = await run('man', ['tokentray'], { env: { ...env, MANPAGER: 'cat', MANWIDTH: '120' } });
      assert.match(page.stdout.replace(/.\x08/g, ''), /tokentray print-access-token/);
    });

    it('signs in for real from the installed copy and prints a token the IdP accepts', async () => {
      const cli = (args: string[]) => startCli(args, sandbox.env, [bin]);
      const login = cli([
        'login',
        '--issuer',
        idp.issuer,
        '--flavor',
        'oidc',
        '--client-id',
        idp.client.clientId,
        '--client-secret',
        idp.client.clientSecret,
        '--login-hint',
        'npm-user@example.test',
        '--no-browser',
        '--timeout',
        '60',
      ]);
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
