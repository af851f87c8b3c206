/**
 * `npm run bench`: the warm path of `tokentray print-access-token` (a valid token in the keychain
 * cache) against a bare `node -e 0`, interleaved in one run so machine noise hits both alike.
 * Prints a ratio; never fails on absolute times. Target: at most 2.0x.
 */
import { spawnSync } from 'node:child_process';
import { signInThroughCore } from '../support/flows.js';
import { startTestIdp } from '../support/idp.js';
import { CLI, makeSandbox } from '../support/sandbox.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);

function time(args: string[], env: Record<string, string>): number {
  const start = process.hrtime.bigint();
  const res = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (res.status !== 0) throw new Error(`${args.join(' ')} failed: ${res.stderr.toString()}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const idp = await startTestIdp({ mode: 'google' });
const sandbox = await makeSandbox({ windowsKeychainLimit: false });
try {
  await signInThroughCore(sandbox.core(), idp, 'bench@example.test');
  const refreshesBefore = idp.grants.refresh_token ?? 0;
  const bare: number[] = [];
  const cli: number[] = [];
  time([CLI, 'print-access-token'], sandbox.env); // warm the file cache
  for (let i = 0; i < ROUNDS; i++) {
    bare.push(time(['-e', '0'], sandbox.env));
    cli.push(time([CLI, 'print-access-token'], sandbox.env));
  }
  const refreshes = (idp.grants.refresh_token ?? 0) - refreshesBefore;
  const ratio = median(cli) / median(bare);
  console.log(`rounds: ${ROUNDS}`);
  console.log(`node -e 0:                     median ${median(bare).toFixed(1)} ms`);
  console.log(`tokentray print-access-token:  median ${median(cli).toFixed(1)} ms`);
  console.log(`ratio (target <= 2.0x): ${ratio.toFixed(2)}x; refreshes during the run: ${refreshes}`);
} finally {
  await sandbox.cleanup();
  await idp.close();
}
