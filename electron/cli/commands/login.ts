import { resolveSignInSetup, signInAccount } from '../../core/oauth/account-sign-in.js';
import { displayName } from '../../core/accounts/account-service.js';
import { registerSecret } from '../../core/shared/logger.js';
import type { Flavor } from '../../core/oauth/provider-profile.js';
import { parseScopeList } from '../../core/oauth/scopes.js';
import type { AuthorizationRequest } from '../../core/oauth/sign-in.js';
import { openBrowser } from '../open-browser.js';
import { describeFailure } from '../failure.js';
import { INPUT_ENDED_NOTICE, pasteBackInstructions, readLines } from '../paste-back.js';
import { defineCommand, parseCommand, readSecretFromStdin, usageError, type CliIo, type CommandHelp } from '../io.js';

const LOGIN_HELP = {
  name: 'login',
  group: 'Accounts',
  summary: 'Sign in an account in the browser and keep its refresh token in the keychain',
  usage: '[--client-secret-file FILE | --client-id ID --client-secret -] [options]',
  description:
    "Opens the browser at the issuer's sign-in page (authorization code + PKCE, redirect to 127.0.0.1) and prints the " +
    'signed-in email. The first sign-in needs your own "Desktop app" OAuth client; TokenTray keeps it (see `tokentray clients`), and later ' +
    "sign-ins reuse a stored one: the --login-hint account's, else the default account's, else the most recently used. " +
    'Google always shows its account chooser, so you can add a second account while signed in to the first.',
  options: {
    'client-secret-file': { type: 'string', value: 'FILE', default: 'a stored client', help: 'The client_secret_….json of a "Desktop app" OAuth client' },
    'client-id': { type: 'string', value: 'ID', default: 'a stored client', help: 'OAuth client id (instead of a file)' },
    'client-secret': {
      type: 'string',
      value: '-|SECRET',
      default: 'none',
      help: 'OAuth client secret, with --client-id. Prefer --client-secret-file, or --client-secret - (read from stdin): a secret in the arguments is visible to every local user (ps)',
    },
    issuer: { type: 'string', value: 'URL', default: 'https://accounts.google.com', help: 'OpenID Connect issuer, found by discovery' },
    flavor: { type: 'string', value: 'google|oidc', default: 'google for Google, else oidc', help: "Protocol dialect: Google's offline access, or plain OIDC" },
    scopes: {
      type: 'string',
      value: 'S1,S2',
      default: 'email,cloud-platform (Google) or email',
      help: 'Scopes to ask; Google short names work; openid is always asked',
    },
    'login-hint': { type: 'string', value: 'EMAIL', default: 'none', help: 'Preselect this account at the sign-in page' },
    'no-browser': {
      type: 'boolean',
      help: 'Print the sign-in address instead of opening a browser; paste back the address the browser ends on (docs/remote.md)',
    },
    timeout: { type: 'string', value: 'SECONDS', default: '300', help: 'Give up waiting for the browser after this long' },
  },
  examples: [
    { command: 'tokentray login --client-secret-file ~/Downloads/client_secret_123.json', help: 'First sign-in, with your Desktop app client' },
    {
      command: 'tokentray login --client-id 123.apps.googleusercontent.com --client-secret - < secret.txt',
      help: 'Or with the client id, the secret read from stdin',
    },
    { command: 'tokentray login --login-hint work@example.com --scopes email,cloud-platform,drive.readonly', help: 'Another account, reusing the client' },
    {
      command: 'TOKENTRAY_KEYCHAIN=file tokentray login --no-browser',
      help: 'Over SSH: open the printed address on your own computer, paste back the one it ends on',
    },
  ],
} satisfies CommandHelp;

export const login = defineCommand(LOGIN_HELP, async (args, io) => {
  const parsed = parseCommand(LOGIN_HELP, args, io);
  if (!parsed) return 0;
  const { values } = parsed;
  if (values['client-secret-file'] && (values['client-id'] || values['client-secret'])) {
    throw usageError(LOGIN_HELP, 'give either --client-secret-file or --client-id/--client-secret, not both');
  }
  const flavor = values.flavor as Flavor | undefined;
  if (flavor !== undefined && flavor !== 'google' && flavor !== 'oidc') {
    throw usageError(LOGIN_HELP, '--flavor must be google or oidc');
  }
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (!Number.isFinite(seconds) || seconds <= 0) throw usageError(LOGIN_HELP, '--timeout takes a number of seconds');
    timeoutMs = seconds * 1000;
  }
  if (values['client-secret'] === '-') values['client-secret'] = await readSecretFromStdin(io, 'Client secret');
  registerSecret(values['client-secret']);
  const core = io.core();
  const setup = await resolveSignInSetup(core, {
    ...(values['client-secret-file'] !== undefined ? { clientFile: values['client-secret-file'] } : {}),
    ...(values['client-id'] !== undefined ? { clientId: values['client-id'] } : {}),
    ...(values['client-secret'] !== undefined ? { clientSecret: values['client-secret'] } : {}),
    ...(values.issuer !== undefined ? { issuer: values.issuer } : {}),
    ...(flavor ? { flavor } : {}),
    ...(values['login-hint'] ? { loginHint: values['login-hint'] } : {}),
  });
  const account = await signInAccount(core, setup, {
    ...(values.scopes ? { scopes: parseScopeList(values.scopes) } : {}),
    ...(values['login-hint'] ? { loginHint: values['login-hint'] } : {}),
    ...(timeoutMs ? { timeoutMs } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
    presentAuthorization: (request) => presentAuthorization(request, values['no-browser'] === true, io),
    // Paste-back: a browser on another computer ends on an address that cannot load here.
    readPastedLines: (onLine) => readLines(onLine, io.stdin ?? process.stdin, () => io.stderr(INPUT_ENDED_NOTICE)),
    onPasteRejected: (err) => io.stderr(describeFailure(err)),
  });
  io.stdout(`${displayName(account)}\n`);
  return 0;
});

/**
 * Opens the attempt's private start page in the system browser (its path is all the opener's
 * public arguments hold). If that cannot work here (SSH, no
 * display, the opener failed) or was not wanted, prints the issuer's address for paste-back:
 * only this terminal sees it, never another process's arguments.
 */
async function presentAuthorization(request: AuthorizationRequest, noBrowser: boolean, io: CliIo): Promise<void> {
  if (!noBrowser) {
    const result = await openBrowser(request.startPage, { env: io.env });
    if (result.opened) {
      io.stderr('Your browser was opened to sign in. Finish there, or paste here the address it ends on. Ctrl-C cancels.\n');
      return;
    }
    io.stderr(`Could not open a browser here: ${result.reason}.\n`);
  }
  io.stderr(pasteBackInstructions(request.revealAuthorizationUrl(), request.redirectUri));
}
