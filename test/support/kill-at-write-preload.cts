/**
 * Loaded into a `tokentray` process (NODE_OPTIONS=--require) with TOKENTRAY_TEST_KILL_AT_WRITE=N:
 * the process SIGKILLs itself just before its Nth write, a keytar write or delete for its keychain
 * service or a rename into TOKENTRAY_HOME (the commit of an atomic file write), as the in-process
 * WriteBoundary of test/crash-consistency.test.ts counts them. A whole process stopped exactly at a
 * write, not at a random moment. CommonJS, as the keychain preload (see windows-keychain-preload.cts).
 */
import fsp = require('node:fs/promises');
import Module = require('node:module');

const killAt = Number(process.env.TOKENTRAY_TEST_KILL_AT_WRITE);
const home = process.env.TOKENTRAY_HOME ?? '';
const service = process.env.TOKENTRAY_KEYCHAIN_SERVICE;
let writes = 0;
const write = () => {
  if (++writes === killAt) process.kill(process.pid, 'SIGKILL');
};

if (killAt > 0 && home) {
  const rename = fsp.rename;
  fsp.rename = async (from, to) => {
    if (String(to).startsWith(home)) write();
    return rename(from, to);
  };
  Module.syncBuiltinESMExports();
  const keytar = require('keytar') as Record<'setPassword' | 'deletePassword', (...args: unknown[]) => Promise<unknown>>;
  for (const name of ['setPassword', 'deletePassword'] as const) {
    const real = keytar[name].bind(keytar);
    keytar[name] = async (...args: unknown[]) => {
      if (args[0] === service) write();
      return real(...args);
    };
  }
}
