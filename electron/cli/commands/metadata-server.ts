import { TokenTrayError } from '../../core/shared/errors.js';
import { startMetadataServer } from '../../core/integrations/metadata-server.js';
import { parseFlags, wantsHelp, type CliIo } from '../io.js';
import { disableCoreDumps } from '../../core/shared/core-dumps.js';

const USAGE = 'tokentray metadata-server [--account ACCOUNT] [--port PORT] [--project-id ID]';

export function parsePort(value: string | undefined, usage: string): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TokenTrayError('USAGE', `--port takes a number from 1 to 65535\nusage: ${usage}`);
  return port;
}

/** Serves until interrupted; prints the lines to paste into a shell once it listens. */
export async function metadataServer(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(args, { account: { type: 'string' }, port: { type: 'string' }, 'project-id': { type: 'string' } }, USAGE);
  if (wantsHelp(values, USAGE, io)) return 0;
  const port = parsePort(values.port, USAGE);
  disableCoreDumps(); // it holds tokens for as long as it runs
  const core = io.core();
  const account = await core.accounts.resolve(values.account); // fail now, not on the first request
  const server = await startMetadataServer({
    core,
    account: account.id,
    ...(port ? { port } : {}),
    ...(values['project-id'] ? { projectId: values['project-id'] } : {}),
  });
  io.stdout(`export GCE_METADATA_HOST=${server.host}\nexport GCE_METADATA_IP=${server.host}\n`);
  io.stderr(`Serving tokens of ${account.email ?? account.subject} on http://${server.host}/ until interrupted (Ctrl-C).\n`);
  await new Promise<void>((resolve) => {
    if (io.signal?.aborted) return resolve();
    io.signal?.addEventListener('abort', () => resolve(), { once: true });
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
  return 0;
}
