import type { AccountRecord } from '../accounts/account-registry.js';
import { displayName } from '../accounts/account-service.js';
import type { Core } from '../core.js';
import { TokenTrayError } from '../shared/errors.js';
import { googleEndpoint, googleErrorText, googleRequest } from './google-http.js';
import type { TokenInfoView } from '../shared/models.js';
import { decodeJwt, type JWTPayload } from 'jose';

/** What `tokentray info` reports about an account's current access token (the window's view, plus the account). */
export type TokenInfo = TokenInfoView & { account: string };

/** A field worth a line, without the blanks (of any kind) around it: blank text is no value. */
const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
/** A scope list split on blanks of every kind, as the values are shown one word each. */
const scopeWords = (v: string | undefined) => (v ?? '').split(/\s+/u).filter(Boolean);
const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN);

/**
 * Asks who the token belongs to and what it may do: Google's tokeninfo for Google tokens (the token
 * goes only to Google), RFC 7662 introspection at other issuers, else the token's own claims.
 */
export async function describeAccessToken(
  core: Core,
  account: AccountRecord,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<TokenInfo> {
  const { token, expiresAt } = await core.tokens.getAccessToken(account);
  const now = Date.now();
  const base = { account: account.id, tokenType: 'Bearer' as const };
  const local = (): TokenInfo => ({
    ...base,
    email: account.email ?? null,
    scopes: account.scopes,
    expiresAt,
    expiresIn: Math.max(0, Math.round((expiresAt - now) / 1000)),
    source: 'local',
  });

  if (account.flavor === 'google') {
    const url = googleEndpoint(env, 'TOKENTRAY_GOOGLE_TOKENINFO_URL', 'https://oauth2.googleapis.com/tokeninfo');
    // POST keeps the token out of URLs (and so out of proxy and server logs).
    const { status, body } = await googleRequest(
      url,
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ access_token: token }).toString() },
      `asking about the token of ${displayName(account)}`,
    );
    if (status !== 200)
      throw new TokenTrayError(
        'TOKENINFO_FAILED',
        `Google's tokeninfo refused the token of ${displayName(account)} (${googleErrorText(body)}, HTTP ${status}). It may have been revoked.`,
        { facts: { remedy: 'sign-in-again', account: displayName(account), accountId: account.id } },
      );
    const exp = num(body.exp);
    const expiresIn = num(body.expires_in);
    return {
      ...base,
      email: str(body.email) ?? account.email ?? null,
      scopes: scopeWords(str(body.scope)),
      expiresAt: Number.isFinite(exp) ? exp * 1000 : now + (Number.isFinite(expiresIn) ? expiresIn : 0) * 1000,
      expiresIn: Number.isFinite(expiresIn) ? expiresIn : Math.round((exp * 1000 - now) / 1000),
      source: 'tokeninfo',
      ...(str(body.aud) ? { audience: str(body.aud)! } : {}),
      ...(str(body.azp) ? { authorizedParty: str(body.azp)! } : {}),
    };
  }

  const { introspectAccessToken } = await import('../oauth/oidc.js');
  const { client } = await core.accounts.clientOf(account);
  const res = await introspectAccessToken(
    { issuer: account.issuer, flavor: account.flavor },
    client,
    token,
    `introspecting the token of ${displayName(account)}`,
  );
  if (res) {
    if (!res.active)
      throw new TokenTrayError('TOKENINFO_FAILED', `${account.issuer} says the token of ${displayName(account)} is not active.`, {
        facts: { remedy: 'sign-in-again', account: displayName(account), accountId: account.id },
      });
    const exp = res.exp !== undefined ? res.exp * 1000 : expiresAt;
    return {
      ...base,
      email: res.email ?? res.username ?? account.email ?? null,
      scopes: scopeWords(res.scope),
      expiresAt: exp,
      expiresIn: Math.max(0, Math.round((exp - now) / 1000)),
      source: 'introspection',
      ...(res.aud ? { audience: res.aud } : {}),
      ...(res.clientId ? { authorizedParty: res.clientId } : {}),
    };
  }
  let claims: JWTPayload;
  try {
    claims = decodeJwt(token);
  } catch {
    return local(); // not a JWT: an opaque token
  }
  const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : expiresAt;
  const scope = str(claims.scope) ?? str(claims.scp) ?? account.scopes.join(' ');
  const aud = Array.isArray(claims.aud) ? claims.aud.join(' ') : str(claims.aud);
  return {
    ...base,
    email: str(claims.email) ?? account.email ?? null,
    scopes: scopeWords(scope),
    expiresAt: exp,
    expiresIn: Math.max(0, Math.round((exp - now) / 1000)),
    source: 'jwt',
    ...(aud ? { audience: aud } : {}),
  };
}
