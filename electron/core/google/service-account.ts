import { createPrivateKey } from 'node:crypto';
import { decodeJwt, importPKCS8, SignJWT } from 'jose';
import type { AccountRecord } from '../accounts/account-registry.js';
import type { AccountService } from '../accounts/account-service.js';
import { TokenTrayError } from '../shared/errors.js';
import { checkedEndpoint, googleErrorText, googleRequest } from './google-http.js';
import type { CachedToken, StoredServiceAccountKey } from '../storage/credential-vault.js';
import { readUserFile } from '../storage/read-user-file.js';
import { assertIssuedTokens, assertNoControlCharacters } from '../shared/sanitize.js';
import { parseJsonObject } from '../shared/json-object.js';

/** A Google service-account key (the JSON the Cloud Console downloads), as the keychain keeps it. */
export type ServiceAccountKey = StoredServiceAccountKey;

export const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ASSERTION_LIFETIME_S = 3600;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RS256 (RFC 7518 §3.3) needs a 2048-bit key or larger; jose refuses smaller ones when signing. */
const MIN_RSA_BITS = 2048;

function rsaModulusLength(pem: string): number {
  try {
    return createPrivateKey(pem).asymmetricKeyDetails?.modulusLength ?? 0;
  } catch {
    return 0;
  }
}

/**
 * The key's token endpoint receives signed assertions: https (or http on loopback, for tests), no
 * user name or password in it.
 */
function checkTokenUri(value: string, source: string): string {
  try {
    return checkedEndpoint(value, `${source}: "token_uri"`);
  } catch (err) {
    if (err instanceof TokenTrayError) throw new TokenTrayError('SA_KEY_BAD_TOKEN_URI', `${err.message} Google's keys name ${GOOGLE_TOKEN_URI}.`);
    throw err;
  }
}

/** Checks a key file's text: type, the fields Google's libraries need, and that the PEM is a key. */
export async function parseServiceAccountKey(text: string, source = 'service-account key'): Promise<ServiceAccountKey> {
  const doc = parseJsonObject(text, (problem, why) =>
    problem === 'not-json'
      ? new TokenTrayError('SA_KEY_INVALID_JSON', `${source}: ${why}. Download the key again from the Cloud Console (IAM > Service accounts > Keys).`)
      : new TokenTrayError('SA_KEY_INVALID', `${source}: expected a JSON object of type "service_account".`),
  );
  if (doc.type !== 'service_account') {
    const what =
      doc.type === 'authorized_user'
        ? 'an application-default-credentials file of a user (authorized_user)'
        : isObject(doc.installed) || isObject(doc.web)
          ? 'an OAuth client file'
          : doc.type === 'external_account'
            ? 'a workload identity federation configuration (external_account), which TokenTray does not import'
            : typeof doc.type === 'string'
              ? `a credentials file of type "${doc.type}"`
              : 'not a service-account key (it has no "type": "service_account")';
    const remedy = doc.type === 'authorized_user' ? 'sign-in-instead' : isObject(doc.installed) || isObject(doc.web) ? 'use-as-client-file' : undefined;
    throw new TokenTrayError('SA_KEY_WRONG_TYPE', `${source}: this is ${what}.`, remedy ? { facts: { remedy } } : undefined);
  }
  const field = (name: string, required = true): string | undefined => {
    const v = doc[name];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v.trim() === '')
      throw new TokenTrayError('SA_KEY_INVALID', `${source}: "${name}" is missing or empty. Download a new key from the Cloud Console.`);
    return v;
  };
  const clientEmail = field('client_email')!;
  // Ids and the email are printed and stored: a terminal escape in them is refused here.
  for (const name of ['client_email', 'client_id', 'private_key_id', 'project_id']) {
    const v = doc[name];
    if (typeof v === 'string') assertNoControlCharacters(v, 'SA_KEY_INVALID', `${source}: "${name}"`);
  }
  if (!/^[^@\s]+@[^@\s]+$/.test(clientEmail)) throw new TokenTrayError('SA_KEY_INVALID', `${source}: "client_email" is not an email address.`);
  const privateKey = field('private_key')!;
  try {
    await importPKCS8(privateKey, 'RS256');
  } catch {
    throw new TokenTrayError(
      'SA_KEY_BAD_PEM',
      `${source}: "private_key" is not a PKCS#8 PEM RSA private key ("-----BEGIN PRIVATE KEY-----"). Download a new key from the Cloud Console.`,
    );
  }
  const bits = rsaModulusLength(privateKey);
  if (bits < MIN_RSA_BITS) {
    throw new TokenTrayError(
      'SA_KEY_WEAK',
      `${source}: the private key is RSA-${bits}; RS256 needs at least ${MIN_RSA_BITS} bits, and Google issues 2048-bit keys. Download a new key from the Cloud Console.`,
    );
  }
  const tokenUri = checkTokenUri(field('token_uri', false) ?? GOOGLE_TOKEN_URI, source);
  const projectId = field('project_id', false);
  return {
    clientEmail,
    clientId: field('client_id', false) ?? clientEmail,
    privateKey,
    privateKeyId: field('private_key_id')!,
    tokenUri,
    ...(projectId ? { projectId } : {}),
  };
}

