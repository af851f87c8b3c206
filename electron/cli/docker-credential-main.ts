/**
 * docker-credential-tokentray: a docker credential helper (the docker-credential-helpers protocol).
 * `get` reads a registry on stdin and prints `{"ServerURL","Username":"oauth2accesstoken","Secret"}`
 * with a fresh access token of the account configured for it; `list` prints the registries that
 * `tokentray configure-docker` set up; `store` and `erase` are accepted and change nothing, since
 * tokens are minted, not stored. Errors go to stdout (docker shows that) and stderr, exit 1.
 */
import { createCore } from '../core/core.js';
import { isTokenTrayError } from '../core/shared/errors.js';
import { describeForCli } from './remedies.js';
import { redact } from '../core/shared/logger.js';
import { terminalSafe } from '../core/shared/sanitize.js';
import { accountForRegistry, DOCKER_USERNAME, readRegistryAccounts } from '../core/integrations/docker-credential.js';
import { formatHelp, usageError, type CommandHelp } from './io.js';

const HELP = {
  name: '',
  program: 'docker-credential-tokentray',
  group: 'Integrations',
  summary: 'Docker credential helper that answers with fresh access tokens from TokenTray',
  usage: 'get|list|store|erase|version',
  description:
    'Docker runs it, not you: `tokentray configure-docker` points docker at it for Google registries. `get` reads a registry URL on stdin ' +
    'and prints {ServerURL, Username: oauth2accesstoken, Secret: ACCESS TOKEN} for the account configured for that registry ' +
    '(else $TOKENTRAY_ACCOUNT, else the default account); a registry not set up with configure-docker gets "credentials not found" (exit 1), never a token; `list` prints the registries set up; `store` and `erase` change nothing, ' +
    'since tokens are minted, not stored. Errors go to stdout (docker shows them) and stderr, exit 1.',
  args: [{ name: 'get|list|store|erase|version', help: 'What docker asks for' }],
  options: {},
  examples: [
    { command: 'tokentray configure-docker europe-west1-docker.pkg.dev', help: 'Set it up' },
    { command: 'docker-credential-tokentray list', help: 'The registries it answers for' },
  ],
} satisfies CommandHelp;

/** What docker wrote on stdin; `prefix` is what the agent's fast path already read of it. */
async function readStdin(prefix?: { text: string; complete: boolean }): Promise<string> {
  if (prefix?.complete) return prefix.text;
  let text = prefix?.text ?? '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.length > 64 * 1024) break; // a server URL or a credentials document, never more
  }
  return text;
}

const ACTIONS = ['get', 'list', 'store', 'erase', 'version'];
/** docker-credential-helpers' ErrCredentialsNotFound text, which docker matches exactly. */
const CREDENTIALS_NOT_FOUND = 'credentials not found in native keychain';

/** Docker shows what a helper prints: escaped like everything the tokentray CLI prints (JSON stays JSON). */
const print = (text: string) => process.stdout.write(terminalSafe(text));

async function main(action: string | undefined, input?: { text: string; complete: boolean }): Promise<number> {
  if (action === '--help' || action === '-h' || action === 'help') {
    process.stdout.write(formatHelp(HELP));
    return 0;
  }
  if (action === undefined || !ACTIONS.includes(action)) {
    const err = usageError(HELP, action === undefined ? 'name the action (docker runs it; see `tokentray configure-docker`)' : `unknown action "${action}"`);
    process.stderr.write(`tokentray: ${err.code}: ${err.message}\n`);
    return 2;
  }
  const env = process.env;
  const core = createCore({ env, ...(env.TOKENTRAY_ACCOUNT ? { fallbackAccount: env.TOKENTRAY_ACCOUNT } : {}), ...(input ? {} : { askAgentFirst: true }) });
  switch (action) {
    case 'get': {
      const serverUrl = (await readStdin(input)).trim();
      const account = await accountForRegistry(core, serverUrl);
      if (!account) {
        // Not set up with configure-docker: no Google token leaves for it. The protocol's own words,
        // which docker reads as "no credentials", not as a failure.
        process.stdout.write(`${CREDENTIALS_NOT_FOUND}\n`);
        return 1;
      }
      const token = await core.tokens.getAccessToken(account);
      print(`${JSON.stringify({ ServerURL: serverUrl, Username: DOCKER_USERNAME, Secret: token.token })}\n`);
      return 0;
    }
    case 'list': {
      const registries = await readRegistryAccounts(core.home);
      print(`${JSON.stringify(Object.fromEntries(Object.keys(registries).map((r) => [r, DOCKER_USERNAME])))}\n`);
      return 0;
    }
    case 'store':
    case 'erase':
      await readStdin(input);
      return 0;
    case 'version':
      process.stdout.write('docker-credential-tokentray (TokenTray) 0.1.0\n');
      return 0;
    default:
      return 2; // answered above
  }
}

/** The helper proper, once the agent's fast path did not answer (see docker-credential-tokentray.ts). */
export function runHelper(action: string | undefined, input?: { text: string; complete: boolean }): void {
  main(action, input).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      // docker shows this line to the user: escaped like everything the tokentray CLI prints.
      const line = terminalSafe(isTokenTrayError(err) ? `tokentray: ${err.code}: ${redact(describeForCli(err))}` : `tokentray: INTERNAL: ${redact(err instanceof Error ? err.message : String(err))}`);
      process.stdout.write(`${line.replace(/\s*\n\s*/g, ' ')}\n`);
      process.stderr.write(`${line}\n`);
      process.exitCode = 1;
    },
  );
}
