/**
 * Loaded into a `tokentray` process by a test (NODE_OPTIONS=--require; CommonJS, as the keychain
 * preload) to count what it reads: keychain calls (through keytar) and reads of the account
 * registry. Written as JSON to $TOKENTRAY_TEST_COUNT_FILE when the process exits.
 */
import Module = require('node:module');
import fs = require('node:fs');

const counts = { keychainReads: 0, keychainWrites: 0, registryReads: 0 };
const keytar = require('keytar') as Record<string, (...args: unknown[]) => Promise<unknown>>;
for (const [name, kind] of [
  ['getPassword', 'keychainReads'],
  ['findCredentials', 'keychainReads'],
  ['setPassword', 'keychainWrites'],
  ['deletePassword', 'keychainWrites'],
] as const) {
  const real = keytar[name].bind(keytar);
  keytar[name] = (...args: unknown[]) => {
    counts[kind]++;
    return real(...args);
  };
}
// The registry is read by opening it (readFile or open, whichever the code uses).
for (const name of ['readFile', 'open'] as const) {
  const real = fs.promises[name] as (...a: unknown[]) => Promise<unknown>;
  (fs.promises as unknown as Record<string, unknown>)[name] = (path: unknown, ...rest: unknown[]) => {
    if (String(path).endsWith('accounts.json')) counts.registryReads++;
    return real(path, ...rest);
  };
}
Module.syncBuiltinESMExports();
process.on('exit', () => {
  if (process.env.TOKENTRAY_TEST_COUNT_FILE) fs.writeFileSync(process.env.TOKENTRAY_TEST_COUNT_FILE, JSON.stringify(counts));
});
