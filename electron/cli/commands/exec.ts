import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { TokenTrayError } from '../../core/shared/errors.js';
import { execEnvironment } from '../../core/integrations/exec-env.js';
import { startMetadataServer } from '../../core/integrations/metadata-server.js';
import { defineCommand, parseCommand, usageError, type CommandHelp } from '../io.js';

export const EXEC_HELP = {
  name: 'exec',
  group: 'Integrations',
  summary: "Run a command with credentials from a metadata server that lives as long as it does",
  usage: '[--account ACCOUNT] [--env-token] -- COMMAND [ARGS…]',
  description:
    "The command gets GCE_METADATA_HOST, GCE_METADATA_IP and GCE_METADATA_ROOT pointing at the emulator, so Google's client libraries and gcloud " +
    'get tokens unchanged; GOOGLE_APPLICATION_CREDENTIALS is removed for it. Signals are forwarded; the exit code is the command\'s.',
  args: [{ name: 'COMMAND [ARGS…]', help: 'The command to run, after --' }],
  options: {
    account: { type: 'string', value: 'ACCOUNT', default: 'the default account', help: 'Email or id of the account whose tokens the command gets' },
    'env-token': { type: 'boolean', help: 'Also set CLOUDSDK_AUTH_ACCESS_TOKEN and GOOGLE_OAUTH_ACCESS_TOKEN (visible to the command\'s children)' },
  },
  examples: [
    { command: 'tokentray exec -- python my_script.py' },
    { command: 'tokentray exec --account work@example.com -- terraform plan' },
  ],
} satisfies CommandHelp;
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

/**
 * Runs a command with credentials: a metadata-server emulator lives as long as the command, and
 * the command's environment points at it. Exits with the command's exit code.
 */
export const exec = defineCommand(EXEC_HELP, async (args, io) => {
  const split = args.indexOf('--');
  const own = split >= 0 ? args.slice(0, split) : args;
  const command = split >= 0 ? args.slice(split + 1) : [];
  const parsed = parseCommand(EXEC_HELP, own, io);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 0) command.unshift(...positionals);
  if (command.length === 0) throw usageError(EXEC_HELP, 'name the command to run after --');

  const core = io.core();
  const account = await core.accounts.resolve(values.account);
  // Fetch a token before starting anything: a broken account fails here, not inside the command.
  const token = await core.tokens.getAccessToken(account);
  const server = await startMetadataServer({ core, account: account.id });
  const { env, notes } = execEnvironment(io.env, server.host, values['env-token'] ? token.token : undefined);
  for (const note of notes) io.stderr(`tokentray: ${note}\n`);

  try {
    return await new Promise<number>((resolve, reject) => {
      const child = spawn(command[0]!, command.slice(1), { env, stdio: 'inherit' });
      const forward = (signal: NodeJS.Signals) => () => void child.kill(signal);
      const handlers = FORWARDED.map((s) => [s, forward(s)] as const);
      // While the command runs, signals are its to handle: forwarded, never the end of us first.
      for (const s of FORWARDED) process.removeAllListeners(s);
      for (const [s, h] of handlers) process.on(s, h);
      const cleanup = () => handlers.forEach(([s, h]) => process.off(s, h));
      child.once('error', (err: NodeJS.ErrnoException) => {
        cleanup();
        reject(new TokenTrayError('COMMAND_FAILED', err.code === 'ENOENT' ? `Command not found: ${command[0]}.` : `Could not start ${command[0]}: ${err.message}.`));
      });
      child.once('exit', (code, signal) => {
        cleanup();
        resolve(code ?? 128 + (signal ? constants.signals[signal] ?? 0 : 0));
      });
    });
  } finally {
    await server.close();
  }
});
