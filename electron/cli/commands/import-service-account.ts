import { TokenTrayError } from '../../core/shared/errors.js';
import { importServiceAccount } from '../../core/google/service-account.js';
import { parseFlags, wantsHelp, type CliIo } from '../io.js';

const USAGE = 'tokentray import-service-account FILE';

/** Prints the service account's email, which names the account from then on (--account EMAIL). */
export async function importServiceAccountCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, {}, USAGE, 1);
  if (wantsHelp(values, USAGE, io)) return 0;
  if (!positionals[0]) throw new TokenTrayError('USAGE', `name the service-account key file (JSON)\nusage: ${USAGE}`);
  const account = await importServiceAccount(io.core().accounts, positionals[0]);
  io.stdout(`${account.email}\n`);
  io.stderr(`Imported ${account.email} (account id ${account.id}). Its private key is in the keychain; the file was not copied, and you may delete it.\n`);
  return 0;
}
