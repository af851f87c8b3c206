import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { TokenTrayError } from '../../core/shared/errors.js';
import { log } from '../../core/shared/logger.js';
import { projectOf, quotaProjectOf } from '../../core/accounts/account-service.js';
import { execEnvironment } from '../../core/integrations/exec-env.js';
import { QUOTA_PROJECT_OPTION } from '../quota-project-option.js';
import { gcloudProject, makePrivateGcloudConfig } from '../../core/integrations/gcloud-config.js';
import { startMetadataServer } from '../../core/integrations/metadata-server.js';
import { NO_PROJECT_ADVICE, NO_PROJECT_NUMBER_ADVICE } from '../remedies.js';
import { errorLine } from '../failure.js';
import { defineCommand, parseCommand, usageError, type CliIo, type CommandHelp } from '../io.js';
import { projectIdFlag } from '../project-id-flag.js';
import { disableCoreDumps, withChildCoreDumps } from '../../core/shared/core-dumps.js';

const EXEC_HELP = {
  name: 'exec',
  group: 'Integrations',
  summary: 'Run a command with credentials from a metadata server that lives as long as it does',
  usage: '[--account ACCOUNT] [--project-id ID] [--quota-project ID] [--env-token] -- COMMAND [ARGS…]',
  description:
    "The command gets GCE_METADATA_HOST, GCE_METADATA_IP and GCE_METADATA_ROOT pointing at the emulator, so Google's client libraries get " +
    "tokens unchanged, and gcloud a private copy of its configuration (CLOUDSDK_CONFIG) that uses TokenTray's account. Variables that would " +
    'shadow it (GOOGLE_APPLICATION_CREDENTIALS, CLOUDSDK_CORE_ACCOUNT, CLOUDSDK_AUTH_*) are removed for it, with a note. SIGTERM, SIGHUP and ' +
    "SIGUSR1/2 are passed on; Ctrl-C reaches the command from the terminal. The exit code is the command's (127: not found, 126: not executable).",
  args: [{ name: 'COMMAND [ARGS…]', help: 'The command to run, after --' }],
  options: {
    account: {
      type: 'string',
      value: 'ACCOUNT',
      default: '$TOKENTRAY_ACCOUNT, else the default account',
      help: 'Email or id of the account whose tokens the command gets',
    },
    'project-id': {
      type: 'string',
      value: 'ID',
      default: "the account's project (`tokentray configure ACCOUNT --project ID`), else gcloud's configured one",
      help: 'The Google Cloud project: answered by the metadata server, and set as CLOUDSDK_CORE_PROJECT and GOOGLE_CLOUD_PROJECT',
    },
    'quota-project': QUOTA_PROJECT_OPTION,
    'env-token': { type: 'boolean', help: "Also set CLOUDSDK_AUTH_ACCESS_TOKEN and GOOGLE_OAUTH_ACCESS_TOKEN (visible to the command's children)" },
  },
  examples: [
    { command: 'tokentray exec -- python my_script.py' },
    { command: 'tokentray exec --account work@example.com --project-id my-project -- terraform plan' },
    { command: 'tokentray exec -- gcloud storage ls', help: "gcloud runs as TokenTray's account, with its own configuration untouched" },
  ],
} satisfies CommandHelp;

