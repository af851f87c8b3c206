/**
 * The real-Electron smoke test with an update feed: serves a generic-provider feed on 127.0.0.1
 * that offers an older version (0.0.1), runs `electron . --smoke-test` against it and exits with
 * its code. The app's smoke test passes only if electron-updater read the feed through Electron's
 * net and the policy refused the downgrade. CI runs this (.github/workflows/ci.yml, job smoke).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { SMOKE_TEST_SWITCH, SMOKE_UPDATE_FEED_VARIABLE } from '../../electron/app/smoke-test.js';
import { startUpdateFeed } from './update-feed.js';

const electronBinary = createRequire(import.meta.url)('electron') as string;
const feed = await startUpdateFeed('0.0.1');
const child = spawn(electronBinary, ['.', SMOKE_TEST_SWITCH, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, [SMOKE_UPDATE_FEED_VARIABLE]: feed.url },
});
child.on('exit', async (code, signal) => {
  await feed.close();
  if (!feed.requests.some((path) => /^\/latest(-mac|-linux)?\.yml$/.test(path))) {
    console.error('smoke-update-feed: the app never asked the feed for its channel file');
    process.exit(1);
  }
  process.exit(code ?? (signal ? 1 : 0));
});
