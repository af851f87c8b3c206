import { displayName, projectOf } from '../../core/storage/account-service.js';
import { TokenTrayError } from '../../core/shared/errors.js';
import { parseImpersonationChain } from '../../core/google/impersonation.js';
import { parseFlags, wantsHelp, type CliIo } from '../io.js';

const USAGE = 'tokentray configure ACCOUNT [--project ID | --no-project] [--impersonate-service-account SA[,DELEGATE…] | --no-impersonation] [--json]';

/**
 * A Google Cloud project id as the Cloud Console allows it: 6-30 characters, lowercase letters,
 * digits and hyphens, starting with a letter, not ending with a hyphen; older ones may carry a
 * domain prefix (`example.com:my-project`).
 */
const PROJECT_ID = /^(?:[a-z0-9][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

export function checkProjectId(value: string): string {
  if (!PROJECT_ID.test(value)) {
    throw new TokenTrayError('INVALID_PROJECT', `"${value.slice(0, 80)}" is not a Google Cloud project id (6-30 lowercase letters, digits and hyphens, starting with a letter).`);
  }
  return value;
}

/** Stores per-account settings (the ones the window edits, and the project); prints them. */
export async function configure(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    {
      project: { type: 'string' },
      'no-project': { type: 'boolean' },
      'impersonate-service-account': { type: 'string' },
      'no-impersonation': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    USAGE,
    1,
  );
  if (wantsHelp(values, USAGE, io)) return 0;
  if (!positionals[0]) throw new TokenTrayError('USAGE', `name the account (email or id)\nusage: ${USAGE}`);
  if (values.project !== undefined && values['no-project']) throw new TokenTrayError('USAGE', `give --project or --no-project, not both\nusage: ${USAGE}`);
  if (values['impersonate-service-account'] !== undefined && values['no-impersonation']) {
    throw new TokenTrayError('USAGE', `give --impersonate-service-account or --no-impersonation, not both\nusage: ${USAGE}`);
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
}
