import type { SecretStore, SecretWrite } from './secret-store.js';

/** Applies writes as one where the store can (`commit`), else one by one in the order given. */
export async function applyWrites(store: SecretStore, writes: readonly SecretWrite[]): Promise<void> {
  if (writes.length === 0) return;
  if (store.commit) return store.commit(writes);
  for (const w of writes) {
    if (w.value === undefined) await store.delete(w.key);
    else await store.set(w.key, w.value);
  }
}

/**
 * The writes of one operation, held back until `flush`: reads see them, the store sees nothing
 * until then, and then all at once (one vault rewrite), in the order made.
 */
export class WriteBatch implements SecretStore {
  private readonly writes: SecretWrite[] = [];
  private readonly view = new Map<string, string | undefined>();

  constructor(private readonly inner: SecretStore) {}

  async get(key: string): Promise<string | undefined> {
    return this.view.has(key) ? this.view.get(key) : this.inner.get(key);
  }

  async set(key: string, value: string): Promise<void> {
    this.writes.push({ key, value });
    this.view.set(key, value);
  }

  async delete(key: string): Promise<boolean> {
    const existed = (await this.get(key)) !== undefined;
    this.writes.push({ key, value: undefined });
    this.view.set(key, undefined);
    return existed;
  }

  flush(): Promise<void> {
    return applyWrites(this.inner, this.writes.splice(0));
  }
}
