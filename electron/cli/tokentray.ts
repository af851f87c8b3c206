#!/usr/bin/env node
/**
 * The `tokentray` command. A token command is first put to a running agent (agent-fast.ts), which
 * loads almost nothing; only when it does not answer is the CLI proper loaded (cli-main.ts).
 * No top-level await: the shipped entry is bundled as CommonJS (see build/bundle-cli.mjs).
 */
import { answerFromAgent } from './agent-fast.js';
import { writeStdout } from './stdout.js';

void answerFromAgent(process.argv.slice(2), process.env).then(async ({ text, askAgain }) => {
  if (text !== undefined) {
    // Printed, and nothing else to do: the process ends now, before the socket's close (client.ts
    // defers it) and without another turn of the event loop.
    if (writeStdout(text)) process.exit();
    return;
  }
  const { main } = await import('./cli-main.js');
  main({ askAgentFirst: askAgain });
});
