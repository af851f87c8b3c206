import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, createWriteStream, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenTrayError } from '../../core/shared/errors.js';
import { defineCommand, formatHelp, suggest, usageError, type CommandHelp } from '../io.js';

export const CURL_HELP = {
  name: 'curl',
  group: 'Integrations',
  summary: 'Run curl with the Authorization header added',
  usage: '[--account ACCOUNT] URL [CURL ARGS…]',
  description:
    "The header reaches curl through a private named pipe, so the token is neither in the process list nor on disk. Everything from the URL on is curl's. Exit code: curl's.",
  args: [{ name: 'URL [CURL ARGS…]', help: 'What curl gets, unchanged' }],
  options: { account: { type: 'string', value: 'ACCOUNT', default: 'the default account', help: 'Email or id of the account' } },
  examples: [
    { command: 'tokentray curl https://cloudresourcemanager.googleapis.com/v1/projects -s' },
    { command: 'tokentray curl --account work@example.com https://storage.googleapis.com/storage/v1/b?project=my-project' },
  ],
} satisfies CommandHelp;

/**
 * Hands curl the header through a named pipe in a private folder (`-H @FIFO`): the token is neither
 * in the process list nor on disk, and curl's stdin stays free for the user's data.
 */
async function headerThroughFifo(header: string): Promise<{ arg: string; cleanup(): Promise<void> } | undefined> {
  if (process.platform === 'win32') return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'tokentray-curl-'));
  const fifo = join(dir, 'header');
  try {
    execFileSync('mkfifo', ['-m', '600', fifo], { stdio: 'ignore' });
  } catch {
    await rm(dir, { recursive: true, force: true });
    return undefined;
  }
  const writer = createWriteStream(fifo);
  writer.on('error', () => undefined);
  writer.end(`${header}\n`);
  return {
    arg: `@${fifo}`,
    async cleanup() {
      // If curl never opened the pipe, our writer still waits in open(): open the read end to free it.
      if (!writer.writableFinished) {
        try {
          closeSync(openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK));
        } catch {
          /* already gone */
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** curl with `Authorization: Bearer …` added; exits with curl's exit code. */
export const curl = defineCommand(CURL_HELP, async (args, io) => {
  let account: string | undefined;
  const rest = [...args];
  // Our flags come first; everything from the URL on belongs to curl.
  while (rest[0]?.startsWith('--account')) {
    const flag = rest.shift()!;
    account = flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : rest.shift();
  }
  if (rest[0] === '--help' || rest[0] === '-h') {
    io.stdout(formatHelp(CURL_HELP));
    return 0;
  }
  const typo = rest[0]?.startsWith('--') ? suggest(rest[0].slice(2).replace(/=.*$/, ''), ['account']) : undefined;
  if (typo) throw usageError(CURL_HELP, `unknown option ${rest[0]!.replace(/=.*$/, '')}: did you mean --${typo}?`);
  if (account === '' || (account === undefined && args[0]?.startsWith('--account'))) throw usageError(CURL_HELP, '--account needs a value');
  if (rest.length === 0) throw usageError(CURL_HELP, 'name the URL');
  const core = io.core();
  const token = await core.tokens.getAccessToken(await core.accounts.resolve(account));
  const header = `Authorization: Bearer ${token.token}`;
  const fifo = await headerThroughFifo(header);
  if (!fifo) {
    // Windows has no named pipes of this kind: there the header has to go as an argument, visible
    // to this user's other processes. Elsewhere a missing mkfifo is a reason to stop, not to leak.
    if (process.platform !== 'win32') throw new TokenTrayError('COMMAND_FAILED', 'Could not create a private named pipe (mkfifo) to hand curl the token. Use `curl -H "Authorization: Bearer $(tokentray print-access-token)" …` instead.');
    io.stderr('tokentray: note: on Windows the token is passed to curl as a command-line argument.\n');
  }
  try {
    return await new Promise<number>((resolve, reject) => {
      const child = spawn('curl', ['-H', fifo ? fifo.arg : header, ...rest], { env: io.env as NodeJS.ProcessEnv, stdio: 'inherit' });
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(new TokenTrayError('COMMAND_FAILED', err.code === 'ENOENT' ? 'curl is not installed (or not on PATH).' : `Could not start curl: ${err.message}.`)),
      );
      child.once('exit', (code) => resolve(code ?? 1));
    });
  } finally {
    await fifo?.cleanup();
  }
});
