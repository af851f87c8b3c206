import { TokenTrayError } from '../shared/errors.js';
import type { SecretStore } from './secret-store.js';

/** Long-lived secrets of one account: what a sign-in produced and the client it used. */
export interface AccountSecrets {
  refreshToken: string;
  clientSecret?: string;
}

export interface CachedToken {
  token: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** When it was issued (epoch ms), where known: its lifetime sets how early it is renewed. */
  obtainedAt?: number;
}

/**
 * Short-lived tokens of one account, kept in the keychain (never on disk) so that the next CLI
 * process can reuse a valid token without a network round trip.
 */
export interface TokenCache {
  /** Access tokens by key ('' = the account's whole grant; else scopes, impersonation…). */
  access: Record<string, CachedToken>;
  /** The account's own ID token (audience: the OAuth client id). */
  id?: CachedToken;
  /** ID tokens for other audiences, by key. */
  ids: Record<string, CachedToken>;
}

/** What the keychain holds of a service account: its key (the private key is the secret). */
export interface StoredServiceAccountKey {
  clientEmail: string;
  clientId: string;
  privateKey: string;
  privateKeyId: string;
  projectId?: string;
  tokenUri: string;
}

const secretsKey = (accountId: string) => `account:${accountId}`;
const saKey = (accountId: string) => `sa-key:${accountId}`;
const cacheKey = (accountId: string) => `tokens:${accountId}`;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isCachedToken(v: unknown): v is CachedToken {
  const t = v as CachedToken;
  return typeof v === 'object' && v !== null && typeof t.token === 'string' && typeof t.expiresAt === 'number' && (t.obtainedAt === undefined || typeof t.obtainedAt === 'number');
}

/** Owns key naming and the JSON shape of every keychain item TokenTray writes. */
export class CredentialVault {
  constructor(readonly store: SecretStore) {}

  /** Fails fast (before a browser round trip) when the keychain cannot be reached. */
  async probe(): Promise<void> {
    await this.store.unlock?.();
    await this.store.get('probe');
  }

  async getSecrets(accountId: string): Promise<AccountSecrets | undefined> {
    const text = await this.store.get(secretsKey(accountId));
    if (text === undefined) return undefined;
    const doc = parseJson(text) as Partial<AccountSecrets> | undefined;
    if (!doc || typeof doc.refreshToken !== 'string') {
      throw new TokenTrayError('KEYCHAIN_ENTRY_MISSING', `The keychain entry of account ${accountId} is damaged. Sign in again with \`tokentray login\`.`);
    }
    return typeof doc.clientSecret === 'string' ? { refreshToken: doc.refreshToken, clientSecret: doc.clientSecret } : { refreshToken: doc.refreshToken };
  }

  setSecrets(accountId: string, secrets: AccountSecrets): Promise<void> {
    return this.store.set(secretsKey(accountId), JSON.stringify(secrets));
  }

  /** A damaged or missing cache is an empty cache: it only saves a refresh. */
  async getTokenCache(accountId: string): Promise<TokenCache> {
    const text = await this.store.get(cacheKey(accountId));
    const doc = text === undefined ? undefined : (parseJson(text) as Partial<TokenCache> | undefined);
    const cache: TokenCache = { access: {}, ids: {} };
    for (const bucket of ['access', 'ids'] as const) {
      const entries = doc?.[bucket];
      if (typeof entries !== 'object' || entries === null) continue;
      for (const [key, value] of Object.entries(entries)) if (isCachedToken(value)) cache[bucket][key] = value;
    }
    if (doc && isCachedToken(doc.id)) cache.id = doc.id;
    return cache;
  }

  setTokenCache(accountId: string, cache: TokenCache): Promise<void> {
    return this.store.set(cacheKey(accountId), JSON.stringify(cache));
  }

  async getServiceAccountKey(accountId: string): Promise<StoredServiceAccountKey | undefined> {
    const text = await this.store.get(saKey(accountId));
    if (text === undefined) return undefined;
    const doc = parseJson(text) as Partial<StoredServiceAccountKey> | undefined;
    if (!doc || typeof doc.privateKey !== 'string' || typeof doc.clientEmail !== 'string' || typeof doc.tokenUri !== 'string' || typeof doc.privateKeyId !== 'string') {
      throw new TokenTrayError('KEYCHAIN_ENTRY_MISSING', `The keychain entry of service account ${accountId} is damaged. Import its key again with \`tokentray import-service-account\`.`);
    }
    return doc as StoredServiceAccountKey;
  }

  setServiceAccountKey(accountId: string, key: StoredServiceAccountKey): Promise<void> {
    return this.store.set(saKey(accountId), JSON.stringify(key));
  }

  async forget(accountId: string): Promise<void> {
    await this.store.delete(cacheKey(accountId));
    await this.store.delete(secretsKey(accountId));
    await this.store.delete(saKey(accountId));
  }
}
