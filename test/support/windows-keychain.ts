import { createRequire } from 'node:module';
import { keychainUnavailable, KeytarSecretStore, type SecretStore } from '../../electron/core/storage/secret-store.js';

/**
 * Windows Credential Manager refuses a secret over CRED_MAX_CREDENTIAL_BLOB_SIZE (5 * 512 bytes);
 * keytar writes UTF-8 and reports it as "The stub received bad data." Tests run under this
 * limit on Linux, so what passes here fits Windows.
 */
export const WINDOWS_MAX_BLOB_BYTES = 2560;
export const WINDOWS_ERROR = 'The stub received bad data.';

export function tooBigForWindows(value: string): boolean {
  return Buffer.byteLength(value, 'utf8') > WINDOWS_MAX_BLOB_BYTES;
}

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
