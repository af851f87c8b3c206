/**
 * `npm run bench` (second part), the metadata-server emulator:
 * - sequential token requests on one keep-alive connection (p50, p99): a cached token served from memory;
 * - throughput with 64 keep-alive connections;
 * - 200 concurrent token requests while the cached token needs a refresh: upstream refreshes (must be 1).
 * Figures before this emulator served tokens from memory (issue 12): about 1.4 ms p50 sequential and
 * 1,200 req/s on the build machines.
 */
import { Agent, request } from 'node:http';
import { startMetadataServer } from '../../electron/core/integrations/metadata-server.js';
import { signInThroughCore } from '../support/flows.js';
import { startTestIdp } from '../support/idp.js';
import { makeSandbox } from '../support/sandbox.js';

const N = 200;
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 2000);
const CONNECTIONS = 64;
const THROUGHPUT_REQUESTS = Number(process.env.BENCH_THROUGHPUT ?? 10_000);
const PATH = '/computeMetadata/v1/instance/service-accounts/default/token';

function get(port: number, agent: Agent | false): Promise<number> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: PATH, headers: { 'Metadata-Flavor': 'Google' }, agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - start) / 1e6) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

const idp = await startTestIdp({ mode: 'google' });
const sandbox = await makeSandbox({ windowsKeychainLimit: false });
let clock = Date.now();
const core = sandbox.core(() => clock);
await signInThroughCore(core, idp, 'bench@example.test');
const server = await startMetadataServer({ core, now: () => clock, projectId: 'bench-project' });
try {
  const one = new Agent({ keepAlive: true, maxSockets: 1 });
  await get(server.port, one);
  const sequential: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) sequential.push(await get(server.port, one));
  one.destroy();

  const many = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  await Promise.all(Array.from({ length: CONNECTIONS }, () => get(server.port, many)));
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next++ < THROUGHPUT_REQUESTS) await get(server.port, many);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  many.destroy();

  const warm = await Promise.all(Array.from({ length: N }, () => get(server.port, false)));
  clock += 56 * 60_000; // the cached token now needs a refresh
  const before = idp.grants.refresh_token ?? 0;
  const cold = await Promise.all(Array.from({ length: N }, () => get(server.port, false)));
  const refreshes = (idp.grants.refresh_token ?? 0) - before;
  console.log('metadata server');
  console.log(
    `  sequential, one keep-alive connection (${SEQUENTIAL}): p50 ${pct(sequential, 50).toFixed(2)} ms, p99 ${pct(sequential, 99).toFixed(2)} ms (before: ~1.4 ms p50)`,
  );
  console.log(
    `  ${CONNECTIONS} keep-alive connections: ${Math.round(THROUGHPUT_REQUESTS / seconds)} req/s over ${THROUGHPUT_REQUESTS} requests (before: ~1,200 req/s)`,
  );
  console.log(`  ${N} concurrent new connections, cached token: p50 ${pct(warm, 50).toFixed(1)} ms, p99 ${pct(warm, 99).toFixed(1)} ms`);
  console.log(
    `  ${N} concurrent, needing refresh:  p50 ${pct(cold, 50).toFixed(1)} ms, p99 ${pct(cold, 99).toFixed(1)} ms; upstream refreshes: ${refreshes} (must be 1)`,
  );
  if (refreshes !== 1) process.exitCode = 1;
} finally {
  await server.close();
  await sandbox.cleanup();
  await idp.close();
}
