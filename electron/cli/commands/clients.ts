import { clientIdFor } from '../../core/storage/credential-vault.js';
import { displayName } from '../../core/accounts/account-service.js';
import { knownClients } from '../../core/accounts/oauth-clients.js';
import { alignedTable, defineCommand, parseCommand, suggest, usageError, type CommandHelp } from '../io.js';

const CLIENTS_REMOVE_HELP = {
  name: 'clients remove',
  group: 'Accounts',
  summary: 'Forget a stored OAuth client (its id and its secret) that no account uses any more',
  usage: 'CLIENT',
  description: 'A client some account still uses stays: sign that account out first, with `tokentray logout ACCOUNT --forget-client`.',
  args: [{ name: 'CLIENT', help: 'Its client id, or its id (the first column of `tokentray clients`)' }],
  options: {},
  examples: [{ command: 'tokentray clients remove 123-abc.apps.googleusercontent.com' }],
} satisfies CommandHelp;

const CLIENTS_HELP = {
  name: 'clients',
  group: 'Accounts',
  summary: 'List the stored OAuth clients and the accounts that use each; `clients remove` forgets one',
  usage: '[--json] | remove CLIENT',
  description:
    'TokenTray keeps each OAuth client you sign in with (its secret in the keychain), also after its last account is signed out, so ' +
    'the next `tokentray login` needs no client file. Most recently used first.',
  args: [{ name: 'remove CLIENT', optional: true, help: 'Forget that client; see `tokentray clients remove --help`' }],
  options: { json: { type: 'boolean', help: 'Print JSON: [{id, clientId, issuer, lastUsedAt, accounts}]' } },
  examples: [
    { command: 'tokentray clients' },
    { command: 'tokentray clients remove 123-abc.apps.googleusercontent.com', help: 'Forget a client no account uses' },
  ],
  subcommands: [CLIENTS_REMOVE_HELP],
} satisfies CommandHelp;

/** The stored OAuth clients (they outlive their accounts), and removing one no account uses. */
export const clients = defineCommand(CLIENTS_HELP, async (args, io) => {
  const [verb, ...rest] = args;
  if (verb === 'remove') {
    const parsed = parseCommand(CLIENTS_REMOVE_HELP, rest, io);
    if (!parsed) return 0;
    if (!parsed.positionals[0]) throw usageError(CLIENTS_REMOVE_HELP, 'name the client to remove (its client id or id)');
    const removed = await io.core().accounts.forgetClient(parsed.positionals[0]);
    io.stderr(`Forgot OAuth client ${removed.clientId} (${removed.issuer}) and its secret.\n`);
    return 0;
  }
  if (verb !== undefined && !verb.startsWith('-')) {
    const guess = suggest(verb, ['remove']);
    throw usageError(CLIENTS_HELP, `unknown clients command "${verb}"${guess ? `: did you mean \`clients ${guess}\`?` : ' (it takes remove)'}`);
  }
  const parsed = parseCommand(CLIENTS_HELP, args, io);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals[0] !== undefined) throw usageError(CLIENTS_HELP, `unexpected argument "${positionals[0]}"`);
  const core = io.core();
  const data = await core.accounts.records();
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
  io.stdout(
    alignedTable(
      ['ID', 'CLIENT ID', 'ISSUER', 'ACCOUNTS'],
      list.map((c) => [c.id, c.clientId, c.issuer, c.accounts.length ? c.accounts.join(', ') : '(no accounts)']),
    ),
  );
  return 0;
});
