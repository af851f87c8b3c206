import { createHash } from 'node:crypto';
import { AccountRegistry, type AccountRecord, type RegistryData } from './account-registry.js';
import type { OAuthClient } from '../oauth/client-file.js';
import { CredentialVault } from './credential-vault.js';
import { TokenTrayError } from '../shared/errors.js';
import type { ProviderProfile } from '../oauth/provider-profile.js';
import type { AccountSummary } from '../shared/models.js';
import type { SignInResult } from '../oauth/sign-in.js';

/** What `tokentray accounts --json` and the window show of an account. */
export type AccountView = AccountSummary;

/** Stable across sign-ins of the same person at the same issuer, and unique across issuers. */
export function accountIdFor(issuer: string, subject: string): string {
  return createHash('sha256').update(`${issuer}\n${subject}`).digest('hex').slice(0, 12);
}

export function displayName(account: Pick<AccountRecord, 'email' | 'subject'>): string {
  return account.email ?? account.subject;
}

function defaultOf(data: RegistryData): string | undefined {
  return data.accounts.some((a) => a.id === data.defaultAccount) ? data.defaultAccount : data.accounts[0]?.id;
}

/** Finds an account by id or (case-insensitively) by email; `undefined` means the default one. */
export function findAccount(data: RegistryData, ref: string | undefined): AccountRecord {
  if (data.accounts.length === 0) {
    throw new TokenTrayError('NO_ACCOUNTS', 'No account is signed in. Run `tokentray login` first.');
  }
  if (ref === undefined || ref === '') {
    const id = defaultOf(data);
    return data.accounts.find((a) => a.id === id)!;
  }
  const byId = data.accounts.find((a) => a.id === ref);
  if (byId) return byId;
  const lower = ref.toLowerCase();
  const byEmail = data.accounts.filter((a) => a.email?.toLowerCase() === lower || a.subject === ref);
  if (byEmail.length === 1) return byEmail[0]!;
  if (byEmail.length > 1) {
    throw new TokenTrayError('ACCOUNT_AMBIGUOUS', `${ref} is signed in at several issuers; name it by id: ${byEmail.map((a) => `${a.id} (${a.issuer})`).join(', ')}.`);
  }
  throw new TokenTrayError('ACCOUNT_NOT_FOUND', `No account "${ref}". \`tokentray accounts\` lists the signed-in accounts.`);
}

export class AccountService {
  constructor(
    readonly registry: AccountRegistry,
    readonly vault: CredentialVault,
  ) {}

  async list(): Promise<AccountView[]> {
    const data = await this.registry.load();
    const def = defaultOf(data);
    return data.accounts.map((a) => ({
      id: a.id,
      kind: a.kind ?? 'user',
      email: a.email ?? null,
      subject: a.subject,
      issuer: a.issuer,
      flavor: a.flavor,
      scopes: [...a.scopes],
      default: a.id === def,
      status: a.status,
      ...(a.statusReason ? { statusReason: a.statusReason } : {}),
      impersonate: [...(a.impersonate ?? [])],
      ...(a.projectId ? { projectId: a.projectId } : {}),
    }));
  }

  async resolve(ref?: string): Promise<AccountRecord> {
    return findAccount(await this.registry.load(), ref);
  }

  async setDefault(ref: string): Promise<AccountRecord> {
    return this.registry.update((data) => {
      const account = findAccount(data, ref);
      data.defaultAccount = account.id;
      return account;
    });
  }

  /** The OAuth client an account signed in with (its secret comes from the keychain). */
  async clientOf(account: AccountRecord): Promise<{ client: OAuthClient; refreshToken: string }> {
    const secrets = await this.vault.getSecrets(account.id);
    if (!secrets) {
      // Only a user account can sign in again; a service account's key is imported, not signed in.
      if (account.kind !== 'service_account') await this.markSigninRequired(account.id, 'Its keychain entry is missing.');
      throw new TokenTrayError('KEYCHAIN_ENTRY_MISSING', `The keychain holds no refresh token for ${displayName(account)}. Sign in again with \`tokentray login\`.`);
    }
    const client: OAuthClient = secrets.clientSecret ? { clientId: account.clientId, clientSecret: secrets.clientSecret } : { clientId: account.clientId };
    return { client, refreshToken: secrets.refreshToken };
  }

  /**
   * Stores a completed sign-in: secrets into the keychain first (so the registry never names an
   * account without them), then the record. A new sign-in of a known account replaces its grant.
   */
  async saveSignIn(profile: ProviderProfile, client: OAuthClient, result: SignInResult): Promise<AccountRecord> {
    const id = accountIdFor(profile.issuer, result.subject);
    await this.vault.setSecrets(id, client.clientSecret ? { refreshToken: result.refreshToken, clientSecret: client.clientSecret } : { refreshToken: result.refreshToken });
    await this.vault.setTokenCache(id, {
      access: { '': { token: result.accessToken, expiresAt: result.accessTokenExpiresAt } },
      ids: {},
      ...(result.idToken && result.idTokenExpiresAt ? { id: { token: result.idToken, expiresAt: result.idTokenExpiresAt } } : {}),
    });
    const now = new Date().toISOString();
    return this.registry.update((data) => {
      const existing = data.accounts.find((a) => a.id === id);
      const record: AccountRecord = {
        id,
        subject: result.subject,
        // A new sign-in without the email scope does not forget the email we knew.
        ...(result.email ?? existing?.email ? { email: (result.email ?? existing?.email)! } : {}),
        issuer: profile.issuer,
        flavor: profile.flavor,
        clientId: client.clientId,
        scopes: result.grantedScopes,
        status: 'ready',
        ...(existing?.impersonate ? { impersonate: existing.impersonate } : {}),
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      };
      if (existing) data.accounts[data.accounts.indexOf(existing)] = record;
      else data.accounts.push(record);
      // The first account becomes the default; later ones leave the user's choice alone.
      if (!data.accounts.some((a) => a.id === data.defaultAccount && a.id !== id) && !existing) data.defaultAccount = id;
      return record;
    });
  }

  /** Marks an account for a new sign-in. It is kept: its metadata and default status stay. */
  async markSigninRequired(id: string, reason: string): Promise<void> {
    await this.registry.update((data) => {
      const account = data.accounts.find((a) => a.id === id);
      if (account) Object.assign(account, { status: 'signin_required', statusReason: reason, updatedAt: new Date().toISOString() });
    });
  }

  /** Sets the account's impersonation target (service account first, then delegates); [] clears it. */
  async setImpersonation(ref: string, chain: string[]): Promise<AccountRecord> {
    return this.registry.update((data) => {
      const account = findAccount(data, ref);
      if (chain.length > 0) account.impersonate = [...chain];
      else delete account.impersonate;
      account.updatedAt = new Date().toISOString();
      return account;
    });
  }

  async updateScopes(id: string, scopes: string[]): Promise<void> {
    await this.registry.update((data) => {
      const account = data.accounts.find((a) => a.id === id);
      if (account) account.scopes = scopes;
    });
  }

  /** Forgets an account locally: the registry entry first, then its keychain items. */
  async forget(id: string): Promise<void> {
    // A keychain that cannot open (a file vault's wrong passphrase) must fail before the registry changes.
    await this.vault.probe();
    await this.registry.update((data) => {
      data.accounts = data.accounts.filter((a) => a.id !== id);
      if (data.defaultAccount === id) {
        if (data.accounts[0]) data.defaultAccount = data.accounts[0].id;
        else delete data.defaultAccount;
      }
    });
    await this.vault.forget(id);
  }
}
