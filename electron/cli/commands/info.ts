import { displayName } from '../../core/accounts/account-service.js';
import { describeAccessToken } from '../../core/google/token-info.js';
import { displaySafe } from '../../core/shared/sanitize.js';
import { defineCommand, parseCommand, type CommandHelp } from '../io.js';

const INFO_HELP = {
  name: 'info',
  group: 'Tokens',
  summary: 'Show who the access token belongs to, its scopes and its expiry',
  usage: '[--account ACCOUNT] [--json]',
  description: "Asks Google's tokeninfo endpoint (or the issuer's introspection endpoint) about the account's current access token.",
  options: {
    account: { type: 'string', value: 'ACCOUNT', default: '$TOKENTRAY_ACCOUNT, else the default account', help: 'Email or id of the account' },
    json: { type: 'boolean', help: 'Print JSON' },
  },
  examples: [{ command: 'tokentray info' }, { command: 'tokentray info --account work@example.com --json' }],
} satisfies CommandHelp;

export const info = defineCommand(INFO_HELP, async (args, io) => {
  const parsed = parseCommand(INFO_HELP, args, io);
  if (!parsed) return 0;
  const { values } = parsed;
  const core = io.core();
  const account = await core.accounts.resolve(values.account);
  const facts = await describeAccessToken(core, account, io.env);
  if (values.json) {
    io.stdout(
      `${JSON.stringify({ ...facts, expiresAt: new Date(facts.expiresAt).toISOString(), kind: account.kind ?? 'user', issuer: account.issuer }, null, 2)}\n`,
    );
    return 0;
  }
  const lines = [
    ['account', `${displayName(account)} (${account.id}, ${account.kind === 'service_account' ? 'service account' : 'user'})`],
    ['email', facts.email ?? '-'],
    ['scopes', facts.scopes.join(' ') || '-'],
    ['expires', `${new Date(facts.expiresAt).toISOString()} (in ${facts.expiresIn} s)`],
    ['token type', facts.tokenType],
    ['issuer', account.issuer],
    ['source', facts.source],
  ];
  if (facts.audience) lines.push(['audience', facts.audience]);
  if (facts.authorizedParty) lines.push(['authorized party', facts.authorizedParty]);
  // The values are the issuer's (tokeninfo, introspection, the token's claims): one line each.
  io.stdout(lines.map(([k, v]) => `${k.padEnd(17)}${displaySafe(v)}`).join('\n') + '\n');
  return 0;
});
