#!/usr/bin/env node
import { run } from './run.js';

const controller = new AbortController();
// The first Ctrl-C cancels a waiting sign-in cleanly; a second one ends the process.
process.once('SIGINT', () => {
  controller.abort();
  process.once('SIGINT', () => process.exit(130));
});

process.exitCode = await run(process.argv.slice(2), { signal: controller.signal });
