import { displayName } from '../../core/accounts/account-service.js';
import { signOut } from '../../core/oauth/sign-out.js';
import { registriesOfAccount } from '../../core/integrations/docker-credential.js';
import type { Core } from '../../core/core.js';
import type { AccountRecord } from '../../core/accounts/account-registry.js';
import { defineCommand, parseCommand, usageError, type CliIo, type CommandHelp } from '../io.js';

const LOGOUT_HELP = {
  name: 'logout',
  group: 'Accounts',
  summary: "Revoke an account's grant at its issuer and forget it on this computer",
  usage: 'ACCOUNT|--all [--no-revoke] [--forget-client]',
  description: "The window and the tray forget it too. A service account's key stays valid until you delete it in the Cloud Console.",
  args: [{ name: 'ACCOUNT', help: 'Email or id of the account (see `tokentray accounts`)' }],
  options: {
    all: { type: 'boolean', help: 'Sign out every account, one after the other' },
    'no-revoke': { type: 'boolean', help: 'Only forget it here; the grant stays valid at the issuer' },
    'forget-client': {
      type: 'boolean',
      help: 'Also forget its OAuth client (id and secret) when no other account uses it; kept otherwise, for the next login',
    },
  },
  examples: [
    { command: 'tokentray logout old@example.com' },
    { command: 'tokentray logout me@example.com --forget-client', help: 'The last account of a client: forget the client too' },
    { command: 'tokentray logout ci-bot@my-project.iam.gserviceaccount.com' },
    { command: 'tokentray logout --all --forget-client', help: 'Every account, and the clients they used' },
  ],
} satisfies CommandHelp;

export const logout = defineCommand(LOGOUT_HELP, async (args, io) => {
  const parsed = parseCommand(LOGOUT_HELP, args, io);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (values.all && positionals[0]) throw usageError(LOGOUT_HELP, 'name an account or give --all, not both');
  if (!values.all && !positionals[0]) throw usageError(LOGOUT_HELP, 'name the account to sign out (email or id), or give --all');
  const core = io.core();
  if (!values.all) return signOutOne(core, await core.accounts.resolve(positionals[0]), values, io);
  const all = await core.accounts.list();
  if (all.length === 0) io.stderr('No accounts are signed in.\n');
  // One at a time, so a failure leaves the rest signed in and says which one it was.
  for (const summary of all) await signOutOne(core, await core.accounts.resolve(summary.id), values, io);
  return 0;
});

async function signOutOne(core: Core, account: AccountRecord, values: { 'no-revoke'?: boolean; 'forget-client'?: boolean }, io: CliIo): Promise<number> {
  const wasDefault = (await core.accounts.list()).find((a) => a.id === account.id)?.default === true;
  const { revoked, clientForgotten, clientKeptFor } = await signOut(core.accounts, account, {
    revoke: !values['no-revoke'],
    forgetClient: values['forget-client'] === true,
  });
  const how = revoked
    ? 'revoked its grant and forgot it'
    : account.kind === 'service_account'
      ? 'forgot its key on this computer (the key itself stays valid until you delete it in the Cloud Console)'
      : values['no-revoke']
        ? 'forgot it on this computer (its grant was not revoked)'
        : `forgot it (${account.issuer} offers no revocation)`;
  io.stderr(`Signed out ${displayName(account)}: ${how}.\n`);
  // After the sign-out, which is done: a damaged registry list must not turn it into a failure.
  const registries = await registriesOfAccount(core.home, account.id).catch(() => []);
  if (registries.length > 0) {
    io.stderr(
      `Docker registries ${registries.join(', ')} used this account: docker gets no credentials for them until \`tokentray configure-docker --account OTHER ${registries.join(' ')}\` (or \`tokentray configure-docker --remove ${registries.join(' ')}\`).\n`,
    );
  }
  if (clientForgotten) io.stderr(`Forgot its OAuth client ${account.clientId}: the next \`tokentray login\` needs --client-secret-file.\n`);
  else if (values['forget-client'] && clientKeptFor.length > 0)
    io.stderr(`Kept its OAuth client ${account.clientId}: ${clientKeptFor.join(', ')} still ${clientKeptFor.length === 1 ? 'uses' : 'use'} it.\n`);
  if (wasDefault) {
    const next = (await core.accounts.list()).find((a) => a.default);
    io.stderr(
      next
        ? `${next.email ?? next.subject} is the default account now (change it with \`tokentray use ACCOUNT\`).\n`
        : 'No default account now: no accounts are left. Sign in with `tokentray login`.\n',
    );
  }
  return 0;
}
