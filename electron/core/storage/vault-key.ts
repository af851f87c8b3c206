/**
 * The file vault's key-encryption key: PBKDF2-HMAC-SHA512 of the passphrase with a salt of the
 * vault's own, named in the file's protected header (`tt-kdf`). The key wraps a fresh content key
 * on every write (JWE `A256KW`, jose), so a process derives it once per vault: reading and then
 * rewriting the vault costs one derivation, not one per read and one per write as PBES2's salt per
 * message did. The salt changes with the passphrase (a new vault); the header is authenticated
 * with the content (GCM's additional data), so an altered salt or count fails to decrypt.
 */
const KDF_ALG = 'PBKDF2-SHA512';
/** About 70 ms per derivation on the 2-core build machines when idle. */
export const VAULT_ITERATIONS = 150_000;
/** Older files may have fewer; fewer than this is not ours. */
export const MIN_ITERATIONS = 10_000;
const SALT_BYTES = 16;

/** The header field that says how the vault's key is derived. */
export interface VaultKdf {
  alg: typeof KDF_ALG;
  /** base64url, SALT_BYTES or more. */
  salt: string;
  iterations: number;
}

export interface VaultKey {
  kdf: VaultKdf;
  /** The derived key-encryption key (AES-256 key wrap). */
  kek: Uint8Array;
}

/** A new vault's derivation: a fresh random salt, today's count. */
export function newKdf(): VaultKdf {
  const salt = Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(SALT_BYTES))).toString('base64url');
  return { alg: KDF_ALG, salt, iterations: VAULT_ITERATIONS };
}

/**
 * The `tt-kdf` header field if it is one this version derives: never a count above today's (a
 * file could otherwise make every reader spend minutes deriving), nor a short salt.
 */
export function kdfOf(field: unknown): VaultKdf | undefined {
  if (typeof field !== 'object' || field === null || Array.isArray(field)) return undefined;
  const { alg, salt, iterations } = field as Record<string, unknown>;
  if (alg !== KDF_ALG || typeof salt !== 'string' || !/^[\w-]+$/.test(salt) || Buffer.from(salt, 'base64url').length < SALT_BYTES) return undefined;
  if (typeof iterations !== 'number' || !Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > VAULT_ITERATIONS) return undefined;
  return { alg, salt, iterations };
}

export function sameKdf(a: VaultKdf, b: VaultKdf): boolean {
  return a.alg === b.alg && a.salt === b.salt && a.iterations === b.iterations;
}

/** One derivation (WebCrypto, off the main thread). */
export async function deriveVaultKey(passphrase: string, kdf: VaultKdf): Promise<VaultKey> {
  const subtle = globalThis.crypto.subtle;
  const base = await subtle.importKey('raw', new TextEncoder().encode(passphrase), 'PBKDF2', false, ['deriveBits']);
  const bits = await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-512', salt: Buffer.from(kdf.salt, 'base64url'), iterations: kdf.iterations }, base, 256);
  return { kdf, kek: new Uint8Array(bits) };
}
