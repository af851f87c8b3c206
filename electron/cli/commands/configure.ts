import { displayName, projectOf } from '../../core/storage/account-service.js';
import { parseImpersonationChain } from '../../core/google/impersonation.js';
import { defineCommand, parseCommand, usageError, type CommandHelp } from '../io.js';

export const CONFIGURE_HELP = {
  name: 'configure',
  group: 'Accounts',
  summary: "Set an account's Google Cloud project and impersonation, and print its settings",
  usage: 'ACCOUNT [--project ID | --no-project] [--impersonate-service-account SA[,DELEGATE…] | --no-impersonation] [--json]',
  description:
    'Without options it only prints the settings. The project is what the metadata server and `tokentray exec` report (and hand to gcloud). ' +
    'The impersonation target is the service account whose tokens the window and the tray give for this account, and whose ID tokens ' +
    'the metadata server serves for a user account. The window edits the same settings.',
  args: [{ name: 'ACCOUNT', help: 'Email or id of the account (see `tokentray accounts`)' }],
  options: {
    project: { type: 'string', value: 'ID', default: "unchanged (at first none; a service account: its key's project)", help: 'Google Cloud project id, e.g. my-project-123' },
    'no-project': { type: 'boolean', help: 'Remove the project set with --project' },
    'impersonate-service-account': {
      type: 'string',
      value: 'SA[,DELEGATE…]',
      default: 'unchanged (at first none)',
      help: 'Service account email to impersonate, then any delegates in the chain, comma-separated',
    },
    'no-impersonation': { type: 'boolean', help: 'Stop impersonating' },
    json: { type: 'boolean', help: 'Print JSON: {account, id, project, impersonate}; project and impersonate are null when unset' },
  },
  examples: [
    { command: 'tokentray configure me@example.com --project my-project-123' },
    { command: 'tokentray configure me@example.com --impersonate-service-account deployer@my-project-123.iam.gserviceaccount.com' },
    { command: 'tokentray configure me@example.com --no-impersonation --json' },
  ],
} satisfies CommandHelp;

/**
 * A Google Cloud project id as the Cloud Console allows it: 6-30 characters, lowercase letters,
 * digits and hyphens, starting with a letter, not ending with a hyphen; older ones may carry a
 * domain prefix (`example.com:my-project`).
 */
const PROJECT_ID = /^(?:[a-z0-9][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

export function checkProjectId(value: string): string {
  if (!PROJECT_ID.test(value)) {
    // A bad option value is a usage error (exit 2), like every other.
    throw usageError(CONFIGURE_HELP, `--project: "${value.slice(0, 80)}" is not a Google Cloud project id (6-30 lowercase letters, digits and hyphens, starting with a letter)`);
  }
  return value;
}

/** Stores per-account settings (the ones the window edits, and the project); prints them. */
export const configure = defineCommand(CONFIGURE_HELP, async (args, io) => {
  const parsed = parseCommand(CONFIGURE_HELP, args, io);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (!positionals[0]) throw usageError(CONFIGURE_HELP, 'name the account (email or id)');
  if (values.project !== undefined && values['no-project']) throw usageError(CONFIGURE_HELP, 'give --project or --no-project, not both');
  if (values['impersonate-service-account'] !== undefined && values['no-impersonation']) {
    throw usageError(CONFIGURE_HELP, 'give --impersonate-service-account or --no-impersonation, not both');
  }
  // Everything is checked before anything is written.
  const project = values.project !== undefined ? checkProjectId(values.project) : undefined;
  const chain = values['impersonate-service-account'] !== undefined ? parseImpersonationChain(values['impersonate-service-account']) : undefined;
  const accounts = io.core().accounts;
  let account = await accounts.resolve(positionals[0]);
  if (project !== undefined || values['no-project']) account = await accounts.setProject(account.id, project);
  if (chain) account = await accounts.setImpersonation(account.id, [chain.target, ...chain.delegates]);
  else if (values['no-impersonation']) account = await accounts.setImpersonation(account.id, []);
  const settings = { account: displayName(account), id: account.id, project: projectOf(account) ?? null, impersonate: account.impersonate?.length ? account.impersonate : null };
  if (values.json) io.stdout(`${JSON.stringify(settings, null, 2)}\n`);
  else {
    io.stdout(`account      ${settings.account} (${settings.id})\nproject      ${settings.project ?? '-'}\nimpersonate  ${settings.impersonate?.join(', ') ?? '-'}\n`);
  }
  return 0;
});
