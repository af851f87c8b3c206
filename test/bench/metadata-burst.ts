/**
 * `npm run bench` (second part): 200 concurrent token requests to the metadata-server emulator
 * while the cached token needs a refresh. Reports upstream refreshes (must be 1) and latency.
 */
import { request } from 'node:http';
import { startMetadataServer } from '../../electron/core/integrations/metadata-server.js';
import { signInThroughCore } from '../support/flows.js';
import { startTestIdp } from '../support/idp.js';
import { makeSandbox } from '../support/sandbox.js';

const N = 200;

function get(port: number): Promise<number> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/computeMetadata/v1/instance/service-accounts/default/token', headers: { 'Metadata-Flavor': 'Google' }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - start) / 1e6) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const idp = await startTestIdp({ mode: 'google' });
const sandbox = await makeSandbox({ windowsKeychainLimit: false });
let clock = Date.now();
const core = sandbox.core(() => clock);
await signInThroughCore(core, idp, 'bench@example.test');
const server = await startMetadataServer({ core });
try {
  const warm = await Promise.all(Array.from({ length: N }, () => get(server.port)));
  clock += 56 * 60_000; // the cached token now needs a refresh
  const before = idp.grants.refresh_token ?? 0;
  const cold = await Promise.all(Array.from({ length: N }, () => get(server.port)));
  const refreshes = (idp.grants.refresh_token ?? 0) - before;
  console.log(`metadata server, ${N} concurrent token requests`);
  console.log(`  cached token:     p50 ${pct(warm, 50).toFixed(1)} ms, p99 ${pct(warm, 99).toFixed(1)} ms`);
  console.log(`  needing refresh:  p50 ${pct(cold, 50).toFixed(1)} ms, p99 ${pct(cold, 99).toFixed(1)} ms; upstream refreshes: ${refreshes} (must be 1)`);
  if (refreshes !== 1) process.exitCode = 1;
} finally {
  await server.close();
  await sandbox.cleanup();
  await idp.close();
}
