import { displayName } from '../../core/storage/account-service.js';
import { describeAccessToken } from '../../core/google/token-info.js';
import { parseFlags, wantsHelp, type CliIo } from '../io.js';

const USAGE = 'tokentray info [--account ACCOUNT] [--json]';

export async function info(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(args, { account: { type: 'string' }, json: { type: 'boolean' } }, USAGE);
  if (wantsHelp(values, USAGE, io)) return 0;
  const core = io.core();
  const account = await core.accounts.resolve(values.account);
  const facts = await describeAccessToken(core, account, io.env);
  if (values.json) {
    io.stdout(`${JSON.stringify({ ...facts, expiresAt: new Date(facts.expiresAt).toISOString(), kind: account.kind ?? 'user', issuer: account.issuer }, null, 2)}\n`);
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
  io.stdout(lines.map(([k, v]) => `${k.padEnd(17)}${v}`).join('\n') + '\n');
  return 0;
}
