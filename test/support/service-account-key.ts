import { generateKeyPairSync } from 'node:crypto';
import { RSA_2048_POOL } from './fixed-test-keys.js';

let pooled = 0;
/**
 * An RSA private key in PKCS#8 PEM (2048 bits unless a weak one is wanted), new to this process:
 * the first ten 2048-bit ones come from a fixed pool (a fresh key costs 100-600 ms of CPU), each
 * handed out once, so that two keys of one test never match; after those, and for other sizes,
 * a freshly generated one.
 */
export function rsaKeyPem(bits = 2048): string {
  if (bits === 2048 && pooled < RSA_2048_POOL.length) return RSA_2048_POOL[pooled++];
  return generateKeyPairSync('rsa', { modulusLength: bits }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

let shared: string | undefined;
/**
 * One 2048-bit key for this process, made on first use: a key costs 100-600 ms to generate, and
 * most key files a test writes are refused or used alone. A test that needs keys apart asks rsaKeyPem.
 */
function sharedRsaKeyPem(): string {
  shared ??= rsaKeyPem();
  return shared;
}

/** A service-account key file's JSON, as Google's console writes it, with `overrides` applied (and this process's shared key unless given one). */
export function serviceAccountKey(overrides: Record<string, unknown> = {}, privateKey = sharedRsaKeyPem()): Record<string, unknown> {
  return {
    type: 'service_account',
    project_id: 'tokentray-test',
    private_key_id: 'kid-1',
    private_key: privateKey,
    client_email: 'deployer@tokentray-test.iam.gserviceaccount.com',
    client_id: '1234567890',
    token_uri: 'http://127.0.0.1:9/token',
    ...overrides,
  };
}
