import * as oidc from 'openid-client';
import type { OAuthClient } from './client-file.js';
import type { CachedToken } from '../storage/credential-vault.js';
import { TokenTrayError, type ErrorCode } from '../shared/errors.js';
import { discoveryFetch, log, loggingFetch, requestTimeoutSeconds } from '../shared/logger.js';
import { displaySafe, issuerText } from '../shared/sanitize.js';
import { endpointProblem, parseUrl } from '../shared/url-policy.js';
import { resolveProviderProfile, type ProviderProfile } from './provider-profile.js';

const DISCOVERY_ATTEMPTS = 3;
const configurations = new Map<string, Promise<oidc.Configuration>>();

/** Forgets every discovered issuer, as a new process starts (tests that run the CLI in process). */
export function forgetDiscoveries(): void {
  configurations.clear();
}

function isNetworkFailure(err: unknown): boolean {
  if (err instanceof oidc.ClientError && err.code === 'OAUTH_TIMEOUT') return true;
  return (
    err instanceof TypeError && /fetch failed|network|ECONN|ENOTFOUND|EAI_AGAIN/i.test(`${err.message} ${String((err as { cause?: unknown }).cause ?? '')}`)
  );
}

/** Words for the reason a provider answered with an OAuth error, without secrets, as one visible line. */
function describeOAuthError(error: string, description: unknown): string {
  return issuerText(typeof description === 'string' && description ? `${error}: ${description}` : error);
}

/**
 * Translates openid-client's errors into ours, keeping the original as `cause`. `what` names the
 * operation for the sentence ("refreshing the token of a@b.c").
 */
function translateOidcError(err: unknown, issuer: string, what: string, fallback: ErrorCode = 'PROVIDER_ERROR'): TokenTrayError {
  if (err instanceof TokenTrayError) return err;
  // Ours, thrown inside our customFetch (an oversized body) and wrapped by openid-client.
  if (err instanceof oidc.ClientError && err.cause instanceof TokenTrayError) return err.cause;
  if (err instanceof oidc.ClientError && err.code === 'OAUTH_TIMEOUT') {
    return new TokenTrayError(
      'PROVIDER_UNREACHABLE',
      `${issuer} did not answer in time while ${what}. Check your network connection, or raise TOKENTRAY_HTTP_TIMEOUT (seconds).`,
      { cause: err },
    );
  }
  if (isNetworkFailure(err)) {
    return new TokenTrayError('PROVIDER_UNREACHABLE', `Could not reach ${issuer} while ${what}. Check your network connection (and proxy), then try again.`, {
      cause: err,
    });
  }
  if (err instanceof oidc.AuthorizationResponseError) {
    if (err.error === 'access_denied') {
      return new TokenTrayError('LOGIN_DENIED', 'Sign-in was declined in the browser (access_denied). Run the sign-in again and allow access to continue.', {
        cause: err,
      });
    }
    return new TokenTrayError('LOGIN_FAILED', `The provider refused the sign-in (${describeOAuthError(err.error, err.error_description)}).`, { cause: err });
  }
  if (err instanceof oidc.ResponseBodyError) {
    return new TokenTrayError(fallback, `${issuer} refused ${what} (${describeOAuthError(err.error, err.error_description)}, HTTP ${err.status}).`, {
      cause: err,
    });
  }
  if (err instanceof oidc.ClientError && err.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM') {
    return new TokenTrayError(
      fallback,
      `${issuer} answered with an unexpected HTTP status while ${what}. The provider may be having trouble; try again later.`,
      { cause: err },
    );
  }
  const detail = issuerText(err instanceof Error ? err.message : String(err));
  return new TokenTrayError(fallback, `${issuer} gave an answer TokenTray cannot use while ${what} (${detail}).`, { cause: err });
}

/**
 * Discovers the issuer and binds our client to it. Cached per issuer and client for the life of the
 * process, so the desktop app discovers once. Desktop clients authenticate with client_secret_post,
 * as Google's do; a client without a secret is a public client.
 */
