import { join } from 'node:path';
import { keychainService } from './paths.js';
import { KeytarSecretStore, type SecretStore, type SecretWrite } from './secret-store.js';
import { applyWrites } from './write-batch.js';
import { TokenTrayError } from '../shared/errors.js';
import { readBoundedFile } from './read-user-file.js';
import { parseJsonObject } from '../shared/json-object.js';

type Env = Readonly<Record<string, string | undefined>>;

export type KeychainKind = 'system' | 'file';

/** Hand-edited configuration the window does not change: `{"keychain": "file"}`. */
const CONFIG_FILE_NAME = 'config.json';

function invalid(where: string, value: unknown): TokenTrayError {
  return new TokenTrayError(
    'KEYCHAIN_CHOICE_INVALID',
    `${where} says keychain "${String(value).slice(0, 40)}"; it takes "system" (the OS keychain, the default) or "file" (the encrypted-file vault).`,
  );
}

/**
 * Where secrets live: TOKENTRAY_KEYCHAIN, else `keychain` in TOKENTRAY_HOME/config.json, else
 * the OS keychain. Never a silent fallback from one to the other: accounts would seem to vanish.
 */
export async function chooseKeychain(env: Env, home: string): Promise<KeychainKind> {
  const fromEnv = env.TOKENTRAY_KEYCHAIN;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv !== 'system' && fromEnv !== 'file') throw invalid('TOKENTRAY_KEYCHAIN', fromEnv);
    return fromEnv;
  }
  const path = join(home, CONFIG_FILE_NAME);
  let text: string;
  try {
    text = await readBoundedFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'system';
    if (err instanceof TokenTrayError) throw err;
    throw new TokenTrayError('KEYCHAIN_CHOICE_INVALID', `Cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, {
      cause: err,
    });
  }
  const doc = parseJsonObject(text, (problem) =>
    problem === 'not-json'
      ? new TokenTrayError('KEYCHAIN_CHOICE_INVALID', `${path} is not valid JSON. It takes {"keychain": "system"} or {"keychain": "file"}.`)
      : new TokenTrayError('KEYCHAIN_CHOICE_INVALID', `${path} must hold a JSON object such as {"keychain": "file"}.`),
  );
  const value = doc.keychain;
  if (value === undefined) return 'system';
  if (value !== 'system' && value !== 'file') throw invalid(path, value);
  return value;
}

/** The store chosen by `chooseKeychain`, decided on first use so a bad choice is a coded error, not a crash. */
export class ChosenSecretStore implements SecretStore {
  private store: Promise<SecretStore> | undefined;

  constructor(
    private readonly env: Env,
    private readonly home: string,
  ) {}

  private resolve(): Promise<SecretStore> {
    this.store ??= chooseKeychain(this.env, this.home).then(async (kind) => {
      if (kind === 'system') return new KeytarSecretStore(keychainService(this.env));
      // Loaded only when chosen: the system keychain's warm path does not pay for jose.
      const [{ FileSecretStore, VAULT_FILE_NAME }, { vaultPassphrase }] = await Promise.all([
        import('./file-secret-store.js'),
        import('./vault-passphrase.js'),
      ]);
      return new FileSecretStore(join(this.home, VAULT_FILE_NAME), vaultPassphrase(this.env));
    });
    return this.store;
  }

  async unlock(): Promise<void> {
    await (await this.resolve()).unlock?.();
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.resolve()).get(key);
  }

  async set(key: string, value: string): Promise<void> {
    return (await this.resolve()).set(key, value);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.resolve()).delete(key);
  }

  async commit(writes: readonly SecretWrite[]): Promise<void> {
    await applyWrites(await this.resolve(), writes);
  }
}
