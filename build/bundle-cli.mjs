// Bundles the two command-line entries (tokentray, docker-credential-tokentray) from tsc's output
// into CommonJS files beside it, which package.json "bin" names. Start-up is what a warm
// `kube-credential` (run by kubectl before its requests) mostly costs, and this cuts it:
// - Node loads a few files instead of ~25 ES modules, each resolved, read and linked;
// - CommonJS `require('node:fs')` leaves Node's lazy parts unloaded, where an ES import of a
//   built-in first reads every export (fs.promises with streams and readline, crypto.webcrypto).
// What an entry always needs becomes one file; each command stays a chunk of its own, loaded on
// demand. openid-client, oauth4webapi and jose are bundled too (BUNDLED, their licences in
// bundled/THIRD-PARTY-LICENSES.md): ES-module-only packages, which a CommonJS bundle loads through
// Node's ES module loader, at ~40-50 ms of CPU each on every sign-in, refresh and file-vault call;
// bundled, ~5. keytar (native) and undici (loaded only behind a proxy) stay external.
// Built-ins that cost milliseconds to load and that a warm call does not use (node:crypto, about
// 6 ms with the streams it brings: only writes and sign-ins hash or draw random bytes; in the small
// entry node:os, whose homedir() is called only without $HOME) are loaded on first use: the bundle
// imports them through a module of lazy wrappers (`lazyBuiltins`). Only plain functions are
// wrapped; importing anything else of them (a class, a constant) fails the build.
// The bundles are CommonJS, where `createRequire(import.meta.url)` is the file's own `require`: they
// use that (`ownRequire`), and never load node:module, whose first require starts Node's ES module
// loader (four more built-ins, a share of an agent-answered call's budget).
// Each entry is first a small file that asks a running agent (electron/core/agent/client.ts); the
// CLI proper (cli-main, docker-credential-main) is a bundle of its own beside it, required only
// when the agent does not answer (so paths relative to it, ../../../package.json, hold).
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'rolldown';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'electron', 'cli');
const BUNDLED = ['openid-client', 'oauth4webapi', 'jose'];
const external = (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0') && id !== 'node:module' && !BUNDLED.includes(id.split('/')[0]);
// A module loaded lazily in one place and eagerly in another is simply eager: not a problem.
const onLog = (level, log, handle) => (log.code === 'INEFFECTIVE_DYNAMIC_IMPORT' ? undefined : handle(level, log));
const ownRequire = {
  name: 'own-require',
  transform: (code) => (code.includes('createRequire(import.meta.url)') ? code.replaceAll('createRequire(import.meta.url)', 'require') : null),
  // What the rewrite leaves unused; any other use of node:module fails the build here.
  resolveId: (id) => (id === 'node:module' ? '\0own-require' : null),
  load: (id) => (id === '\0own-require' ? 'export const createRequire = () => require;' : null),
};
const lazyBuiltins = (names) => ({
  name: 'lazy-builtins',
  // A require() is already lazy where it stands (see ownRequire): only imports are wrapped.
  resolveId: (id, _importer, { kind }) => (names.includes(id) && kind !== 'require-call' ? `\0lazy:${id}` : null),
  async load(id) {
    if (!id.startsWith('\0lazy:')) return null;
    const name = id.slice('\0lazy:'.length);
    const functions = Object.entries(await import(name)).filter(([key, value]) => typeof value === 'function' && /^[a-z]/.test(key));
    // require, not import(): an import() would start the ES module loader (see ownRequire).
    return [
      'let loaded;',
      `const load = () => (loaded ??= require(${JSON.stringify(name)}));`,
      ...functions.map(([key]) => `export function ${key}(...args) { return load().${key}(...args); }`),
    ].join('\n');
  },
});
const ENTRY_LAZY = ['node:os', 'node:crypto'];
const MAIN_LAZY = ['node:crypto'];
for (const [name, main] of [
  ['tokentray', 'cli-main'],
  ['docker-credential-tokentray', 'docker-credential-main'],
]) {
  // The small entry, one file: its one lazy import (the CLI proper) becomes a plain require of the
  // main bundle, not an import() that would start the ES module loader.
  await build({
    input: { [name]: join(cli, `${name}.js`) },
    platform: 'node',
    external: (id) => external(id) && !ENTRY_LAZY.includes(id),
    plugins: [
      ownRequire,
      lazyBuiltins(ENTRY_LAZY),
      { name: 'main-apart', resolveId: (id) => (id === `./${main}.js` ? { id: `./${main}.cjs`, external: true } : null) },
    ],
    onLog,
    output: { dir: cli, format: 'cjs', entryFileNames: '[name].cjs', dynamicImportInCjs: false },
  });
  await build({
    input: { [main]: join(cli, `${main}.js`) },
    platform: 'node',
    external: (id) => external(id) && !MAIN_LAZY.includes(id),
    plugins: [ownRequire, lazyBuiltins(MAIN_LAZY)],
    onLog,
    output: { dir: cli, format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: `bundled/${name}/[name]-[hash].cjs` },
  });
}
// The bundled packages' licences (MIT: the notice goes with the copies).
{
  const { readFile, writeFile } = await import('node:fs/promises');
  const { createRequire } = await import('node:module');
  const resolvePkg = createRequire(import.meta.url);
  const parts = ['# Third-party licences\n\nThe CLI bundles (bundled/) include these npm packages.\n'];
  for (const name of BUNDLED) {
    const dir = dirname(resolvePkg.resolve(`${name}/package.json`));
    const { version, license } = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    parts.push(`## ${name} ${version} (${license})\n\n${(await readFile(join(dir, 'LICENSE.md'), 'utf8')).trim()}\n`);
  }
  await writeFile(join(cli, 'bundled', 'THIRD-PARTY-LICENSES.md'), parts.join('\n'));
}

// Runnable as they are (npm also sets this when it links the bins).
const { chmod } = await import('node:fs/promises');
for (const name of ['tokentray', 'docker-credential-tokentray']) await chmod(join(cli, `${name}.cjs`), 0o755);

// tokentray(1), generated from the commands' help specs like `--help` and completion
// (package.json "man" ships it in the npm package; electron-builder.yml puts it in the .deb).
const { execFileSync } = await import('node:child_process');
const { mkdir, writeFile } = await import('node:fs/promises');
const man = join(cli, '..', '..', 'man');
await mkdir(man, { recursive: true });
await writeFile(join(man, 'tokentray.1'), execFileSync(process.execPath, [join(cli, 'tokentray.cjs'), '__manpage'], { encoding: 'utf8' }));
// The same specs as JSON for completion (`tokentray __complete`), which must not load every command.
const { commandSpecs, COMMAND_SPECS_FILE } = await import(pathToFileURL(join(cli, 'run.js')).href);
await writeFile(join(cli, COMMAND_SPECS_FILE), `${JSON.stringify(await commandSpecs())}\n`);
