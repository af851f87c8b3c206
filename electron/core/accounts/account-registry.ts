import { statSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../storage/atomic-file.js';
import { readBoundedFile } from '../storage/read-user-file.js';
import { withFileLock } from '../storage/file-lock.js';
import { TokenTrayError } from '../shared/errors.js';
import type { Flavor } from '../oauth/provider-profile.js';
import type { AccountStatus } from '../shared/models.js';
import { parseJsonObject } from '../shared/json-object.js';

/** Non-secret metadata of one signed-in account. Secrets live in the keychain only. */
export interface AccountRecord {
  id: string;
  /** Absent in records written before service accounts existed: a user account. */
  kind?: 'user' | 'service_account' | 'workforce' | 'workload';
  subject: string;
  email?: string;
  issuer: string;
  flavor: Flavor;
  clientId: string;
  scopes: string[];
  status: AccountStatus;
  /** Why the account needs a new sign-in, in words for the user. */
  statusReason?: string;
  /** Service accounts: the key's project and key id (the key itself is in the keychain). */
  projectId?: string;
  privateKeyId?: string;
  /** The account's impersonation target: service account first, then its delegation chain. */
  impersonate?: string[];
  /** The Google Cloud project the user set for this account (`tokentray configure --project`). */
  project?: string;
  /** User accounts: the project billed for API calls (x-goog-user-project), `configure --quota-project`. */
  quotaProject?: string;
  /**
   * The number of a project, as the user gave it (`configure --project-number`). It names its project,
   * so that it is never reported for another one after the project changes.
   */
  projectNumber?: { project: string; number: string };
  createdAt: string;
  updatedAt: string;
}

/**
 * An OAuth client (issuer + client id), kept once and shared by the accounts that signed in with
 * it. It outlives them: removed only by `tokentray logout ACCOUNT --forget-client` or
 * `tokentray clients remove`. Its secret, if any, is in the keychain (item `client:ID`).
 */
export interface ClientRecord {
  /** clientIdFor(issuer, clientId). */
  id: string;
  issuer: string;
  flavor: Flavor;
  clientId: string;
  /** Whether a secret belongs to it (then the keychain holds it). */
  hasSecret: boolean;
  createdAt: string;
  /** The last sign-in with it: `login` without client flags and no accounts uses the latest. */
  lastUsedAt: string;
}

/**
 * A sign-out under way: recorded before anything is revoked or deleted, removed with the account,
 * so that one killed midway is found and finished by the next TokenTray process.
 */
export interface SignOutIntent {
  id: string;
  revoke: boolean;
  forgetClient: boolean;
}

export interface RegistryData {
  version: 1;
  defaultAccount?: string;
  accounts: AccountRecord[];
  /** Absent in registries written before clients had their own records. */
  clients?: ClientRecord[];
  /** Sign-outs begun and not finished (absent when none). */
  signingOut?: SignOutIntent[];
}

export const REGISTRY_FILE = 'accounts.json';

/**
 * What the memory caches compare to know accounts.json is unchanged: each write renames a new file
 * over it (another inode, size or time). Synchronous and cheap: it is on the agent's warm path.
 */
export function registryStamp(home: string): string {
  const s = statSync(join(home, REGISTRY_FILE), { throwIfNoEntry: false });
  return s ? `${s.ino}:${s.size}:${s.mtimeMs}` : 'none';
}
const LOCK_WAIT_MS = 10_000;

function isClient(v: unknown): v is ClientRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.id === 'string' &&
    typeof r.issuer === 'string' &&
    (r.flavor === 'google' || r.flavor === 'oidc') &&
    typeof r.clientId === 'string' &&
    typeof r.hasSecret === 'boolean' &&
    typeof r.createdAt === 'string' &&
    typeof r.lastUsedAt === 'string'
  );
}

function isSignOutIntent(v: unknown): v is SignOutIntent {
  const r = v as Record<string, unknown>;
  return typeof v === 'object' && v !== null && typeof r.id === 'string' && typeof r.revoke === 'boolean' && typeof r.forgetClient === 'boolean';
}

function isProjectNumber(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const n = v as Record<string, unknown>;
  return typeof n.project === 'string' && typeof n.number === 'string';
}

function isRecord(v: unknown): v is AccountRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.id === 'string' &&
    typeof r.subject === 'string' &&
    typeof r.issuer === 'string' &&
    (r.flavor === 'google' || r.flavor === 'oidc') &&
    typeof r.clientId === 'string' &&
    Array.isArray(r.scopes) &&
    r.scopes.every((s) => typeof s === 'string') &&
    (r.status === 'ready' || r.status === 'signin_required') &&
    (r.email === undefined || typeof r.email === 'string') &&
    (r.kind === undefined || r.kind === 'user' || r.kind === 'service_account' || r.kind === 'workforce' || r.kind === 'workload') &&
    (r.impersonate === undefined || (Array.isArray(r.impersonate) && r.impersonate.every((s) => typeof s === 'string'))) &&
    (r.project === undefined || typeof r.project === 'string') &&
    (r.quotaProject === undefined || typeof r.quotaProject === 'string') &&
    (r.projectNumber === undefined || isProjectNumber(r.projectNumber)) &&
    typeof r.createdAt === 'string' &&
    typeof r.updatedAt === 'string'
  );
}

