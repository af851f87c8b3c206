/**
 * `npm run bench`: the warm path of `tokentray print-access-token` (a valid token in the keychain
 * cache) against a bare `node -e 0`, interleaved in one run so machine noise hits both alike.
 * Prints a ratio; never fails on absolute times. Target: at most 2.0x. The same path with the
 * encrypted-file vault (TOKENTRAY_KEYCHAIN=file) is reported beside it: one PBES2 key derivation
 * per call is its price.
 */
import { spawnSync } from 'node:child_process';
import { signInThroughCore } from '../support/flows.js';
import { startTestIdp } from '../support/idp.js';
import { CLI, makeSandbox } from '../support/sandbox.js';
import { FileSecretStore, VAULT_P2C } from '../../electron/core/storage/file-secret-store.js';
import { join } from 'node:path';

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
const fileSandbox = await makeSandbox({ windowsKeychainLimit: false });
fileSandbox.env.TOKENTRAY_KEYCHAIN = 'file';
fileSandbox.env.TOKENTRAY_FILE_PASSPHRASE = 'bench-vault-passphrase';
delete fileSandbox.env.DBUS_SESSION_BUS_ADDRESS;
try {
  await signInThroughCore(sandbox.core(), idp, 'bench@example.test');
  await signInThroughCore(fileSandbox.core(), idp, 'bench-file@example.test');
  const refreshesBefore = idp.grants.refresh_token ?? 0;
  const bare: number[] = [];
  const cli: number[] = [];
  const fileCli: number[] = [];
  const unlock: number[] = [];
  time([CLI, 'print-access-token'], sandbox.env); // warm the file cache
  time([CLI, 'print-access-token'], fileSandbox.env);
  for (let i = 0; i < ROUNDS; i++) {
    bare.push(time(['-e', '0'], sandbox.env));
    cli.push(time([CLI, 'print-access-token'], sandbox.env));
    fileCli.push(time([CLI, 'print-access-token'], fileSandbox.env));
    const store = new FileSecretStore(join(fileSandbox.home, 'vault.jwe'), { existing: async () => 'bench-vault-passphrase', create: async () => 'bench-vault-passphrase' });
    const start = process.hrtime.bigint();
    await store.get('probe'); // one PBES2 derivation and decryption
    unlock.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const refreshes = (idp.grants.refresh_token ?? 0) - refreshesBefore;
  const ratio = median(cli) / median(bare);
  console.log(`rounds: ${ROUNDS}`);
  console.log(`node -e 0:                     median ${median(bare).toFixed(1)} ms`);
  console.log(`tokentray print-access-token:  median ${median(cli).toFixed(1)} ms`);
  console.log(`ratio (target <= 2.0x): ${ratio.toFixed(2)}x; refreshes during the run: ${refreshes}`);
  console.log(`with the file vault:           median ${median(fileCli).toFixed(1)} ms, ${(median(fileCli) / median(bare)).toFixed(2)}x node -e 0, ${(median(fileCli) / median(cli)).toFixed(2)}x the system keychain`);
  console.log(`file vault unlock (PBES2-HS512, p2c ${VAULT_P2C}): median ${median(unlock).toFixed(1)} ms in-process`);
} finally {
  await sandbox.cleanup();
  await fileSandbox.cleanup();
  await idp.close();
}
