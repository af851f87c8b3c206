import { consoleUrl } from '../../core/google/console-url.js';
import { projectOf } from '../../core/accounts/account-service.js';
import { openBrowser } from '../open-browser.js';
import { defineCommand, parseCommand, type CommandHelp } from '../io.js';

const CONSOLE_HELP = {
  name: 'console',
  group: 'Accounts',
  summary: 'Open the Google Cloud Console as this account',
  usage: '[--account ACCOUNT] [--project ID] [PATH] [--print]',
  description:
    'Opens https://console.cloud.google.com/PATH?project=ID&authuser=EMAIL in your browser (as `tokentray login` opens it: BROWSER is honoured; ' +
    'over SSH or without a display the address is printed), so the Console shows this account even when the browser is signed in to several. ' +
    'Service accounts cannot use the Console; an account that impersonates one opens as itself.',
  args: [{ name: 'PATH', optional: true, help: 'A Console page, e.g. run, iam-admin/iam, logs/query' }],
  options: {
    account: { type: 'string', value: 'ACCOUNT', default: '$TOKENTRAY_ACCOUNT, else the default account', help: 'Email or id of the account' },
    project: {
      type: 'string',
      value: 'ID',
      default: "the account's project (`tokentray configure ACCOUNT --project ID`), else none",
      help: 'The project the Console shows',
    },
    print: { type: 'boolean', help: 'Print the address instead of opening it' },
  },
  examples: [
    { command: 'tokentray console --account work@example.com' },
    { command: 'tokentray console --project my-project run', help: 'Cloud Run in my-project' },
    { command: 'tokentray console --print iam-admin/iam' },
  ],
} satisfies CommandHelp;

/** Opens (or prints) the Cloud Console address for the account. */
export const consoleCommand = defineCommand(CONSOLE_HELP, async (args, io) => {
  const parsed = parseCommand(CONSOLE_HELP, args, io);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const account = await io.core().accounts.resolve(values.account);
  const project = values.project || projectOf(account);
  const url = consoleUrl(account, { ...(project ? { project } : {}), ...(positionals[0] ? { path: positionals[0] } : {}) });
  if (values.print) {
    io.stdout(`${url}\n`);
    return 0;
  }
  // The address holds no secret: it may be an opener's argument.
  const result = await openBrowser(url, { env: io.env });
  if (result.opened) io.stderr(`Opened the Cloud Console as ${account.email}.\n`);
  else io.stderr(`Could not open a browser here: ${result.reason}. Open this address:\n`);
  if (!result.opened) io.stdout(`${url}\n`);
  return 0;
});
