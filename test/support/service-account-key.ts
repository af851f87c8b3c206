import { generateKeyPairSync } from 'node:crypto';

/** A fresh RSA private key in PKCS#8 PEM (2048 bits unless a weak one is wanted). */
export function rsaKeyPem(bits = 2048): string {
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
