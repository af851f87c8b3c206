import { checkProjectId } from '../google/project-id.js';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { type AccountRegistry, type AccountRecord, type ClientRecord, type RegistryData, type SignOutIntent } from './account-registry.js';
import type { OAuthClient } from '../oauth/client-file.js';
import { clientIdFor, type CredentialVault } from './credential-vault.js';
import { withFileLock } from './file-lock.js';
import { isTokenTrayError, TokenTrayError } from '../shared/errors.js';
import { resolveProviderProfile, type ProviderProfile } from '../oauth/provider-profile.js';
import type { AccountSummary } from '../shared/models.js';
import type { SignInResult } from '../oauth/sign-in.js';
import { assertIssuedTokens, assertNoControlCharacters, displaySafe } from '../shared/sanitize.js';

/** What `tokentray accounts --json` and the window show of an account. */
export type AccountView = AccountSummary;

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

/**
 * The OAuth clients a registry knows: its client records, plus one for each client that only an
 * account names (registries written before clients had records; `hasSecret` then unknown).
 */
export function knownClients(data: RegistryData): Array<ClientRecord & { known: boolean }> {
  const out: Array<ClientRecord & { known: boolean }> = (data.clients ?? []).map((c) => ({ ...c, known: true }));
  for (const a of data.accounts) {
    if (a.kind === 'service_account') continue;
    const id = clientIdFor(a.issuer, a.clientId);
    if (!out.some((c) => c.id === id)) out.push({ id, issuer: a.issuer, flavor: a.flavor, clientId: a.clientId, hasSecret: true, createdAt: a.createdAt, lastUsedAt: a.updatedAt, known: false });
  }
  return out;
}

function upsertClient(data: RegistryData, issuer: string, flavor: AccountRecord['flavor'], client: OAuthClient): ClientRecord {
  const id = clientIdFor(issuer, client.clientId);
  const now = new Date().toISOString();
  data.clients ??= [];
  const existing = data.clients.find((c) => c.id === id);
  const record: ClientRecord = { id, issuer, flavor, clientId: client.clientId, hasSecret: client.clientSecret !== undefined, createdAt: existing?.createdAt ?? now, lastUsedAt: now };
  if (existing) data.clients[data.clients.indexOf(existing)] = record;
  else data.clients.push(record);
  return record;
}

function defaultOf(data: RegistryData): string | undefined {
  return data.accounts.some((a) => a.id === data.defaultAccount) ? data.defaultAccount : data.accounts[0]?.id;
}

/** Finds an account by id or (case-insensitively) by email; `undefined` means the default one. */
/**
 * Puts an imported account's record in the registry (a key or a federation file): what the user
 * set for a known account (impersonation, project, creation time) stays; with no valid default,
 * it becomes the default.
 */
export function upsertImported(data: RegistryData, fresh: Omit<AccountRecord, 'createdAt' | 'updatedAt'>): AccountRecord {
  const existing = data.accounts.find((a) => a.id === fresh.id);
  const now = new Date().toISOString();
  const record: AccountRecord = {
    ...fresh,
    ...(existing?.impersonate ? { impersonate: existing.impersonate } : {}),
    ...(existing?.project ? { project: existing.project } : {}),
    ...(fresh.quotaProject === undefined && existing?.quotaProject ? { quotaProject: existing.quotaProject } : {}),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  if (existing) data.accounts[data.accounts.indexOf(existing)] = record;
  else data.accounts.push(record);
  if (!data.accounts.some((a) => a.id === data.defaultAccount)) data.defaultAccount = fresh.id;
  return record;
}

export function findAccount(data: RegistryData, ref: string | undefined): AccountRecord {
  if (data.accounts.length === 0) {
    throw new TokenTrayError('NO_ACCOUNTS', 'No account is signed in.', { facts: { remedy: 'sign-in' } });
  }
  if (ref === undefined || ref === '') {
    const id = defaultOf(data);
    return data.accounts.find((a) => a.id === id)!;
  }
  const byId = data.accounts.find((a) => a.id === ref);
  if (byId) return byId;
  const lower = ref.toLowerCase();
  const byEmail = data.accounts.filter((a) => a.email?.toLowerCase() === lower || a.subject === ref);
  if (byEmail.length === 1) return byEmail[0];
  if (byEmail.length > 1) {
    throw new TokenTrayError('ACCOUNT_AMBIGUOUS', `${ref} is signed in at several issuers; name it by id: ${byEmail.map((a) => `${a.id} (${a.issuer})`).join(', ')}.`);
  }
  throw new TokenTrayError('ACCOUNT_NOT_FOUND', `No account "${ref}".`, { facts: { remedy: 'list-accounts' } });
}

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
    throw new TokenTrayError('QUOTA_PROJECT_NOT_FOR_SERVICE_ACCOUNTS', `${account.email ?? account.subject} is a service account: its own project pays for its API calls, so it takes no quota project.`);
  }
  return override;
}

/** The account's Google Cloud project: the one set for it, else its service-account key's. */
export function projectOf(account: Pick<AccountRecord, 'project' | 'projectId'>): string | undefined {
  return account.project ?? account.projectId;
}

export class AccountService {
  /**
   * Finishes sign-outs a killed process left (core.ts sets it: sign-out lives above storage).
   * Run before accounts are listed or resolved, so none being signed out is handed out.
   */
  finishSignOuts: (() => Promise<void>) | undefined;
  private finishing: Promise<void> | undefined;

