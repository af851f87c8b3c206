import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Core } from '../core/core.js';
import { TokenTrayError } from '../core/shared/errors.js';
import { terminalSafe } from '../core/shared/sanitize.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  /** Lazily built, so `--help` and usage errors never touch the keychain. */
  core: () => Core;
  signal?: AbortSignal;
  /** Where `-` values are read from (`--client-secret -`); process.stdin unless given. */
  stdin?: NodeJS.ReadableStream;
}

/**
 * Every line TokenTray itself prints passes through here: control characters, and bidirectional,
 * zero-width and other invisible formatting characters, in names that came from an issuer, a key
 * file or a hand-edited accounts.json are shown escaped, never acted on or hidden by the terminal. (The output of exec's and curl's children is theirs and is not touched.)
 */
export function terminalWriter(write: (text: string) => void): (text: string) => void {
  return (text) => write(terminalSafe(text));
}

/** A command; one built with `defineCommand` carries its help, which `tokentray --help` lists. */
export type Command = ((args: string[], io: CliIo) => Promise<number>) & { help?: CommandHelp };

/** The groups `tokentray --help` lists commands under, in this order. */
export const COMMAND_GROUPS = ['Accounts', 'Tokens', 'Integrations', 'Other'] as const;
export type CommandGroup = (typeof COMMAND_GROUPS)[number];

/** One flag. A flag that takes a value says what you get without it (`default`). */
export type OptionHelp = { short?: string; help: string } & (
  { type: 'boolean' } | { type: 'string'; /** Placeholder in the help: ACCOUNT, FILE. */ value: string; default: string }
);

/** What `tokentray COMMAND --help` shows, declared next to the command's flags. */
export interface CommandHelp {
  /** As typed after `tokentray`: `login`, `adc import`. */
  name: string;
  /** The program, when it is not `tokentray` (docker-credential-tokentray); it has no --verbose. */
  program?: string;
  group: CommandGroup;
  /** One line for `tokentray --help`. */
  summary: string;
  /** After `tokentray NAME `: e.g. `ACCOUNT [--no-revoke]`. */
  usage: string;
  /** A few sentences more than the summary, when they help. */
  description?: string;
  /** Positional arguments, in order; a `repeated` last one takes any number (up to 100). */
  args?: Array<{ name: string; help: string; optional?: boolean; repeated?: boolean }>;
  options: Record<string, OptionHelp>;
  examples: Array<{ command: string; help?: string }>;
  /** `adc import`, `clients remove`: their own specs, for completion and the man page. */
  subcommands?: CommandHelp[];
}

const HELP_OPTION = { type: 'boolean', short: 'h', help: 'Show this help' } as const;

export function usageLine(help: CommandHelp): string {
  return [help.program ?? 'tokentray', help.name, help.usage].filter(Boolean).join(' ');
}

const WIDTH = 100;

/** Breaks text into lines of at most `width` characters, at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

/** Two columns: names, then text wrapped beside them. */
function table(rows: Array<[string, string]>): string[] {
  const width = Math.min(30, Math.max(...rows.map(([k]) => k.length)) + 2);
  return rows.flatMap(([k, v]) => {
    const text = wrap(v, WIDTH - 2 - width);
    const first = k.length + 2 > width ? [`  ${k}`, `  ${''.padEnd(width)}${text.shift() ?? ''}`] : [`  ${k.padEnd(width)}${text.shift() ?? ''}`];
    return [...first, ...text.map((t) => `  ${''.padEnd(width)}${t}`)];
  });
}

/** The `--help` page: what it does, usage, arguments, options with their defaults, examples. */
export function formatHelp(help: CommandHelp): string {
  const out: string[] = [help.summary.replace(/\.?$/, '.')];
  if (help.description) out.push('', ...wrap(help.description, WIDTH));
  out.push('', 'Usage:', `  ${usageLine(help)}`);
  if (help.args?.length) out.push('', 'Arguments:', ...table(help.args.map((a) => [a.name, a.optional ? `Optional. ${a.help}` : a.help])));
  const options: Array<[string, string]> = Object.entries({ ...help.options, help: HELP_OPTION as OptionHelp }).map(([name, o]) => [
    `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.value}` : ''}`,
    o.type === 'string' ? `${o.help}. Default: ${o.default}.` : o.help,
  ]);
  out.push('', 'Options:', ...table(options));
  if (!help.program) out.push('', 'Global options:', ...table([['--verbose', 'Log every HTTP exchange to stderr, tokens and secrets redacted']]));
  if (help.examples.length) {
    out.push('', 'Examples:');
    for (const e of help.examples) out.push(...(e.help ? [`  # ${e.help}`] : []), `  $ ${e.command}`);
  }
  return `${out.join('\n')}\n`;
}

/** Rows under a header row, columns aligned (the last one left ragged): `accounts`, `clients`. */
export function alignedTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return (
    all
      .map((r) =>
        r
          .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i])))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** The nearest candidate within a small edit distance, for "did you mean …?". */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  if (!best) return undefined;
  const allowed = word.length <= 4 ? 1 : word.length <= 8 ? 2 : 3;
  return best.distance <= allowed ? best.candidate : undefined;
}

