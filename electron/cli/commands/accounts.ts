import { parseFlags, wantsHelp, type CliIo } from '../io.js';

const USAGE = 'tokentray accounts [--json]';

export async function accounts(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(args, { json: { type: 'boolean' } }, USAGE);
  if (wantsHelp(values, USAGE, io)) return 0;
  const list = await io.core().accounts.list();
  if (values.json) {
    io.stdout(
      JSON.stringify(
        list.map(({ id, email, issuer, scopes, default: isDefault, status, project, impersonate }) => ({ id, email, issuer, scopes, default: isDefault, status, project: project ?? null, impersonate: impersonate.length ? impersonate : null })),
        null,
        2,
      ) + '\n',
    );
    return 0;
  }
  if (list.length === 0) {
    io.stderr('No accounts. Run `tokentray login` to sign in.\n');
    return 0;
  }
  for (const a of list) {
    const notes = [a.kind === 'service_account' ? 'service account' : '', a.status === 'ready' ? '' : 'sign in again', a.impersonate[0] ? `impersonates ${a.impersonate[0]}` : ''].filter(Boolean);
    io.stdout(`${a.default ? '*' : ' '} ${a.id}  ${a.email ?? a.subject}  ${a.issuer}${notes.length ? `  (${notes.join('; ')})` : ''}\n`);
  }
  return 0;
}
