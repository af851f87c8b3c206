import { checkProjectId, checkProjectNumber } from '../google/project-id.js';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { type AccountRegistry, type AccountRecord, type ClientRecord, type RegistryData, type SignOutIntent } from './account-registry.js';
import { defaultOf, findAccount, pinDefault, upsertAccount, type FreshAccount } from './account-records.js';
import { knownClients, upsertClient, type KnownClient } from './oauth-clients.js';
import type { OAuthClient } from '../oauth/client-file.js';
import { CLOUD_PLATFORM } from '../oauth/scopes.js';
import { clientIdFor, type CachedToken, type CredentialVault, type StoredServiceAccountKey, type TokenCache } from '../storage/credential-vault.js';
import { withFileLock } from '../storage/file-lock.js';
import { isTokenTrayError, TokenTrayError } from '../shared/errors.js';
import { resolveProviderProfile, type ProviderProfile } from '../oauth/provider-profile.js';
import type { AccountSummary } from '../shared/models.js';
import type { SignInResult } from '../oauth/sign-in.js';
import { assertIssuedTokens, assertNoControlCharacters, displaySafe } from '../shared/sanitize.js';

/** Stable across sign-ins of the same person at the same issuer, and unique across issuers. */
export function accountIdFor(issuer: string, subject: string): string {
  return createHash('sha256').update(`${issuer}\n${subject}`).digest('hex').slice(0, 12);
}

export function displayName(account: Pick<AccountRecord, 'email' | 'subject'>): string {
  // One line, visible: it goes into sentences, and a hand-edited registry may hold anything.
  return displaySafe(account.email ?? account.subject);
}

/**
 * Why an account whose keychain item is gone or damaged needs a sign-in. Kept as its status
 * reason, so it names no command or button (each surface adds its own).
 */
function missingItemReason(account: Pick<AccountRecord, 'email' | 'subject'>): string {
  return `The keychain item of ${displayName(account)} is missing or damaged.`;
}

const signInAgain = (account: Pick<AccountRecord, 'email' | 'subject' | 'id'>) =>
  ({ facts: { remedy: 'sign-in-again', account: displayName(account), accountId: account.id } }) as const;

/** The header Google's APIs read a user's quota project from. */
export const QUOTA_PROJECT_HEADER = 'x-goog-user-project';

/**
 * The project billed for this account's API calls: a one-run override (checked), else the
 * account's setting. Service accounts take none (their own project pays): an override is refused.
 */
export function quotaProjectOf(account: Pick<AccountRecord, 'kind' | 'email' | 'subject' | 'quotaProject'>, override?: string): string | undefined {
  if (override === undefined || override === '') return account.kind === 'service_account' ? undefined : account.quotaProject;
  checkProjectId(override);
  if (account.kind === 'service_account') {
    throw new TokenTrayError(
      'QUOTA_PROJECT_NOT_FOR_SERVICE_ACCOUNTS',
      `${account.email ?? account.subject} is a service account: its own project pays for its API calls, so it takes no quota project.`,
      { facts: { remedy: 'leave-out-quota-project' } },
    );
  }
  return override;
}

/** The account's Google Cloud project: the one set for it, else its service-account key's. */
export function projectOf(account: Pick<AccountRecord, 'project' | 'projectId'>): string | undefined {
  return account.project ?? account.projectId;
}

/**
 * The number of the project reported for this account, when the user gave it for that very
 * project; else undefined (a number is never made up: clients would bill or log against it).
 */
export function projectNumberOf(account: Pick<AccountRecord, 'projectNumber'>, projectId: string | undefined): string | undefined {
  return projectId !== undefined && account.projectNumber?.project === projectId ? account.projectNumber.number : undefined;
}

export class AccountService {
  /**
   * Finishes sign-outs a killed process left (core.ts sets it: sign-out lives above the accounts room).
   * Run before accounts are listed or resolved, so none being signed out is handed out.
   */
  finishSignOuts: (() => Promise<void>) | undefined;
  private finishing: Promise<void> | undefined;
  /** The token cache's narrow way into the keychain items (tokens/shared-token-cache.ts). */
  readonly tokenCache: TokenCacheStore;