/** Damerau-Levenshtein (optimal string alignment): a swap of two letters counts as one edit. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** A USAGE error (exit 2): the sentence, the usage line, and where the full help is. */
export function usageError(help: CommandHelp | string, message: string): TokenTrayError {
  if (typeof help === 'string') return new TokenTrayError('USAGE', `${message}\nusage: ${help}`);
  const helpCommand = [help.program ?? 'tokentray', help.name, '--help'].filter(Boolean).join(' ');
  return new TokenTrayError('USAGE', `${message}\nusage: ${usageLine(help)}\nRun \`${helpCommand}\` for the options and examples.`);
}

/** parseArgs' errors in our words, with a suggestion for a mistyped flag. */
function translateParseError(err: unknown, options: Options): string {
  const e = err as Error & { code?: string };
  const quoted = /'(-[^' ]+)/.exec(e.message)?.[1];
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && quoted) {
    const name = quoted.replace(/^-+/, '').replace(/=.*$/, '');
    const guess = suggest(name, Object.keys(options));
    return `unknown option ${quoted.replace(/=.*$/, '')}${guess ? `: did you mean --${guess}?` : ''}`;
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && quoted) {
    return /argument missing/.test(e.message) ? `${quoted} needs a value` : `${quoted} takes no value`;
  }
  const positional = /argument '([^']*)'/.exec(e.message)?.[1];
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && positional !== undefined) {
    return `unexpected argument "${positional}"${'account' in options ? `: did you mean --account ${positional}?` : ''}`;
  }
  return e.message.split('\n')[0];
}

function parse(args: string[], options: Options, maxPositionals: number, usage: CommandHelp | string) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: maxPositionals > 0, strict: true });
  } catch (err) {
    throw usageError(usage, translateParseError(err, options));
  }
  if (parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals[maxPositionals];
    // `print-access-token alice@example.com`: the account goes with --account.
    const hint = 'account' in options && (parsed.values as Record<string, unknown>).account === undefined ? `: did you mean --account ${extra}?` : '';
    throw usageError(usage, `unexpected argument "${extra}"${hint}`);
  }
  return parsed;
}

/**
 * Parses a command's flags from its help spec (one declaration for parsing and help). Returns
 * undefined when `--help` was given: the help has been printed and the command should exit 0.
 */
export function parseCommand<H extends CommandHelp>(help: H, args: string[], io: CliIo) {
  const options = Object.fromEntries(Object.entries(help.options).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}) }])) as {
    [K in keyof H['options']]: { type: H['options'][K]['type'] };
  };
  const maxPositionals = help.args?.at(-1)?.repeated ? 100 : (help.args?.length ?? 0);
  const parsed = parse(args, options, maxPositionals, help);
  if (parsed.values.help) {
    io.stdout(formatHelp(help));
    return undefined;
  }
  return parsed as unknown as { values: { [K in keyof H['options']]?: H['options'][K]['type'] extends 'boolean' ? boolean : string }; positionals: string[] };
}

/** Attaches the help to the command, so `tokentray --help` can list it. */
export function defineCommand(help: CommandHelp, run: (args: string[], io: CliIo) => Promise<number>): Command {
  return Object.assign(run, { help });
}

/** The most TokenTray reads from stdin: a secret, a passphrase, a registry's address, a credentials document. */
export const STDIN_LIMIT = 64 * 1024;

/**
 * The one stdin reader: to its end, or with `firstLine` to its first line break, at most `limit`
 * bytes. More is refused with INPUT_TOO_LARGE, never cut silently (a cut input is another input).
 */
export async function readStdin(input: NodeJS.ReadableStream, what: string, options: { firstLine?: boolean; limit?: number } = {}): Promise<string> {
  const limit = options.limit ?? STDIN_LIMIT;
  const chunks: Buffer[] = [];
  let size = 0;
  let lineEnd = -1;
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const newline = options.firstLine ? bytes.indexOf(0x0a) : -1;
    if (newline >= 0) lineEnd = size + newline;
    chunks.push(bytes);
    size += bytes.length;
    if (lineEnd >= 0 || size > limit) break;
  }
  (input as { pause?: () => void }).pause?.();
  const end = lineEnd >= 0 ? lineEnd : size;
  if (end > limit) throw new TokenTrayError('INPUT_TOO_LARGE', `${what} read from stdin is longer than ${Math.floor(limit / 1024)} KB.`);
  return Buffer.concat(chunks).subarray(0, end).toString('utf8');
}

/**
 * Reads a secret given as `-`: the first line of stdin (a pipe or a file; at a terminal, typed and
 * ended with Enter). Keeps the secret out of argv, where every local user can read it with `ps`.
 */
export async function readSecretFromStdin(io: CliIo, what: string): Promise<string> {
  const input = io.stdin ?? process.stdin;
  if ((input as { isTTY?: boolean }).isTTY) io.stderr(`${what}: `);
  const line = (await readStdin(input, what, { firstLine: true })).trim();
  if (!line) throw new TokenTrayError('USAGE', `${what} was to be read from stdin (-), but stdin was empty.`);
  return line;
}
