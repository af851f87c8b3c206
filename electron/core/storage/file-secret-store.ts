import { dirname, join, resolve } from 'node:path';
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader, errors as joseErrors } from 'jose';
import { writeFileAtomic } from './atomic-file.js';
import { withFileLock } from './file-lock.js';
import { lstat, readlink, realpath } from 'node:fs/promises';
import type { SecretStore, SecretWrite } from './secret-store.js';
import { isTokenTrayError, TokenTrayError } from '../shared/errors.js';
import { readBoundedFile } from './read-user-file.js';
import { registerSecret } from '../shared/logger.js';
import { deriveVaultKey, kdfOf, MIN_ITERATIONS, newKdf, sameKdf, VAULT_ITERATIONS, type VaultKey } from './vault-key.js';

/**
 * The encrypted-file vault, for machines where no OS keychain runs (SSH, WSL, dev containers):
 * every item in one compact JWE (A256KW, A256GCM) under a key derived from a passphrase
 * (vault-key.ts), as aws-vault's file backend keeps its items under a passphrase. The passphrase
 * guards it, not the OS. Vaults written by earlier versions (PBES2, a salt per write) are still
 * read, and rewritten in today's form at their next change.
 */
export const VAULT_FILE_NAME = 'vault.jwe';
const ALG = 'A256KW';
const ENC = 'A256GCM';
const LEGACY_ALG = 'PBES2-HS512+A256KW';
/** The vault is a few KB per account; anything far larger is not ours. */
const MAX_FILE_BYTES = 8 * 1024 * 1024;
const LOCK = { waitMs: 35_000, what: 'the file vault' } as const;

/** Where the passphrase comes from: the environment, a terminal prompt, or a coded error. */
export interface PassphraseSource {
  /** The passphrase of an existing vault. */
  existing(vaultPath: string): Promise<string>;
  /** The passphrase of a vault about to be created (a terminal asks twice). */
  create(vaultPath: string): Promise<string>;
}

interface VaultDocument {
  v: 1;
  items: Record<string, string>;
}

function damaged(path: string, detail: string, cause?: unknown): TokenTrayError {
  return new TokenTrayError(
    'VAULT_DAMAGED',
    `The file vault ${path} cannot be read (${detail}). TokenTray keeps it as it is: restore it from a backup, or move it aside and sign in again.`,
    cause === undefined ? undefined : { cause },
  );
}

function parseDocument(path: string, plaintext: Uint8Array): Record<string, string> {
  let doc: Partial<VaultDocument>;
  try {
    doc = JSON.parse(new TextDecoder().decode(plaintext)) as Partial<VaultDocument>;
  } catch (err) {
    throw damaged(path, 'its content is not valid JSON', err);
  }
  if (typeof doc !== 'object' || doc === null || doc.v !== 1 || typeof doc.items !== 'object' || doc.items === null || Array.isArray(doc.items)) {
    throw damaged(path, 'its content is not a TokenTray vault');
  }
  const items: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of Object.entries(doc.items)) {
    if (typeof value !== 'string') throw damaged(path, `its item "${key.slice(0, 40)}" is not text`);
    items[key] = value;
  }
  return items;
}

export class FileSecretStore implements SecretStore {
  private passphrase: string | undefined;
  /** The last file content decrypted, so a process derives the key once per change, not per read. */
  private opened: { text: string; items: Record<string, string> } | undefined;
  /** The key of this passphrase and the vault's salt, derived once and kept for the rewrites. */
  private key: VaultKey | undefined;

  constructor(
    readonly path: string,
    private readonly passphrases: PassphraseSource,
  ) {}

  /** Asks for the passphrase now (checking it against the file), before any long interactive step. */
  async unlock(): Promise<void> {
    const text = await this.readText();
    if (text === undefined) await this.choosePassphrase();
    else await this.open(text);
  }

  async get(key: string): Promise<string | undefined> {
    const text = await this.readText();
    if (text === undefined) return undefined;
    return (await this.open(text))[key];
  }

  async set(key: string, value: string): Promise<void> {
    await this.commit([{ key, value }]);
  }

  /** Every write of one operation in one rewrite of the file (one key derivation, one rename). */
  async commit(writes: readonly SecretWrite[]): Promise<void> {
    await this.update((items) => {
      let changed = false;
      for (const { key, value } of writes) {
        if (items[key] === value) continue;
        if (value === undefined) delete items[key];
        else items[key] = value;
        changed = true;
      }
      return changed;
    });
  }

  async delete(key: string): Promise<boolean> {
    let existed = false;
    await this.update((items) => {
      existed = key in items;
      delete items[key];
      return existed;
    });
    return existed;
  }

