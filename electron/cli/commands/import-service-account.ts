import { importServiceAccount } from '../../core/google/service-account.js';
import { defineCommand, parseCommand, usageError, type CommandHelp } from '../io.js';

const IMPORT_SA_HELP = {
  name: 'import-service-account',
  group: 'Accounts',
  summary: 'Add a service account from its JSON key (the key goes into the keychain)',
  usage: 'FILE',
  description:
    "Prints the service account's email, which names the account from then on (--account EMAIL). TokenTray keeps no copy of the file: delete it afterwards.",
  args: [{ name: 'FILE', help: 'The key file from IAM & Admin → Service accounts → Keys' }],
  options: {},
  examples: [
    { command: 'tokentray import-service-account ~/Downloads/my-project-1a2b3c.json && rm ~/Downloads/my-project-1a2b3c.json' },
    { command: 'tokentray print-access-token --account ci-bot@my-project.iam.gserviceaccount.com' },
  ],
} satisfies CommandHelp;

/** Prints the service account's email, which names the account from then on (--account EMAIL). */
export const importServiceAccountCommand = defineCommand(IMPORT_SA_HELP, async (args, io) => {
  const parsed = parseCommand(IMPORT_SA_HELP, args, io);
  if (!parsed) return 0;
  if (!parsed.positionals[0]) throw usageError(IMPORT_SA_HELP, 'name the service-account key file (JSON)');
  const account = await importServiceAccount(io.core().accounts, parsed.positionals[0]);
  io.stdout(`${account.email}\n`);
  io.stderr(`Imported ${account.email} (account id ${account.id}). Its private key is in the keychain; the file was not copied, and you may delete it.\n`);
  return 0;
});
