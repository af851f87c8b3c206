import { createRequire } from 'node:module';
import { TokenTrayError } from '../shared/errors.js';

/**
 * The OS keychain, reduced to what TokenTray needs. One backend per file; the rest of the core
 * only sees this interface, so moving off keytar (archived upstream) is a one-file change.
 */
export interface SecretStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  /** Resolves false when there was nothing to delete. */
  delete(key: string): Promise<boolean>;
  /**
   * Makes the store usable now (a file vault asks for its passphrase), so that a long interactive
   * step such as a browser sign-in does not end in a prompt. Stores that need nothing omit it.
   */
  unlock?(): Promise<void>;
  /**
   * Applies the writes of one operation together: a store that rewrites a whole file (the file
   * vault) does so once, with all of them. Stores without it get them one by one, in order.
   */
  commit?(writes: readonly SecretWrite[]): Promise<void>;
}

/** One write of a batch: a new value, or `undefined` to delete the item. */
export interface SecretWrite {
  key: string;
  value: string | undefined;
}

interface KeytarApi {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

const FILE_VAULT_HINT =
  ' Where no keychain runs (SSH, WSL, containers), opt in to the passphrase-encrypted file vault instead: TOKENTRAY_KEYCHAIN=file (see docs/remote.md).';
const FIX_HINT =
  (process.platform === 'linux'
    ? 'TokenTray keeps refresh tokens only in the system keychain. Start a Secret Service provider (GNOME Keyring or KWallet) in your desktop session and unlock it, then try again.'
    : 'TokenTray keeps refresh tokens only in the system keychain. Unlock it (Keychain Access on macOS, Credential Manager on Windows), then try again.') +
  FILE_VAULT_HINT;

/** The error every keychain failure becomes (exported for test stores that imitate a backend). */
export function keychainUnavailable(cause: unknown): TokenTrayError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new TokenTrayError('KEYCHAIN_UNAVAILABLE', `The system keychain is not available (${detail}). ${FIX_HINT}`, { cause });
}

let keytarModule: Promise<KeytarApi> | undefined;

function loadKeytar(): Promise<KeytarApi> {
  // Loaded on first use: the native module is the slowest part of a warm CLI call.
  // Through require: keytar is CommonJS, and import() would first have Node scan its source for exports.
  keytarModule ??= Promise.resolve().then(() => createRequire(import.meta.url)('keytar') as KeytarApi);
  return keytarModule;
}

export class KeytarSecretStore implements SecretStore {
  constructor(private readonly service: string) {}

  private async call<T>(fn: (k: KeytarApi) => Promise<T>): Promise<T> {
    let keytar: KeytarApi;
    try {
      keytar = await loadKeytar();
    } catch (err) {
      throw keychainUnavailable(err);
    }
    try {
      return await fn(keytar);
    } catch (err) {
      throw keychainUnavailable(err);
    }
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.call((k) => k.getPassword(this.service, key))) ?? undefined;
  }

  set(key: string, value: string): Promise<void> {
    return this.call((k) => k.setPassword(this.service, key, value));
  }

  delete(key: string): Promise<boolean> {
    return this.call((k) => k.deletePassword(this.service, key));
  }
}
