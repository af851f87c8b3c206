import { TokenTrayError } from '../shared/errors.js';
import type { AccountRecord, RegistryData } from './account-registry.js';

/**
 * The default account: the one chosen, else the first. The one rule for every reader and writer:
 * what the surfaces show as the default is what a call naming no account gets.
 */
export function defaultOf(data: RegistryData): string | undefined {
  return data.accounts.some((a) => a.id === data.defaultAccount) ? data.defaultAccount : data.accounts[0]?.id;
}

/** Writes down the default as defaultOf shows it, after accounts were added or removed. */
export function pinDefault(data: RegistryData): void {
  const id = defaultOf(data);
  if (id) data.defaultAccount = id;
  else delete data.defaultAccount;
}

/** An account's record as a sign-in or an import makes it, before the registry's own fields. */
export type FreshAccount = Omit<AccountRecord, 'createdAt' | 'updatedAt'>;

/**
 * Puts an account's record in the registry data, new or again (a sign-in, an imported key or
 * federation file). What the user set for a known account stays (impersonation, project, quota
 * project unless the fresh record brings one), as do its creation time and an email the fresh
 * record lacks (a sign-in without the email scope). The first account becomes the default; later
 * ones leave the default as it is shown (a dangling one is pinned to what defaultOf shows).
 */
export function upsertAccount(data: RegistryData, fresh: FreshAccount): AccountRecord {
  const existing = data.accounts.find((a) => a.id === fresh.id);
  const now = new Date().toISOString();
  const email = fresh.email ?? existing?.email;
  const quotaProject = fresh.quotaProject ?? existing?.quotaProject;
  const record: AccountRecord = {
    ...fresh,
    ...(email ? { email } : {}),
    ...(existing?.impersonate ? { impersonate: existing.impersonate } : {}),
    ...(existing?.project ? { project: existing.project } : {}),
    ...(quotaProject ? { quotaProject } : {}),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  if (existing) data.accounts[data.accounts.indexOf(existing)] = record;
  else data.accounts.push(record);
  pinDefault(data);
  return record;
}

/** Finds an account by id or (case-insensitively) by email; `undefined` means the default one. */
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
    throw new TokenTrayError(
      'ACCOUNT_AMBIGUOUS',
      `${ref} is signed in at several issuers; name it by id: ${byEmail.map((a) => `${a.id} (${a.issuer})`).join(', ')}.`,
    );
  }
  throw new TokenTrayError('ACCOUNT_NOT_FOUND', `No account "${ref}".`, { facts: { remedy: 'list-accounts' } });
}
