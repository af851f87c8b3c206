import type { SecretStore } from '../../electron/core/storage/secret-store.js';

/**
 * A secret store in this process's memory, for tests of logic only (never shipped): no keychain
 * round trips, and the test can look at every item and count writes.
 */
export class MemorySecretStore implements SecretStore {
  readonly items = new Map<string, string>();
  writes = 0;

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.items.get(key));
  }
  set(key: string, value: string): Promise<void> {
    this.writes++;
    this.items.set(key, value);
    return Promise.resolve();
  }
  delete(key: string): Promise<boolean> {
    this.writes++;
    return Promise.resolve(this.items.delete(key));
  }
}
