import { displayName } from '../../core/storage/account-service.js';
import { exportAdcFile, importAdcFile, wellKnownAdcPath } from '../../core/google/adc.js';
import { TokenTrayError } from '../../core/shared/errors.js';
import { parseFlags, wantsHelp, type CliIo } from '../io.js';

const USAGE = 'tokentray adc import [FILE] [--issuer URL] [--remove-file] | tokentray adc export [--account ACCOUNT] [--output FILE] [--force]';

export async function adc(args: string[], io: CliIo): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === 'import') {
    const { values, positionals } = parseFlags(rest, { issuer: { type: 'string' }, 'remove-file': { type: 'boolean' } }, USAGE, 1);
    if (wantsHelp(values, USAGE, io)) return 0;
    const path = positionals[0] ?? wellKnownAdcPath(io.env);
    const account = await importAdcFile(io.core(), path, { ...(values.issuer ? { issuer: values.issuer } : {}), ...(values['remove-file'] ? { removeFile: true } : {}) });
    io.stdout(`${displayName(account)}\n`);
    io.stderr(values['remove-file'] ? `Imported and removed ${path}.\n` : `Imported ${path}; the file was left as it was (--remove-file deletes it).\n`);
    return 0;
  }
  if (verb === 'export') {
    const { values } = parseFlags(rest, { account: { type: 'string' }, output: { type: 'string' }, force: { type: 'boolean' } }, USAGE);
    if (wantsHelp(values, USAGE, io)) return 0;
    const core = io.core();
    const account = await core.accounts.resolve(values.account);
    const path = values.output ?? wellKnownAdcPath(io.env);
    await exportAdcFile(core, account, path, { overwrite: values.force === true });
    io.stderr(`Wrote ${path} (mode 0600). It holds the refresh token of ${displayName(account)} in plain text: anyone who can read it can act as this account. Delete it when you are done, or prefer \`tokentray exec\`.\n`);
    io.stdout(`${path}\n`);
    return 0;
  }
  if (verb === '--help' || verb === '-h') {
    io.stdout(`usage: ${USAGE}\n`);
    return 0;
  }
  throw new TokenTrayError('USAGE', `adc takes import or export\nusage: ${USAGE}`);
}