export function configure(profile: ProviderProfile, client: OAuthClient): Promise<oidc.Configuration> {
  // The issuer may come from accounts.json, which anyone with the user's files can edit: it gets
  // the same check as a typed one, on every use, before any request.
  try {
    resolveProviderProfile(profile.issuer, profile.flavor);
  } catch (err) {
    return Promise.reject(err);
  }
  const key = `${profile.issuer}\n${client.clientId}\n${client.clientSecret ?? ''}`;
  let config = configurations.get(key);
  if (!config) {
    config = discover(profile, client);
    configurations.set(key, config);
    config.catch(() => configurations.delete(key));
  }
  return config;
}

/** Worth another try: the network, a time-out, or a 5xx. A 4xx or a bad document is final. */
function isTransient(err: unknown): boolean {
  if (isNetworkFailure(err)) return true;
  const cause = (err as { cause?: unknown }).cause;
  return err instanceof oidc.ClientError && err.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' && cause instanceof Response && cause.status >= 500;
}

/** Endpoints a client may call or send a browser to, by their discovery names. */
function endpointsOf(metadata: Readonly<oidc.ServerMetadata>): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [name, value] of Object.entries(metadata)) {
    if (name.endsWith('_endpoint') || name === 'jwks_uri') out.push([name, value]);
  }
  const aliases = metadata.mtls_endpoint_aliases;
  if (aliases && typeof aliases === 'object') {
    for (const [name, value] of Object.entries(aliases)) out.push([`mtls_endpoint_aliases.${name}`, value]);
  }
  return out;
}

/**
 * The issuer's rule for every endpoint its discovery document names: https, or http on a loopback
 * address, and no credentials in the URL. Otherwise a loopback issuer could send the code, the
 * PKCE verifier and the client secret in clear text to any host.
 */
export function checkEndpoints(issuer: string, metadata: Readonly<oidc.ServerMetadata>): void {
  for (const [name, value] of endpointsOf(metadata)) {
    if (value === undefined) continue;
    const url = typeof value === 'string' ? parseUrl(value) : undefined;
    if (!url)
      throw new TokenTrayError(
        'DISCOVERY_FAILED',
        `${issuer}'s OpenID configuration gives a ${name} that is not a URL ("${displaySafe(String(value).slice(0, 80))}").`,
      );
    const problem = endpointProblem(url);
    if (problem !== undefined) {
      throw new TokenTrayError(
        'INSECURE_ENDPOINT',
        `${issuer}'s OpenID configuration names ${problem === 'credentials' ? 'a URL with credentials' : displaySafe(`${url.protocol}//${url.host}`)} as its ${name}. ` +
          'TokenTray accepts only https endpoints, or http on a loopback address, so nothing was sent there.',
      );
    }
  }
}

async function discover(profile: ProviderProfile, client: OAuthClient): Promise<oidc.Configuration> {
  const url = new URL(profile.issuer);
  const auth = client.clientSecret ? oidc.ClientSecretPost(client.clientSecret) : oidc.None();
  // resolveProviderProfile only lets plain http through on loopback; openid-client needs to be
  // told during discovery, not after.
  const execute = url.protocol === 'http:' ? [oidc.allowInsecureRequests] : [];
  const timeout = requestTimeoutSeconds();
  // Discovery is a GET, so it is safe to retry (bounded, with backoff); grants are never retried.
  for (let attempt = 1; ; attempt++) {
    try {
      const config = await oidc.discovery(url, client.clientId, undefined, auth, { execute, timeout, [oidc.customFetch]: discoveryFetch });
      checkEndpoints(profile.issuer, config.serverMetadata());
      config.timeout = timeout;
      config[oidc.customFetch] = loggingFetch;
      return config;
    } catch (err) {
      if (attempt < DISCOVERY_ATTEMPTS && isTransient(err)) {
        log(`discovery of ${profile.issuer} failed (attempt ${attempt}); retrying`);
        await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));
        continue;
      }
      throw translateOidcError(err, profile.issuer, 'reading its OpenID configuration', 'DISCOVERY_FAILED');
    }
  }
}

