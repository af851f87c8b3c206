import { quotaProjectOf } from '../../core/accounts/account-service.js';
import { QUOTA_PROJECT_OPTION } from '../quota-project-option.js';
import { gcloudProject } from '../../core/integrations/gcloud-config.js';
import { startMetadataServer } from '../../core/integrations/metadata-server.js';
import { NO_PROJECT_ADVICE, NO_PROJECT_NUMBER_ADVICE } from '../remedies.js';
import { defineCommand, parseCommand, usageError, type CommandHelp } from '../io.js';
import { projectIdFlag } from '../project-id-flag.js';
import { disableCoreDumps } from '../../core/shared/core-dumps.js';

const METADATA_HELP = {
  name: 'metadata-server',
  group: 'Integrations',
  summary: "Serve tokens to Google's client libraries as a GCE metadata server on 127.0.0.1",
  usage: '[--account ACCOUNT] [--port PORT] [--project-id ID] [--quota-project ID]',
  description:
    'Once it listens it prints the lines to paste into a shell (GCE_METADATA_HOST and GCE_METADATA_IP); programs started there get tokens ' +
    'from google.auth.default() and its peers, with no credentials file. Serves until interrupted (Ctrl-C). For one command, `tokentray exec` is simpler.',
  options: {
    account: {
      type: 'string',
      value: 'ACCOUNT',
      default: '$TOKENTRAY_ACCOUNT, else the default account',
      help: 'Email or id of the account whose tokens it serves',
    },
    port: { type: 'string', value: 'PORT', default: 'a free port', help: 'Port on 127.0.0.1, from 1 to 65535' },
    'project-id': {
      type: 'string',
      value: 'ID',
      default:
        "the account's project (`tokentray configure ACCOUNT --project ID`, or a service account key's), else gcloud's configured project, else none (404)",
      help: 'What project/project-id answers',
    },
    'quota-project': QUOTA_PROJECT_OPTION,
  },
  examples: [
    {
      command: 'tokentray metadata-server --port 8085 &',
      help: 'Serve this shell; then: export GCE_METADATA_HOST=127.0.0.1:8085 GCE_METADATA_IP=127.0.0.1:8085',
    },
    { command: 'tokentray metadata-server --account work@example.com --project-id my-project' },
  ],
} satisfies CommandHelp;

function parsePort(value: string | undefined, usage: string | CommandHelp): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw usageError(usage, '--port takes a number from 1 to 65535 (leave it out for a free port)');
  return port;
}

/** Serves until interrupted; prints the lines to paste into a shell once it listens. */
export const metadataServer = defineCommand(METADATA_HELP, async (args, io) => {
  const parsed = parseCommand(METADATA_HELP, args, io);
  if (!parsed) return 0;
  const { values } = parsed;
  const port = parsePort(values.port, METADATA_HELP);
  const projectId = values['project-id'] ? projectIdFlag(METADATA_HELP, '--project-id', values['project-id']) : undefined;
  disableCoreDumps(); // it holds tokens for as long as it runs
  const core = io.core();
  const account = await core.accounts.resolve(values.account); // fail now, not on the first request
  // Google's libraries send it with metadata-server tokens too, read from their environment.
  const quotaProject = quotaProjectOf(account, values['quota-project']);
  const server = await startMetadataServer({
    core,
    account: account.id,
    ...(port ? { port } : {}),
    ...(projectId ? { projectId } : {}),
    noProjectAdvice: NO_PROJECT_ADVICE,
    noProjectNumberAdvice: NO_PROJECT_NUMBER_ADVICE,
    // Used when the account names no project either; read once, from gcloud's files.
    ...(gcloudProject(io.env) ? { fallbackProjectId: gcloudProject(io.env)! } : {}),
  });
  io.stdout(
    `export GCE_METADATA_HOST=${server.host}\nexport GCE_METADATA_IP=${server.host}\n${quotaProject ? `export GOOGLE_CLOUD_QUOTA_PROJECT=${quotaProject}\n` : ''}`,
  );
  io.stderr(`Serving tokens of ${account.email ?? account.subject} on http://${server.host}/ until interrupted (Ctrl-C).\n`);
  await new Promise<void>((resolve) => {
    if (io.signal?.aborted) return resolve();
    io.signal?.addEventListener('abort', () => resolve(), { once: true });
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
  return 0;
});
