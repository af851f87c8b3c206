import { after, before } from 'node:test';
import { startTestIdp, type TestIdpOptions, type TestIdp } from './idp.js';
import { makeSandbox, type Sandbox } from './sandbox.js';

/**
 * The usual suite fixture: a test IdP and a sandbox (TOKENTRAY_HOME + keychain service), started
 * before the suite and torn down after it (the sandbox's cleanup runs the secret canary).
 */
export function useIdpAndSandbox(options: TestIdpOptions = { mode: 'google' }): { readonly idp: TestIdp; readonly sandbox: Sandbox } {
  let idp: TestIdp | undefined;
  let sandbox: Sandbox | undefined;
  before(async () => {
    idp = await startTestIdp(options);
    sandbox = await makeSandbox();
  });
  after(async () => {
    await sandbox?.cleanup();
    await idp?.close();
  });
  return {
    get idp() {
      return idp!;
    },
    get sandbox() {
      return sandbox!;
    },
  };
}
