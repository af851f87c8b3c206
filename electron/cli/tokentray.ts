#!/usr/bin/env node
import { run } from './run.js';

const controller = new AbortController();
// The first Ctrl-C cancels a waiting sign-in cleanly; a second one ends the process.
process.once('SIGINT', () => {
  controller.abort();
  process.once('SIGINT', () => process.exit(130));
});

const code = await run(process.argv.slice(2), { signal: controller.signal });
// A command that failed because of Ctrl-C ends as a shell expects after one: 128 + SIGINT.
process.exitCode = controller.signal.aborted && code !== 0 ? 130 : code;
