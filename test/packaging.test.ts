import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'; // @electron/fuses' marker of the fuse wire

// Electron 45's fuse wire as its binary ships it: nine fuses, in @electron/fuses' order (the last,
// wasmTrapHandlers, is newer than the @electron/fuses that electron-builder 26 bundles).
// electron/build/fuses/fuses.json5: runAsNode 1, cookieEncryption 0, nodeOptions 1, nodeCliInspect 1,
// embeddedAsarIntegrityValidation 0, onlyLoadAppFromAsar 0, loadBrowserProcessSpecificV8Snapshot 0,
// grantFileProtocolExtraPrivileges 1, wasmTrapHandlers 1.
const SHIPPED_WIRE = '101100011';
const FUSES = [
  'runAsNode',
  'cookieEncryption',
  'nodeOptions',
  'nodeCliInspect',
  'embeddedAsarIntegrityValidation',
  'onlyLoadAppFromAsar',
  'loadBrowserProcessSpecificV8Snapshot',
  'grantFileProtocolExtraPrivileges',
  'wasmTrapHandlers',
] as const;

interface FpmConfiguration {
  args?: string[];
  customDepends?: string[];
  customRecommends?: string[];
}
type FpmTargetClass = {
  prototype: {
    executeFpm(target: string, config: FpmConfiguration, env: unknown): Promise<void>;
    getDefaultDepends(target: string): string[];
    getDefaultRecommends(target: string): string[];
  };
};

/**
 * Packs the app for real with electron-builder (its `build()` API, target deb), except that
 * Electron's binary (which cannot be downloaded here) is a stand-in carrying Electron 45's fuse
 * wire, native modules are not rebuilt for Electron's ABI (that needs Electron's headers), and the
 * last step, running fpm (downloaded from the network), is replaced by a recorder of what
 * electron-builder would hand to it. What this checks: the configuration is valid, the asar holds
 * exactly the app, keytar is unpacked, every fuse is as intended, and the .deb's effective Depends
 * and Recommends.
 */
