import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { run } from '../../electron/cli/run.js';
import { createCore, type Core } from '../../electron/core/core.js';
import { forgetDiscoveries } from '../../electron/core/oauth/oidc.js';
import type { SecretStore } from '../../electron/core/storage/secret-store.js';
import { secretHits, TOKEN_PRINTING } from './canary.js';
import { MemorySecretStore } from './memory-secret-store.js';
import { WindowsLimitSecretStore } from './windows-keychain.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The shipped command: the CommonJS bundle package.json "bin" names (build/bundle-cli.mjs). */
export const CLI = join(root, 'electron', 'cli', 'tokentray.cjs');

/**
 * A throw-away folder with TOKENTRAY_HOME inside it, and a keychain service name, so tests never
 * share or leak state. Everything else a test writes (key files, client files, scripts) goes
 * under `root` too, through `writeFile` and `dir`, and `cleanup` removes it all.
 */
export interface Sandbox {
  root: string;
  /** TOKENTRAY_HOME: `root`/home. */
  home: string;
  env: Record<string, string>;
  /** With `secrets: 'memory'`: the one in-memory store its cores and in-process CLI runs share. */
  store?: SecretStore;
  core(now?: () => number): Core;
  /** Writes a file under `root`/files, readable by its owner only (0600), and returns its path. */
  writeFile(name: string, content: string | Uint8Array): Promise<string>;
  /** Makes a folder under `root` (0700) and returns its path. */
  dir(name: string): Promise<string>;
  /** Every file under TOKENTRAY_HOME, as text. */
  files(): Promise<Array<{ path: string; text: string }>>;
  cleanup(): Promise<void>;
}

/**
 * NODE_OPTIONS's option that preloads a CommonJS file into a process (quoted, for a checkout whose
 * path has spaces). CommonJS preloads only: `--import` starts the ES loader in the CLI process.
 */
export function requireOption(file: string): string {
  return `--require=${JSON.stringify(file)}`;
}

const WINDOWS_PRELOAD = requireOption(join(dirname(fileURLToPath(import.meta.url)), 'windows-keychain-preload.cjs'));