  /**
   * Read, change, write back, under a lock so that processes take turns and none loses another's
   * item. Nothing is written unless the current file was decrypted: a wrong passphrase or a damaged
   * file leaves it byte for byte as it was.
   */
  private async update(change: (items: Record<string, string>) => boolean): Promise<void> {
    // Prompts happen before the lock is taken, so a waiting user never holds up other processes.
    if (this.passphrase === undefined) {
      const text = await this.readText();
      if (text !== undefined) await this.open(text);
    }
    await withFileLock(join(dirname(this.path), 'locks', 'vault.lock'), { ...LOCK, onFailure: (err) => this.unwritable(err) }, async () => {
      const text = await this.readText();
      const items: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, text === undefined ? {} : await this.open(text));
      if (!change(items)) return;
      if (text === undefined && this.passphrase === undefined) await this.choosePassphrase();
      // A new vault, an older file's form or a lower count: a new salt, derived once here.
      if (this.key?.kdf.iterations !== VAULT_ITERATIONS) this.key = await deriveVaultKey(this.passphrase!, newKdf());
      const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ v: 1, items } satisfies VaultDocument)))
        .setProtectedHeader({ alg: ALG, enc: ENC, cty: 'tokentray-vault+json', 'tt-kdf': this.key.kdf })
        .encrypt(this.key.kek);
      const next = `${jwe}\n`;
      try {
        await writeFileAtomic(await this.target(), next);
      } catch (err) {
        throw this.unwritable(err as Error);
      }
      this.opened = { text: next, items };
    });
  }

  /**
   * The file to replace: a symlinked vault is written through the link (the link stays, its
   * target gets the new content), as a rename over the link would replace it with a regular file.
   */
  private async target(): Promise<string> {
    try {
      return await realpath(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // A link to a vault not made yet: it is made where the link points.
      const link = await lstat(this.path).catch(() => undefined);
      return link?.isSymbolicLink() ? resolve(dirname(this.path), await readlink(this.path)) : this.path;
    }
  }

  private unwritable(err: Error): TokenTrayError {
    return new TokenTrayError(
      'VAULT_UNWRITABLE',
      `Could not write the file vault ${this.path} (${err.message}). Check that the folder is writable and the disk not full, then try again.`,
      { cause: err },
    );
  }

  private async choosePassphrase(): Promise<void> {
    const passphrase = await this.passphrases.create(this.path);
    registerSecret(passphrase);
    this.passphrase = passphrase;
  }

  private async readText(): Promise<string | undefined> {
    try {
      return await readBoundedFile(this.path, MAX_FILE_BYTES);
    } catch (err) {
      if (isTokenTrayError(err, 'FILE_NOT_REGULAR')) throw damaged(this.path, 'it is not a regular file');
      if (isTokenTrayError(err, 'FILE_TOO_LARGE')) throw damaged(this.path, `it is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB`);
      if (err instanceof TokenTrayError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new TokenTrayError(
        'KEYCHAIN_UNAVAILABLE',
        `The file vault ${this.path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
        { cause: err },
      );
    }
  }

  private async open(text: string): Promise<Record<string, string>> {
    if (this.opened?.text === text) return this.opened.items;
    const jwe = text.trim();
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(jwe);
    } catch (err) {
      throw damaged(this.path, 'it is not an encrypted TokenTray vault', err);
    }
    const legacy = header.alg === LEGACY_ALG && typeof header.p2c === 'number' && header.p2c >= MIN_ITERATIONS && header.p2c <= VAULT_ITERATIONS;
    const kdf = header.alg === ALG ? kdfOf(header['tt-kdf']) : undefined;
    if (jwe.split('.').length !== 5 || header.enc !== ENC || (!legacy && !kdf)) {
      throw damaged(this.path, 'it is not an encrypted TokenTray vault, or was made with settings this version does not accept');
    }
    const passphrase = this.passphrase ?? (await this.passphrases.existing(this.path));
    registerSecret(passphrase);
    const key = kdf && (this.key && sameKdf(this.key.kdf, kdf) ? this.key : await deriveVaultKey(passphrase, kdf));
    let plaintext: Uint8Array;
    try {
      ({ plaintext } = key
        ? await compactDecrypt(jwe, key.kek, { keyManagementAlgorithms: [ALG], contentEncryptionAlgorithms: [ENC] })
        : await compactDecrypt(jwe, new TextEncoder().encode(passphrase), {
            keyManagementAlgorithms: [LEGACY_ALG],
            contentEncryptionAlgorithms: [ENC],
            maxPBES2Count: VAULT_ITERATIONS,
          }));
    } catch (err) {
      // AES key wrap cannot tell a wrong passphrase from an altered file; both fail here.
      if (err instanceof joseErrors.JWEDecryptionFailed) {
        throw new TokenTrayError(
          'VAULT_PASSPHRASE_WRONG',
          `The passphrase does not open the file vault ${this.path} (or the file was altered). Nothing was changed. Check TOKENTRAY_FILE_PASSPHRASE, or type it again.`,
          { cause: err },
        );
      }
      throw damaged(this.path, 'its encryption is malformed', err);
    }
    const items = parseDocument(this.path, plaintext);
    this.passphrase = passphrase;
    if (key) this.key = key;
    this.opened = { text, items };
    return items;
  }
}
