/**
 * A whole process that takes turns on a file lock, for test/file-lock.test.ts. Commands arrive on
 * stdin, one per line: `go ROUND normal|hold|nolock [HOLD_MS]`, `release [FLAG_PATH]` (creates FLAG_PATH, if given, once it let go; answered `released EPOCH_MS`). Inside the critical section it
 * creates an O_EXCL marker file: finding one that a holding process made means two holders at once.
 * `done ROUND 0|1 [owner PID STATE FLAGS]` names how the owner of a leftover marker was found.
 * argv: LOCK_PATH MARKER_PATH WAIT_MS HOLD_MS
 */
import { constants, writeFileSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { describeForCli } from '../../electron/cli/remedies.js';
import { isTokenTrayError } from '../../electron/core/shared/errors.js';
import { withFileLock } from '../../electron/core/storage/file-lock.js';
import { procState } from './processes.js';

const [lockPath, markerPath, waitMs, holdMs] = process.argv.slice(2) as [string, string, string, string];
const say = (line: string) => process.stdout.write(`${line}\n`);

/** PF_EXITING (include/linux/sched.h): set when a thread starts to exit, before it closes its files. */
const PF_EXITING = 0x4;

/**
 * A holder in its section, as opposed to dying or gone. Exact, with no waiting: the kernel drops
 * a lock when the last thread of its holder closes the file, inside exit, after each thread
 * (the main one included) has set PF_EXITING. So an owner that is neither a zombie nor exiting
 * still holds its lock, and finding its marker means two holders at once.
 */
function holding(pid: number): boolean {
  const s = procState(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X' && (s.flags & PF_EXITING) === 0;
}

/** How a leftover marker's owner was found: `PID STATE FLAGS` (`PID gone` once it is), for the report. */
function describeOwner(pid: number): string {
  const s = procState(pid);
  return s ? `${pid} ${s.state} 0x${s.flags.toString(16)}` : `${pid} gone`;
}

/**
 * Creates the marker. Returns 1 if a holding process's marker was already there (a violation),
 * and how the owner of any leftover marker was found.
 */
async function enter(): Promise<{ violation: number; owner?: string }> {
  let owner: string | undefined;
  for (;;) {
    try {
      const fh = await open(markerPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      await fh.write(String(process.pid));
      await fh.close();
      return { violation: 0, owner };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number(await readFile(markerPath, 'utf8').catch(() => ''));
    // A holder killed inside the section leaves its marker: that one is no violation.
    if (pid > 0 && pid !== process.pid) {
      owner = describeOwner(pid);
      if (holding(pid)) return { violation: 1, owner };
    }
    await rm(markerPath, { force: true });
  }
}

let release: (() => void) | undefined;
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [cmd, round, mode, hold = holdMs] = line.split(' ');
  if (cmd === 'release') {
    // When it let go, on the clock every process shares: a waiter's delay without the pipe's.
    say(`released ${performance.timeOrigin + performance.now()}`);
    release?.();
    // A flag for a control poller in the test process, made once the lock is free: the release
    // resolves the section, and the lock's unlock runs in the promise jobs before this callback.
    if (round) setImmediate(() => writeFileSync(round, ''));
    return;
  }
  if (cmd !== 'go') return;
  const section = async () => {
    const { violation, owner } = await enter();
    if (mode === 'hold') {
      say(`holding ${round}`);
      await new Promise<void>((r) => (release = r));
    } else await new Promise((r) => setTimeout(r, Number(hold)));
    await rm(markerPath, { force: true });
    return owner ? `${violation} owner ${owner}` : `${violation}`;
  };
  const work = mode === 'nolock' ? section() : withFileLock(lockPath, { waitMs: Number(waitMs), what: 'the test lock' }, section);
  work.then(
    (result) => say(`done ${round} ${result}`),
    (err: Error & { code?: string }) => say(`failed ${round} ${err.code ?? 'ERR'}: ${isTokenTrayError(err) ? describeForCli(err) : err.message}`), // as the CLI words it
  );
});
say('ready');
