import { QUOTA_PROJECT_HEADER, quotaProjectOf } from '../../core/accounts/account-service.js';
import { QUOTA_PROJECT_OPTION } from '../quota-project-option.js';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, createWriteStream, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCurlArgs } from '../../core/integrations/curl-args.js';
import { makeOwnedFolder, sweepOrphanedFolders } from '../../core/integrations/private-folders.js';
import { childEnvironment } from '../../core/shared/child-env.js';
import { TokenTrayError } from '../../core/shared/errors.js';
import { errorLine } from '../failure.js';
import { defineCommand, formatHelp, suggest, usageError, type CommandHelp } from '../io.js';

const CURL_HELP = {
  name: 'curl',
  group: 'Integrations',
  summary: 'Run curl with the Authorization header added',
  usage: '[--account ACCOUNT] [--allow-insecure-http] [--quota-project ID] URL [CURL ARGS…]',
  description:
    "TokenTray's options come before the URL; everything from the URL on is curl's, unchanged, but read first: curl options TokenTray does not know " +
    '(-K/--config, --location-trusted, …) are refused, and so are URLs curl could read differently, and curl reads no ~/.curlrc. The header reaches curl through a private ' +
    'named pipe, so the token is neither in the process list nor on disk. The token goes over https, or plain http to this machine only ' +
    '(127.0.0.0/8, ::1, localhost), directly and not through a proxy or --connect-to elsewhere; https with -k/--insecure checks no certificate and is held to the ' +
    "plain-http rule. Exit code: curl's.",
  args: [{ name: 'URL [CURL ARGS…]', help: 'What curl gets, unchanged' }],
  options: {
    account: { type: 'string', value: 'ACCOUNT', default: '$TOKENTRAY_ACCOUNT, else the default account', help: 'Email or id of the account' },
    'quota-project': QUOTA_PROJECT_OPTION,
    'allow-insecure-http': { type: 'boolean', help: 'Also send the token over plain http (or https with -k) to another machine, unprotected on the network' },
  },
  examples: [
    { command: 'tokentray curl https://cloudresourcemanager.googleapis.com/v1/projects -s' },
    { command: "tokentray curl --account work@example.com 'https://storage.googleapis.com/storage/v1/b?project=my-project' -s -o buckets.json" },
  ],
} satisfies CommandHelp;

type Env = Readonly<Record<string, string | undefined>>;

const CURL_FOLDER_PREFIX = 'tokentray-curl-';

/**
 * Hands curl the header through a named pipe in a private folder (`-H @FIFO`): the token is neither
 * in the process list nor on disk, and curl's stdin stays free for the user's data. A folder a killed
 * run left is removed by the next.
 */
async function headerThroughFifo(header: string, env: Env): Promise<{ arg: string; cleanup(): Promise<void> } | undefined> {
  if (process.platform === 'win32') return undefined;
  await sweepOrphanedFolders([tmpdir()], CURL_FOLDER_PREFIX);
  const dir = await makeOwnedFolder(tmpdir(), CURL_FOLDER_PREFIX);
  const fifo = join(dir, 'header');
  try {
    execFileSync('mkfifo', ['-m', '600', fifo], { stdio: 'ignore', env: childEnvironment(env) });
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

/**
 * curl with `Authorization: Bearer …` added; exits with curl's exit code. TokenTray's options come
 * first; the URL is the first other argument, and everything after it goes to curl untouched.
 */
export const curl = defineCommand(CURL_HELP, async (args, io) => {
  let account: string | undefined;
  let allowInsecureHttp = false;
  let quotaOverride: string | undefined;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--help' || arg === '-h') {
      io.stdout(formatHelp(CURL_HELP));
      return 0;
    }
    if (arg === '--allow-insecure-http') allowInsecureHttp = true;
    else if (arg === '--quota-project' || arg.startsWith('--quota-project=')) {
      quotaOverride = arg === '--quota-project' ? args[++i] : arg.slice('--quota-project='.length);
      if (quotaOverride === undefined || quotaOverride === '') throw usageError(CURL_HELP, '--quota-project needs a value');
    } else if (arg === '--account' || arg.startsWith('--account=')) {
      account = arg === '--account' ? args[++i] : arg.slice('--account='.length);
      if (account === undefined || account === '') throw usageError(CURL_HELP, '--account needs a value');
    } else if (arg.startsWith('-')) {
      const typo = arg.startsWith('--') ? suggest(arg.slice(2).replace(/=.*$/, ''), Object.keys(CURL_HELP.options)) : undefined;
      if (typo) throw usageError(CURL_HELP, `unknown option ${arg.replace(/=.*$/, '')}: did you mean --${typo}?`);
      throw usageError(CURL_HELP, `${arg} is not an option of tokentray curl. curl's options go after the URL: tokentray curl URL ${arg} …`);
    } else break;
  }
  const target = args[i];
  if (target === undefined) throw usageError(CURL_HELP, 'name the URL');
  const rest = args.slice(i);
  checkCurlArgs(rest, io.env, allowInsecureHttp);
  const core = io.core();
  const chosen = await core.accounts.resolve(account);
  // The quota project is no secret: an argument. The user's own header for it wins.
  const quotaProject = quotaProjectOf(chosen, quotaOverride);
  const quotaArgs =
    quotaProject && !rest.some((a) => new RegExp(`${QUOTA_PROJECT_HEADER}\\s*:`, 'i').test(a)) ? ['-H', `${QUOTA_PROJECT_HEADER}: ${quotaProject}`] : [];
  const token = await core.tokens.getAccessToken(chosen);
  const header = `Authorization: Bearer ${token.token}`;
  const fifo = await headerThroughFifo(header, io.env);
  if (!fifo) {
    // Windows has no named pipes of this kind: there the header has to go as an argument, visible
    // to this user's other processes. Elsewhere a missing mkfifo is a reason to stop, not to leak.
    if (process.platform !== 'win32')
      throw new TokenTrayError(
        'COMMAND_FAILED',
        'Could not create a private named pipe (mkfifo) to hand curl the token. Use `curl -H "Authorization: Bearer $(tokentray print-access-token)" …` instead.',
      );
    io.stderr('tokentray: note: on Windows the token is passed to curl as a command-line argument.\n');
  }
  try {
    return await new Promise<number>((resolve) => {
      // -q first: curl reads no ~/.curlrc, whose options and URLs TokenTray could not check.
      const child = spawn('curl', ['-q', '-H', fifo ? fifo.arg : header, ...quotaArgs, ...rest], { env: childEnvironment(io.env), stdio: 'inherit' });
      child.once('error', (err: NodeJS.ErrnoException) => {
        io.stderr(errorLine('COMMAND_FAILED', err.code === 'ENOENT' ? 'curl is not installed (or not on PATH).' : `Could not start curl: ${err.message}.`));
        resolve(err.code === 'ENOENT' ? 127 : 126);
      });
      child.once('exit', (code) => resolve(code ?? 1));
    });
  } finally {
    await fifo?.cleanup();
  }
});