/** Usually sent to tokentray alone (kill, a closed terminal, a supervisor): passed on to the command. */
const FORWARDED = ['SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const;
/**
 * Sent by the terminal to the whole foreground process group, so the command has it already:
 * forwarding would deliver it twice (a second Ctrl-C makes Terraform abort at once). Ignored here.
 */
const FROM_TERMINAL = ['SIGINT', 'SIGQUIT'] as const;

const NO_PROJECT_NOTE =
  'no Google Cloud project is set, so the metadata server answers project/project-id with 404. Set one with `tokentray configure ACCOUNT --project ID`, `gcloud config set project ID`, or --project-id.';

/** exec's own flags; `exec python3 -c …` without `--` fails on -c, and is told to add it. */
function parseOwnArgs(own: string[], hasSplit: boolean, io: CliIo) {
  try {
    return parseCommand(EXEC_HELP, own, io);
  } catch (err) {
    const program = own.find((a) => !a.startsWith('-'));
    if (hasSplit || program === undefined) throw err;
    throw usageError(EXEC_HELP, `add -- before the command, so its options are not taken for exec's: tokentray exec [options] -- ${program} …`);
  }
}

/**
 * Runs a command with credentials: a metadata-server emulator lives as long as the command, and
 * the command's environment points at it (gcloud at a private copy of its configuration). Exits
 * with the command's exit code, or as a shell does: 127 not found, 126 not executable.
 */
export const exec = defineCommand(EXEC_HELP, async (args, io) => {
  const split = args.indexOf('--');
  const own = split >= 0 ? args.slice(0, split) : args;
  const command = split >= 0 ? args.slice(split + 1) : [];
  const parsed = parseOwnArgs(own, split >= 0, io);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 0) command.unshift(...positionals);
  if (command.length === 0) throw usageError(EXEC_HELP, 'name the command to run after --');
  const projectId = values['project-id'] ? projectIdFlag(EXEC_HELP, '--project-id', values['project-id']) : undefined;

  disableCoreDumps(); // it holds tokens for as long as the command runs; the command is untouched
  const core = io.core();
  const account = await core.accounts.resolve(values.account);
  // Fetch a token before starting anything: a broken account fails here, not inside the command.
  const token = await core.tokens.getAccessToken(account);
  // TokenTray's own choice goes to the command too; gcloud's configured project it already sees.
  const chosen = projectId ?? projectOf(account);
  const quotaProject = quotaProjectOf(account, values['quota-project']);
  const fallback = chosen ? undefined : gcloudProject(io.env);
  if (!chosen && !fallback) io.stderr(`tokentray: note: ${NO_PROJECT_NOTE}\n`);
  const server = await startMetadataServer({
    core,
    account: account.id,
    ...(chosen ? { projectId: chosen } : {}),
    ...(fallback ? { fallbackProjectId: fallback } : {}),
    noProjectAdvice: NO_PROJECT_ADVICE,
    noProjectNumberAdvice: NO_PROJECT_NUMBER_ADVICE,
  });
  const gcloud = await makePrivateGcloudConfig(io.env, quotaProject ? { quotaProject } : {}).catch(async (err: unknown) => {
    await server.close();
    throw new TokenTrayError('COMMAND_FAILED', `Could not prepare a private gcloud configuration: ${(err as Error).message}.`, { cause: err });
  });
  if (gcloud.dropped.length > 0) log(`exec: gcloud runs without ${gcloud.dropped.join(', ')} from its configuration, with TokenTray's account instead`);
  const { env, notes } = execEnvironment(io.env, {
    metadataHost: server.host,
    gcloudConfigDir: gcloud.dir,
    ...(chosen ? { project: chosen } : {}),
    ...(quotaProject ? { quotaProject } : {}),
    ...(values['env-token'] ? { accessToken: token.token } : {}),
  });
  for (const note of notes) io.stderr(`tokentray: ${note}\n`);

  try {
    return await new Promise<number>((resolve) => {
      const child = withChildCoreDumps(() => spawn(command[0], command.slice(1), { env, stdio: 'inherit' }));
      const handlers = [...FORWARDED.map((s) => [s, () => void child.kill(s)] as const), ...FROM_TERMINAL.map((s) => [s, () => undefined] as const)];
      // While the command runs, signals are its to handle: never the end of us first.
      for (const [s] of handlers) process.removeAllListeners(s);
      for (const [s, h] of handlers) process.on(s, h);
      const cleanup = () => handlers.forEach(([s, h]) => process.off(s, h));
      child.once('error', (err: NodeJS.ErrnoException) => {
        cleanup();
        // As a shell says it: 127 for a command that is not there, 126 for one that cannot run.
        const notFound = err.code === 'ENOENT';
        const why = notFound
          ? `Command not found: ${command[0]}.`
          : err.code === 'EACCES'
            ? `Permission denied: ${command[0]} is not executable.`
            : `Could not start ${command[0]}: ${err.message}.`;
        io.stderr(errorLine('COMMAND_FAILED', why));
        resolve(notFound ? 127 : 126);
      });
      child.once('exit', (code, signal) => {
        cleanup();
        resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
      });
    });
  } finally {
    await Promise.all([server.close(), gcloud.remove()]);
  }
});
