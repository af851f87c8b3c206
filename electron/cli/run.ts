import { setLogSink } from '../core/shared/logger.js';
import { cliIo, runCommand, type RunOptions } from './command-runner.js';
import { packageVersion } from './version.js';
import { EXIT, errorLine } from './failure.js';
import { COMMAND_GROUPS, formatHelp, suggest, type CliIo, type Command, type CommandGroup, type CommandHelp } from './io.js';

const INTRO = 'tokentray: Google OAuth access and ID tokens from your OS keychain.';
const OUTRO = `Run \`tokentray COMMAND --help\` for a command's options and examples.
TOKENTRAY_ACCOUNT names the account when --account is not given.
--verbose (any command, before -- or curl's URL) logs every HTTP exchange to stderr, tokens and secrets redacted.
Errors go to stderr as "tokentray: CODE: message"; exit 1 on failure, 2 on a usage error.
-v or --version prints the version; \`tokentray completion SHELL\` prints a completion script.
`;

// Each command is loaded on demand so a warm `print-access-token` loads only what it needs.
const COMMANDS: Record<string, () => Promise<Command>> = {
  login: async () => (await import('./commands/login.js')).login,
  accounts: async () => (await import('./commands/accounts.js')).accounts,
  use: async () => (await import('./commands/use.js')).use,
  configure: async () => (await import('./commands/configure.js')).configure,
  'print-access-token': async () => (await import('./commands/print-tokens.js')).printAccessToken,
  'print-identity-token': async () => (await import('./commands/print-tokens.js')).printIdentityToken,
  logout: async () => (await import('./commands/logout.js')).logout,
  clients: async () => (await import('./commands/clients.js')).clients,
  'import-service-account': async () => (await import('./commands/import-service-account.js')).importServiceAccountCommand,
  info: async () => (await import('./commands/info.js')).info,
  'metadata-server': async () => (await import('./commands/metadata-server.js')).metadataServer,
  exec: async () => (await import('./commands/exec.js')).exec,
  curl: async () => (await import('./commands/curl.js')).curl,
  adc: async () => (await import('./commands/adc.js')).adc,
  'kube-credential': async () => (await import('./commands/kube-credential.js')).kubeCredential,
  'configure-docker': async () => (await import('./commands/configure-docker.js')).configureDocker,
  agent: async () => (await import('./commands/agent.js')).agent,
  console: async () => (await import('./commands/console.js')).consoleCommand,
  completion: async () => (await import('./commands/completion.js')).completion,
};

/** Where tokentray's own arguments end: at `--`, or at curl's URL (curl's arguments follow it). */
function ownArgsEnd(argv: string[]): number {
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length;
  const name = argv.findIndex((a) => !a.startsWith('-'));
  if (name < 0 || name >= end || argv[name] !== 'curl') return end;
  for (let i = name + 1; i < end; i++) {
    if (argv[i] === '--account' || argv[i] === '--quota-project') i++;
    else if (!argv[i].startsWith('-')) return i;
  }
  return end;
}

/** `tokentray --help`: every command, one line each, by group; each line from the command's own help. */
async function globalHelp(): Promise<string> {
  const groups = new Map<CommandGroup, Array<[string, string]>>(COMMAND_GROUPS.map((g) => [g, []]));
  for (const [name, load] of Object.entries(COMMANDS)) {
    const help = (await load()).help;
    groups.get(help?.group ?? 'Other')!.push([name, help?.summary ?? '']);
  }
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length)) + 2;
  const sections = [...groups]
    .filter(([, rows]) => rows.length > 0)
    .map(([group, rows]) => [`${group}:`, ...rows.map(([n, s]) => `  ${n.padEnd(width)}${s}`)].join('\n'));
  return `${INTRO}\n\nUsage: tokentray COMMAND [options]\n\n${sections.join('\n\n')}\n\n${OUTRO}`;
}

/** Beside the CLI's bundle: the specs as JSON, written by build/bundle-cli.mjs for `__complete`. */
export const COMMAND_SPECS_FILE = 'command-specs.json';

/** Every command's help spec, in the table's order: for completion and the man page. */
export async function commandSpecs(): Promise<CommandHelp[]> {
  const specs = await Promise.all(Object.values(COMMANDS).map(async (load) => (await load()).help));
  return specs.filter((h): h is CommandHelp => h !== undefined);
}

/** Hidden commands the completion scripts and the build call; not in `--help`. */
async function runHidden(name: string, rest: string[], io: CliIo): Promise<number> {
  if (name === '__complete') {
    const { complete, builtSpecs } = await import('./completion.js');
    const words = rest[0] === '--' ? rest.slice(1) : rest;
    // The build's copy of the specs: loading every command would load openid-client and jose too.
    const specs = builtSpecs(new URL(`./${COMMAND_SPECS_FILE}`, import.meta.url)) ?? (await commandSpecs());
    for (const candidate of complete(specs, words.length ? words : [''], io.env)) io.stdout(`${candidate}\n`);
    return 0;
  }
  const { formatManPage } = await import('./man-page.js');
  io.stdout(formatManPage(await commandSpecs(), await packageVersion(), INTRO, OUTRO));
  return 0;
}

export type { RunOptions };

/** The names `tokentray` knows, for tests and suggestions. */
export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

/** Runs one CLI invocation and returns its exit code: 0 success, 1 failure, 2 usage error. */
export async function run(argv: string[], options: RunOptions = {}): Promise<number> {
  const io = cliIo(options);
  const env = io.env;
  // --verbose is global (like gcloud's --log-http); what follows `--` or curl's URL is another command's.
  const end = ownArgsEnd(argv);
  const verbose = argv.slice(0, end).includes('--verbose') || env.TOKENTRAY_VERBOSE === '1';
  const args = [...argv.slice(0, end).filter((a) => a !== '--verbose'), ...argv.slice(end)];
  if (verbose) setLogSink((line) => io.stderr(`tokentray: ${line}\n`));
  const [name, ...rest] = args;
  if (name === 'help' && rest[0] !== undefined && COMMANDS[rest[0]]) {
    const help = (await COMMANDS[rest[0]]()).help;
    if (help) {
      io.stdout(formatHelp(help));
      return EXIT.ok;
    }
  }
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    (name === undefined ? io.stderr : io.stdout)(await globalHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(`tokentray ${await packageVersion()}\n`);
    return EXIT.ok;
  }
  if (name === '__complete' || name === '__manpage') return runHidden(name, rest, io);
  const load = COMMANDS[name];
  if (!load) {
    const guess = suggest(name.replace(/^-+/, ''), Object.keys(COMMANDS));
    io.stderr(errorLine('USAGE', `unknown command "${name}"${guess ? `: did you mean \`tokentray ${guess}\`?` : '.'} Run \`tokentray --help\` for the list.`));
    return EXIT.usage;
  }
  try {
    return await runCommand(await load(), rest, io, { verbose });
  } finally {
    setLogSink(undefined);
  }
}
