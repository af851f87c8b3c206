/**
 * Loaded into every `tokentray` process a test starts (NODE_OPTIONS=--import, see sandbox.ts):
 * keytar's setPassword fails as on Windows above 2,560 bytes, so CLI processes run under the same
 * limit as the in-process WindowsLimitSecretStore.
 */
import { createRequire } from 'node:module';
import { tooBigForWindows, WINDOWS_ERROR } from './windows-keychain.js';

const keytar = createRequire(import.meta.url)('keytar') as { setPassword(service: string, account: string, password: string): Promise<void> };
const real = keytar.setPassword.bind(keytar);
keytar.setPassword = async (service, account, password) => {
  if (tooBigForWindows(password)) throw new Error(WINDOWS_ERROR);
  return real(service, account, password);
};
