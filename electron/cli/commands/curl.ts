import { QUOTA_PROJECT_HEADER, quotaProjectOf } from '../../core/storage/account-service.js';
import { QUOTA_PROJECT_OPTION } from '../quota-project-option.js';
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
  usage: '[--account ACCOUNT] [--allow-insecure-http] [--quota-project ID] URL [CURL ARGS…]',
  description:
    "TokenTray's options come before the URL; everything from the URL on is curl's, untouched. The header reaches curl through a private " +
    'named pipe, so the token is neither in the process list nor on disk. The token goes over https, or plain http to this machine only ' +
    "(127.0.0.0/8, ::1, localhost). Exit code: curl's.",
  args: [{ name: 'URL [CURL ARGS…]', help: 'What curl gets, unchanged' }],
  options: {
    account: { type: 'string', value: 'ACCOUNT', default: '$TOKENTRAY_ACCOUNT, else the default account', help: 'Email or id of the account' },
    'quota-project': QUOTA_PROJECT_OPTION,
    'allow-insecure-http': { type: 'boolean', help: 'Also send the token over plain http to another machine, in clear on the network' },
  },
  examples: [
    { command: 'tokentray curl https://cloudresourcemanager.googleapis.com/v1/projects -s' },
    { command: "tokentray curl --account work@example.com 'https://storage.googleapis.com/storage/v1/b?project=my-project' -s -o buckets.json" },
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

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

/** Whether a URL's host is this machine: 127.0.0.0/8, ::1 or localhost (curl resolves it to loopback). */
function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase()) || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Refuses a URL the token must not go to: https anywhere; plain http only to this machine, unless
 * the user says otherwise (--allow-insecure-http), since the token would cross the network in clear.
 * A URL without a scheme is what curl takes for http.
 */
export function checkCurlUrl(target: string, allowInsecureHttp: boolean): void {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? target : `http://${target}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw usageError(CURL_HELP, `"${target}" is not a URL. TokenTray's own options come before the URL, curl's after it.`);
  }
  if (url.protocol === 'https:') return;
  if (url.protocol !== 'http:') throw new TokenTrayError('INSECURE_URL', `TokenTray sends the token over https (or http to this machine) only, not ${url.protocol.slice(0, -1)}.`);
  if (isLoopbackHost(url.hostname) || allowInsecureHttp) return;
  throw new TokenTrayError('INSECURE_URL', `${url.host} is not this machine and the URL is plain http: the token would cross the network in clear. Use https, or give --allow-insecure-http (before the URL) if you mean it.`);
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
    const arg = args[i]!;
    if (arg === '--help' || arg === '-h') {
      io.stdout(formatHelp(CURL_HELP));
      return 0;
    }
    if (arg === '--allow-insecure-http') allowInsecureHttp = true;
    else if (arg === '--quota-project' || arg.startsWith('--quota-project=')) {
      quotaOverride = arg === '--quota-project' ? args[++i] : arg.slice('--quota-project='.length);
      if (quotaOverride === undefined || quotaOverride === '') throw usageError(CURL_HELP, '--quota-project needs a value');
    }
    else if (arg === '--account' || arg.startsWith('--account=')) {
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
  checkCurlUrl(target, allowInsecureHttp);
  const rest = args.slice(i);
  // curl sends the header to every URL it is given: check the later ones that name a scheme too.
  // (An option's value such as `-o out.json` has none, so it is left alone.)
  for (const arg of rest.slice(1)) if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg)) checkCurlUrl(arg, allowInsecureHttp);
  const core = io.core();
  const chosen = await core.accounts.resolve(account);
  // The quota project is no secret: an argument. The user's own header for it wins.
  const quotaProject = quotaProjectOf(chosen, quotaOverride);
  const quotaArgs = quotaProject && !rest.some((a) => new RegExp(`${QUOTA_PROJECT_HEADER}\\s*:`, 'i').test(a)) ? ['-H', `${QUOTA_PROJECT_HEADER}: ${quotaProject}`] : [];
  const token = await core.tokens.getAccessToken(chosen);
  const header = `Authorization: Bearer ${token.token}`;
  const fifo = await headerThroughFifo(header);
  if (!fifo) {
    // Windows has no named pipes of this kind: there the header has to go as an argument, visible
    // to this user's other processes. Elsewhere a missing mkfifo is a reason to stop, not to leak.
    if (process.platform !== 'win32') throw new TokenTrayError('COMMAND_FAILED', 'Could not create a private named pipe (mkfifo) to hand curl the token. Use `curl -H "Authorization: Bearer $(tokentray print-access-token)" …` instead.');
    io.stderr('tokentray: note: on Windows the token is passed to curl as a command-line argument.\n');
  }
  try {
    return await new Promise<number>((resolve) => {
      const child = spawn('curl', ['-H', fifo ? fifo.arg : header, ...quotaArgs, ...rest], { env: io.env as NodeJS.ProcessEnv, stdio: 'inherit' });
      child.once('error', (err: NodeJS.ErrnoException) => {
        io.stderr(`tokentray: COMMAND_FAILED: ${err.code === 'ENOENT' ? 'curl is not installed (or not on PATH).' : `Could not start curl: ${err.message}.`}\n`);
        resolve(err.code === 'ENOENT' ? 127 : 126);
      });
      child.once('exit', (code) => resolve(code ?? 1));
    });
  } finally {
    await fifo?.cleanup();
  }
});
