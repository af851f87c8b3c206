import { EXIT } from './failure.js';
import { run } from './run.js';
import { writeStdout } from './stdout.js';

/** The CLI proper, once the agent's fast path did not answer (see tokentray.ts). */
export function main(options: { askAgentFirst: boolean }): void {
  const controller = new AbortController();
  // The first Ctrl-C cancels a waiting sign-in cleanly; a second one ends the process.
  process.once('SIGINT', () => {
    controller.abort();
    process.once('SIGINT', () => process.exit(EXIT.interrupted));
  });
  void run(process.argv.slice(2), { signal: controller.signal, stdout: writeStdout, askAgentFirst: options.askAgentFirst }).then((code) => {
    // A command that failed because of Ctrl-C ends as a shell expects after one: 128 + SIGINT.
    process.exitCode = controller.signal.aborted && code !== 0 ? EXIT.interrupted : code;
  });
}
