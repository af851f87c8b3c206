import { displayName } from '../../core/accounts/account-service.js';
import { defineCommand, parseCommand, usageError, type CommandHelp } from '../io.js';

const USE_HELP = {
  name: 'use',
  group: 'Accounts',
  summary: 'Make an account the default one',
  usage: 'ACCOUNT',
  description: 'The default account is the one every command uses without --account (and without $TOKENTRAY_ACCOUNT), and the first in the tray menu.',
  args: [{ name: 'ACCOUNT', help: 'Email or id of the account (see `tokentray accounts`)' }],
  options: {},
  examples: [{ command: 'tokentray use work@example.com' }],
} satisfies CommandHelp;

export const use = defineCommand(USE_HELP, async (args, io) => {
  const parsed = parseCommand(USE_HELP, args, io);
  if (!parsed) return 0;
  if (!parsed.positionals[0]) throw usageError(USE_HELP, 'name the account (email or id)');
  const account = await io.core().accounts.setDefault(parsed.positionals[0]);
  io.stderr(`${displayName(account)} is now the default account.\n`);
  return 0;
});
