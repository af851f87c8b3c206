import { usageLine, type CommandHelp } from './io.js';

/** Text as roff shows it: backslashes and hyphens escaped, no line taken for a request. */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

function commandSection(help: CommandHelp): string[] {
  const out = ['.SS', `.B ${roff(usageLine(help))}`, '.PP', roff(help.summary.replace(/\.?$/, '.'))];
  if (help.description) out.push('.PP', roff(help.description));
  for (const a of help.args ?? []) out.push('.TP', `.I ${roff(a.name)}`, roff(a.optional ? `Optional. ${a.help}` : a.help));
  for (const [name, o] of Object.entries(help.options)) {
    const flag = `${o.short ? `\\-${o.short}, ` : ''}\\-\\-${roff(name)}`;
    out.push(
      '.TP',
      o.type === 'string' ? `.BI "${flag} " ${roff(o.value)}` : `.B ${flag}`,
      roff(o.type === 'string' ? `${o.help}. Default: ${o.default}.` : o.help),
    );
  }
  for (const e of help.examples) out.push('.PP', ...(e.help ? [roff(e.help)] : []), '.RS', '.EX', roff(e.command), '.EE', '.RE');
  return out;
}

/**
 * tokentray(1), from the same help specs `--help` and completion use, so the three cannot
 * disagree. The build writes it to dist/man/tokentray.1.
 */
export function formatManPage(specs: readonly CommandHelp[], version: string, intro: string, outro: string): string {
  const out = [
    `.TH TOKENTRAY 1 "" "tokentray ${roff(version)}" "User Commands"`,
    '.SH NAME',
    `tokentray \\- ${roff(intro.replace(/^tokentray: /, ''))}`,
    '.SH SYNOPSIS',
    '.B tokentray',
    '.I COMMAND',
    '[options]',
    '.br',
    '.B tokentray',
    '[\\-\\-help | \\-v | \\-\\-version]',
    '.SH DESCRIPTION',
    ...outro
      .trim()
      .split('\n')
      .flatMap((line) => ['.PP', roff(line)]),
    '.SH COMMANDS',
  ];
  for (const help of specs) for (const h of help.subcommands?.length ? help.subcommands : [help]) out.push(...commandSection(h));
  out.push(
    '.SH FILES',
    '.TP',
    '.I ~/.config/TokenTray/accounts.json',
    'The accounts (no secrets; those are in the OS keychain). macOS: ~/Library/Application Support/TokenTray; Windows: %APPDATA%\\eTokenTray. $TOKENTRAY_HOME replaces the folder.',
    '.SH ENVIRONMENT',
    '.TP',
    '.B TOKENTRAY_ACCOUNT',
    'The account when \\-\\-account is not given.',
    '.TP',
    '.B TOKENTRAY_VERBOSE=1',
    'As \\-\\-verbose.',
    '.SH EXIT STATUS',
    '0 on success, 1 on failure, 2 on a usage error.',
    '.SH SEE ALSO',
    '.BR gcloud (1),',
    '.BR kubectl (1)',
  );
  return `${out.join('\n')}\n`;
}
