import { createRequire } from 'node:module';
import limits from './windows-keychain-limit.cjs';
import { keychainUnavailable, KeytarSecretStore, type SecretStore } from '../../electron/core/storage/secret-store.js';

// One limit for the in-process store and the preload of every CLI process (a CommonJS module).
export const { WINDOWS_MAX_BLOB_BYTES, WINDOWS_ERROR, tooBigForWindows } = limits;

/** The real keytar store, failing exactly as it does on Windows above 2,560 bytes. */
export class WindowsLimitSecretStore implements SecretStore {
  /** Writes refused so far (a test that expects none checks this). */
  refused = 0;
  constructor(private readonly inner: SecretStore) {}
  static forService(service: string): WindowsLimitSecretStore {
    return new WindowsLimitSecretStore(new KeytarSecretStore(service));
  }
  get(key: string) {
    return this.inner.get(key);
  }
  async set(key: string, value: string) {
    if (tooBigForWindows(value)) {
      this.refused++;
      throw keychainUnavailable(new Error(WINDOWS_ERROR));
    }
    return this.inner.set(key, value);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
}

interface KeytarList {
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>;
}

/** Every item of a keychain service with its size in bytes of UTF-8, largest first. */
export async function keychainItems(service: string): Promise<Array<{ key: string; bytes: number }>> {
  const keytar = createRequire(import.meta.url)('keytar') as KeytarList;
  const items = await keytar.findCredentials(service);
  return items.map((i) => ({ key: i.account, bytes: Buffer.byteLength(i.password, 'utf8') })).sort((a, b) => b.bytes - a.bytes);
}