/** A token endpoint's answer in TokenTray's terms: expiry times in epoch milliseconds. */
export interface GrantedTokens {
  access: CachedToken;
  id?: CachedToken;
  /** A new refresh token (sign-in; a rotating issuer's refresh). Google sends none on refresh. */
  refreshToken?: string;
  /** The granted scopes, when the response names them. */
  scopes?: string[];
}

/** The one place a token response becomes expiry times. */
function grantedTokens(tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers, now: number): GrantedTokens {
  const claims = tokens.claims();
  return {
    access: { token: tokens.access_token, expiresAt: now + (tokens.expiresIn() ?? 3600) * 1000, obtainedAt: now },
    ...(tokens.id_token && claims ? { id: { token: tokens.id_token, expiresAt: claims.exp * 1000, obtainedAt: claims.iat * 1000 } } : {}),
    ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
    ...(tokens.scope ? { scopes: tokens.scope.split(' ').filter(Boolean) } : {}),
  };
}

/** A refresh either gives tokens, or the issuer no longer accepts the refresh token (invalid_grant). */
export type RefreshOutcome = { granted: GrantedTokens } | { rejected: { description: string | undefined } };

/**
 * The refresh-token grant, optionally down-scoped. Every other failure is a TokenTrayError (`what`
 * names the operation for its sentence).
 */
export async function refreshGrant(
  profile: ProviderProfile,
  client: OAuthClient,
  refreshToken: string,
  options: { scopes?: string[]; now: number; what: string },
): Promise<RefreshOutcome> {
  const config = await configure(profile, client);
  try {
    const tokens = await oidc.refreshTokenGrant(config, refreshToken, options.scopes ? { scope: options.scopes.join(' ') } : undefined);
    return { granted: grantedTokens(tokens, options.now) };
  } catch (err) {
    if (err instanceof oidc.ResponseBodyError && err.error === 'invalid_grant') return { rejected: { description: err.error_description } };
    throw translateOidcError(err, profile.issuer, options.what, 'TOKEN_REFRESH_FAILED');
  }
}

/** A fresh state, nonce and PKCE S256 pair for one authorization request. */
export interface AuthorizationChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
  codeChallenge: string;
}

export async function newAuthorizationChecks(): Promise<AuthorizationChecks> {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  return { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier, codeChallenge: await oidc.calculatePKCECodeChallenge(codeVerifier) };
}

/** The issuer's authorization URL for these parameters and checks (PKCE S256, state, nonce). */
export async function authorizationUrl(
  profile: ProviderProfile,
  client: OAuthClient,
  parameters: Record<string, string>,
  checks: AuthorizationChecks,
): Promise<URL> {
  const config = await configure(profile, client);
  return oidc.buildAuthorizationUrl(config, {
    ...parameters,
    code_challenge: checks.codeChallenge,
    code_challenge_method: 'S256',
    state: checks.state,
    nonce: checks.nonce,
  });
}

/** Who a grant belongs to: the ID token's subject and email, else the userinfo endpoint's. */
interface Identity {
  subject?: string;
  email?: string;
}

async function identityOf(config: oidc.Configuration, tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers): Promise<Identity> {
  const claims = tokens.claims();
  const subject = claims?.sub;
  const email = typeof claims?.email === 'string' ? claims.email : undefined;
  if (email || !config.serverMetadata().userinfo_endpoint) return { ...(subject ? { subject } : {}), ...(email ? { email } : {}) };
  // Some issuers keep email out of the ID token; it is only for display, so failure is fine.
  const info = await oidc.fetchUserInfo(config, tokens.access_token, subject ?? oidc.skipSubjectCheck).catch(() => undefined);
  const seen = subject ?? info?.sub;
  return { ...(seen ? { subject: seen } : {}), ...(typeof info?.email === 'string' ? { email: info.email } : {}) };
}

/** What the authorization-code grant gives: tokens (refresh token and ID token included) and who signed in. */
export interface CodeGrant {
  granted: GrantedTokens & { refreshToken: string; id: CachedToken };
  subject: string;
  email?: string;
}

