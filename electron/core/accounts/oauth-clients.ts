import type { OAuthClient } from '../oauth/client-file.js';
import { clientIdFor } from '../storage/credential-vault.js';
import type { AccountRecord, ClientRecord, RegistryData } from './account-registry.js';

/** A client record, and whether the registry holds it (false: only an account of the old layout names it). */
export type KnownClient = ClientRecord & { known: boolean };

/**
 * The OAuth clients a registry knows: its client records, plus one for each client that only an
 * account names (registries written before clients had records; `hasSecret` then unknown).
 */
export function knownClients(data: RegistryData): KnownClient[] {
  const out: KnownClient[] = (data.clients ?? []).map((c) => ({ ...c, known: true }));
  for (const a of data.accounts) {
    if (a.kind === 'service_account') continue;
    const id = clientIdFor(a.issuer, a.clientId);
    if (!out.some((c) => c.id === id))
      out.push({
        id,
        issuer: a.issuer,
        flavor: a.flavor,
        clientId: a.clientId,
        hasSecret: true,
        createdAt: a.createdAt,
        lastUsedAt: a.updatedAt,
        known: false,
      });
  }
  return out;
}

/** Records an OAuth client in the registry data, marking it used now. */
export function upsertClient(data: RegistryData, issuer: string, flavor: AccountRecord['flavor'], client: OAuthClient): ClientRecord {
  const id = clientIdFor(issuer, client.clientId);
  const now = new Date().toISOString();
  data.clients ??= [];
  const existing = data.clients.find((c) => c.id === id);
  const record: ClientRecord = {
    id,
    issuer,
    flavor,
    clientId: client.clientId,
    hasSecret: client.clientSecret !== undefined,
    createdAt: existing?.createdAt ?? now,
    lastUsedAt: now,
  };
  if (existing) data.clients[data.clients.indexOf(existing)] = record;
  else data.clients.push(record);
  return record;
}
