import type { AccountRecord, RegistryData } from './account-registry.js';

/**
 * The default account: the one chosen, else the first. The one rule for every reader and writer:
 * what the surfaces show as the default is what a call naming no account gets.
 */
export function defaultOf(data: RegistryData): string | undefined {
  return data.accounts.some((a) => a.id === data.defaultAccount) ? data.defaultAccount : data.accounts[0]?.id;
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
  data.defaultAccount = defaultOf(data);
  return record;
}