describe('packaging with electron-builder', () => {
  let work: string;
  let appDir: string;
  let fpm: { target: string; config: FpmConfiguration } | undefined;
  let FpmTarget: FpmTargetClass;
  const buildLog: string[] = [];
  const builderLog = (require('builder-util') as { log: { stream: { write(chunk: string): boolean } } }).log;
  const logStream = builderLog.stream;

  // electron-builder loads configuration through jiti, which creates its loader (and a cache in
  // $TMPDIR/jiti) when app-builder-lib is first required: no cache for this run.
  const previousJiti = process.env.JITI_FS_CACHE;

  before(async () => {
    process.env.JITI_FS_CACHE = 'false';
    work = await mkdtemp(join(tmpdir(), 'tokentray-pack-'));
    const fake = join(work, 'electron-dist');
    await mkdir(join(fake, 'resources'), { recursive: true });
    await writeFile(
      join(fake, 'electron'),
      Buffer.concat([Buffer.from('#!/bin/sh\n'), Buffer.from(SENTINEL), Buffer.from([1, SHIPPED_WIRE.length]), Buffer.from(SHIPPED_WIRE)]),
    );
    await chmod(join(fake, 'electron'), 0o755);
    await writeFile(join(fake, 'LICENSE'), '');
    FpmTarget = (require('app-builder-lib/out/targets/FpmTarget.js') as { default: FpmTargetClass }).default;
    const original = FpmTarget.prototype.executeFpm;
    FpmTarget.prototype.executeFpm = async (target, config) => {
      fpm = { target, config };
      // With a publish config electron-builder hashes the package for latest-linux.yml: leave a stand-in.
      const packagePath = config.args?.[config.args.indexOf('--package') + 1];
      if (packagePath) await writeFile(packagePath, 'not a real .deb');
    };
    const previous = process.env.ELECTRON_SKIP_BINARY_DOWNLOAD;
    process.env.ELECTRON_SKIP_BINARY_DOWNLOAD = '1';
    // electron-builder asks npm for the dependency tree; npm on Node 22+ turns on Node's compile
    // cache, in the temp folder by default.
    const previousCompileCache = process.env.NODE_DISABLE_COMPILE_CACHE;
    process.env.NODE_DISABLE_COMPILE_CACHE = '1';
    // electron-builder logs to process.stdout, which node:test's child uses for its own reports
    // (interleaved writes broke them: "Unable to deserialize cloned data"). Keep its log aside.
    builderLog.stream = { write: (chunk: string) => (buildLog.push(chunk), true) };
    const builder = require('electron-builder') as { build(options: object): Promise<string[]>; Platform: { LINUX: { createTarget(t: string[]): unknown } } };
    try {
      await builder.build({
        projectDir: root,
        targets: builder.Platform.LINUX.createTarget(['deb']),
        publish: 'never',
        config: {
          extends: join(root, 'build', 'electron-builder.yml'),
          electronDist: fake,
          npmRebuild: false,
          directories: { output: join(work, 'out') },
          // A .deb needs the project's URL: electron-builder takes package.json's homepage or the
          // GitHub remote in .git/config (which CI checkouts have). This worktree has neither.
          // The same goes for the GitHub repository of the update feed (the `publish` config).
          extraMetadata: { main: 'dist/electron/main/main.js', homepage: 'https://tokentray.invalid/', repository: 'github:tokentray-test/tokentray' },
        },
      });
    } finally {
      FpmTarget.prototype.executeFpm = original;
      if (previous === undefined) delete process.env.ELECTRON_SKIP_BINARY_DOWNLOAD;
      else process.env.ELECTRON_SKIP_BINARY_DOWNLOAD = previous;
      if (previousCompileCache === undefined) delete process.env.NODE_DISABLE_COMPILE_CACHE;
      else process.env.NODE_DISABLE_COMPILE_CACHE = previousCompileCache;
    }
    appDir = join(work, 'out', 'linux-unpacked');
  });
  after(async () => {
    builderLog.stream = logStream;
    await rm(work, { recursive: true, force: true });
    if (previousJiti === undefined) delete process.env.JITI_FS_CACHE;
    else process.env.JITI_FS_CACHE = previousJiti;
  });

  it("passes electron-builder's own schema validation", async () => {
    const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
      getConfig(dir: string, path: string): Promise<Record<string, unknown>>;
      validateConfiguration(config: unknown, logger: unknown): Promise<void>;
    };
    const config = await getConfig(root, 'build/electron-builder.yml');
    await validateConfiguration(config, { isEnabled: false, add: () => undefined });
    assert.equal(config.appId, 'dev.tokentray.app');
    assert.equal(config.productName, 'TokenTray');
    const targets = (k: string) => JSON.stringify((config[k] as { target: unknown }).target);
    assert.equal(targets('linux'), '["AppImage","deb"]');
    assert.equal(targets('mac'), '[{"target":"dmg","arch":["arm64","x64"]}]');
    assert.equal(targets('win'), '[{"target":"nsis","arch":["x64"]}]', 'no ia32: Electron 44+ has no 32-bit Windows build');
    const nsis = config.nsis as Record<string, unknown>;
    assert.equal(nsis.oneClick, false);
    assert.equal(nsis.perMachine, false, 'per-user: no administrator rights needed');
    assert.equal(nsis.deleteAppDataOnUninstall, false, 'uninstalling keeps the accounts the CLI shares');
    assert.equal((config.dmg as Record<string, unknown>).sign, false);
  });

  it('ships app-update.yml for electron-updater: the GitHub releases of the project', async () => {
    const config = await readFile(join(appDir, 'resources', 'app-update.yml'), 'utf8');
    assert.match(config, /^provider: github$/m);
    assert.match(config, /^owner: tokentray-test$/m);
    assert.match(config, /^repo: tokentray$/m);
    assert.match(config, /^updaterCacheDirName: tokentray-updater$/m);
  });

  it('puts exactly the app into app.asar', async () => {
    const asar = require('@electron/asar') as { listPackage(path: string, options: object): string[]; extractFile(archive: string, file: string): Buffer };
    const files = asar.listPackage(join(appDir, 'resources', 'app.asar'), {}).map((f) => f.replaceAll('\\', '/'));
    for (const needed of [
      '/package.json',
      '/dist/electron/main/main.js',
      '/dist/electron/preload/preload.cjs',
      '/dist/electron/core/tokens/token-service.js',
      '/dist/electron/app/handlers/index.js',
      '/dist/renderer/index.html',
      '/assets/tray.png',
      '/assets/trayTemplate@2x.png',
      '/node_modules/openid-client/package.json',
    ]) {
      assert.ok(files.includes(needed), `app.asar holds ${needed}`);
    }
    for (const prefix of [
      '/dist/test',
      '/test/',
      '/electron/',
      '/renderer/',
      '/node_modules/oidc-provider',
      '/node_modules/playwright-core',
      '/node_modules/electron/',
      '/.ci',
    ]) {
      assert.ok(!files.some((f) => f.startsWith(prefix)), `app.asar leaves out ${prefix}`);
    }
    const pkg = JSON.parse(asar.extractFile(join(appDir, 'resources', 'app.asar'), 'package.json').toString()) as { main: string };
    assert.equal(pkg.main, 'dist/electron/main/main.js');
  });

  it("unpacks keytar's native module from the asar", () => {
    assert.ok(existsSync(join(appDir, 'resources', 'app.asar.unpacked', 'node_modules', 'keytar', 'build', 'Release', 'keytar.node')));
  });

  it('unpacks the file-lock native module (fs-native-extensions) from the asar', () => {
    assert.ok(
      existsSync(
        join(
          appDir,
          'resources',
          'app.asar.unpacked',
          'node_modules',
          'fs-native-extensions',
          'prebuilds',
          `${process.platform}-${process.arch}`,
          'fs-native-extensions.node',
        ),
      ),
    );
  });

  it('sets every fuse: off what the app does not use, GrantFileProtocolExtraPrivileges included', async () => {
    const binary = await readFile(join(appDir, 'tokentray'));
    const at = binary.indexOf(SENTINEL) + SENTINEL.length;
    assert.equal(binary[at], 1, 'fuse wire version 1');
    assert.equal(binary[at + 1], FUSES.length, 'Electron 45 has nine fuses');
    const wire = binary.subarray(at + 2, at + 2 + FUSES.length).toString('latin1');
    const state = Object.fromEntries(FUSES.map((name, i) => [name, wire[i] === '1' ? 'on' : wire[i] === '0' ? 'off' : `?${wire[i]}`]));
    assert.deepEqual(state, {
      runAsNode: 'off', // ELECTRON_RUN_AS_NODE: the binary is no Node.js for anyone who finds it
      cookieEncryption: 'on',
      nodeOptions: 'off', // NODE_OPTIONS / NODE_EXTRA_CA_CERTS cannot inject code or trust
      nodeCliInspect: 'off', // no --inspect / SIGUSR1 debugger
      embeddedAsarIntegrityValidation: 'on',
      onlyLoadAppFromAsar: 'on',
      loadBrowserProcessSpecificV8Snapshot: 'off',
      grantFileProtocolExtraPrivileges: 'off', // the window loads from app://, never file://
      wasmTrapHandlers: 'on', // Electron's default; electron-builder 26 cannot set it
    });
  });

  it("keeps electron-builder's default deb Depends (with libsecret for keytar) and recommends a Secret Service provider", () => {
    assert.ok(fpm, 'electron-builder reached the fpm step');
    assert.equal(fpm.target, 'deb');
    const defaults = FpmTarget.prototype.getDefaultDepends.call(undefined, 'deb');
    // The list electron-builder itself ships (read from its installed source), not a copy of it.
    for (const lib of ['libgtk-3-0', 'libnss3', 'libnotify4', 'libxss1', 'libxtst6', 'xdg-utils'])
      assert.ok(defaults.includes(lib), `electron-builder's defaults hold ${lib}`);
    const depends = fpm.config.customDepends ?? [];
    assert.deepEqual(
      depends.filter((d) => defaults.includes(d)),
      defaults,
      'every default Depends kept, in order',
    );
    assert.ok(depends.includes('libsecret-1-0'), "keytar's libsecret is a Depends");
    assert.ok(!depends.some((d) => /keyring|keepassxc|kwallet/.test(d)), 'no keyring daemon under Depends');
    const recommends = fpm.config.customRecommends ?? [];
    for (const r of FpmTarget.prototype.getDefaultRecommends.call(undefined, 'deb')) assert.ok(recommends.includes(r), `default Recommends ${r} kept`);
    const daemon = recommends.find((r) => r.includes('gnome-keyring'));
    assert.ok(daemon, 'a Secret Service provider is recommended');
    assert.deepEqual(
      daemon.split('|').map((a) => a.trim()),
      ['gnome-keyring', 'keepassxc'],
    );
  });

  it("installs the launcher under package.json's desktopName, the app_id Electron gives the window", () => {
    assert.ok(
      fpm?.config.args?.some((a) => a.endsWith('=/usr/share/applications/tokentray.desktop')),
      JSON.stringify(fpm?.config.args),
    );
    // The man page the build generates goes to man's own folder (fpm runs in the project folder).
    const man = fpm?.config.args?.find((a) => a.endsWith('=/usr/share/man/man1/tokentray.1'));
    assert.ok(man && existsSync(join(root, man.split('=')[0])), JSON.stringify(fpm?.config.args));
  });
});
