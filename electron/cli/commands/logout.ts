import { displayName } from '../../core/storage/account-service.js';
import { TokenTrayError } from '../../core/shared/errors.js';
import { signOut } from '../../core/oauth/sign-out.js';
import { parseFlags, wantsHelp, type CliIo } from '../io.js';

const USAGE = 'tokentray logout ACCOUNT [--no-revoke] [--forget-client]';

export async function logout(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, { 'no-revoke': { type: 'boolean' }, 'forget-client': { type: 'boolean' } }, USAGE, 1);
  if (wantsHelp(values, USAGE, io)) return 0;
  if (!positionals[0]) throw new TokenTrayError('USAGE', `name the account to sign out (email or id)\nusage: ${USAGE}`);
  const core = io.core();
  const account = await core.accounts.resolve(positionals[0]);
  const { revoked, clientForgotten, clientKeptFor } = await signOut(core.accounts, account, { revoke: !values['no-revoke'], forgetClient: values['forget-client'] === true });
  const how =
    revoked ? 'revoked its grant and forgot it'
    : account.kind === 'service_account' ? 'forgot its key on this computer (the key itself stays valid until you delete it in the Cloud Console)'
    : values['no-revoke'] ? 'forgot it on this computer (its grant was not revoked)'
    : `forgot it (${account.issuer} offers no revocation)`;
  io.stderr(`Signed out ${displayName(account)}: ${how}.\n`);
  if (clientForgotten) io.stderr(`Forgot its OAuth client ${account.clientId}: the next \`tokentray login\` needs --client-secret-file.\n`);
  else if (values['forget-client'] && clientKeptFor.length > 0) io.stderr(`Kept its OAuth client ${account.clientId}: ${clientKeptFor.join(', ')} still use it.\n`);
  return 0;
}
