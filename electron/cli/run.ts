import { createCore, type Core } from '../core/core.js';
import { isTokenTrayError } from '../core/shared/errors.js';
import { redact, setLogSink } from '../core/shared/logger.js';
import { terminalWriter, type CliIo, type Command } from './io.js';
import { describeForCli } from './remedies.js';

const HELP = `tokentray: Google OAuth access and ID tokens from your OS keychain.

usage: tokentray COMMAND [options]

  login                  sign in an account in the browser (authorization code + PKCE)
  accounts [--json]      list signed-in accounts; * marks the default
  use ACCOUNT            make ACCOUNT (email or id) the default
  import-service-account FILE   add a service account from its JSON key (key kept in the keychain)
  print-access-token     print a fresh access token      [--account A] [--scopes S1,S2]
                         [--impersonate-service-account SA[,DELEGATE…]] [--self-signed-jwt --audience URL]
  print-identity-token   print an ID token               [--account A] [--audiences AUD] [--include-email]
                         [--impersonate-service-account SA[,DELEGATE…]]
  info                   who the access token belongs to, its scopes and expiry   [--account A] [--json]
  configure ACCOUNT      per-account settings   [--project ID] [--impersonate-service-account SA[,D…] | --no-impersonation]
  logout ACCOUNT         revoke the account's grant and forget it   [--no-revoke] [--forget-client]
  clients [--json]       stored OAuth clients; \`clients remove CLIENT\` forgets one no account uses

  metadata-server        a GCE metadata server on 127.0.0.1 for Google's client libraries
                         [--account A] [--port P] [--project-id ID]
  exec -- CMD ARGS…      run CMD with credentials from the emulator   [--account A] [--project-id ID] [--env-token]
  curl URL [ARGS…]       curl with the Authorization header added     [--account A] [--allow-insecure-http]
  kube-credential        a kubectl exec credential (ExecCredential JSON)   [--account A] [--impersonate-service-account SA]
  configure-docker [REGISTRY…]  make docker use docker-credential-tokentray for these registries   [--account A]
  adc import [FILE]      import an authorized_user ADC file            [--issuer URL] [--remove-file]
  adc export             write an authorized_user ADC file (holds a refresh token)
                         [--account A] [--output FILE] [--force]

TOKENTRAY_ACCOUNT names the account when --account is not given.
Run \`tokentray COMMAND --help\` for a command's options. --verbose (anywhere before --) logs every
HTTP exchange to stderr, with tokens and secrets redacted.
Errors go to stderr as "tokentray: CODE: message"; exit 1 on failure, 2 on a usage error.
`;

// Each command is loaded on demand so a warm `print-access-token` loads only what it needs.
const COMMANDS: Record<string, () => Promise<Command>> = {
  login: async () => (await import('./commands/login.js')).login,
  accounts: async () => (await import('./commands/accounts.js')).accounts,
  use: async () => (await import('./commands/use.js')).use,
  'print-access-token': async () => (await import('./commands/print-tokens.js')).printAccessToken,
  'print-identity-token': async () => (await import('./commands/print-tokens.js')).printIdentityToken,
  logout: async () => (await import('./commands/logout.js')).logout,
  'import-service-account': async () => (await import('./commands/import-service-account.js')).importServiceAccountCommand,
  info: async () => (await import('./commands/info.js')).info,
  'metadata-server': async () => (await import('./commands/metadata-server.js')).metadataServer,
  exec: async () => (await import('./commands/exec.js')).exec,
  curl: async () => (await import('./commands/curl.js')).curl,
  adc: async () => (await import('./commands/adc.js')).adc,
  clients: async () => (await import('./commands/clients.js')).clients,
  configure: async () => (await import('./commands/configure.js')).configure,
  'kube-credential': async () => (await import('./commands/kube-credential.js')).kubeCredential,
  'configure-docker': async () => (await import('./commands/configure-docker.js')).configureDocker,
};

/** Where tokentray's own arguments end: at `--`, or at curl's URL (curl's arguments follow it). */
function ownArgsEnd(argv: string[]): number {
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length;
  const name = argv.findIndex((a) => !a.startsWith('-'));
  if (name < 0 || name >= end || argv[name] !== 'curl') return end;
  for (let i = name + 1; i < end; i++) {
    if (argv[i] === '--account') i++;
    else if (!argv[i]!.startsWith('-')) return i;
  }
  return end;
}

export interface RunOptions {
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  env?: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal;
  core?: () => Core;
}

/** Runs one CLI invocation and returns its exit code: 0 success, 1 failure, 2 usage error. */
export async function run(argv: string[], options: RunOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  let core: Core | undefined;
  const io: CliIo = {
    stdout: terminalWriter(options.stdout ?? ((t) => process.stdout.write(t))),
    stderr: terminalWriter(options.stderr ?? ((t) => process.stderr.write(t))),
    env,
    core: options.core ?? (() => (core ??= createCore({ env, ...(env.TOKENTRAY_ACCOUNT ? { fallbackAccount: env.TOKENTRAY_ACCOUNT } : {}) }))),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  // --verbose is global (like gcloud's --log-http); what follows `--` or curl's URL is another command's.
  const end = ownArgsEnd(argv);
  const verbose = argv.slice(0, end).includes('--verbose') || env.TOKENTRAY_VERBOSE === '1';
  const args = [...argv.slice(0, end).filter((a) => a !== '--verbose'), ...argv.slice(end)];
  if (verbose) setLogSink((line) => io.stderr(`tokentray: ${line}\n`));
  const [name, ...rest] = args;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    (name === undefined ? io.stderr : io.stdout)(HELP);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    io.stdout('tokentray 0.1.0\n');
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr(`tokentray: USAGE: unknown command "${name}". Run \`tokentray --help\` for the list.\n`);
    return 2;
  }
  try {
    return await (await load())(rest, io);
  } catch (err) {
    // Redacted even so: a message may quote what a server sent.
    if (isTokenTrayError(err)) {
      io.stderr(`tokentray: ${err.code}: ${redact(describeForCli(err))}\n`);
      return err.code === 'USAGE' ? 2 : 1;
    }
    // Not ours: a bug. Print the message only, never the object (it may hold a response).
    io.stderr(`tokentray: INTERNAL: ${redact(err instanceof Error ? err.message : String(err))}\n`);
    return 1;
  } finally {
    setLogSink(undefined);
  }
}
