import { displayName } from '../../core/storage/account-service.js';
import { TokenTrayError } from '../../core/shared/errors.js';
import { parseFlags, wantsHelp, type CliIo } from '../io.js';

const USAGE = 'tokentray use ACCOUNT';

export async function use(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, {}, USAGE, 1);
  if (wantsHelp(values, USAGE, io)) return 0;
  if (!positionals[0]) throw new TokenTrayError('USAGE', `name the account (email or id)\nusage: ${USAGE}`);
  const account = await io.core().accounts.setDefault(positionals[0]);
  io.stderr(`${displayName(account)} is now the default account.\n`);
  return 0;
}
