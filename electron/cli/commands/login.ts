import { resolveSignInSetup, signInAccount } from '../../core/oauth/account-sign-in.js';
import { displayName } from '../../core/storage/account-service.js';
import { isTokenTrayError, TokenTrayError } from '../../core/shared/errors.js';
import { registerSecret } from '../../core/shared/logger.js';
import type { Flavor } from '../../core/oauth/provider-profile.js';
import { parseScopeList } from '../../core/oauth/scopes.js';
import type { AccountRecord } from '../../core/storage/account-registry.js';
import type { AuthorizationRequest } from '../../core/oauth/sign-in.js';
import { openBrowser } from '../open-browser.js';
import { pasteBackInstructions, readLines } from '../paste-back.js';
import { parseFlags, wantsHelp, type CliIo } from '../io.js';

const USAGE =
  'tokentray login [--client-secret-file FILE | --client-id ID --client-secret SECRET] [--issuer URL] [--flavor google|oidc] ' +
  '[--scopes S1,S2] [--login-hint EMAIL] [--no-browser] [--timeout SECONDS]';

export async function login(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(
    args,
    {
      'client-secret-file': { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      issuer: { type: 'string' },
      flavor: { type: 'string' },
      scopes: { type: 'string' },
      'login-hint': { type: 'string' },
      'no-browser': { type: 'boolean' },
      timeout: { type: 'string' },
    },
    USAGE,
  );
  if (wantsHelp(values, USAGE, io)) return 0;
  if (values['client-secret-file'] && (values['client-id'] || values['client-secret'])) {
    throw new TokenTrayError('USAGE', `give either --client-secret-file or --client-id/--client-secret, not both\nusage: ${USAGE}`);
  }
  const flavor = values.flavor as Flavor | undefined;
  if (flavor !== undefined && flavor !== 'google' && flavor !== 'oidc') {
    throw new TokenTrayError('USAGE', `--flavor must be google or oidc\nusage: ${USAGE}`);
  }
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (!Number.isFinite(seconds) || seconds <= 0) throw new TokenTrayError('USAGE', `--timeout takes a number of seconds\nusage: ${USAGE}`);
    timeoutMs = seconds * 1000;
  }
  registerSecret(values['client-secret']);
  const core = io.core();
  const setup = await resolveSignInSetup(core, {
    ...(values['client-secret-file'] !== undefined ? { clientFile: values['client-secret-file'] } : {}),
    ...(values['client-id'] !== undefined ? { clientId: values['client-id'] } : {}),
    ...(values['client-secret'] !== undefined ? { clientSecret: values['client-secret'] } : {}),
    ...(values.issuer !== undefined ? { issuer: values.issuer } : {}),
    ...(flavor ? { flavor } : {}),
  });
  let account;
  try {
    account = await signInAccount(core, setup, {
      ...(values.scopes ? { scopes: parseScopeList(values.scopes) } : {}),
      ...(values['login-hint'] ? { loginHint: values['login-hint'] } : {}),
      ...(timeoutMs ? { timeoutMs } : {}),
      ...(io.signal ? { signal: io.signal } : {}),
      presentAuthorization: (request) => presentAuthorization(request, values['no-browser'] === true, io),
      // Paste-back: a browser on another computer ends on an address that cannot load here.
      readPastedLines: (onLine) => readLines(onLine),
      onPasteRejected: (err) => io.stderr(`tokentray: ${err.code}: ${err.message}\n`),
    });
  } catch (err) {
    // Ctrl-C: the shell's convention, 128 + SIGINT.
    if (io.signal?.aborted && isTokenTrayError(err)) {
      io.stderr(`tokentray: ${err.code}: ${err.message}\n`);
      return 130;
    }
    throw err;
  }
  io.stdout(`${displayName(account)}\n`);
  warnIfNotHinted(values['login-hint'], account, io);
  return 0;
}

/**
 * Opens the one-time start address in the system browser. If that cannot work here (SSH, no
 * display, the opener failed) or was not wanted, prints the issuer's address for paste-back:
 * only this terminal sees it, never another process's arguments.
 */
async function presentAuthorization(request: AuthorizationRequest, noBrowser: boolean, io: CliIo): Promise<void> {
  if (!noBrowser) {
    const result = await openBrowser(request.startUrl, { env: io.env });
    if (result.opened) {
      io.stderr('Your browser was opened to sign in. Finish there, or paste here the address it ends on. Ctrl-C cancels.\n');
      return;
    }
    io.stderr(`Could not open a browser here: ${result.reason}.\n`);
  }
  io.stderr(pasteBackInstructions(request.revealAuthorizationUrl(), request.redirectUri));
}

/** With --login-hint, an account other than the one asked for is worth a second look. */
function warnIfNotHinted(hint: string | undefined, account: AccountRecord, io: CliIo): void {
  if (!hint || account.email?.toLowerCase() === hint.toLowerCase()) return;
  io.stderr(
    `tokentray: warning: you asked to sign in as ${hint} (--login-hint), but the account signed in is ${displayName(account)}. ` +
      'If you did not choose it yourself, remove it with `tokentray logout`.\n',
  );
}
