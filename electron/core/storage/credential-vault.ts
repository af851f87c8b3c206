import { createHash } from 'node:crypto';
import type { TokenDetails } from '../shared/models.js';
import { TokenTrayError } from '../shared/errors.js';
import { KeychainItems } from './keychain-items.js';
import type { SecretStore } from './secret-store.js';
import { WriteBatch } from './write-batch.js';

/** Long-lived secret of one user account: what a sign-in produced. */
export interface AccountSecrets {
  refreshToken: string;
  /** Only in items written before OAuth clients had their own item (read, then moved). */
  clientSecret?: string;
}

/** A token as the keychain caches it: what is handed out, and when it was issued and last used. */
export interface CachedToken extends TokenDetails {
  /** When it was issued (epoch ms), where known: its lifetime sets how early it is renewed. */
  obtainedAt?: number;
  /** When it was last handed out (epoch ms, coarse): the least recently used goes first. */
  usedAt?: number;
}

/**
 * Short-lived tokens of one account, kept in the keychain (never on disk) so that the next CLI
 * process can reuse a valid token without a network round trip.
 */
export interface TokenCache {
  /** Access tokens by key ('' = the account's default token; else scopes, impersonation…). */
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

/** Per account, at most this many down-scoped / impersonated access tokens and as many audience ID tokens. */
export const MAX_CACHED_PER_KIND = 16;

/** The id of an OAuth client's records: issuer plus client id. */
export function clientIdFor(issuer: string, clientId: string): string {
  return createHash('sha256').update(`${issuer}\n${clientId}`).digest('hex').slice(0, 12);
}

/*
 * Item layout (service TOKENTRAY_KEYCHAIN_SERVICE, default `tokentray`), each item ≤ 2,000 bytes
 * (larger values are split by KeychainItems):
 *   account:ID      {"refreshToken"}                      a user account's grant
 *   client:CID      {"clientSecret"}                      an OAuth client, shared by its accounts
 *   tokens:ID       {"v":2,"access":{"":…},"id":…}        the default access token and own ID token:
 *                                                         the warm path reads this one item only
 *   tokens+:ID      {"v":2,"access":{…},"ids":{…}}        down-scoped, impersonated, audience tokens
 *   sa-key:ID       the service account's key (a 4096-bit key is split in two)
 *   federation:ID   a workforce/workload federation file as imported (a workforce one holds the
 *                   refresh token and client secret; a rotated refresh token is written into it)
 * Before this layout, account:ID also held the client secret and tokens:ID every cached token:
 * both are read as they are and rewritten in the new shape on the next write.
 */
const secretsKey = (accountId: string) => `account:${accountId}`;
const clientKey = (cid: string) => `client:${cid}`;
const saKey = (accountId: string) => `sa-key:${accountId}`;
const federationKey = (accountId: string) => `federation:${accountId}`;
const hotKey = (accountId: string) => `tokens:${accountId}`;
const moreKey = (accountId: string) => `tokens+:${accountId}`;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isCachedToken(v: unknown): v is CachedToken {
  const t = v as CachedToken;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof t.token === 'string' &&
    typeof t.expiresAt === 'number' &&
    (t.obtainedAt === undefined || typeof t.obtainedAt === 'number') &&
    (t.usedAt === undefined || typeof t.usedAt === 'number')
  );
}

interface StoredCache {
  /** 2 = this layout; absent = the single item of before (holds every bucket). */
  v?: number;
  access: Record<string, CachedToken>;
  id?: CachedToken;
  ids: Record<string, CachedToken>;
}

/** A damaged or missing cache item is an empty one: it only costs a refresh. */
function parseCache(text: string | undefined): StoredCache | undefined {
  if (text === undefined) return undefined;
  const doc = parseJson(text) as Partial<StoredCache> | undefined;
  const cache: StoredCache = { access: {}, ids: {} };
  if (doc?.v === 2) cache.v = 2;
  for (const bucket of ['access', 'ids'] as const) {
    const entries = doc?.[bucket];
    if (typeof entries !== 'object' || entries === null) continue;
    for (const [key, value] of Object.entries(entries)) if (isCachedToken(value)) cache[bucket][key] = value;
  }
  if (doc && isCachedToken(doc.id)) cache.id = doc.id;
  return cache;
}

const lastUse = (t: CachedToken) => t.usedAt ?? t.obtainedAt ?? 0;

