/**
 * Runs the app's main process as a whole Node process against the stand-in electron module, the
 * way Electron would run dist/electron/main/main.js: the entry module evaluates, then `ready`.
 * app.exit(code) ends this process with that code. Command-line arguments (such as
 * --smoke-test) reach main through process.argv. TOKENTRAY_STUB_SCENARIO plays renderer trouble:
 * 'csp-violation' logs a CSP violation to the page's console as it loads; 'no-preload' loads the
 * window without its preload, so the page has no bridge.
 */
import { register } from 'node:module';
import { devNull } from 'node:os';

// `node --test dist/test` runs every .js file under a folder named test, this one too: started that
// way, it must not run the app (against the user's real app-data folder and keychain service).
if (process.env.TOKENTRAY_STUB_RUN_MAIN !== '1' || !process.env.TOKENTRAY_HOME || !process.env.TOKENTRAY_KEYCHAIN_SERVICE) {
  console.log('run-main: started by test/smoke-test.test.ts only (TOKENTRAY_STUB_RUN_MAIN=1 and a sandbox home); nothing to do.');
  process.exit(0);
}

register('./hooks.js', import.meta.url);
type Stub = typeof import('./electron.js');
const stub = (await import('electron')) as unknown as Stub;

const scenario = process.env.TOKENTRAY_STUB_SCENARIO ?? '';
stub.app.on('web-contents-created', (_event: unknown, contents: InstanceType<Stub['WebContents']>) => {
  if (scenario === 'csp-violation') {
    contents.once('did-finish-load', () =>
      contents.log('error', `Refused to execute inline script because it violates the following Content Security Policy directive: "script-src 'self'".`),
    );
  }
});
if (scenario === 'no-preload') {
  const original = stub.WebContents.prototype.runPreload;
  stub.WebContents.prototype.runPreload = async function (this: InstanceType<Stub['WebContents']>, _path: string, url: string) {
    return original.call(this, devNull, url);
  };
}
(stub.app as { exit(code?: number): void }).exit = (code = 0) => process.exit(code);

const main = await import('../../../electron/main/main.js');
await stub.finishEntryModule();
await main.started;
