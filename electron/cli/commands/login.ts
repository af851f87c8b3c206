import { clientFromFlags, readClientSecretFile, type OAuthClient } from '../../core/client-file.js';
import { displayName, findAccount } from '../../core/account-service.js';
import { TokenTrayError } from '../../core/errors.js';
import { GOOGLE_ISSUER, resolveProviderProfile, type Flavor, type ProviderProfile } from '../../core/provider-profile.js';
import { parseScopeList } from '../../core/scopes.js';
import { signIn } from '../../core/sign-in.js';
import type { Core } from '../../core/core.js';
import { openBrowser } from '../open-browser.js';
import { parseFlags, wantsHelp, type CliIo } from '../io.js';

const USAGE =
  'tokentray login [--client-secret-file FILE | --client-id ID --client-secret SECRET] [--issuer URL] [--flavor google|oidc] ' +
  '[--scopes S1,S2] [--login-hint EMAIL] [--no-browser] [--timeout SECONDS]';

/**
 * Without client flags, sign in like the default account did (its issuer, flavor and client), or
 * like any account at the issuer given; so `tokentray login --login-hint B` adds B the same way.
 */
async function remembered(core: Core, issuer: string | undefined, flavor: Flavor | undefined): Promise<{ profile: ProviderProfile; client: OAuthClient }> {
  const data = await core.accounts.registry.load();
  const wanted = issuer === undefined ? undefined : resolveProviderProfile(issuer, flavor);
  const candidates = data.accounts.length > 0 ? [findAccount(data, undefined), ...data.accounts] : [];
  const account = candidates.find((a) => wanted === undefined || a.issuer === wanted.issuer);
  if (!account) {
    throw new TokenTrayError(
      'CLIENT_REQUIRED',
      `No OAuth client is known for ${wanted?.issuer ?? GOOGLE_ISSUER}. Pass --client-secret-file with the JSON of a "Desktop app" OAuth client (see README), or --client-id and --client-secret.`,
    );
  }
  const profile = wanted ?? resolveProviderProfile(account.issuer, flavor ?? account.flavor);
  return { profile, client: (await core.accounts.clientOf(account)).client };
}

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
  // Validate the issuer before anything else touches the network or the keychain.
  const given = resolveProviderProfile(values.issuer, flavor);
  const core = io.core();
  const explicit = values['client-secret-file'] ? await readClientSecretFile(values['client-secret-file']) : clientFromFlags(values['client-id'], values['client-secret']);
  const { profile, client } = explicit ? { profile: given, client: explicit } : await remembered(core, values.issuer, flavor);
  // Find a locked keychain or a broken registry before the user spends time in the browser.
  await core.accounts.vault.probe();
  await core.accounts.registry.load();

  const result = await signIn({
    profile,
    client,
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
  const account = await core.accounts.saveSignIn(profile, client, result);
  io.stdout(`${displayName(account)}\n`);
  return 0;
}
