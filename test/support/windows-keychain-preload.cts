/**
 * Loaded into every `tokentray` process a test starts (NODE_OPTIONS=--require, see sandbox.ts):
 * keytar's setPassword fails as on Windows above 2,560 bytes, so CLI processes run under the same
 * limit as the in-process WindowsLimitSecretStore. keytar is patched when the process first
 * requires it (as the CLI does, through require): a process that never opens the keychain (the
 * agent's fast path, the file vault, help) does not pay for loading it (~25 ms of CPU each).
 * CommonJS, not an ES module: `--import` would start Node's ES loader in every CLI process, and the
 * CLI (a CommonJS bundle) would load through it (~10 ms of CPU more per process).
 */
import Module = require('node:module');
import limits = require('./windows-keychain-limit.cjs');

type Keytar = { setPassword(service: string, account: string, password: string): Promise<void> };

function limit(keytar: Keytar): void {
  const real = keytar.setPassword.bind(keytar);
  keytar.setPassword = async (service, account, password) => {
    if (limits.tooBigForWindows(password)) throw new Error(limits.WINDOWS_ERROR);
    return real(service, account, password);
  };
}

// Resolved, not loaded: the copy of keytar the CLI loads, however it names it (bare or by path).
const keytarPath = require.resolve('keytar');
const cache = (Module as unknown as { _cache: Record<string, { exports: unknown; loaded: boolean } | undefined> })._cache;
const proto = Module.prototype as unknown as { require(id: string): unknown };
const realRequire = proto.require;
if (cache[keytarPath]?.loaded)
  limit(cache[keytarPath].exports as Keytar); // an earlier preload loaded it
else
  proto.require = function (this: unknown, id: string) {
    const exported = realRequire.call(this, id);
    const keytar = cache[keytarPath];
    // Loaded to the end (keytar's own requires run while it is in the cache, half made).
    if (keytar?.loaded) {
      proto.require = realRequire;
      limit(keytar.exports as Keytar);
    }
    return exported;
  };