  /**
   * @param fallbackRef the account used when a caller names none, before the default one
   *   (the CLI passes TOKENTRAY_ACCOUNT here).
   */
  constructor(
    private readonly registry: AccountRegistry,
    private readonly vault: CredentialVault,
    private readonly fallbackRef?: string,
  ) {
    this.tokenCache = tokenCachePort(vault);
  }

  /** The registry as it is now (sign-outs left unfinished included): for checks and choices, not to write. */
  records(): Promise<RegistryData> {
    return this.registry.load();
  }

  /** The OAuth clients the registry knows. */
  async clients(): Promise<KnownClient[]> {
    return knownClients(await this.registry.load());
  }

  /**
   * Fails now on a keychain that cannot open (a file vault's wrong passphrase) or a registry that
   * cannot be read, before the user spends time or anything is written. Returns the registry.
   */
  async probe(): Promise<RegistryData> {
    await this.vault.probe();
    return this.registry.load();
  }

  /** Moves a damaged accounts.json aside (see AccountRegistry.setAsideDamaged). */
  setAsideDamagedRegistry(): Promise<string | undefined> {
    return this.registry.setAsideDamaged();
  }

  /**
   * Runs `fn` holding the account's cross-process lock. Every write of the account's keychain
   * items (refresh token, cached tokens) happens inside it. Up to 65 s: a holder may be waiting
   * on an issuer (HTTP timeout 20 s per request).
   */
  withAccountLock<T>(accountId: string, fn: () => Promise<T>): Promise<T> {
    return withFileLock(join(this.registry.home, 'locks', `account-${accountId}.lock`), { waitMs: 65_000, what: `account ${accountId}` }, fn);
  }

  /** The registry, once any sign-out left unfinished is finished (the usual case: one read). */
  private async settled(): Promise<RegistryData> {
    const data = await this.registry.load();
    if (!data.signingOut?.length || !this.finishSignOuts) return data;
    this.finishing ??= this.finishSignOuts().finally(() => (this.finishing = undefined));
    await this.finishing;
    return this.registry.load();
  }

