import { displayName } from '../../core/accounts/account-service.js';
import { exportAdcFile, importAdcFile, wellKnownAdcPath } from '../../core/google/adc.js';
import { defineCommand, formatHelp, parseCommand, suggest, usageError, type CommandHelp } from '../io.js';

const ADC_IMPORT_HELP = {
  name: 'adc import',
  group: 'Integrations',
  summary: 'Add the account of an Application Default Credentials file (no OAuth client of your own needed)',
  usage: '[FILE] [--issuer URL] [--remove-file]',
  description:
    'Reads the authorized_user file that `gcloud auth application-default login` wrote, proves it works with one refresh, and keeps its ' +
    'refresh token in the keychain. The file is left alone unless you pass --remove-file. Also takes workforce (external_account_authorized_user) ' +
    'and workload (external_account) identity federation files.',
  args: [{ name: 'FILE', optional: true, help: "The ADC file. Without it: gcloud's well-known one, ~/.config/gcloud/application_default_credentials.json" }],
  options: {
    issuer: {
      type: 'string',
      value: 'URL',
      default: 'https://accounts.google.com',
      help: "Where the refresh token is refreshed (non-Google issuers that speak Google's flavor)",
    },
    'remove-file': { type: 'boolean', help: 'Delete the file once imported (it holds the refresh token in plain text)' },
  },
  examples: [{ command: 'gcloud auth application-default login && tokentray adc import --remove-file' }, { command: 'tokentray adc import ~/creds/adc.json' }],
} satisfies CommandHelp;

const ADC_EXPORT_HELP = {
  name: 'adc export',
  group: 'Integrations',
  summary: "Write an account's Application Default Credentials file (it holds a refresh token)",
  usage: '[--account ACCOUNT] [--output FILE] [--force]',
  description:
    'For tools that read only ADC files. The file (mode 0600) holds the refresh token in plain text: prefer `tokentray exec`, and delete the file when done.',
  options: {
    account: { type: 'string', value: 'ACCOUNT', default: '$TOKENTRAY_ACCOUNT, else the default account', help: 'Email or id of a Google user account' },
    output: { type: 'string', value: 'FILE', default: "gcloud's well-known ADC file", help: 'Where to write it' },
    force: { type: 'boolean', help: 'Replace the file if it exists' },
  },
  examples: [{ command: 'tokentray adc export --account work@example.com --output ./adc.json' }],
} satisfies CommandHelp;

const ADC_HELP = {
  name: 'adc',
  group: 'Integrations',
  summary: 'Import or export Application Default Credentials files (adc import, adc export)',
  usage: 'import|export [options]',
  args: [{ name: 'import|export', help: 'Run `tokentray adc import --help` or `tokentray adc export --help` for each' }],
  options: {},
  examples: [...ADC_IMPORT_HELP.examples.slice(0, 1), ...ADC_EXPORT_HELP.examples],
  subcommands: [ADC_IMPORT_HELP, ADC_EXPORT_HELP],
} satisfies CommandHelp;

export const adc = defineCommand(ADC_HELP, async (args, io) => {
  const [verb, ...rest] = args;
  if (verb === 'import') {
    const parsed = parseCommand(ADC_IMPORT_HELP, rest, io);
    if (!parsed) return 0;
    const { values, positionals } = parsed;
    const path = positionals[0] ?? wellKnownAdcPath(io.env);
    const account = await importAdcFile(io.core(), path, {
      env: io.env,
      ...(values.issuer ? { issuer: values.issuer } : {}),
      ...(values['remove-file'] ? { removeFile: true } : {}),
    });
    io.stdout(`${displayName(account)}\n`);
    io.stderr(values['remove-file'] ? `Imported and removed ${path}.\n` : `Imported ${path}; the file was left as it was (--remove-file deletes it).\n`);
    return 0;
  }
  if (verb === 'export') {
    const parsed = parseCommand(ADC_EXPORT_HELP, rest, io);
    if (!parsed) return 0;
    const { values } = parsed;
    const core = io.core();
    const account = await core.accounts.resolve(values.account);
    const path = values.output ?? wellKnownAdcPath(io.env);
    await exportAdcFile(core, account, path, { overwrite: values.force === true, env: io.env });
    io.stderr(
      `Wrote ${path} (mode 0600). It holds the refresh token of ${displayName(account)} in plain text: anyone who can read it can act as this account. Delete it when you are done, or prefer \`tokentray exec\`.\n`,
    );
    io.stdout(`${path}\n`);
    return 0;
  }
  if (verb === '--help' || verb === '-h') {
    io.stdout(formatHelp(ADC_HELP));
    return 0;
  }
  const guess = verb === undefined ? undefined : suggest(verb, ['import', 'export']);
  throw usageError(
    ADC_HELP,
    verb === undefined
      ? 'adc takes import or export'
      : `unknown adc command "${verb}"${guess ? `: did you mean \`adc ${guess}\`?` : ' (it takes import or export)'}`,
  );
});