/**
 * The JSON account registry in the app-data folder. Writes are atomic (temp file + rename) and
 * serialized across processes by a lock file; a file we cannot understand is never overwritten.
 */
export class AccountRegistry {
  readonly path: string;

  constructor(readonly home: string) {
    this.path = join(home, REGISTRY_FILE);
  }

  private corrupt(why: string): TokenTrayError {
    return new TokenTrayError(
      'REGISTRY_CORRUPT',
      `The account registry ${this.path} ${why}. It was left untouched: repair it, or move it aside to start with no accounts.`,
    );
  }

  async load(): Promise<RegistryData> {
    let text: string;
    try {
      text = await readBoundedFile(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, accounts: [] };
      throw new TokenTrayError('REGISTRY_CORRUPT', `Cannot read the account registry ${this.path}: ${(err as Error).message}.`, { cause: err });
    }
    const data = parseJsonObject(text, (problem) =>
      this.corrupt(problem === 'not-json' ? 'is not valid JSON' : 'is not a JSON object'),
    ) as Partial<RegistryData> & { version?: unknown };
    if (typeof data.version === 'number' && data.version > 1) {
      throw new TokenTrayError(
        'REGISTRY_CORRUPT',
        `The account registry ${this.path} was written by a newer TokenTray (version ${data.version}). Update TokenTray.`,
      );
    }
    if (data.version !== 1 || !Array.isArray(data.accounts)) throw this.corrupt('has no version 1 account list');
    if (!data.accounts.every(isRecord)) throw this.corrupt('holds an account entry with missing or wrong fields');
    if (data.defaultAccount !== undefined && typeof data.defaultAccount !== 'string') throw this.corrupt('has a bad default account');
    if (data.clients !== undefined && !(Array.isArray(data.clients) && data.clients.every(isClient)))
      throw this.corrupt('holds an OAuth client entry with missing or wrong fields');
    if (data.signingOut !== undefined && !(Array.isArray(data.signingOut) && data.signingOut.every(isSignOutIntent)))
      throw this.corrupt('holds a sign-out entry with missing or wrong fields');
    return {
      version: 1,
      accounts: data.accounts,
      ...(data.defaultAccount ? { defaultAccount: data.defaultAccount } : {}),
      ...(data.clients ? { clients: data.clients } : {}),
      ...(data.signingOut?.length ? { signingOut: data.signingOut } : {}),
    };
  }

  /** Read-modify-write under the lock; the callback may mutate the data it is given. */
  async update<T>(fn: (data: RegistryData) => T | Promise<T>): Promise<T> {
    return withFileLock(
      join(this.home, 'locks', 'registry.lock'),
      { waitMs: LOCK_WAIT_MS, what: 'the account registry', onFailure: (err) => this.unwritable(err) },
      async () => {
        const data = await this.load();
        const result = await fn(data);
        if (data.signingOut?.length === 0) delete data.signingOut;
        await this.write(data);
        return result;
      },
    );
  }

  /**
   * Starts fresh from a registry TokenTray cannot read: under the lock, and only if it is still
   * damaged, the file is renamed to `accounts.json.damaged-TIME` (kept for repair; its accounts'
   * keychain items stay too) and the list is empty. Returns the copy's path; undefined when the
   * file reads fine again (nothing was moved).
   */
  async setAsideDamaged(now = new Date()): Promise<string | undefined> {
    return withFileLock(
      join(this.home, 'locks', 'registry.lock'),
      { waitMs: LOCK_WAIT_MS, what: 'the account registry', onFailure: (err) => this.unwritable(err) },
      async () => {
        try {
          await this.load();
          return undefined;
        } catch (err) {
          if (!(err instanceof TokenTrayError && err.code === 'REGISTRY_CORRUPT')) throw err;
        }
        const copy = `${this.path}.damaged-${now.toISOString().replace(/[:.]/g, '-')}`;
        try {
          await rename(this.path, copy);
        } catch (err) {
          throw this.unwritable(err);
        }
        return copy;
      },
    );
  }

  private unwritable(err: unknown): TokenTrayError {
    return new TokenTrayError(
      'REGISTRY_UNWRITABLE',
      `Cannot write the account registry in ${this.home}: ${(err as Error).message}. Check the folder's permissions and free space (TOKENTRAY_HOME moves it).`,
      { cause: err },
    );
  }

  private async write(data: RegistryData): Promise<void> {
    try {
      await writeFileAtomic(this.path, JSON.stringify(data, null, 2) + '\n');
    } catch (err) {
      throw this.unwritable(err);
    }
  }
}