/** `env` for a `tokentray` process that SIGKILLs itself just before its Nth write (support/kill-at-write-preload.cts). */
export function killAtWriteEnv(env: Record<string, string>, n: number): Record<string, string> {
  const preload = requireOption(join(dirname(fileURLToPath(import.meta.url)), 'kill-at-write-preload.cjs'));
  return { ...env, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} ${preload}`.trim(), TOKENTRAY_TEST_KILL_AT_WRITE: String(n) };
}

/**
 * `windowsKeychainLimit` (default on): the sandbox's core and every CLI process it starts write
 * the keychain through keytar failing as on Windows above 2,560 bytes. Benchmarks turn it off.
 */
export async function makeSandbox(options: { windowsKeychainLimit?: boolean; secrets?: 'keychain' | 'memory' } = {}): Promise<Sandbox> {
  const limit = options.windowsKeychainLimit ?? true;
  // 'memory': for tests of logic, no keychain round trips; CLI processes cannot see this store.
  const memory = options.secrets === 'memory' ? new MemorySecretStore() : undefined;
  const store = memory && limit ? new WindowsLimitSecretStore(memory) : memory;
  const root = await mkdtemp(join(tmpdir(), 'tokentray-'));
  const home = join(root, 'home');
  await mkdir(home, { mode: 0o700 });
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    TOKENTRAY_HOME: home,
    TOKENTRAY_KEYCHAIN_SERVICE: `tokentray-test-${randomBytes(6).toString('hex')}`,
  };
  if (limit) env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} ${WINDOWS_PRELOAD}`.trim();
  const sandbox: Sandbox = {
    root,
    home,
    env,
    ...(store ? { store } : {}),
    core(now) {
      if (store) return createCore({ env, store, ...(now ? { now } : {}) });
      // The Windows size limit is the OS keychain's: a test that chose the file vault gets it unwrapped.
      const keychain = limit && env.TOKENTRAY_KEYCHAIN !== 'file';
      return createCore({ env, ...(keychain ? { store: WindowsLimitSecretStore.forService(env.TOKENTRAY_KEYCHAIN_SERVICE) } : {}), ...(now ? { now } : {}) });
    },
    async writeFile(name, content) {
      if (name.includes('/') || name.startsWith('.')) throw new TypeError(`a plain file name, not ${name}`);
      await mkdir(join(root, 'files'), { mode: 0o700, recursive: true });
      const path = join(root, 'files', name);
      await writeFile(path, content, { mode: 0o600 });
      return path;
    },
    async dir(name) {
      if (name.includes('/') || name.startsWith('.') || name === 'home' || name === 'files') throw new TypeError(`a new folder name, not ${name}`);
      const path = join(root, name);
      await mkdir(path, { mode: 0o700 });
      return path;
    },
    async files() {
      const out: Array<{ path: string; text: string }> = [];
      for (const entry of await readdir(home, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const path = join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
        out.push({ path, text: await readFile(path, 'latin1') });
      }
      return out;
    },
    /** Also the secret canary: fails if any token or secret in the keychain is found on disk. */
    async cleanup() {
      const core = createCore({ env, ...(store ? { store } : {}) });
      // A file vault forced by the environment lives under `root`, removed below: forgetting each
      // account first would only rewrite it (a key derivation each), and no OS keychain item exists.
      const forget = env.TOKENTRAY_KEYCHAIN !== 'file';
      const secrets: string[] = [];
      for (const account of await core.accounts.list().catch(() => [])) {
        const stored = await core.accounts['vault'].getSecrets(account.id).catch(() => undefined);
        const cache = await core.accounts['vault'].getTokenCache(account.id).catch(() => undefined);
        const key = await core.accounts['vault'].getServiceAccountKey(account.id).catch(() => undefined);
        if (stored) secrets.push(stored.refreshToken, stored.clientSecret ?? '');
        if (key) secrets.push(key.privateKey, ...key.privateKey.split('\n').filter((line) => line.length > 40));
        if (cache) secrets.push(...Object.values(cache.access).map((t) => t.token), ...Object.values(cache.ids).map((t) => t.token), cache.id?.token ?? '');
        if (forget) await core.accounts['vault'].forget(account.id).catch(() => undefined);
      }
      // OAuth clients outlive their accounts: their secrets are checked and removed too.
      for (const client of await core.accounts.clients().catch(() => [])) {
        secrets.push((await core.accounts['vault'].getClientSecret(client.id).catch(() => undefined)) ?? '');
        if (forget) await core.accounts['vault'].forgetClient(client.id).catch(() => undefined);
      }
      // With the file vault (TOKENTRAY_KEYCHAIN=file) the same scan covers its passphrase too.
      if (env.TOKENTRAY_FILE_PASSPHRASE) secrets.push(env.TOKENTRAY_FILE_PASSPHRASE);
      const hits = await findSecretsOnDisk(sandbox, secrets);
      await rm(root, { recursive: true, force: true });
      if (hits.length > 0) throw new Error(`secrets found on disk: ${hits.join(', ')}`);
    },
  };
  return sandbox;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  /** Resolves with the first line on stderr that is a URL alone (the --no-browser contract). */
  authorizationUrl: Promise<string>;
  done: Promise<CliResult>;
  kill(signal?: NodeJS.Signals): void;
  /** What it has printed on stdout so far. */
  output(): string;
  /** What it has printed on stderr so far. */
  errors(): string;
  /** Resolves once stderr matches (with the time it did), or rejects if the process ends first. */
  waitForStderr(pattern: RegExp): Promise<number>;
  /** Its standard input (only with `{ stdin: 'pipe' }`). */
  stdin?: Writable;
  /** Its process id (not for an in-process run). */
  pid?: number;
}

export interface StartCliOptions {
  /** 'ignore' (the default) gives an empty standard input; 'pipe' one the test writes to. */
  stdin?: 'ignore' | 'pipe';
  /** The program and its first arguments (default: node and the CLI). */
  command?: readonly string[];
}

const isCommand = (o: StartCliOptions | readonly string[]): o is readonly string[] => Array.isArray(o);

/** What startCli and startCliInProcess share: the output so far, the URL line, stderr waiters. */
function outputWatcher() {
  const waiters: Array<{ pattern: RegExp; resolve: (t: number) => void; reject: (e: Error) => void }> = [];
  let stdout = '';
  let stderr = '';
  let resolveUrl!: (url: string) => void;
  let rejectUrl!: (err: Error) => void;
  const authorizationUrl = new Promise<string>((res, rej) => ((resolveUrl = res), (rejectUrl = rej)));
  authorizationUrl.catch(() => undefined);
  return {
    authorizationUrl,
    output: () => stdout,
    errors: () => stderr,
    onStdout(text: string) {
      stdout += text;
    },
    onStderr(text: string) {
      stderr += text;
      const line = stderr.split('\n').find((l) => /^https?:\/\/\S+$/.test(l));
      if (line) resolveUrl(line);
      for (const w of [...waiters]) {
        if (w.pattern.test(stderr)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(Date.now());
        }
      }
    },
    /** The run ended with `code`: no URL or stderr pattern will come any more. */
    ended(code: number | null) {
      rejectUrl(new Error(`tokentray exited (${code}) before printing a URL:\n${stderr}`));
      for (const w of waiters.splice(0)) w.reject(new Error(`tokentray exited (${code}) before printing ${w.pattern}:\n${stderr}`));
    },
    waitForStderr(pattern: RegExp): Promise<number> {
      return pattern.test(stderr) ? Promise.resolve(Date.now()) : new Promise<number>((resolve, reject) => waiters.push({ pattern, resolve, reject }));
    },
  };
}

/** Runs `tokentray ARGS` as a user would, in its own process. */
export function startCli(args: string[], env: Record<string, string>, options: StartCliOptions | readonly string[] = {}): CliProcess {
  const { stdin = 'ignore', command = [process.execPath, CLI] } = isCommand(options) ? { command: options } : options;
  const [program, ...before] = command as [string, ...string[]];
  const child = spawn(program, [...before, ...args], { env, stdio: [stdin, 'pipe', 'pipe'] });
  const watch = outputWatcher();
  child.stdout!.on('data', (d: Buffer) => watch.onStdout(d.toString()));
  child.stderr!.on('data', (d: Buffer) => watch.onStderr(d.toString()));
  const done = new Promise<CliResult>((res, rej) =>
    child.on('close', (code) => {
      watch.ended(code);
      const leak = canaryFailure(args, env, watch.output(), watch.errors());
      if (leak) rej(leak);
      else res({ code, stdout: watch.output(), stderr: watch.errors() });
    }),
  );
  done.catch(() => undefined);
  return {
    authorizationUrl: watch.authorizationUrl,
    done,
    kill: (signal) => child.kill(signal),
    output: watch.output,
    errors: watch.errors,
    waitForStderr: watch.waitForStderr,
    ...(child.stdin ? { stdin: child.stdin } : {}),
    ...(child.pid !== undefined ? { pid: child.pid } : {}),
  };
}

/** Resolves once process `pid` has `path` open (Linux /proc), e.g. a waiter at a lock; rejects after `ms`. */
export async function untilOpens(pid: number, path: string, ms = 30_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
    const targets = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
    if (targets.includes(path)) return;
  }
  throw new Error(`process ${pid} did not open ${path} within ${ms} ms`);
}

