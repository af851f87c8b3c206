import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { TokenTrayError } from '../../core/shared/errors.js';
import { execEnvironment } from '../../core/integrations/exec-env.js';
import { startMetadataServer } from '../../core/integrations/metadata-server.js';
import { parseFlags, wantsHelp, type CliIo } from '../io.js';
import { disableCoreDumps, withChildCoreDumps } from '../../core/shared/core-dumps.js';

const USAGE = 'tokentray exec [--account ACCOUNT] [--env-token] -- COMMAND [ARGS…]';
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

/**
 * Runs a command with credentials: a metadata-server emulator lives as long as the command, and
 * the command's environment points at it. Exits with the command's exit code.
 */
export async function exec(args: string[], io: CliIo): Promise<number> {
  const split = args.indexOf('--');
  const own = split >= 0 ? args.slice(0, split) : args;
  const command = split >= 0 ? args.slice(split + 1) : [];
  const { values, positionals } = parseFlags(own, { account: { type: 'string' }, 'env-token': { type: 'boolean' } }, USAGE, 1);
  if (wantsHelp(values, USAGE, io)) return 0;
  if (positionals.length > 0) command.unshift(...positionals);
  if (command.length === 0) throw new TokenTrayError('USAGE', `name the command to run after --\nusage: ${USAGE}`);

  disableCoreDumps(); // it holds tokens for as long as the command runs; the command is untouched
  const core = io.core();
  const account = await core.accounts.resolve(values.account);
  // Fetch a token before starting anything: a broken account fails here, not inside the command.
  const token = await core.tokens.getAccessToken(account);
  const server = await startMetadataServer({ core, account: account.id });
  const { env, notes } = execEnvironment(io.env, server.host, values['env-token'] ? token.token : undefined);
  for (const note of notes) io.stderr(`tokentray: ${note}\n`);

  try {
    return await new Promise<number>((resolve, reject) => {
      const child = withChildCoreDumps(() => spawn(command[0]!, command.slice(1), { env, stdio: 'inherit' }));
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
}