/** Keeps the `max` most recently used entries of a bucket. */
function capBucket(bucket: Record<string, CachedToken>, max: number, keep?: string): void {
  const keys = Object.keys(bucket).filter((k) => k !== keep);
  if (keys.length <= max) return;
  // Most recent first; on a tie (times have second resolution) the later added counts as newer.
  const order = new Map(keys.map((k, i) => [k, i]));
  keys.sort((a, b) => lastUse(bucket[b]) - lastUse(bucket[a]) || order.get(b)! - order.get(a)!);
  for (const k of keys.slice(max)) delete bucket[k];
}

/** Owns key naming and the JSON shape of every keychain item TokenTray writes. */
export class CredentialVault {
  readonly items: KeychainItems;

  constructor(readonly store: SecretStore) {
    this.items = new KeychainItems(store);
  }

  /**
   * Runs `fn` on a vault whose writes reach the store together when it returns: the file vault
   * rewrites its file once per operation (one key derivation), and a writer killed meanwhile has
   * written nothing. The keychain, which has no transactions, gets them one by one in order.
   * Inside, reads see the writes made so far. Nested calls join the outer one.
   */
  async inOneWrite<T>(fn: (vault: CredentialVault) => Promise<T>): Promise<T> {
    if (!this.store.commit) return fn(this);
    const batch = new WriteBatch(this.store);
    const result = await fn(new CredentialVault(batch));
    await batch.flush();
    return result;
  }

  /** Fails fast (before a browser round trip) when the keychain cannot be reached. */
  async probe(): Promise<void> {
    await this.store.unlock?.();
    await this.store.get('probe');
  }

  /** The account's refresh token; `undefined` when its item is missing, an error when damaged. */
  async getSecrets(accountId: string): Promise<AccountSecrets | undefined> {
    const text = await this.items.read(secretsKey(accountId));
    if (text === undefined) return undefined;
    const doc = parseJson(text) as Partial<AccountSecrets> | undefined;
    if (!doc || typeof doc.refreshToken !== 'string' || doc.refreshToken === '') {
      throw new TokenTrayError('KEYCHAIN_ENTRY_DAMAGED', `The keychain item of account ${accountId} is damaged.`, {
        facts: { remedy: 'sign-in-again', accountId },
      });
    }
    return typeof doc.clientSecret === 'string' ? { refreshToken: doc.refreshToken, clientSecret: doc.clientSecret } : { refreshToken: doc.refreshToken };
  }

  /** Writes the refresh token alone (a client secret lives in the client's own item). */
  setSecrets(accountId: string, secrets: { refreshToken: string }): Promise<void> {
    return this.inOneWrite((v) => v.items.write(secretsKey(accountId), JSON.stringify({ refreshToken: secrets.refreshToken })));
  }

  /** An OAuth client's secret; `undefined` if it has none stored (or the item is missing). */
  async getClientSecret(cid: string): Promise<string | undefined> {
    const doc = parseJson((await this.items.read(clientKey(cid))) ?? '') as { clientSecret?: unknown } | undefined;
    return typeof doc?.clientSecret === 'string' ? doc.clientSecret : undefined;
  }

  async setClientSecret(cid: string, clientSecret: string): Promise<void> {
    // Unchanged: no write (and on macOS, no change to the item at all).
    if ((await this.getClientSecret(cid)) === clientSecret) return;
    await this.inOneWrite((v) => v.items.write(clientKey(cid), JSON.stringify({ clientSecret })));
  }

  async forgetClient(cid: string): Promise<void> {
    await this.inOneWrite((v) => v.items.delete(clientKey(cid)));
  }

  /** The default access token and the own ID token: one item, the warm path's only keychain read. */
  async getDefaultTokens(accountId: string): Promise<Pick<TokenCache, 'id'> & { access?: CachedToken }> {
    const hot = parseCache(await this.items.read(hotKey(accountId)));
    return { ...(hot?.access[''] ? { access: hot.access[''] } : {}), ...(hot?.id ? { id: hot.id } : {}) };
  }

  /** One cached token of another kind (down-scoped, impersonated, for an audience). */
  async getOtherToken(accountId: string, bucket: 'access' | 'ids', key: string): Promise<CachedToken | undefined> {
    const more = parseCache(await this.items.read(moreKey(accountId)));
    if (more) return more[bucket][key];
    // Not written in this layout yet: the single item of before may hold it.
    const legacy = parseCache(await this.items.read(hotKey(accountId)));
    return legacy?.v === 2 ? undefined : legacy?.[bucket][key];
  }

  async getTokenCache(accountId: string): Promise<TokenCache> {
    const [hot, more] = await Promise.all([this.items.read(hotKey(accountId)), this.items.read(moreKey(accountId))]);
    return this.merge(parseCache(hot), parseCache(more));
  }