export function runCli(args: string[], env: Record<string, string>, command?: readonly string[]): Promise<CliResult> {
  return startCli(args, env, command).done;
}

/** The secret canary over one run's output, the same for a process and an in-process run. */
function canaryFailure(args: readonly string[], env: Record<string, string | undefined>, stdout: string, stderr: string): Error | undefined {
  // Outside print-* (and exec/curl, whose output is their child's) no secret may show.
  const command = args.find((a) => !a.startsWith('-'));
  const hits = secretHits(command && TOKEN_PRINTING.has(command) ? stderr : `${stdout}\n${stderr}`);
  // A file vault's passphrase shows nowhere, not even in print-* output.
  const passphrase = env.TOKENTRAY_FILE_PASSPHRASE;
  if (passphrase && `${stdout}\n${stderr}`.includes(passphrase)) hits.push('the file vault passphrase');
  return hits.length > 0 ? new Error(`secret canary: \`tokentray ${args.join(' ')}\` printed ${hits.join(', ')}`) : undefined;
}

export interface InProcessOptions {
  /** What the command reads as its standard input (default: an empty one, as runCli gives). */
  stdin?: string;
  /** A standard input the test writes to and ends (CliProcess.stdin), as startCli's `{ stdin: 'pipe' }`. */
  pipeStdin?: boolean;
  /** Its secret store (default: the keychain or vault `env` chooses, under the Windows limit as in a process). */
  store?: SecretStore;
  /**
   * An `exec` or `curl` that must refuse before it starts its child runs here too (a child would
   * inherit this process's stdio, so one that starts anyway fails the run).
   */
  refusal?: boolean;
}

