/**
 * `npm run bench`: the warm path of the CLI (a valid token in the keychain cache), against a bare
 * `node -e 0` and against gke-gcloud-auth-plugin (Go) handed a token through its own cache file,
 * all interleaved in one run so that machine noise hits each alike. Prints medians and ratios;
 * never fails on absolute times. Targets: print-access-token and kube-credential at most 1.5x
 * `node -e 0`. The same path with the encrypted-file vault (TOKENTRAY_KEYCHAIN=file) is reported
 * beside it: one PBKDF2 key derivation per call is its price. Then both again with a running
 * `tokentray agent` (the keychain's agent started with D-Bus, its clients without, and the file
 * vault's clients without the passphrase, so every timed call is one the agent answered): target
 * at most 1.15x `node -e 0`.
 * Each round runs every command once, in an order shuffled per round (BENCH_SEED makes it
 * repeatable): a fixed order gave each command the same neighbour every round (the one after a
 * file-vault unlock or the first to wake an agent started measurably later), which a median keeps.
 * `node + node:net` is the floor of any Node client of a socket: the agent path's own share is
 * what it costs above that.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signInThroughCore } from '../support/flows.js';
import { startTestIdp } from '../support/idp.js';
import { CLI, makeSandbox } from '../support/sandbox.js';
import { FileSecretStore } from '../../electron/core/storage/file-secret-store.js';
import { VAULT_ITERATIONS } from '../../electron/core/storage/vault-key.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const SEED = Number(process.env.BENCH_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** A small seeded generator (mulberry32): the same BENCH_SEED, the same orders. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function shuffled<T>(items: readonly T[], next: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function time(command: string, args: string[], env: Record<string, string>): number {
  const start = process.hrtime.bigint();
  const res = spawnSync(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (res.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${res.error?.message ?? res.stderr.toString()}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const idp = await startTestIdp({ mode: 'google' });
const sandbox = await makeSandbox({ windowsKeychainLimit: false });
// gke-gcloud-auth-plugin serves a token from `gke_gcloud_auth_plugin_cache` beside the kubeconfig
// without running gcloud: its fastest path, the fair one to compare with.
const gke = await mkdtemp(join(tmpdir(), 'tokentray-bench-gke-'));
const fileSandbox = await makeSandbox({ windowsKeychainLimit: false });
fileSandbox.env.TOKENTRAY_KEYCHAIN = 'file';
fileSandbox.env.TOKENTRAY_FILE_PASSPHRASE = 'bench-vault-passphrase';
delete fileSandbox.env.DBUS_SESSION_BUS_ADDRESS;
// Short private folders for the agents' sockets (a socket path must fit in 108 bytes).
const keychainRuntime = await mkdtemp('/tmp/tta-bench-');
const fileRuntime = await mkdtemp('/tmp/tta-bench-');
const agentEnv = { ...sandbox.env, XDG_RUNTIME_DIR: keychainRuntime };
const agentClientEnv: Record<string, string> = { ...agentEnv };
delete agentClientEnv.DBUS_SESSION_BUS_ADDRESS; // only the agent can answer these
const fileAgentEnv: Record<string, string> = { ...fileSandbox.env, XDG_RUNTIME_DIR: fileRuntime };
delete fileAgentEnv.TOKENTRAY_FILE_PASSPHRASE; // only the agent can open the vault for these

function startAgent(env: Record<string, string>, input: string): void {
  const res = spawnSync(process.execPath, [CLI, 'agent', 'start', ...(input ? ['--passphrase-stdin'] : [])], { env, input, stdio: ['pipe', 'pipe', 'pipe'] });
  if (res.status !== 0) throw new Error(`agent start failed: ${res.stderr.toString()}`);
}
try {
  await signInThroughCore(sandbox.core(), idp, 'bench@example.test');
  await signInThroughCore(fileSandbox.core(), idp, 'bench-file@example.test');
  await mkdir(join(gke, '.kube'));
  await writeFile(
    join(gke, '.kube', 'config'),
    'apiVersion: v1\nkind: Config\ncurrent-context: bench\ncontexts:\n- name: bench\n  context: {cluster: c, user: u}\nclusters:\n- name: c\n  cluster: {server: "https://127.0.0.1:1"}\nusers:\n- name: u\n  user: {}\n',
  );
  await writeFile(
    join(gke, '.kube', 'gke_gcloud_auth_plugin_cache'),
    JSON.stringify({ current_context: 'bench', access_token: 'ya29.bench-not-a-token', token_expiry: '2099-01-01T00:00:00Z', extra_args: '' }),
    { mode: 0o600 },
  );
  // PATH without gcloud: the plugin must answer from its cache alone.
  const gkeEnv = { PATH: '/nonexistent', HOME: gke, KUBECONFIG: join(gke, '.kube', 'config') };
  const gkePlugin = spawnSync('sh', ['-c', 'command -v gke-gcloud-auth-plugin']).stdout.toString().trim();

  startAgent(agentEnv, '');
  startAgent(fileAgentEnv, 'bench-vault-passphrase\n');

  const refreshesBefore = idp.grants.refresh_token ?? 0;
  const runs: Record<string, () => number> = {
    'node -e 0': () => time(process.execPath, ['-e', '0'], sandbox.env),
    'node + node:net': () => time(process.execPath, ['-e', "require('node:net')"], sandbox.env),
    'tokentray print-access-token': () => time(process.execPath, [CLI, 'print-access-token'], sandbox.env),
    'tokentray kube-credential': () => time(process.execPath, [CLI, 'kube-credential'], sandbox.env),
    'print-access-token, file vault': () => time(process.execPath, [CLI, 'print-access-token'], fileSandbox.env),
    'kube-credential, file vault': () => time(process.execPath, [CLI, 'kube-credential'], fileSandbox.env),
    'print-access-token, agent': () => time(process.execPath, [CLI, 'print-access-token'], agentClientEnv),
    'kube-credential, agent': () => time(process.execPath, [CLI, 'kube-credential'], agentClientEnv),
    'print-access-token, vault + agent': () => time(process.execPath, [CLI, 'print-access-token'], fileAgentEnv),
    'kube-credential, vault + agent': () => time(process.execPath, [CLI, 'kube-credential'], fileAgentEnv),
    ...(gkePlugin ? { 'gke-gcloud-auth-plugin (cached)': () => time(gkePlugin, [], gkeEnv) } : {}),
  };
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  for (const run of Object.values(runs)) run(); // warm the file cache
  const next = random(SEED);
  for (let i = 0; i < ROUNDS; i++) for (const [name, run] of shuffled(Object.entries(runs), next)) samples[name].push(run());
  const refreshes = (idp.grants.refresh_token ?? 0) - refreshesBefore;
  const bare = median(samples['node -e 0']);
  const kube = median(samples['tokentray kube-credential']);
  const plugin = gkePlugin ? median(samples['gke-gcloud-auth-plugin (cached)']) : NaN;
  console.log(`CLI warm path, ${ROUNDS} rounds, each in a shuffled order (BENCH_SEED=${SEED}; medians)`);
  // Beside the ratio of medians, the median of each round's ratio to that round's `node -e 0`:
  // on a shared machine whose load drifts during the run, a pair from one round saw the same load.
  const paired = (name: string) => median(samples[name].map((x, i) => x / samples['node -e 0'][i]));
  for (const [name, xs] of Object.entries(samples))
    console.log(
      `  ${name.padEnd(32)} ${median(xs).toFixed(1).padStart(6)} ms  ${(median(xs) / bare).toFixed(2)}x node -e 0 (per round: ${paired(name).toFixed(2)}x)`,
    );
  console.log(`  kube-credential / node -e 0:            ${(kube / bare).toFixed(2)}x (target <= 1.5x)`);
  console.log(
    `  ${'node + node:net / node -e 0:'.padEnd(40)} ${(median(samples['node + node:net']) / bare).toFixed(2)}x (the floor of a Node client of the agent)`,
  );
  for (const name of ['print-access-token, agent', 'kube-credential, agent', 'print-access-token, vault + agent', 'kube-credential, vault + agent']) {
    console.log(
      `  ${`${name} / node -e 0:`.padEnd(40)} ${(median(samples[name]) / bare).toFixed(2)}x, per round ${paired(name).toFixed(2)}x (target <= 1.15x)`,
    );
  }
  if (gkePlugin)
    console.log(
      `  kube-credential / gke-gcloud-auth-plugin: ${(kube / plugin).toFixed(1)}x (a Go binary reading a plaintext cache file; TokenTray starts Node and reads the keychain)`,
    );
  else console.log('  gke-gcloud-auth-plugin is not installed: no comparison');
  console.log(`  refreshes during the run: ${refreshes}`);
  const unlock: number[] = [];
  for (let i = 0; i < 5; i++) {
    const store = new FileSecretStore(join(fileSandbox.home, 'vault.jwe'), {
      existing: async () => 'bench-vault-passphrase',
      create: async () => 'bench-vault-passphrase',
    });
    const start = process.hrtime.bigint();
    await store.get('probe'); // one PBKDF2 derivation and decryption
    unlock.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  console.log(`  file vault unlock (PBKDF2-SHA512, ${VAULT_ITERATIONS} iterations): median ${median(unlock).toFixed(1)} ms in-process`);
} finally {
  for (const env of [agentEnv, fileAgentEnv]) spawnSync(process.execPath, [CLI, 'agent', 'stop'], { env, stdio: 'ignore' });
  await rm(keychainRuntime, { recursive: true, force: true });
  await rm(fileRuntime, { recursive: true, force: true });
  await rm(gke, { recursive: true, force: true });
  await sandbox.cleanup();
  await fileSandbox.cleanup();
  await idp.close();
}
