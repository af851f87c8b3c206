import { resolveSignInSetup, signInAccount } from '../../core/oauth/account-sign-in.js';
import { displayName } from '../../core/storage/account-service.js';
import { TokenTrayError } from '../../core/shared/errors.js';
import { registerSecret } from '../../core/shared/logger.js';
import type { Flavor } from '../../core/oauth/provider-profile.js';
import { parseScopeList } from '../../core/oauth/scopes.js';
import { openBrowser } from '../open-browser.js';
import { parseFlags, readSecretFromStdin, wantsHelp, type CliIo } from '../io.js';

const USAGE =
  'tokentray login [--client-secret-file FILE | --client-id ID --client-secret -|SECRET] [--issuer URL] [--flavor google|oidc] ' +
  '[--scopes S1,S2] [--login-hint EMAIL] [--no-browser] [--timeout SECONDS]\n' +
  '  Prefer --client-secret-file, or --client-secret - (read from stdin): a secret in the arguments is visible to every local user (ps).';

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
    async openAuthorizationUrl(url) {
      if (values['no-browser']) {
        io.stderr(`Open this address in a browser to sign in:\n${url}\n`);
        return;
      }
      const opened = await openBrowser(url);
      io.stderr(opened ? `Your browser has been opened to sign in. If it did not open, visit:\n${url}\n` : `Could not open a browser. Open this address to sign in:\n${url}\n`);
    },
  });
  io.stdout(`${displayName(account)}\n`);
  return 0;
}
