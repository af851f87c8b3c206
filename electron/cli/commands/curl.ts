import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, createWriteStream, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenTrayError } from '../../core/shared/errors.js';
import type { CliIo } from '../io.js';

const USAGE = 'tokentray curl [--account ACCOUNT] [--allow-insecure-http] URL [CURL ARGS…]';

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
    throw new TokenTrayError('USAGE', `"${target}" is not a URL. TokenTray's own options come before the URL, curl's after it.\nusage: ${USAGE}`);
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
export async function curl(args: string[], io: CliIo): Promise<number> {
  let account: string | undefined;
  let allowInsecureHttp = false;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--help' || arg === '-h') {
      io.stdout(`usage: ${USAGE}\n`);
      return 0;
    }
    if (arg === '--allow-insecure-http') allowInsecureHttp = true;
    else if (arg === '--account') {
      account = args[++i];
      if (account === undefined || account === '') throw new TokenTrayError('USAGE', `--account needs a value\nusage: ${USAGE}`);
    } else if (arg.startsWith('--account=')) account = arg.slice('--account='.length);
    else if (arg.startsWith('-')) {
      throw new TokenTrayError('USAGE', `${arg} is not an option of tokentray curl. curl's options go after the URL: tokentray curl URL ${arg} …\nusage: ${USAGE}`);
    } else break;
  }
  const target = args[i];
  if (target === undefined || account === '') throw new TokenTrayError('USAGE', `name the URL\nusage: ${USAGE}`);
  checkCurlUrl(target, allowInsecureHttp);
  const rest = args.slice(i);
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
    return await new Promise<number>((resolve) => {
      const child = spawn('curl', ['-H', fifo ? fifo.arg : header, ...rest], { env: io.env as NodeJS.ProcessEnv, stdio: 'inherit' });
      child.once('error', (err: NodeJS.ErrnoException) => {
        io.stderr(`tokentray: COMMAND_FAILED: ${err.code === 'ENOENT' ? 'curl is not installed (or not on PATH).' : `Could not start curl: ${err.message}.`}\n`);
        resolve(err.code === 'ENOENT' ? 127 : 126);
      });
      child.once('exit', (code) => resolve(code ?? 1));
    });
  } finally {
    await fifo?.cleanup();
  }
}
