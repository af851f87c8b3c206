import { displayName, projectNumberOf, projectOf } from '../../core/accounts/account-service.js';
import { parseImpersonationChain } from '../../core/google/impersonation.js';
import { defineCommand, parseCommand, usageError, type CommandHelp } from '../io.js';
import { projectIdFlag, projectNumberFlag } from '../project-id-flag.js';

const CONFIGURE_HELP = {
  name: 'configure',
  group: 'Accounts',
  summary: "Set an account's Google Cloud project and impersonation, and print its settings",
  usage:
    'ACCOUNT [--project ID | --no-project] [--project-number NUMBER] [--quota-project ID | --no-quota-project] [--impersonate-service-account SA[,DELEGATE…] | --no-impersonation] [--json]',
  description:
    'Without options it only prints the settings. The project is what the metadata server and `tokentray exec` report (and hand to gcloud). ' +
    'The impersonation target is the service account whose tokens the window and the tray give for this account, and whose ID tokens ' +
    'the metadata server serves for a user account. The window edits the same settings.',
  args: [{ name: 'ACCOUNT', help: 'Email or id of the account (see `tokentray accounts`)' }],
  options: {
    project: {
      type: 'string',
      value: 'ID',
      default: "unchanged (at first none; a service account: its key's project)",
      help: 'Google Cloud project id, e.g. my-project-123',
    },
    'no-project': { type: 'boolean', help: 'Remove the project set with --project (and its number)' },
    'project-number': {
      type: 'string',
      value: 'NUMBER',
      default: 'unchanged (at first none; forgotten when the project changes)',
      help: "The project's number (the Console's dashboard shows it), which the metadata server reports; none is reported unless given",
    },
    'quota-project': {
      type: 'string',
      value: 'ID',
      default: 'unchanged (at first none)',
      help: 'User accounts: the project billed for API calls (sent as x-goog-user-project; set as GOOGLE_CLOUD_QUOTA_PROJECT by exec)',
    },
    'no-quota-project': { type: 'boolean', help: 'Remove the quota project' },
    'impersonate-service-account': {
      type: 'string',
      value: 'SA[,DELEGATE…]',
      default: 'unchanged (at first none)',
      help: 'Service account email to impersonate, then any delegates in the chain, comma-separated',
    },
    'no-impersonation': { type: 'boolean', help: 'Stop impersonating' },
    json: { type: 'boolean', help: 'Print JSON: {account, id, project, projectNumber, quotaProject, impersonate}; each is null when unset' },
  },
  examples: [
    { command: 'tokentray configure me@example.com --project my-project-123' },
    { command: 'tokentray configure me@example.com --quota-project my-billing-project', help: 'APIs that need a quota project bill it' },
    { command: 'tokentray configure me@example.com --impersonate-service-account deployer@my-project-123.iam.gserviceaccount.com' },
    { command: 'tokentray configure me@example.com --no-impersonation --json' },
  ],
} satisfies CommandHelp;

/** Stores per-account settings (the ones the window edits, and the project); prints them. */
export const configure = defineCommand(CONFIGURE_HELP, async (args, io) => {
  const parsed = parseCommand(CONFIGURE_HELP, args, io);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (!positionals[0]) throw usageError(CONFIGURE_HELP, 'name the account (email or id)');
  if (values.project !== undefined && values['no-project']) throw usageError(CONFIGURE_HELP, 'give --project or --no-project, not both');
  if (values['quota-project'] !== undefined && values['no-quota-project'])
    throw usageError(CONFIGURE_HELP, 'give --quota-project or --no-quota-project, not both');
  if (values['impersonate-service-account'] !== undefined && values['no-impersonation']) {
    throw usageError(CONFIGURE_HELP, 'give --impersonate-service-account or --no-impersonation, not both');
  }
  // Everything is checked before anything is written.
  const project = values.project !== undefined ? projectIdFlag(CONFIGURE_HELP, '--project', values.project) : undefined;
  const projectNumber = values['project-number'] !== undefined ? projectNumberFlag(CONFIGURE_HELP, values['project-number']) : undefined;
  if (projectNumber !== undefined && values['no-project']) throw usageError(CONFIGURE_HELP, 'give --project-number or --no-project, not both');
  const quotaProject = values['quota-project'] !== undefined ? projectIdFlag(CONFIGURE_HELP, '--quota-project', values['quota-project']) : undefined;
  const chain = values['impersonate-service-account'] !== undefined ? parseImpersonationChain(values['impersonate-service-account']) : undefined;
  const accounts = io.core().accounts;
  let account = await accounts.resolve(positionals[0]);
  if (quotaProject !== undefined || values['no-quota-project']) account = await accounts.setQuotaProject(account.id, quotaProject);
  if (project !== undefined || values['no-project']) account = await accounts.setProject(account.id, project);
  if (projectNumber !== undefined) account = await accounts.setProjectNumber(account.id, projectNumber);
  if (chain) account = await accounts.setImpersonation(account.id, [chain.target, ...chain.delegates]);
  else if (values['no-impersonation']) account = await accounts.setImpersonation(account.id, []);
  const settings = {
    account: displayName(account),
    id: account.id,
    project: projectOf(account) ?? null,
    projectNumber: projectNumberOf(account, projectOf(account)) ?? null,
    quotaProject: account.quotaProject ?? null,
    impersonate: account.impersonate?.length ? account.impersonate : null,
  };
  if (values.json) io.stdout(`${JSON.stringify(settings, null, 2)}\n`);
  else {
    io.stdout(
      `account      ${settings.account} (${settings.id})\nproject      ${settings.project ?? '-'}${settings.projectNumber ? ` (number ${settings.projectNumber})` : ''}\nquota        ${settings.quotaProject ?? '-'}\nimpersonate  ${settings.impersonate?.join(', ') ?? '-'}\n`,
    );
  }
  return 0;
});
