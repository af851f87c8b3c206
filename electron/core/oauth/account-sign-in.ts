import type { AccountRecord } from '../accounts/account-registry.js';
import { findAccount } from '../accounts/account-records.js';
import { knownClients } from '../accounts/oauth-clients.js';
import { clientFromFlags, parseClientSecretJson, readClientSecretFile, type OAuthClient } from './client-file.js';
import type { Core } from '../core.js';
import { TokenTrayError } from '../shared/errors.js';
import { GOOGLE_ISSUER, resolveProviderProfile, type Flavor, type ProviderProfile } from './provider-profile.js';
import { signIn, type SignInOptions, type SignInResult } from './sign-in.js';
import { displaySafe } from '../shared/sanitize.js';

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
  /** The email the user means to sign in: an account with it lends its client. */
  loginHint?: string;
}

export interface SignInSetup {
  profile: ProviderProfile;
  client: OAuthClient;
}

/**
 * Resolves issuer, flavor and client. Without an explicit client, TokenTray uses a stored one
 * (clients outlive their accounts), so a user gives the client file once: the client of the named
 * account, else of the account the login hint names, else of the default account (or any account
 * at the issuer given), else the most recently used stored client (at that issuer).
 */
export async function resolveSignInSetup(core: Core, choice: ClientChoice): Promise<SignInSetup> {
  // Validate the issuer before anything touches the network or the keychain.
  const given = resolveProviderProfile(choice.issuer, choice.flavor);
  const explicit =
    choice.clientFile !== undefined
      ? await readClientSecretFile(choice.clientFile)
      : choice.clientJson !== undefined
        ? parseClientSecretJson(choice.clientJson, 'The chosen client file')
        : clientFromFlags(choice.clientId, choice.clientSecret);
  if (explicit) return { profile: given, client: explicit };

  const data = await core.accounts.records();
  const atIssuer = (a: { issuer: string }) => choice.issuer === undefined || a.issuer === given.issuer;
  let account: AccountRecord | undefined;
  if (choice.accountId !== undefined) {
    account = findAccount(data, choice.accountId);
    if (account.kind === 'service_account') {
      throw new TokenTrayError(
        'SIGN_IN_NOT_FOR_SERVICE_ACCOUNTS',
        `${account.email ?? account.subject} is a service account: it does not sign in with a browser.`,
        {
          facts: { remedy: 'import-key-again', account: account.email ?? account.subject, accountId: account.id },
        },
      );
    }
  } else {
    // A service account has no OAuth client to lend: only user accounts are candidates.
    const users = data.accounts.filter((a) => a.kind !== 'service_account' && atIssuer(a));
    const hint = choice.loginHint?.toLowerCase();
    const def = data.accounts.length > 0 ? findAccount(data, undefined) : undefined;
    account = users.find((a) => hint !== undefined && a.email?.toLowerCase() === hint) ?? users.find((a) => a.id === def?.id) ?? users[0];
  }
  let stored: { issuer: string; flavor: Flavor; clientId: string } | undefined = account;
  if (!stored) {
    stored = knownClients(data)
      .filter(atIssuer)
      .sort((a, b) => b.lastUsedAt.localeCompare(a.lastUsedAt))[0];
  }
  if (!stored) {
    const issuer = choice.issuer === undefined ? GOOGLE_ISSUER : given.issuer;
    throw new TokenTrayError('CLIENT_REQUIRED', `No OAuth client is known for ${issuer}.`, { facts: { remedy: 'give-client-file', issuer } });
  }
  const profile = choice.issuer === undefined ? resolveProviderProfile(stored.issuer, choice.flavor ?? stored.flavor) : given;
  return { profile, client: await core.accounts.storedClient(stored.issuer, stored.clientId, undefined, account) };
}

/**
 * The whole sign-in of an account: checks first, the browser flow, then storage. `expected` is who
 * must come back: the account signed in again, or the login hint's user. Anyone else is refused
 * before anything is stored: with several accounts in one browser a wrong choice is easy, and
 * another local user who reached the sign-in first would otherwise become this user's account.
 */
export async function signInAccount(
  core: Core,
  setup: SignInSetup,
  options: Omit<SignInOptions, 'profile' | 'client' | 'home'> & { expectedAccountId?: string },
): Promise<AccountRecord> {
  // Find a locked keychain or a broken registry before the user spends time in the browser.
  const data = await core.accounts.probe();
  const again = options.expectedAccountId !== undefined ? findAccount(data, options.expectedAccountId) : undefined;
  const result = await signIn({ ...options, ...setup, home: core.home });
  assertExpectedIdentity(result, again, options.loginHint);
  return core.accounts.saveSignIn(setup.profile, setup.client, result);
}

function assertExpectedIdentity(result: SignInResult, again: AccountRecord | undefined, loginHint: string | undefined): void {
  const who = result.email ?? result.subject;
  if (again && again.subject !== result.subject) {
    throw new TokenTrayError(
      'LOGIN_IDENTITY_MISMATCH',
      `The browser signed in ${displaySafe(who)}, not ${displaySafe(again.email ?? again.subject)}, the account being signed in again. Nothing was stored.`,
      {
        facts: { remedy: 'sign-in-again', account: again.email ?? again.subject, accountId: again.id },
      },
    );
  }
  const hint = loginHint?.toLowerCase();
  if (hint !== undefined && result.email?.toLowerCase() !== hint && result.subject !== loginHint) {
    throw new TokenTrayError(
      'LOGIN_IDENTITY_MISMATCH',
      `The browser signed in ${displaySafe(who)}, not ${displaySafe(loginHint!)} as asked. Nothing was stored.`,
      {
        facts: { remedy: 'sign-in-again', account: loginHint! },
      },
    );
  }
}
