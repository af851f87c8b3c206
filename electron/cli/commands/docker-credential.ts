/**
 * docker-credential-tokentray: a docker credential helper (the docker-credential-helpers protocol).
 * `get` reads a registry on stdin and prints `{"ServerURL","Username":"oauth2accesstoken","Secret"}`
 * with a fresh access token of the account configured for it; `list` prints the registries that
 * `tokentray configure-docker` set up; `store` and `erase` are accepted and change nothing, since
 * tokens are minted, not stored. A command like tokentray's, on the same I/O; its own program.
 */
import { accountForRegistry, DOCKER_USERNAME, readRegistryAccounts } from '../../core/integrations/docker-credential.js';
import { EXIT } from '../failure.js';
import { packageVersion } from '../version.js';
import { defineCommand, formatHelp, readStdin, usageError, type CliIo, type CommandHelp } from '../io.js';

const DOCKER_CREDENTIAL_HELP = {
  name: '',
  program: 'docker-credential-tokentray',
  group: 'Integrations',
  summary: 'Docker credential helper that answers with fresh access tokens from TokenTray',
  usage: 'get|list|store|erase|version',
  description:
    'Docker runs it, not you: `tokentray configure-docker` points docker at it for Google registries. `get` reads a registry URL on stdin ' +
    'and prints {ServerURL, Username: oauth2accesstoken, Secret: ACCESS TOKEN} for the account configured for that registry ' +
    '(else $TOKENTRAY_ACCOUNT, else the default account); a registry not set up with configure-docker gets "credentials not found" (exit 1), never a token; `list` prints the registries set up; `store` and `erase` change nothing, ' +
    'since tokens are minted, not stored. Errors go to stdout (docker shows them) and stderr, in one line: exit 1, or 2 for a usage error.',
  args: [{ name: 'get|list|store|erase|version', help: 'What docker asks for' }],
  options: {},
  examples: [
    { command: 'tokentray configure-docker europe-west1-docker.pkg.dev', help: 'Set it up' },
    { command: 'docker-credential-tokentray list', help: 'The registries it answers for' },
  ],
} satisfies CommandHelp;

const ACTIONS = ['get', 'list', 'store', 'erase', 'version'];
/** docker-credential-helpers' ErrCredentialsNotFound text, which docker matches exactly. */
const CREDENTIALS_NOT_FOUND = 'credentials not found in native keychain';

/** What docker wrote on stdin: a server URL or a credentials document, never more than the one limit. */
const dockerInput = (io: CliIo) => readStdin(io.stdin ?? process.stdin, 'What docker wrote');

export const dockerCredential = defineCommand(DOCKER_CREDENTIAL_HELP, async ([action, ...extra], io) => {
  if (action === '--help' || action === '-h' || action === 'help') {
    io.stdout(formatHelp(DOCKER_CREDENTIAL_HELP));
    return EXIT.ok;
  }
  if (action === undefined || !ACTIONS.includes(action)) {
    throw usageError(
      DOCKER_CREDENTIAL_HELP,
      action === undefined ? 'name the action (docker runs it; see `tokentray configure-docker`)' : `unknown action "${action}"`,
    );
  }
  if (extra.length > 0) throw usageError(DOCKER_CREDENTIAL_HELP, `unexpected argument "${extra[0]}"`);
  switch (action) {
    case 'get': {
      const serverUrl = (await dockerInput(io)).trim();
      const core = io.core();
      const account = await accountForRegistry(core, serverUrl);
      if (!account) {
        // Not set up with configure-docker: no Google token leaves for it. The protocol's own words,
        // which docker reads as "no credentials", not as a failure.
        io.stdout(`${CREDENTIALS_NOT_FOUND}\n`);
        return EXIT.failure;
      }
      const token = await core.tokens.getAccessToken(account);
      io.stdout(`${JSON.stringify({ ServerURL: serverUrl, Username: DOCKER_USERNAME, Secret: token.token })}\n`);
      return EXIT.ok;
    }
    case 'list': {
      const registries = await readRegistryAccounts(io.core().home);
      io.stdout(`${JSON.stringify(Object.fromEntries(Object.keys(registries).map((r) => [r, DOCKER_USERNAME])))}\n`);
      return EXIT.ok;
    }
    case 'store':
    case 'erase':
      await dockerInput(io);
      return EXIT.ok;
    default:
      io.stdout(`docker-credential-tokentray (TokenTray) ${await packageVersion()}\n`);
      return EXIT.ok;
  }
});
