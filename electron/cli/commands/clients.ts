import { clientIdFor } from '../../core/storage/credential-vault.js';
import { displayName, knownClients } from '../../core/storage/account-service.js';
import { TokenTrayError } from '../../core/shared/errors.js';
import { parseFlags, wantsHelp, type CliIo } from '../io.js';

const USAGE = 'tokentray clients [--json] | tokentray clients remove CLIENT';

/** The stored OAuth clients (they outlive their accounts), and removing one no account uses. */
export async function clients(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, { json: { type: 'boolean' } }, USAGE, 2);
  if (wantsHelp(values, USAGE, io)) return 0;
  const core = io.core();
  if (positionals[0] === 'remove') {
    if (!positionals[1]) throw new TokenTrayError('USAGE', `name the client to remove (its client id or id)\nusage: ${USAGE}`);
    const removed = await core.accounts.forgetClient(positionals[1]);
    io.stderr(`Forgot OAuth client ${removed.clientId} (${removed.issuer}) and its secret.\n`);
    return 0;
  }
  if (positionals.length > 0) throw new TokenTrayError('USAGE', `unknown subcommand "${positionals[0]}"\nusage: ${USAGE}`);
  const data = await core.accounts.registry.load();
  const list = knownClients(data)
    .sort((a, b) => b.lastUsedAt.localeCompare(a.lastUsedAt))
    .map((c) => ({
      id: c.id,
      clientId: c.clientId,
      issuer: c.issuer,
      lastUsedAt: c.lastUsedAt,
      accounts: data.accounts.filter((a) => a.kind !== 'service_account' && clientIdFor(a.issuer, a.clientId) === c.id).map((a) => displayName(a)),
    }));
  if (values.json) {
    io.stdout(JSON.stringify(list, null, 2) + '\n');
    return 0;
  }
  if (list.length === 0) {
    io.stderr('No stored OAuth clients. `tokentray login --client-secret-file FILE` stores one.\n');
    return 0;
  }
  for (const c of list) io.stdout(`${c.id}  ${c.clientId}  ${c.issuer}  ${c.accounts.length ? c.accounts.join(', ') : '(no accounts)'}\n`);
  return 0;
}
