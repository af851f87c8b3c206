import { parseScopeList } from '../../core/scopes.js';
import { parseFlags, wantsHelp, type CliIo } from '../io.js';

const ACCESS_USAGE = 'tokentray print-access-token [--account ACCOUNT] [--scopes S1,S2]';
const IDENTITY_USAGE = 'tokentray print-identity-token [--account ACCOUNT]';

/** Prints the token and a newline, nothing else, so that `$(tokentray print-access-token)` works. */
export async function printAccessToken(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(args, { account: { type: 'string' }, scopes: { type: 'string' } }, ACCESS_USAGE);
  if (wantsHelp(values, ACCESS_USAGE, io)) return 0;
  const core = io.core();
  const account = await core.accounts.resolve(values.account);
  const token = await core.tokens.getAccessToken(account, values.scopes ? parseScopeList(values.scopes) : undefined);
  io.stdout(`${token.token}\n`);
  return 0;
}

export async function printIdentityToken(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(args, { account: { type: 'string' } }, IDENTITY_USAGE);
  if (wantsHelp(values, IDENTITY_USAGE, io)) return 0;
  const core = io.core();
  const account = await core.accounts.resolve(values.account);
  const token = await core.tokens.getIdToken(account);
  io.stdout(`${token.token}\n`);
  return 0;
}
