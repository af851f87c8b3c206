import type { AccountSummary } from '../../core/shared/models.js';
import { displaySafe } from '../../core/shared/sanitize.js';
import { alignedTable, defineCommand, parseCommand, type CommandHelp } from '../io.js';

const ACCOUNTS_HELP = {
  name: 'accounts',
  group: 'Accounts',
  summary: 'List the signed-in accounts; * marks the default',
  usage: '[--json]',
  options: {
    json: {
      type: 'boolean',
      help: 'Print JSON: [{id, email, issuer, scopes, default, status, project, quotaProject, impersonate, kind, subject}]; project, quotaProject and impersonate are null when unset',
    },
  },
  examples: [{ command: 'tokentray accounts' }, { command: "tokentray accounts --json | jq -r '.[].email'" }],
} satisfies CommandHelp;

function hostOf(issuer: string): string {
  try {
    return new URL(issuer).host;
  } catch {
    return issuer;
  }
}

/** One row per account, columns aligned, under a header. */
function accountsTable(list: readonly AccountSummary[]): string {
  const rows = list.map((a) =>
    [
      a.default ? '*' : '',
      a.email ?? a.subject,
      a.kind === 'service_account' ? 'service account' : (a.kind ?? 'user'),
      // A service account's "issuer" is its key's token_uri: its project says more.
      a.kind === 'service_account' ? (a.project ? `project ${a.project}` : '-') : hostOf(a.issuer),
      [a.status === 'ready' ? 'ready' : 'sign in again', a.impersonate[0] ? `impersonates ${a.impersonate[0]}` : ''].filter(Boolean).join(', '),
      a.id,
    ].map(displaySafe),
  ); // each cell one line: a hand-edited registry may hold anything
  return alignedTable(['', 'EMAIL', 'KIND', 'ISSUER', 'STATUS', 'ID'], rows);
}

export const accounts = defineCommand(ACCOUNTS_HELP, async (args, io) => {
  const parsed = parseCommand(ACCOUNTS_HELP, args, io);
  if (!parsed) return 0;
  const list = await io.core().accounts.list();
  if (parsed.values.json) {
    io.stdout(
      JSON.stringify(
        list.map(({ id, kind, email, subject, issuer, scopes, default: isDefault, status, project, quotaProject, impersonate }) => ({
          id,
          email,
          issuer,
          scopes,
          default: isDefault,
          status,
          project: project ?? null,
          quotaProject: quotaProject ?? null,
          impersonate: impersonate.length ? impersonate : null,
          kind,
          subject,
        })),
        null,
        2,
      ) + '\n',
    );
    return 0;
  }
  if (list.length === 0) {
    io.stderr('No accounts. Run `tokentray login` to sign in (see `tokentray login --help`).\n');
    return 0;
  }
  io.stdout(accountsTable(list));
  return 0;
});
