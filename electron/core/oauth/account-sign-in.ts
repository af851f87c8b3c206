import type { AccountRecord } from '../storage/account-registry.js';
import { findAccount } from '../storage/account-service.js';
import { clientFromFlags, parseClientSecretJson, readClientSecretFile, type OAuthClient } from './client-file.js';
import type { Core } from '../core.js';
import { TokenTrayError } from '../shared/errors.js';
import { GOOGLE_ISSUER, resolveProviderProfile, type Flavor, type ProviderProfile } from './provider-profile.js';
import { signIn, type SignInOptions } from './sign-in.js';

/** Where a sign-in's OAuth client comes from; the first one given wins. */
export interface ClientChoice {
  clientFile?: string;
  clientJson?: string;
  clientId?: string;
  clientSecret?: string;
  issuer?: string;
  flavor?: Flavor;
  /** Sign in again like this account did. */
  accountId?: string;
}

export interface SignInSetup {
  profile: ProviderProfile;
  client: OAuthClient;
}

/**
 * Resolves issuer, flavor and client. Without an explicit client, sign in the way an existing
 * account did (the named one, else the default one, else any at the issuer given), so a user gives
 * the client file once.
 */
export async function resolveSignInSetup(core: Core, choice: ClientChoice): Promise<SignInSetup> {
  // Validate the issuer before anything touches the network or the keychain.
  const given = resolveProviderProfile(choice.issuer, choice.flavor);
  const explicit =
    choice.clientFile !== undefined ? await readClientSecretFile(choice.clientFile)
    : choice.clientJson !== undefined ? parseClientSecretJson(choice.clientJson, 'The chosen client file')
    : clientFromFlags(choice.clientId, choice.clientSecret);
  if (explicit) return { profile: given, client: explicit };

  const data = await core.accounts.registry.load();
  let account: AccountRecord | undefined;
  if (choice.accountId !== undefined) {
    account = findAccount(data, choice.accountId);
    if (account.kind === 'service_account') {
      throw new TokenTrayError('CLIENT_REQUIRED', `${account.email ?? account.subject} is a service account: it does not sign in with a browser. Import its key again if it changed.`);
    }
  } else {
    // A service account has no OAuth client to lend: only user accounts are candidates.
    const candidates = (data.accounts.length > 0 ? [findAccount(data, undefined), ...data.accounts] : []).filter((a) => a.kind !== 'service_account');
    account = candidates.find((a) => choice.issuer === undefined || a.issuer === given.issuer);
  }
  if (!account) {
    throw new TokenTrayError(
      'CLIENT_REQUIRED',
      `No OAuth client is known for ${choice.issuer === undefined ? GOOGLE_ISSUER : given.issuer}. Give the JSON file of a "Desktop app" OAuth client (--client-secret-file on the command line; see README), or its client id and secret.`,
    );
  }
  const profile = choice.issuer === undefined ? resolveProviderProfile(account.issuer, choice.flavor ?? account.flavor) : given;
  return { profile, client: (await core.accounts.clientOf(account)).client };
}

/** The whole sign-in of an account: checks first, the browser flow, then storage. */
export async function signInAccount(core: Core, setup: SignInSetup, options: Omit<SignInOptions, 'profile' | 'client'>): Promise<AccountRecord> {
  // Find a locked keychain or a broken registry before the user spends time in the browser.
  await core.accounts.vault.probe();
  await core.accounts.registry.load();
  const result = await signIn({ ...options, ...setup });
  return core.accounts.saveSignIn(setup.profile, setup.client, result);
}
