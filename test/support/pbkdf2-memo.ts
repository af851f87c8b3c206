import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, type webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type Pbkdf2Params = webcrypto.Pbkdf2Params;
type BufferSource = webcrypto.BufferSource;
type AlgorithmIdentifier = webcrypto.AlgorithmIdentifier;

/**
 * Remembers the PBKDF2 derivations (WebCrypto deriveBits, as the file vault's key and jose's PBES2
 * make them) of this process, keyed by everything that determines the bits: the password, the salt,
 * the iterations, the hash and the length. A derivation is a pure function, so a hit returns
 * exactly what deriving again would; a wrong passphrase or another salt is another key, derived.
 * For code that checks a vault it (or the operation under test) already derived a key for: each
 * derivation costs ~70 ms of CPU. `fresh(fn)` runs an operation under test with every derivation
 * made anew, as a user's process would (its results are remembered for the checks after it).
 */
export interface Pbkdf2Memo {
  fresh<T>(fn: () => Promise<T>): Promise<T>;
  /** Derivations made (of which for operations under test), and answered from memory. */
  readonly counts: { derived: number; fresh: number; remembered: number };
  restore(): void;
}

export function memoizePbkdf2(): Pbkdf2Memo {
  const subtle = globalThis.crypto.subtle;
  const realImport = subtle.importKey;
  const realDerive = subtle.deriveBits;
  // The password behind each PBKDF2 key (as a digest: the memo holds no passphrase).
  const passwords = new WeakMap<CryptoKey, string>();
  const remembered = new Map<string, Promise<ArrayBuffer>>();
  const inFresh = new AsyncLocalStorage<boolean>();
  const counts = { derived: 0, fresh: 0, remembered: 0 };
  const bytes = (data: BufferSource) => (ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data));

  subtle.importKey = async function (this: webcrypto.SubtleCrypto, ...args: unknown[]) {
    const key = await (realImport as (...a: unknown[]) => Promise<CryptoKey>).apply(this, args);
    const [format, data, algorithm] = args as [string, BufferSource, AlgorithmIdentifier];
    const name = typeof algorithm === 'string' ? algorithm : algorithm.name;
    if (format === 'raw' && name.toUpperCase() === 'PBKDF2') passwords.set(key, createHash('sha256').update(bytes(data)).digest('hex'));
    return key;
  };

  subtle.deriveBits = function (this: webcrypto.SubtleCrypto, algorithm: Pbkdf2Params | AlgorithmIdentifier, baseKey: CryptoKey, length?: number | null) {
    const password = passwords.get(baseKey);
    const derive = () => {
      counts.derived++;
      if (inFresh.getStore()) counts.fresh++;
      return realDerive.call(this, algorithm, baseKey, length as number);
    };
    if (password === undefined || typeof algorithm === 'string' || algorithm.name !== 'PBKDF2') return derive();
    const { salt, iterations, hash } = algorithm as Pbkdf2Params;
    const id = [password, Buffer.from(bytes(salt)).toString('hex'), iterations, typeof hash === 'string' ? hash : hash.name, length].join(':');
    const known = remembered.get(id);
    if (known && !inFresh.getStore()) {
      counts.remembered++;
      return known.then((bits) => bits.slice(0));
    }
    const bits = derive();
    remembered.set(id, bits);
    bits.catch(() => remembered.delete(id));
    return bits.then((b) => b.slice(0));
  };

  return {
    fresh: (fn) => inFresh.run(true, fn),
    counts,
    restore() {
      subtle.importKey = realImport;
      subtle.deriveBits = realDerive;
    },
  };
}