  /** What `tokentray accounts --json` and the window show of the accounts. */
  async list(): Promise<AccountSummary[]> {
    let data = await this.settled();
    // An account whose keychain item is gone or damaged can only be signed in again: say so now.
    const broken: AccountRecord[] = [];
    for (const a of data.accounts) {
      // Only user accounts keep an account: item (service accounts and federations have their own).
      if ((a.kind ?? 'user') !== 'user' || a.status !== 'ready') continue;
      const missing = (read: Promise<unknown>) =>
        read.then(
          (s) => s === undefined,
          (err: unknown) => isTokenTrayError(err, 'KEYCHAIN_ENTRY_DAMAGED'),
        );
      // Confirmed under the lock: a read that met a writer must not mark the account.
      if (await missing(this.vault.getSecrets(a.id))) {
        if (await missing(this.withAccountLock(a.id, () => this.vault.getSecrets(a.id)))) broken.push(a);
      }
    }
    if (broken.length > 0) {
      for (const a of broken) await this.markSigninRequired(a.id, missingItemReason(a)).catch(() => undefined);
      data = await this.registry.load();
    }
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
      // Reasons stored by versions before 0.2 may end in a command-line hint: shown by no surface.
      ...(a.statusReason && !/`tokentray /.test(a.statusReason) ? { statusReason: a.statusReason } : {}),
      impersonate: [...(a.impersonate ?? [])],
      ...(a.projectId ? { projectId: a.projectId } : {}),
      ...(projectOf(a) ? { project: projectOf(a)! } : {}),
      ...(a.quotaProject ? { quotaProject: a.quotaProject } : {}),
    }));
  }

  async resolve(ref?: string): Promise<AccountRecord> {
    return findAccount(await this.settled(), ref || this.fallbackRef);
  }

  async setDefault(ref: string): Promise<AccountRecord> {
    return this.registry.update((data) => {
      const account = findAccount(data, ref);
      data.defaultAccount = account.id;
      return account;
    });
  }

  /**
   * An account's OAuth client and refresh token. A missing or damaged account item marks the
   * account "sign in again" (its client, kept apart, is what that sign-in will use).
   */
  async clientOf(account: AccountRecord, options: { migrateLegacy?: boolean } = {}): Promise<{ client: OAuthClient; refreshToken: string }> {
    // accounts.json may have been edited: its issuer passes the same check as a typed one, first.
    if (account.kind !== 'service_account') resolveProviderProfile(account.issuer, account.flavor);
    let secrets;
    let damaged = false;
    try {
      secrets = await this.vault.getSecrets(account.id);
    } catch (err) {
      if (!isTokenTrayError(err, 'KEYCHAIN_ENTRY_DAMAGED')) throw err;
      damaged = true;
    }
    if (!secrets) {
      if (account.kind === 'service_account') {
        // A service account's key is imported, not signed in.
        throw new TokenTrayError('KEYCHAIN_ENTRY_MISSING', `The keychain holds no key for ${displayName(account)}.`, {
          facts: { remedy: 'import-key-again', account: displayName(account), accountId: account.id },
        });
      }
      const reason = missingItemReason(account);
      await this.markSigninRequired(account.id, reason);
      if (damaged) throw new TokenTrayError('KEYCHAIN_ENTRY_DAMAGED', `The keychain item of ${displayName(account)} is damaged.`, signInAgain(account));
      throw new TokenTrayError('KEYCHAIN_ENTRY_MISSING', reason, signInAgain(account));
    }
    // The item just read is the one to move: no second read of it (see migrateLegacyItem).
    if (options.migrateLegacy && account.kind !== 'service_account') await this.moveLegacySecret(account, secrets);
    const client = await this.storedClient(account.issuer, account.clientId, secrets.clientSecret, account);
    return { client, refreshToken: secrets.refreshToken };
  }

  /**
   * The stored OAuth client of an issuer and client id, with its secret from the keychain.
   * `legacySecret` is a secret read from an account item of the old layout.
   */
  async storedClient(issuer: string, clientId: string, legacySecret?: string, forAccount?: Pick<AccountRecord, 'email' | 'id'>): Promise<OAuthClient> {
    const cid = clientIdFor(issuer, clientId);
    const secret = (await this.vault.getClientSecret(cid)) ?? legacySecret ?? (await this.legacyClientSecret(issuer, clientId));
    if (secret !== undefined) return { clientId, clientSecret: secret };
    const record = knownClients(await this.registry.load()).find((c) => c.id === cid);
    if (record?.known && !record.hasSecret) return { clientId };
    throw new TokenTrayError('CLIENT_SECRET_MISSING', `The keychain no longer holds the secret of OAuth client ${clientId} (${issuer}).`, {
      facts: { remedy: 'give-client-file-again', issuer, ...(forAccount ? { account: forAccount.email ?? forAccount.id, accountId: forAccount.id } : {}) },
    });
  }

  /** A client secret still inside an account item of the old layout, of any account using the client. */
  private async legacyClientSecret(issuer: string, clientId: string): Promise<string | undefined> {
    const data = await this.registry.load();
    for (const a of data.accounts) {
      if (a.issuer !== issuer || a.clientId !== clientId || a.kind === 'service_account') continue;
      const s = await this.vault.getSecrets(a.id).catch(() => undefined);
      if (s?.clientSecret !== undefined) return s.clientSecret;
    }
    return undefined;
  }

  /** Records an OAuth client (registry) and its secret (keychain), marking it used now. */
  async saveClient(issuer: string, flavor: AccountRecord['flavor'], client: OAuthClient): Promise<ClientRecord> {
    if (client.clientSecret) await this.vault.setClientSecret(clientIdFor(issuer, client.clientId), client.clientSecret);
    return this.registry.update((data) => upsertClient(data, issuer, flavor, client));
  }

  /**
   * Moves an account item of the old layout (refresh token and client secret together) to the new
   * one: the secret into its client's item, the refresh token alone. The caller holds the lock.
   */
  async migrateLegacyItem(account: AccountRecord): Promise<void> {
    const secrets = await this.vault.getSecrets(account.id).catch(() => undefined);
    if (secrets) await this.moveLegacySecret(account, secrets);
  }

  private async moveLegacySecret(account: AccountRecord, secrets: { refreshToken: string; clientSecret?: string }): Promise<void> {
    if (secrets.clientSecret === undefined) return;
    await this.saveClient(account.issuer, account.flavor, { clientId: account.clientId, clientSecret: secrets.clientSecret });
    await this.vault.setSecrets(account.id, { refreshToken: secrets.refreshToken });
  }

  /**
   * Stores a completed sign-in: the client, then the account's secrets (so the registry never
   * names an account without them), then the record. A new sign-in of a known account replaces
   * its grant.
   */
  async saveSignIn(profile: ProviderProfile, client: OAuthClient, result: SignInResult): Promise<AccountRecord> {
    // Both come from the issuer (ID token or userinfo): a hostile one must not plant terminal escapes.
    assertNoControlCharacters(result.subject, 'IDENTITY_INVALID', `The account id ("sub") that ${profile.issuer} sent`);
    assertNoControlCharacters(result.email, 'IDENTITY_INVALID', `The email that ${profile.issuer} sent`);
    assertIssuedTokens(profile.issuer, {
      accessToken: result.accessToken,
      idToken: result.idToken,
      refreshToken: result.refreshToken,
      scope: result.grantedScopes.join(' '),
    });
    const id = accountIdFor(profile.issuer, result.subject);
    // Items and record under the account's lock, as a sign-out takes it: the two never interleave,
    // so no account is listed whose items a sign-out deleted. The later one wins.
    return this.withAccountLock(id, async () => {
      await this.writeItemsBeforeListing(id, () =>
        this.vault.inOneWrite(async (vault) => {
          if (client.clientSecret) await vault.setClientSecret(clientIdFor(profile.issuer, client.clientId), client.clientSecret);
          await vault.setSecrets(id, { refreshToken: result.refreshToken });
          await vault.setTokenCache(id, {
            access: { '': { token: result.accessToken, expiresAt: result.accessTokenExpiresAt } },
            ids: {},
            ...(result.idToken && result.idTokenExpiresAt ? { id: { token: result.idToken, expiresAt: result.idTokenExpiresAt } } : {}),
          });
        }),
      );
      return this.registry.update((data) => this.recordSignIn(data, profile, client, result, id));
    });
  }

  /**
   * Writes an account's items before the record that lists it (call under the account's lock). A
   * new account's get a sign-out intent first, removed by the write that lists it (it drops the
   * account's intents), so that items of a process killed in between are deleted by the next one;
   * a failed write (not a kill) undoes them now, where it can.
   */
  private async writeItemsBeforeListing(id: string, write: () => Promise<void>): Promise<void> {
    const isNew = !(await this.registry.load()).accounts.some((a) => a.id === id);
    if (isNew) await this.beginSignOut({ id, revoke: false, forgetClient: false });
    try {
      await write();
    } catch (err) {
      if (isNew)
        await this.vault
          .forget(id)
          .then(() => this.abandonSignOut(id))
          .catch(() => undefined);
      throw err;
    }
  }

  private recordSignIn(data: RegistryData, profile: ProviderProfile, client: OAuthClient, result: SignInResult, id: string): AccountRecord {
    upsertClient(data, profile.issuer, profile.flavor, client);
    // A sign-in is the user's latest word: it supersedes a sign-out of this account left unfinished.
    data.signingOut = data.signingOut?.filter((i) => i.id !== id);
    return upsertAccount(data, {
      id,
      subject: result.subject,
      ...(result.email ? { email: result.email } : {}),
      issuer: profile.issuer,
      flavor: profile.flavor,
      clientId: client.clientId,
      scopes: result.grantedScopes,
      status: 'ready',
    });
  }

  /**
   * Stores an imported service-account key: the key in the keychain only, then the record (email,
   * project, key id). A corrupt registry stops it before the keychain is written.
   */
  async saveServiceAccount(key: StoredServiceAccountKey): Promise<AccountRecord> {
    const id = accountIdFor(key.tokenUri, key.clientEmail);
    return this.withAccountLock(id, async () => {
      await this.writeItemsBeforeListing(id, () => this.vault.setServiceAccountKey(id, key));
      return this.registry.update((data) => this.recordServiceAccount(data, key, id));
    });
  }

  private recordServiceAccount(data: RegistryData, key: StoredServiceAccountKey, id: string): AccountRecord {
    // An import is the user's latest word, like a sign-in: it supersedes an unfinished sign-out.
    data.signingOut = data.signingOut?.filter((i) => i.id !== id);
    return upsertAccount(data, {
      id,
      kind: 'service_account',
      subject: key.clientEmail,
      email: key.clientEmail,
      issuer: key.tokenUri,
      flavor: 'google',
      clientId: key.clientId,
      scopes: data.accounts.find((a) => a.id === id)?.scopes ?? [CLOUD_PLATFORM],
      status: 'ready',
      privateKeyId: key.privateKeyId,
      ...(key.projectId ? { projectId: key.projectId } : {}),
    });
  }

  /** A service account's stored key. */
  serviceAccountKey(id: string): Promise<StoredServiceAccountKey | undefined> {
    return this.vault.getServiceAccountKey(id);
  }

  /** A federated account's stored file (JSON text). */
  federationFile(id: string): Promise<string | undefined> {
    return this.vault.getFederationFile(id);
  }

  /** Stores a federated account's file: on import, and when its refresh token rotates. */
  saveFederationFile(id: string, json: string): Promise<void> {
    return this.vault.setFederationFile(id, json);
  }

  /** Stores a refresh token the issuer rotated (the rest of its answer may be refused). */
  saveRefreshToken(id: string, refreshToken: string): Promise<void> {
    return this.vault.setSecrets(id, { refreshToken });
  }

  /**
   * Stores an imported federated account: its file and the token that proved it works, then the
   * record, under the account's lock as a sign-in's are (a new account's items are deleted by the
   * next process if this one is killed before the record lists it).
   */
  async saveFederatedAccount(fresh: FreshAccount, fileJson: string, token: CachedToken): Promise<AccountRecord> {
    return this.withAccountLock(fresh.id, async () => {
      await this.writeItemsBeforeListing(fresh.id, () =>
        this.vault.inOneWrite(async (vault) => {
          await vault.setFederationFile(fresh.id, fileJson);
          await vault.setTokenCache(fresh.id, { access: { '': token }, ids: {} });
        }),
      );
      return this.registry.update((data) => {
        // An import is the user's latest word, like a sign-in: it supersedes an unfinished sign-out.
        data.signingOut = data.signingOut?.filter((i) => i.id !== fresh.id);
        return upsertAccount(data, fresh);
      });
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
  setImpersonation(ref: string, chain: string[]): Promise<AccountRecord> {
    return this.changeSetting(ref, (account) => {
      if (chain.length > 0) account.impersonate = [...chain];
      else delete account.impersonate;
    });
  }

  /**
   * Sets the project billed for a user account's API calls; undefined clears it. A service account
   * needs none (its own project pays), so it is refused for them.
   */
  setQuotaProject(ref: string, project: string | undefined): Promise<AccountRecord> {
    return this.changeSetting(ref, (account) => {
      if (project !== undefined) quotaProjectOf(account, project);
      if (project) account.quotaProject = project;
      else delete account.quotaProject;
    });
  }

  /** Sets the account's Google Cloud project; undefined clears it. */
  setProject(ref: string, project: string | undefined): Promise<AccountRecord> {
    return this.changeSetting(ref, (account) => {
      if (project) account.project = project;
      else delete account.project;
      // A number belongs to its project: it goes when the project does.
      if (account.projectNumber && account.projectNumber.project !== projectOf(account)) delete account.projectNumber;
    });
  }

  /** Sets the number of the account's project (it must have one); undefined clears it. */
  setProjectNumber(ref: string, number: string | undefined): Promise<AccountRecord> {
    return this.changeSetting(ref, (account) => {
      if (number === undefined) return void delete account.projectNumber;
      const project = projectOf(account);
      if (!project)
        throw new TokenTrayError('PROJECT_NUMBER_WITHOUT_PROJECT', `${displayName(account)} has no project, so a project number would name nothing.`, {
          facts: { remedy: 'set-project-first', account: displayName(account), accountId: account.id },
        });
      account.projectNumber = { project, number: checkProjectNumber(number) };
    });
  }

  /** One setting of the account the user names, changed in one registry write (a refused one writes nothing). */
  private changeSetting(ref: string, change: (account: AccountRecord) => void): Promise<AccountRecord> {
    return this.registry.update((data) => {
      const account = findAccount(data, ref);
      change(account);
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

  /** Records that the account's sign-out has begun, before anything is revoked or deleted. The caller holds its lock. */
  async beginSignOut(intent: SignOutIntent): Promise<void> {
    await this.registry.update((data) => {
      data.signingOut = [...(data.signingOut ?? []).filter((i) => i.id !== intent.id), intent];
    });
  }

  /** Drops a sign-out that could not be done (its revocation failed): the account stays as it was. */
  async abandonSignOut(id: string): Promise<void> {
    await this.registry.update((data) => {
      data.signingOut = data.signingOut?.filter((i) => i.id !== id);
    });
  }

  /**
   * Forgets an account locally: its keychain items first, then, in one registry write, its record
   * and its sign-out intent. A process killed in between leaves the intent, and the next one
   * finishes the job. Its OAuth client stays (for the next sign-in) unless `forgetClient` and no
   * other account uses it. The caller holds the account's lock.
   */
  async forget(id: string, options: { forgetClient?: boolean } = {}): Promise<{ clientForgotten: boolean; clientKeptFor: string[] }> {
    const account = (await this.registry.load()).accounts.find((a) => a.id === id);
    // An item of the old layout holds the client's secret: keep it before the item goes.
    if (account && account.kind !== 'service_account') await this.migrateLegacyItem(account).catch(() => undefined);
    await this.vault.forget(id);
    const cid = account && account.kind !== 'service_account' ? clientIdFor(account.issuer, account.clientId) : undefined;
    return this.registry.update(async (d) => {
      d.accounts = d.accounts.filter((a) => a.id !== id);
      d.signingOut = d.signingOut?.filter((i) => i.id !== id);
      pinDefault(d);
      if (!options.forgetClient || !cid) return { clientForgotten: false, clientKeptFor: [] };
      const clientKeptFor = d.accounts.filter((a) => a.kind !== 'service_account' && clientIdFor(a.issuer, a.clientId) === cid).map((a) => displayName(a));
      if (clientKeptFor.length > 0) return { clientForgotten: false, clientKeptFor };
      d.clients = (d.clients ?? []).filter((c) => c.id !== cid);
      // Before the record goes (inside the registry's lock): a kill here is finished from the intent.
      await this.vault.forgetClient(cid);
      return { clientForgotten: true, clientKeptFor };
    });
  }

  /** Removes a stored OAuth client that no account uses any more. */
  async forgetClient(ref: string): Promise<ClientRecord> {
    let removed: ClientRecord | undefined;
    await this.registry.update((data) => {
      const matches = knownClients(data).filter((c) => c.id === ref || c.clientId === ref);
      if (matches.length === 0) throw new TokenTrayError('CLIENT_NOT_FOUND', `No stored OAuth client "${ref}".`, { facts: { remedy: 'list-clients' } });
      if (matches.length > 1)
        throw new TokenTrayError(
          'CLIENT_AMBIGUOUS',
          `${ref} names OAuth clients at several issuers; name it by id: ${matches.map((c) => `${c.id} (${c.issuer})`).join(', ')}.`,
        );
      const client = matches[0];
      const users = data.accounts.filter((a) => a.kind !== 'service_account' && clientIdFor(a.issuer, a.clientId) === client.id);
      if (users.length > 0) {
        throw new TokenTrayError('CLIENT_IN_USE', `OAuth client ${client.clientId} is used by ${users.map((a) => displayName(a)).join(', ')}.`, {
          facts: { remedy: 'sign-out-client-users', account: users[0].email ?? users[0].id, accountId: users[0].id },
        });
      }
      data.clients = (data.clients ?? []).filter((c) => c.id !== client.id);
      removed = client;
    });
    await this.vault.forgetClient(removed!.id);
    return removed!;
  }
}

/** What the token cache reads and writes of an account's keychain items; writes under the account's lock. */
export interface TokenCacheStore {
  defaultTokens(accountId: string): Promise<Pick<TokenCache, 'id'> & { access?: CachedToken }>;
  otherToken(accountId: string, bucket: 'access' | 'ids', key: string): Promise<CachedToken | undefined>;
  /** In one write (the file vault rewrites once): a rotated refresh token, then the cache's update. */
  update(accountId: string, now: number, fn: (cache: TokenCache) => void, rotatedRefreshToken?: string): Promise<void>;
}

function tokenCachePort(vault: CredentialVault): TokenCacheStore {
  return {
    defaultTokens: (accountId) => vault.getDefaultTokens(accountId),
    otherToken: (accountId, bucket, key) => vault.getOtherToken(accountId, bucket, key),
    update: (accountId, now, fn, rotatedRefreshToken) =>
      vault.inOneWrite(async (v) => {
        if (rotatedRefreshToken) await v.setSecrets(accountId, { refreshToken: rotatedRefreshToken });
        await v.updateTokenCache(accountId, now, fn);
      }),
  };
}