  private merge(hot: StoredCache | undefined, more: StoredCache | undefined): TokenCache {
    const cache: TokenCache = { access: {}, ids: {} };
    // A cache in the old single item counts whole until tokens+ exists.
    const extra = more ?? (hot?.v === 2 ? undefined : hot);
    Object.assign(cache.access, extra?.access ?? {});
    Object.assign(cache.ids, extra?.ids ?? {});
    if (hot?.access['']) cache.access[''] = hot.access[''];
    else delete cache.access[''];
    if (hot?.id) cache.id = hot.id;
    return cache;
  }

  /** Writes a whole cache (both items), capped. Callers hold the account's lock. */
  async setTokenCache(accountId: string, cache: TokenCache): Promise<void> {
    const [hot, more] = await Promise.all([this.items.read(hotKey(accountId)), this.items.read(moreKey(accountId))]);
    await this.inOneWrite((v) => v.writeCache(accountId, cache, { hot, more }));
  }

  /**
   * Read-modify-write of an account's cached tokens: expired ones are dropped, the others capped
   * (MAX_CACHED_PER_KIND, least recently used out), and only items whose content changed are
   * written. The caller holds the account's lock.
   */
  async updateTokenCache(accountId: string, now: number, fn: (cache: TokenCache) => void): Promise<TokenCache> {
    const [hotText, moreText] = await Promise.all([this.items.read(hotKey(accountId)), this.items.read(moreKey(accountId))]);
    const hot = parseCache(hotText);
    const cache = this.merge(hot, parseCache(moreText));
    for (const bucket of [cache.access, cache.ids]) for (const [k, v] of Object.entries(bucket)) if (v.expiresAt <= now) delete bucket[k];
    if (cache.id && cache.id.expiresAt <= now) delete cache.id;
    fn(cache);
    await this.inOneWrite((v) => v.writeCache(accountId, cache, { hot: hotText, more: moreText }));
    return cache;
  }

  private async writeCache(accountId: string, cache: TokenCache, before: { hot: string | undefined; more: string | undefined }): Promise<void> {
    const others = { ...cache.access };
    delete others[''];
    capBucket(others, MAX_CACHED_PER_KIND);
    capBucket(cache.ids, MAX_CACHED_PER_KIND);
    for (const k of Object.keys(cache.access)) if (k !== '' && !(k in others)) delete cache.access[k];
    const hotText = JSON.stringify({ v: 2, access: cache.access[''] ? { '': cache.access[''] } : {}, ...(cache.id ? { id: cache.id } : {}) });
    const moreText = JSON.stringify({ v: 2, access: others, ids: cache.ids });
    if (hotText !== before.hot) await this.items.write(hotKey(accountId), hotText);
    // An account with no other tokens has no tokens+ item at all (one item fewer to ask about on macOS).
    const none = Object.keys(others).length === 0 && Object.keys(cache.ids).length === 0;
    if (moreText !== before.more && !(none && before.more === undefined)) await this.items.write(moreKey(accountId), moreText);
  }

  async getServiceAccountKey(accountId: string): Promise<StoredServiceAccountKey | undefined> {
    const text = await this.items.read(saKey(accountId));
    if (text === undefined) return undefined;
    const doc = parseJson(text) as Partial<StoredServiceAccountKey> | undefined;
    if (
      !doc ||
      typeof doc.privateKey !== 'string' ||
      typeof doc.clientEmail !== 'string' ||
      typeof doc.tokenUri !== 'string' ||
      typeof doc.privateKeyId !== 'string'
    ) {
      throw new TokenTrayError('KEYCHAIN_ENTRY_DAMAGED', `The keychain item of service account ${accountId} is damaged.`, {
        facts: { remedy: 'import-key-again', accountId },
      });
    }
    return doc as StoredServiceAccountKey;
  }

  setServiceAccountKey(accountId: string, key: StoredServiceAccountKey): Promise<void> {
    return this.inOneWrite((v) => v.items.write(saKey(accountId), JSON.stringify(key)));
  }

  /** The federation file of a workforce or workload account, as JSON text (parsed by its user). */
  getFederationFile(accountId: string): Promise<string | undefined> {
    return this.items.read(federationKey(accountId));
  }

  setFederationFile(accountId: string, json: string): Promise<void> {
    return this.items.write(federationKey(accountId), json);
  }

  /** Deletes every item of an account (not its OAuth client's, which other accounts may share). */
  async forget(accountId: string): Promise<void> {
    await this.inOneWrite(async (v) => {
      await v.items.delete(moreKey(accountId));
      await v.items.delete(hotKey(accountId));
      await v.items.delete(secretsKey(accountId));
      await v.items.delete(saKey(accountId));
      await v.items.delete(federationKey(accountId));
    });
  }
}