  /**
   * @param fallbackRef the account used when a caller names none, before the default one
   *   (the CLI passes TOKENTRAY_ACCOUNT here).
   */
  constructor(
    readonly registry: AccountRegistry,
    readonly vault: CredentialVault,
    private readonly fallbackRef?: string,
  ) {}

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

  async list(): Promise<AccountView[]> {
    let data = await this.settled();
    // An account whose keychain item is gone or damaged can only be signed in again: say so now.
    const broken: AccountRecord[] = [];
    for (const a of data.accounts) {
      // Only user accounts keep an account: item (service accounts and federations have their own).
      if ((a.kind ?? 'user') !== 'user' || a.status !== 'ready') continue;
      const missing = (read: Promise<unknown>) => read.then((s) => s === undefined, (err: unknown) => isTokenTrayError(err, 'KEYCHAIN_ENTRY_DAMAGED'));
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
  async clientOf(account: AccountRecord): Promise<{ client: OAuthClient; refreshToken: string }> {
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
        throw new TokenTrayError('KEYCHAIN_ENTRY_MISSING', `The keychain holds no key for ${displayName(account)}.`, { facts: { remedy: 'import-key-again', account: displayName(account), accountId: account.id } });
      }
      const reason = missingItemReason(account);
      await this.markSigninRequired(account.id, reason);
      if (damaged) throw new TokenTrayError('KEYCHAIN_ENTRY_DAMAGED', `The keychain item of ${displayName(account)} is damaged.`, signInAgain(account));
      throw new TokenTrayError('KEYCHAIN_ENTRY_MISSING', reason, signInAgain(account));
    }
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
    if (secrets?.clientSecret === undefined) return;
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
    assertIssuedTokens(profile.issuer, { accessToken: result.accessToken, idToken: result.idToken, refreshToken: result.refreshToken, scope: result.grantedScopes.join(' ') });
    const id = accountIdFor(profile.issuer, result.subject);
    // Items and record under the account's lock, as a sign-out takes it: the two never interleave,
    // so no account is listed whose items a sign-out deleted. The later one wins.
    return this.withAccountLock(id, async () => {
      // A new account's items are written before it is listed: a sign-out intent first, removed by
      // the write that lists it, so that items of a sign-in killed in between are deleted by the next process.
      const isNew = !(await this.registry.load()).accounts.some((a) => a.id === id);
      if (isNew) await this.beginSignOut({ id, revoke: false, forgetClient: false });
      try {
        await this.vault.inOneWrite(async (vault) => {
          if (client.clientSecret) await vault.setClientSecret(clientIdFor(profile.issuer, client.clientId), client.clientSecret);
          await vault.setSecrets(id, { refreshToken: result.refreshToken });
          await vault.setTokenCache(id, {
            access: { '': { token: result.accessToken, expiresAt: result.accessTokenExpiresAt } },
            ids: {},
            ...(result.idToken && result.idTokenExpiresAt ? { id: { token: result.idToken, expiresAt: result.idTokenExpiresAt } } : {}),
          });
        });
      } catch (err) {
        // A failed write (not a kill) undoes the new account's items and intent now, where it can.
        if (isNew) await this.vault.forget(id).then(() => this.abandonSignOut(id)).catch(() => undefined);
        throw err;
      }
      return this.registry.update((data) => this.recordSignIn(data, profile, client, result, id));
    });
  }

  private recordSignIn(data: RegistryData, profile: ProviderProfile, client: OAuthClient, result: SignInResult, id: string): AccountRecord {
    const now = new Date().toISOString();
    upsertClient(data, profile.issuer, profile.flavor, client);
    // A sign-in is the user's latest word: it supersedes a sign-out of this account left unfinished.
    data.signingOut = data.signingOut?.filter((i) => i.id !== id);
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
      ...(existing?.project ? { project: existing.project } : {}),
      ...(existing?.quotaProject ? { quotaProject: existing.quotaProject } : {}),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    if (existing) data.accounts[data.accounts.indexOf(existing)] = record;
    else data.accounts.push(record);
    // The first account becomes the default; later ones leave the user's choice alone.
    if (!data.accounts.some((a) => a.id === data.defaultAccount && a.id !== id) && !existing) data.defaultAccount = id;
    return record;
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

  /**
   * Sets the project billed for a user account's API calls; undefined clears it. A service account
   * needs none (its own project pays), so it is refused for them.
   */
  async setQuotaProject(ref: string, project: string | undefined): Promise<AccountRecord> {
    return this.registry.update((data) => {
      const account = findAccount(data, ref);
      if (project !== undefined) quotaProjectOf(account, project);
      if (project) account.quotaProject = project;
      else delete account.quotaProject;
      account.updatedAt = new Date().toISOString();
      return account;
    });
  }

  /** Sets the account's Google Cloud project; undefined clears it. */
  async setProject(ref: string, project: string | undefined): Promise<AccountRecord> {
    return this.registry.update((data) => {
      const account = findAccount(data, ref);
      if (project) account.project = project;
      else delete account.project;
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
      if (d.defaultAccount === id) {
        if (d.accounts[0]) d.defaultAccount = d.accounts[0].id;
        else delete d.defaultAccount;
      }
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
      if (matches.length > 1) throw new TokenTrayError('CLIENT_AMBIGUOUS', `${ref} names OAuth clients at several issuers; name it by id: ${matches.map((c) => `${c.id} (${c.issuer})`).join(', ')}.`);
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
