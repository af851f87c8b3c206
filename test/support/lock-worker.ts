/**
 * A whole process that takes turns on a file lock, for test/file-lock.test.ts. Commands arrive on
 * stdin, one per line: `go ROUND normal|hold|nolock`, `release`. Inside the critical section it
 * creates an O_EXCL marker file: finding one that a live process made means two holders at once.
 * argv: LOCK_PATH MARKER_PATH WAIT_MS HOLD_MS
 */
import { constants, readFileSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { describeForCli } from '../../electron/cli/remedies.js';
import { isTokenTrayError } from '../../electron/core/shared/errors.js';
import { withFileLock } from '../../electron/core/storage/file-lock.js';

const [lockPath, markerPath, waitMs, holdMs] = process.argv.slice(2) as [string, string, string, string];
const say = (line: string) => process.stdout.write(`${line}\n`);

/** Running, as opposed to gone or a zombie (exited, its lock already released, not yet reaped). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** Creates the marker; returns 1 if a live process's marker was already there (a violation). */
async function enter(): Promise<number> {
  for (;;) {
    try {
      const fh = await open(markerPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      await fh.write(String(process.pid));
      await fh.close();
      return 0;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number(await readFile(markerPath, 'utf8').catch(() => ''));
    // A holder killed inside the section leaves its marker: that one is no violation. The kernel
    // frees a dying process's lock (its files close) a moment before the process is gone, so give
    // an owner that still looks alive a second to go; a live second holder stays.
    if (owner > 0 && owner !== process.pid) {
      const until = Date.now() + 1000;
      while (alive(owner) && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      if (alive(owner)) return 1;
    }
    await rm(markerPath, { force: true });
  }
}

let release: (() => void) | undefined;
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [cmd, round, mode] = line.split(' ');
  if (cmd === 'release') {
    release?.();
    return;
  }
  if (cmd !== 'go') return;
  const section = async () => {
    const violation = await enter();
    if (mode === 'hold') {
      say(`holding ${round}`);
      await new Promise<void>((r) => (release = r));
    } else await new Promise((r) => setTimeout(r, Number(holdMs)));
    await rm(markerPath, { force: true });
    return violation;
  };
  const work = mode === 'nolock' ? section() : withFileLock(lockPath, { waitMs: Number(waitMs), what: 'the test lock' }, section);
  work.then(
    (violation) => say(`done ${round} ${violation}`),
    (err: Error & { code?: string }) => say(`failed ${round} ${err.code ?? 'ERR'}: ${isTokenTrayError(err) ? describeForCli(err) : err.message}`), // as the CLI words it
  );
});
say('ready');