/**
 * Runs `tokentray ARGS` in this process: the same run() the bin calls after its agent fast path
 * (electron/cli/cli-main.ts), with `env` as its whole environment and output captured, checked by
 * the same secret canary as runCli. For output and logic; what only a process shows (exit on a
 * signal, locks between processes, the bundled bin) stays with runCli/startCli.
 */
export async function runCliInProcess(args: string[], env: Record<string, string>, options: InProcessOptions = {}): Promise<CliResult> {
  return startCliInProcess(args, env, options).done;
}

/**
 * startCli's twin in this process, for sign-in flows: `kill('SIGINT')` is the first Ctrl-C (it
 * aborts the run, as cli-main.ts does); any other signal is a process's business and throws.
 * With `pipeStdin`, paste-back text is written to `stdin` and `stdin.end()` is its end (EOF).
 * `exec` and `curl` still start a process (their child's output is the point).
 */
export function startCliInProcess(args: string[], env: Record<string, string>, options: InProcessOptions = {}): CliProcess {
  // exec and curl hand the stdio they inherit to their child: only a process's can be read.
  const command = args.find((arg) => !arg.startsWith('-'));
  if ((command === 'exec' || command === 'curl') && !options.refusal) {
    if (options.stdin !== undefined || options.pipeStdin || options.store)
      throw new Error(`tokentray ${command} runs as a process: no stdin text or store of this process`);
    return startCli(args, env);
  }
  // A process starts without discovered issuers: a test that breaks discovery must see it asked.
  forgetDiscoveries();
  const watch = outputWatcher();
  const controller = new AbortController();
  const store =
    options.store ??
    // The preload's keytar stands in only where the bin would choose the OS keychain: any other
    // TOKENTRAY_KEYCHAIN goes through the CLI's own choice (and its errors).
    (env.NODE_OPTIONS?.includes(WINDOWS_PRELOAD) && [undefined, '', 'system'].includes(env.TOKENTRAY_KEYCHAIN)
      ? WindowsLimitSecretStore.forService(env.TOKENTRAY_KEYCHAIN_SERVICE)
      : undefined);
  const pipe = options.pipeStdin ? new PassThrough() : undefined;
  const done = run(args, {
    env,
    stdout: watch.onStdout,
    stderr: watch.onStderr,
    stdin: pipe ?? Readable.from(options.stdin === undefined ? [] : [options.stdin]),
    signal: controller.signal,
    ...(store ? { store } : {}),
  }).then((result) => {
    // As cli-main.ts: a command that failed because of Ctrl-C ends with 130.
    const code = controller.signal.aborted && result !== 0 ? 130 : result;
    if (options.refusal && code === 0) throw new Error(`tokentray ${args.join(' ')} was to refuse, and ran its child`);
    watch.ended(code);
    const leak = canaryFailure(args, env, watch.output(), watch.errors());
    if (leak) throw leak;
    return { code, stdout: watch.output(), stderr: watch.errors() };
  });
  done.catch(() => undefined);
  return {
    authorizationUrl: watch.authorizationUrl,
    done,
    kill(signal = 'SIGTERM') {
      if (signal !== 'SIGINT') throw new Error(`an in-process run cannot get ${signal}: use startCli`);
      controller.abort();
    },
    output: watch.output,
    errors: watch.errors,
    waitForStderr: watch.waitForStderr,
    ...(pipe ? { stdin: pipe } : {}),
  };
}

/** Fails if any file under the sandbox's home holds one of the secrets. */
export async function findSecretsOnDisk(sandbox: Sandbox, secrets: string[]): Promise<string[]> {
  const hits: string[] = [];
  for (const file of await sandbox.files()) {
    for (const secret of secrets) if (secret && file.text.includes(secret)) hits.push(`${file.path} holds ${secret.slice(0, 6)}…`);
  }
  return hits;
}
