/**
 * The suites' runner, for test/run-tests.sh: node:test's own `run()`, with the known-slow files
 * started first. `node --test` sorts the files it is given, so a file of a minute could start last
 * and run alone at the end while the other lanes idle; here the slow ones start first and the many
 * short ones fill the lanes after them.
 *
 * Arguments: [--concurrency=N] [--test-name-pattern=RE]... [FILE]...
 * Prints node:test's TAP (summary lines included) and exits 1 when a test failed or a file crashed
 * or timed out, 2 for arguments it does not know.
 */
import { basename, resolve } from 'node:path';
import { run } from 'node:test';
import { tap } from 'node:test/reporters';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** Each file's time, slowest first (measured 2026-12-04/05, alone and at three files at a time); a file not listed starts after these. */
const SLOWEST_FIRST = [
  'crash-consistency',
  'integrations-tools',
  'npm-package',
  'agent',
  'file-lock',
  'renderer-e2e',
  'file-vault',
  'faults',
  'curl-routes',
  'remote-login',
  'integrations',
  'agent-pipe',
  'properties',
  'hostile-issuer-text',
  'federation',
  'cli-help',
  'packaging',
  'keychain-layout',
  'proxy',
  'properties-http',
  'completion',
  'cli-login',
  'properties-service-account-keys',
  'chromium-login',
  // Each 2.5-5 s: started before the sub-second files, so that those fill the run's last seconds.
  'federation-kill',
  'test-harness',
  'hostile-files',
  'temp-file-sweep',
  'updates',
  'cli-in-process',
  'process-secrets',
  'token-service',
  'hostile-servers',
  'logger',
  'renderer-issuer-text',
];
/** Per file, as `node --test --test-timeout` had it: the whole-process stress suites take minutes on a loaded machine. */
const FILE_TIMEOUT_MS = 300_000;

/** The files in the order to start them: the listed slow ones first (slowest first), then the others as given. */
export function startOrder(files: readonly string[]): string[] {
  const rank = (file: string) => {
    const i = SLOWEST_FIRST.indexOf(basename(file).replace(/\.test\.[cm]?js$/, ''));
    return i === -1 ? SLOWEST_FIRST.length : i;
  };
  return files
    .map((file, given) => ({ file, given, rank: rank(file) }))
    .sort((a, b) => a.rank - b.rank || a.given - b.given)
    .map((f) => f.file);
}

interface RunOptions {
  concurrency: number;
  namePatterns: string[];
  files: string[];
}

/** The options, or a sentence saying what is wrong with them. */
export function runOptions(argv: string[]): RunOptions | string {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { concurrency: { type: 'string', default: '1' }, 'test-name-pattern': { type: 'string', multiple: true } },
      allowPositionals: true,
    });
  } catch (err) {
    return (err as Error).message;
  }
  const concurrency = Number(parsed.values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) return `--concurrency is a number of files at once, not ${parsed.values.concurrency}`;
  if (parsed.positionals.length === 0) return 'name the test files to run';
  return { concurrency, namePatterns: parsed.values['test-name-pattern'] ?? [], files: parsed.positionals.map((f) => resolve(f)) };
}

function main(argv: string[]): void {
  const options = runOptions(argv);
  if (typeof options === 'string') {
    process.stderr.write(`run-files: ${options}\n`);
    process.exitCode = 2;
    return;
  }
  const stream = run({
    files: startOrder(options.files),
    concurrency: options.concurrency,
    timeout: FILE_TIMEOUT_MS,
    forceExit: true,
    ...(options.namePatterns.length > 0 ? { testNamePatterns: options.namePatterns } : {}),
  });
  let failed = false;
  // A crashed or timed-out file is reported as a failed test too.
  stream.on('test:fail', () => (failed = true));
  stream.on('end', () => (process.exitCode = failed ? 1 : 0));
  stream.compose(tap).pipe(process.stdout);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main(process.argv.slice(2));
