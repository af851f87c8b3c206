import type { OAuthClient } from './client-file.js';
import { TokenTrayError } from '../shared/errors.js';
import { startLoopbackListener } from './loopback-listener.js';
import { authorizationUrl, codeGrant, configure, newAuthorizationChecks, type AuthorizationChecks } from './oidc.js';
import { authorizationPrompt, type ProviderProfile } from './provider-profile.js';
import { DEFAULT_SCOPES, normalizeScopes } from './scopes.js';
import { writeStartPage } from './start-page.js';

const DEFAULT_SIGN_IN_TIMEOUT_MS = 5 * 60_000;

export interface SignInOptions {
  profile: ProviderProfile;
  client: OAuthClient;
  /** Scopes as the user typed them; Google short names are expanded. `openid` is always asked. */
  scopes?: readonly string[];
  loginHint?: string;
  /** TokenTray's home: the attempt's private start page is written under it (see start-page.ts). */
  home: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Shows the sign-in to the user (system browser, or printed); the listener is ready. */
  presentAuthorization(request: AuthorizationRequest): void | Promise<void>;
  /**
   * Paste-back: starts delivering the lines the user pastes (standard input) to `onLine`, and
   * returns a function that stops reading. Called once the sign-in has been presented.
   */
  readPastedLines?(onLine: (line: string) => void): () => void;
  /** A pasted line that does not answer this attempt; the attempt keeps waiting. */
  onPasteRejected?(err: TokenTrayError): void;
}

/** One sign-in attempt as the user is shown it. */
export interface AuthorizationRequest {
  /**
   * A private page (a file:// URL, readable by this user only) that sends the browser on to the
   * start address. The only address to hand to another process: an opener's arguments are public.
   */
  readonly startPage: string;
  /**
   * The one-time loopback address (`http://127.0.0.1:PORT/start/…`) that redirects to the issuer.
   * Never in another process's arguments: whoever fetches it first could sign in as themselves.
   * A second request to it aborts the attempt with LOGIN_START_REUSED.
   */
  readonly startUrl: string;
  /** `http://127.0.0.1:PORT/`, where the browser will be sent back. */
  readonly redirectUri: string;
  /**
   * The issuer's authorization URL, which carries `state` and the PKCE challenge: for the user's
   * own terminal or window only. Revealing it retires the start address (see LoopbackListener);
   * if that address was already requested by someone, it throws LOGIN_START_REUSED instead.
   */
  revealAuthorizationUrl(): string;
}

/** The outcome of one completed sign-in. Holds secrets: never log it. */
export interface SignInResult {
  subject: string;
  email?: string;
  grantedScopes: string[];
  refreshToken: string;
  accessToken: string;
  accessTokenExpiresAt: number;
  idToken?: string;
  idTokenExpiresAt?: number;
}

/** The scopes a sign-in asks for: the user's (or the flavor's defaults), with `openid` first. */
export function signInScopes(profile: ProviderProfile, requested?: readonly string[]): string[] {
  const base = requested && requested.length > 0 ? requested : DEFAULT_SCOPES[profile.flavor];
  const scopes = normalizeScopes(['openid', ...base], profile.flavor);
  // Google has no offline_access scope (it rejects it); it uses access_type=offline instead.
  if (profile.flavor === 'oidc' && !scopes.includes('offline_access')) scopes.push('offline_access');
  return scopes;
}

function authorizationParameters(profile: ProviderProfile, scopes: string[], loginHint: string | undefined): Record<string, string> {
  const params: Record<string, string> = { scope: scopes.join(' '), prompt: authorizationPrompt(profile) };
  if (profile.flavor === 'google') {
    params.access_type = 'offline';
    params.include_granted_scopes = 'true';
  }
  if (loginHint) params.login_hint = loginHint;
  return params;
}

function noRefreshToken(profile: ProviderProfile): TokenTrayError {
  if (profile.flavor === 'google') {
    return new TokenTrayError(
      'NO_REFRESH_TOKEN',
      'Google returned no refresh token, so TokenTray could not keep this account. Make sure the OAuth client is of type "Desktop app", then sign in again.',
    );
  }
  return new TokenTrayError(
    'NO_REFRESH_TOKEN',
    `${profile.issuer} returned no refresh token. The client must be allowed the refresh_token grant and the offline_access scope.`,
    {
      facts: { remedy: 'try-google-flavor', issuer: profile.issuer },
    },
  );
}

/**
 * The OAuth 2.0 installed-app flow (RFC 8252): authorization code with PKCE S256, a fresh state
 * and nonce, and a one-shot loopback listener for the redirect. The callback may also come back
 * pasted by the user (paste-back, for a browser on another computer): it is checked the same way.
 */
export async function signIn(options: SignInOptions): Promise<SignInResult> {
  const { profile, client } = options;
  // Discovery first: an issuer that cannot be used fails before a listener or page exists.
  await configure(profile, client);
  const scopes = signInScopes(profile, options.scopes);
  const checks = await newAuthorizationChecks();

  const listener = await startLoopbackListener({
    expectedState: checks.state,
    timeoutMs: options.timeoutMs ?? DEFAULT_SIGN_IN_TIMEOUT_MS,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let stopReading: (() => void) | undefined;
  const page = await writeStartPage(options.home, listener.startUrl).catch((err: unknown) => {
    listener.close();
    throw err;
  });
  try {
    const url = await authorizationUrl(
      profile,
      client,
      { ...authorizationParameters(profile, scopes, options.loginHint), redirect_uri: listener.redirectUri },
      checks,
    );
    listener.setAuthorizationUrl(url.href);
    await options.presentAuthorization({
      startPage: page.url,
      startUrl: listener.startUrl,
      redirectUri: listener.redirectUri,
      revealAuthorizationUrl() {
        listener.retireStartUrl();
        return url.href;
      },
    });
    stopReading = options.readPastedLines?.((line) => {
      if (line.trim() === '') return;
      try {
        listener.submitPasted(line);
      } catch (err) {
        if (err instanceof TokenTrayError) options.onPasteRejected?.(err);
        else throw err;
      }
    });
    const callback = await listener.callback;
    stopReading?.();
    try {
      const result = await exchange(profile, client, callback.url, checks, scopes);
      callback.finish({ ok: true });
      return result;
    } catch (err) {
      callback.finish({ ok: false, message: err instanceof TokenTrayError ? err.message : 'The sign-in could not be completed.' });
      throw err;
    }
  } finally {
    stopReading?.();
    listener.close();
    await page.remove().catch(() => undefined);
  }
}

async function exchange(
  profile: ProviderProfile,
  client: OAuthClient,
  callbackUrl: URL,
  checks: AuthorizationChecks,
  requestedScopes: string[],
): Promise<SignInResult> {
  const { granted, subject, email } = await codeGrant(profile, client, callbackUrl, checks, () => noRefreshToken(profile));
  return {
    subject,
    grantedScopes: granted.scopes ?? requestedScopes,
    refreshToken: granted.refreshToken,
    accessToken: granted.access.token,
    accessTokenExpiresAt: granted.access.expiresAt,
    idToken: granted.id.token,
    idTokenExpiresAt: granted.id.expiresAt,
    ...(email ? { email } : {}),
  };
}