/** Imports a key: the private key goes to the keychain only; the registry keeps email, project and key id. */
export async function importServiceAccount(accounts: AccountService, path: string): Promise<AccountRecord> {
  return importServiceAccountJson(accounts, await readUserFile(path, 'SA_KEY_UNREADABLE', 'the service-account key'), path);
}

export async function importServiceAccountJson(accounts: AccountService, text: string, source = 'The service-account key'): Promise<AccountRecord> {
  const key = await parseServiceAccountKey(text, source);
  return accounts.saveServiceAccount(key);
}

async function sign(key: ServiceAccountKey, claims: Record<string, unknown>, audience: string, now: number): Promise<string> {
  const iat = Math.floor(now / 1000);
  try {
    return await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.privateKeyId })
      .setIssuer(key.clientEmail)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ASSERTION_LIFETIME_S)
      .sign(await importPKCS8(key.privateKey, 'RS256'));
  } catch (err) {
    // A key imported before these checks existed (or edited since) still gets a coded error.
    const bits = rsaModulusLength(key.privateKey);
    throw new TokenTrayError(
      bits > 0 && bits < MIN_RSA_BITS ? 'SA_KEY_WEAK' : 'SA_KEY_BAD_PEM',
      `The stored key of ${key.clientEmail} cannot sign (${(err as Error).message}).`,
      { cause: err, facts: { remedy: 'import-new-key', account: key.clientEmail } },
    );
  }
}

/**
 * RFC 7523 JWT-bearer grant at the key's token_uri: an access token for `scopes`, or (Google's
 * variant) an ID token for `targetAudience`.
 */
export async function jwtBearerGrant(
  key: ServiceAccountKey,
  request: { scopes: string[] } | { targetAudience: string },
  now = Date.now(),
): Promise<CachedToken> {
  const claims = 'scopes' in request ? { scope: request.scopes.join(' ') } : { target_audience: request.targetAudience };
  checkTokenUri(key.tokenUri, `The key of ${key.clientEmail}`);
  const assertion = await sign(key, claims, key.tokenUri, now);
  const what = `getting a token for ${key.clientEmail}`;
  const { status, body } = await googleRequest(
    key.tokenUri,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: JWT_BEARER, assertion }).toString(),
    },
    what,
  );
  if (status !== 200) {
    const hint = body.error === 'invalid_grant' ? ' The key may have been deleted or disabled, or the clock of this computer is off.' : '';
    throw new TokenTrayError('TOKEN_REFRESH_FAILED', `${new URL(key.tokenUri).origin} refused ${what} (${googleErrorText(body)}, HTTP ${status}).${hint}`);
  }
  if ('scopes' in request) {
    if (typeof body.access_token !== 'string') throw new TokenTrayError('PROVIDER_ERROR', `The token endpoint returned no access token while ${what}.`);
    assertIssuedTokens(new URL(key.tokenUri).origin, { accessToken: body.access_token });
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in ?? 3600);
    return { token: body.access_token, expiresAt: now + (Number.isFinite(expiresIn) ? expiresIn : 3600) * 1000 };
  }
  if (typeof body.id_token !== 'string') throw new TokenTrayError('PROVIDER_ERROR', `The token endpoint returned no ID token while ${what}.`);
  assertIssuedTokens(new URL(key.tokenUri).origin, { idToken: body.id_token });
  let exp: unknown;
  try {
    exp = decodeJwt(body.id_token).exp;
  } catch {
    exp = undefined;
  }
  return { token: body.id_token, expiresAt: typeof exp === 'number' ? exp * 1000 : now + 3600_000 };
}

/** A self-signed JWT access token (no token endpoint), as Google accepts for many APIs. */
export async function selfSignedJwt(key: ServiceAccountKey, audience: string, now = Date.now()): Promise<CachedToken> {
  let url: URL;
  try {
    url = new URL(audience);
  } catch {
    throw new TokenTrayError(
      'USAGE',
      `The audience of a self-signed JWT must be the API's URL, e.g. https://pubsub.googleapis.com/ (got "${audience.slice(0, 80)}").`,
    );
  }
  const token = await sign(key, { sub: key.clientEmail }, url.href, now);
  return { token, expiresAt: Math.floor(now / 1000) * 1000 + ASSERTION_LIFETIME_S * 1000 };
}
