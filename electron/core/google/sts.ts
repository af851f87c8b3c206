import type { CachedToken } from '../storage/credential-vault.js';
import { TokenTrayError } from '../shared/errors.js';
import { assertIssuedTokens, issuerText } from '../shared/sanitize.js';
import { checkedEndpoint, googleErrorText, googleRequest, type GoogleResponse } from './google-http.js';
import type { WorkforceFile, WorkloadFile } from './external-account-file.js';

/** Google's Security Token Service: the refresh grant of workforce files, the token exchange of workload files. */

const form = (fields: Record<string, string | undefined>) =>
  new URLSearchParams(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined)).toString();

// RFC 6749 §2.3.1: both parts form-encoded before Basic.
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

function post(url: string, body: string, what: string, auth?: string): Promise<GoogleResponse> {
  // Checked again at every use, not only at import.
  return googleRequest(
    checkedEndpoint(url, 'The token URL'),
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) },
      body,
    },
    what,
  );
}

function accessTokenOf(res: GoogleResponse, from: string, now: number): CachedToken {
  const { access_token: token, expires_in: expiresIn } = res.body;
  if (typeof token !== 'string' || !token) throw new TokenTrayError('PROVIDER_ERROR', `${from} answered without an access token.`);
  assertIssuedTokens(from, { accessToken: token });
  const seconds = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : 3600;
  return { token, expiresAt: now + seconds * 1000, obtainedAt: now };
}

function failed(from: string, what: string, res: GoogleResponse): TokenTrayError {
  return new TokenTrayError('FEDERATION_EXCHANGE_FAILED', `${from} refused ${what} (${googleErrorText(res.body)}, HTTP ${res.status}).`);
}

export type WorkforceRefresh = { granted: { access: CachedToken; refreshToken?: string } } | { rejected: string };

/** The workforce refresh grant: client authenticated by HTTP Basic; a rotated refresh token comes back. */
export async function workforceRefresh(file: WorkforceFile, now: number, what: string): Promise<WorkforceRefresh> {
  const from = new URL(file.token_url).origin;
  const res = await post(
    file.token_url,
    form({ grant_type: 'refresh_token', refresh_token: file.refresh_token }),
    what,
    basic(file.client_id, file.client_secret),
  );
  if (res.status === 400 && res.body.error === 'invalid_grant') {
    return { rejected: typeof res.body.error_description === 'string' ? issuerText(res.body.error_description) : 'invalid_grant' };
  }
  if (res.status !== 200) throw failed(from, what, res);
  const rotated = res.body.refresh_token;
  if (rotated !== undefined) {
    if (typeof rotated !== 'string' || !rotated) throw new TokenTrayError('PROVIDER_BAD_RESPONSE', `${from} sent an empty refresh token.`);
    // Checked before anything else: the caller stores it first, the old one being spent.
    assertIssuedTokens(from, { refreshToken: rotated });
  }
  return { granted: { access: accessTokenOf(res, from, now), ...(typeof rotated === 'string' ? { refreshToken: rotated } : {}) } };
}

/** Who a workforce token belongs to, from token_info_url (RFC 7662); undefined when it does not say. */
export async function workforcePrincipal(file: WorkforceFile, accessToken: string): Promise<string | undefined> {
  if (!file.token_info_url) return undefined;
  const res = await post(file.token_info_url, form({ token: accessToken }), 'asking who the token belongs to', basic(file.client_id, file.client_secret)).catch(
    () => undefined,
  );
  if (!res || res.status !== 200) return undefined;
  const name = res.body.username ?? res.body.sub;
  return typeof name === 'string' && name ? issuerText(name, 300) : undefined;
}

/** Revokes a workforce refresh token at revoke_url; false when the file names none. */
export async function workforceRevoke(file: WorkforceFile): Promise<boolean> {
  if (!file.revoke_url) return false;
  const res = await post(
    file.revoke_url,
    form({ token: file.refresh_token, token_type_hint: 'refresh_token' }),
    'revoking the refresh token',
    basic(file.client_id, file.client_secret),
  );
  // RFC 7009: an already invalid token is not an error.
  if (res.status === 200 || (res.status === 400 && (res.body.error === 'invalid_token' || res.body.error === 'invalid_grant'))) return true;
  throw failed(new URL(file.revoke_url).origin, 'revoking the refresh token', res);
}

/** RFC 8693 token exchange of a workload's subject token for a Google access token. */
export async function workloadExchange(file: WorkloadFile, subjectToken: string, scopes: readonly string[], now: number): Promise<CachedToken> {
  const from = new URL(file.token_url).origin;
  const what = 'exchanging the subject token';
  const res = await post(
    file.token_url,
    form({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      subject_token_type: file.subject_token_type,
      subject_token: subjectToken,
      audience: file.audience,
      scope: scopes.join(' '),
    }),
    what,
    file.client_id && file.client_secret ? basic(file.client_id, file.client_secret) : undefined,
  );
  if (res.status !== 200) throw failed(from, what, res);
  return accessTokenOf(res, from, now);
}
