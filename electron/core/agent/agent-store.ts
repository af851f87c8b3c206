import { join } from 'node:path';
import { chooseKeychain, type KeychainKind } from '../storage/keychain-choice.js';
import { FileSecretStore, VAULT_FILE_NAME } from '../storage/file-secret-store.js';
import { keychainService } from '../storage/paths.js';
import { KeytarSecretStore, type SecretStore } from '../storage/secret-store.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The store the agent serves, decided as the CLI decides it (keychain-choice.ts). */
export async function agentStoreKind(env: Env, home: string): Promise<KeychainKind> {
  return chooseKeychain(env, home);
}

export function vaultPath(home: string): string {
  return join(home, VAULT_FILE_NAME);
}

/**
 * The store, opened now so that a wrong passphrase or a missing keychain fails the start, not the
 * first request. With the file vault the passphrase, asked once, stays in this process's memory
 * only, for as long as the agent runs.
 */
export async function openAgentStore(env: Env, home: string, kind: KeychainKind, passphrase: string | undefined): Promise<SecretStore> {
  if (kind === 'file') {
    const fixed = async () => passphrase!;
    const store = new FileSecretStore(vaultPath(home), { existing: fixed, create: fixed });
    await store.unlock();
    return store;
  }
  const store = new KeytarSecretStore(keychainService(env));
  await store.get('tokentray-agent-probe'); // KEYCHAIN_UNAVAILABLE now, not at the first request
  return store;
}