/**
 * Exchanges the callback's code, checking state, nonce and PKCE. A grant without a refresh token
 * is `noRefreshToken()`; every other failure a TokenTrayError (LOGIN_FAILED unless more precise).
 */
export async function codeGrant(
  profile: ProviderProfile,
  client: OAuthClient,
  callbackUrl: URL,
  checks: AuthorizationChecks,
  noRefreshToken: () => TokenTrayError,
): Promise<CodeGrant> {
  try {
    const config = await configure(profile, client);
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: checks.codeVerifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      idTokenExpected: true,
    });
    const granted = grantedTokens(tokens, Date.now());
    if (!granted.refreshToken) throw noRefreshToken();
    if (!granted.id) throw new TokenTrayError('LOGIN_FAILED', `${profile.issuer} returned no ID token, so the account cannot be identified.`);
    const { email } = await identityOf(config, tokens);
    return { granted: { ...granted, refreshToken: granted.refreshToken, id: granted.id }, subject: tokens.claims()!.sub, ...(email ? { email } : {}) };
  } catch (err) {
    throw translateOidcError(err, profile.issuer, 'completing the sign-in', 'LOGIN_FAILED');
  }
}

/**
 * A refresh-token grant that also says whose token it is (importing a refresh token from a file).
 * Failures are `code`, with `what` naming the operation.
 */
export async function identifyRefreshToken(
  profile: ProviderProfile,
  client: OAuthClient,
  refreshToken: string,
  what: string,
  code: ErrorCode,
): Promise<{ granted: GrantedTokens } & Identity> {
  const config = await configure(profile, client);
  let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
  try {
    tokens = await oidc.refreshTokenGrant(config, refreshToken);
  } catch (err) {
    throw translateOidcError(err, profile.issuer, what, code);
  }
  return { granted: grantedTokens(tokens, Date.now()), ...(await identityOf(config, tokens)) };
}

/**
 * Revokes a refresh token (RFC 7009). False when the issuer offers no revocation endpoint; an
 * already invalid token counts as revoked (some issuers still say invalid_token or invalid_grant).
 */
export async function revokeRefreshToken(profile: ProviderProfile, client: OAuthClient, refreshToken: string, what: string): Promise<boolean> {
  const config = await configure(profile, client);
  if (!config.serverMetadata().revocation_endpoint) return false;
  try {
    await oidc.tokenRevocation(config, refreshToken, { token_type_hint: 'refresh_token' });
  } catch (err) {
    if (err instanceof oidc.ResponseBodyError && (err.error === 'invalid_token' || err.error === 'invalid_grant')) return true;
    throw translateOidcError(err, profile.issuer, what, 'REVOKE_FAILED');
  }
  return true;
}

/** RFC 7662's answer about an access token, in the fields TokenTray shows. */
export interface Introspection {
  active: boolean;
  exp?: number;
  scope?: string;
  aud?: string;
  email?: string;
  username?: string;
  clientId?: string;
}

/** Introspects an access token; undefined when the issuer offers no introspection endpoint. */
export async function introspectAccessToken(profile: ProviderProfile, client: OAuthClient, token: string, what: string): Promise<Introspection | undefined> {
  const config = await configure(profile, client);
  if (!config.serverMetadata().introspection_endpoint) return undefined;
  let res: oidc.IntrospectionResponse;
  try {
    res = await oidc.tokenIntrospection(config, token, { token_type_hint: 'access_token' });
  } catch (err) {
    throw translateOidcError(err, profile.issuer, what, 'TOKENINFO_FAILED');
  }
  const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const aud = Array.isArray(res.aud) ? res.aud.join(' ') : res.aud;
  return {
    active: res.active === true,
    ...(typeof res.exp === 'number' ? { exp: res.exp } : {}),
    ...(text(res.scope) ? { scope: res.scope! } : {}),
    ...(text(aud) ? { aud: aud! } : {}),
    ...(text(res.email) ? { email: res.email as string } : {}),
    ...(text(res.username) ? { username: res.username! } : {}),
    ...(text(res.client_id) ? { clientId: res.client_id! } : {}),
  };
}
