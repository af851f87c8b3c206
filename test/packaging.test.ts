import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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

/**
 * Packs the app for real with electron-builder, except that Electron's binary (which cannot be
 * downloaded here) is a stand-in carrying a fuse wire, and native modules are not rebuilt for
 * Electron's ABI (that needs Electron's headers). What this checks: the configuration is valid,
 * the asar holds exactly the app, keytar is unpacked, and the fuses are flipped.
 */
describe('packaging with electron-builder', () => {
  let work: string;
  let appDir: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'tokentray-pack-'));
    const fake = join(work, 'electron-dist');
    await mkdir(join(fake, 'resources'), { recursive: true });
    await writeFile(join(fake, 'electron'), Buffer.concat([Buffer.from('#!/bin/sh\n'), Buffer.from(SENTINEL), Buffer.from([1, 8]), Buffer.from('10101000')]));
    await chmod(join(fake, 'electron'), 0o755);
    await writeFile(join(fake, 'LICENSE'), '');
    const cli = require.resolve('electron-builder/cli.js');
    const res = spawnSync(process.execPath, [cli, '--linux', 'dir', '--config', 'build/electron-builder.yml', `-c.electronDist=${fake}`, '-c.npmRebuild=false', `-c.directories.output=${join(work, 'out')}`], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
    });
    assert.equal(res.status, 0, `${res.stdout}\n${res.stderr}`);
    appDir = join(work, 'out', 'linux-unpacked');
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('passes electron-builder\'s own schema validation', async () => {
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
    assert.equal(targets('mac'), '"dmg"');
    assert.equal(targets('win'), '"nsis"');
  });

  it('puts exactly the app into app.asar', async () => {
    const asar = require('@electron/asar') as { listPackage(path: string, options: object): string[]; extractFile(archive: string, file: string): Buffer };
    const files = asar.listPackage(join(appDir, 'resources', 'app.asar'), {}).map((f) => f.replaceAll('\\', '/'));
    for (const needed of ['/package.json', '/dist/electron/main/main.js', '/dist/electron/preload/preload.cjs', '/dist/electron/core/tokens/token-service.js', '/dist/electron/app/handlers/index.js', '/dist/renderer/index.html', '/assets/tray.png', '/assets/trayTemplate@2x.png', '/node_modules/openid-client/package.json']) {
      assert.ok(files.includes(needed), `app.asar holds ${needed}`);
    }
    for (const prefix of ['/dist/test', '/test/', '/electron/', '/renderer/', '/node_modules/oidc-provider', '/node_modules/playwright-core', '/node_modules/electron/', '/.ci']) {
      assert.ok(!files.some((f) => f.startsWith(prefix)), `app.asar leaves out ${prefix}`);
    }
    const pkg = JSON.parse(asar.extractFile(join(appDir, 'resources', 'app.asar'), 'package.json').toString()) as { main: string };
    assert.equal(pkg.main, 'dist/electron/main/main.js');
  });

  it('unpacks keytar\'s native module from the asar', () => {
    assert.ok(existsSync(join(appDir, 'resources', 'app.asar.unpacked', 'node_modules', 'keytar', 'build', 'Release', 'keytar.node')));
  });

  it('unpacks the file-lock native module (fs-native-extensions) from the asar', () => {
    assert.ok(existsSync(join(appDir, 'resources', 'app.asar.unpacked', 'node_modules', 'fs-native-extensions', 'prebuilds', `${process.platform}-${process.arch}`, 'fs-native-extensions.node')));
  });

  it('flips the fuses the app does not need', async () => {
    const binary = await readFile(join(appDir, 'tokentray'));
    const at = binary.indexOf(SENTINEL) + SENTINEL.length;
    const wire = binary.subarray(at + 2, at + 2 + 6).toString('latin1');
    // RunAsNode, CookieEncryption, NODE_OPTIONS, --inspect, asar integrity, only load from asar
    assert.equal(wire, '010011');
  });
});
