import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { GOOGLE_SHORT_SCOPE_NAMES } from '../core/oauth/scopes.js';
import { REGISTRY_FILE } from '../core/accounts/account-registry.js';
import { appDataDir } from '../core/storage/paths.js';
import type { CommandHelp, OptionHelp } from './io.js';

/** The specs the build wrote (run.ts's COMMAND_SPECS_FILE), or undefined without a build. */
export function builtSpecs(file: URL): CommandHelp[] | undefined {
  try {
    return JSON.parse(readFileSync(fileURLToPath(file), 'utf8')) as CommandHelp[];
  } catch {
    return undefined;
  }
}

/** Options every command takes besides its own. */
const COMMON_OPTIONS = ['--help', '--verbose'];
/** Before a command: the program's own flags. */
const TOP_OPTIONS = ['--help', '--version', '-v', '--verbose'];

export type Shell = 'bash' | 'zsh' | 'fish' | 'powershell';
export const SHELLS: readonly Shell[] = ['bash', 'zsh', 'fish', 'powershell'];

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Emails and ids of the accounts in accounts.json, read as a file: no keychain, no lock. A missing
 * or damaged registry gives no candidates (completion must never fail or prompt).
 */
function accountNames(env: Env): string[] {
  try {
    const data = JSON.parse(readFileSync(join(appDataDir(env), REGISTRY_FILE), 'utf8')) as { accounts?: Array<{ id?: unknown; email?: unknown }> };
    const names = (data.accounts ?? []).flatMap((a) => [a.email, a.id]).filter((n): n is string => typeof n === 'string' && /^[^\s\p{C}]+$/u.test(n));
    return [...new Set(names)];
  } catch {
    return [];
  }
}

/**
 * The candidates for a value, by the placeholder the spec names it with (one declaration for
 * help and completion): ACCOUNT, a scope list, or literal choices `a|b`. Others (FILE, URL): none,
 * and the shell falls back to its own (file names).
 */
function valuesFor(placeholder: string, current: string, env: Env): string[] {
  if (placeholder === 'ACCOUNT') return accountNames(env);
  if (placeholder === 'S1,S2') {
    // A comma-separated list: complete its last item, keeping what comes before.
    const head = current.slice(0, current.lastIndexOf(',') + 1);
    const taken = new Set(head.split(',').filter(Boolean));
    return GOOGLE_SHORT_SCOPE_NAMES.filter((s) => !taken.has(s)).map((s) => head + s);
  }
  if (/^[a-z-]+(\|[a-z-]+)+$/.test(placeholder)) return placeholder.split('|');
  return [];
}

function optionNames(help: CommandHelp): string[] {
  return [...Object.keys(help.options).map((n) => `--${n}`), ...COMMON_OPTIONS];
}

function optionNamed(help: CommandHelp, word: string): OptionHelp | undefined {
  if (word.startsWith('--')) return help.options[word.slice(2)];
  if (/^-[a-zA-Z]$/.test(word)) return Object.values(help.options).find((o) => o.short === word.slice(1));
  return undefined;
}

/**
 * What may come at the cursor. `words` are those after the program name, the last being the one
 * under the cursor (maybe empty). Candidates start with that word; the shell shows them.
 */
export function complete(specs: readonly CommandHelp[], words: readonly string[], env: Env): string[] {
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const start = before.findIndex((w) => !w.startsWith('-'));
  const byPrefix = (list: string[]) => [...new Set(list)].filter((c) => c.startsWith(current));
  if (start < 0) {
    if (current.startsWith('-')) return byPrefix(TOP_OPTIONS);
    return byPrefix(specs.map((s) => s.name));
  }
  let help = specs.find((s) => s.name === before[start]);
  if (!help) return [];
  let rest = before.slice(start + 1);
  if (help.subcommands?.length) {
    const sub = help.subcommands.find((s) => s.name === `${help!.name} ${rest[0]}`);
    if (sub) {
      help = sub;
      rest = rest.slice(1);
    } else if (rest.length === 0 && !current.startsWith('-')) {
      return byPrefix(help.subcommands.map((s) => s.name.split(' ').at(-1)!));
    }
  }
  // After `--`, the words are another program's.
  if (rest.includes('--')) return [];
  const previous = optionNamed(help, rest.at(-1) ?? '');
  if (previous?.type === 'string' && !(rest.at(-1) ?? '').includes('=')) return byPrefix(valuesFor(previous.value, current, env));
  if (current.startsWith('-')) {
    const eq = current.indexOf('=');
    const option = eq > 0 ? optionNamed(help, current.slice(0, eq)) : undefined;
    if (option?.type === 'string') return byPrefix(valuesFor(option.value, current.slice(eq + 1), env).map((v) => `${current.slice(0, eq + 1)}${v}`));
    return byPrefix(optionNames(help));
  }
  const spec = help;
  const positionals = rest.filter((w, i) => !w.startsWith('-') && optionNamed(spec, rest[i - 1] ?? '')?.type !== 'string');
  const arg = help.args?.[positionals.length] ?? (help.args?.at(-1)?.repeated ? help.args.at(-1) : undefined);
  return arg ? byPrefix(valuesFor(arg.name, current, env)) : [];
}
