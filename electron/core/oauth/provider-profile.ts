import { TokenTrayError } from '../shared/errors.js';
import { hasCredentials, mayUsePlainHttp, parseUrl } from '../shared/url-policy.js';

export type Flavor = 'google' | 'oidc';
export const GOOGLE_ISSUER = 'https://accounts.google.com';

export interface ProviderProfile {
  /** Issuer identifier, discovered at `<issuer>/.well-known/openid-configuration`. */
  readonly issuer: string;
  /** Which protocol dialect to speak: Google's offline-access parameters, or plain OIDC. */
  readonly flavor: Flavor;
}

function isGoogleIssuer(url: URL): boolean {
  return url.protocol === 'https:' && url.hostname === 'accounts.google.com';
}

/**
 * Validates an issuer and picks the flavor. Plain http is accepted only on a loopback host (where
 * tests run a local provider); anything else would send client secrets and codes in clear text.
 */
export function resolveProviderProfile(issuer: string = GOOGLE_ISSUER, flavor?: Flavor): ProviderProfile {
  const url = parseUrl(issuer);
  if (!url) throw new TokenTrayError('INVALID_ISSUER', `The issuer "${issuer}" is not a URL. Give its full address, e.g. ${GOOGLE_ISSUER}.`);
  if (url.search || url.hash || hasCredentials(url)) {
    throw new TokenTrayError('INVALID_ISSUER', `The issuer "${issuer}" must not carry a query, fragment or credentials.`);
  }
  if (url.protocol === 'http:') {
    if (!mayUsePlainHttp(url)) {
      throw new TokenTrayError(
        'INSECURE_ISSUER',
        `Refusing the plain-http issuer ${url.origin}: only https issuers are accepted, or http on a loopback address (127.0.0.1, localhost, ::1).`,
      );
    }
  } else if (url.protocol !== 'https:') {
    throw new TokenTrayError('INVALID_ISSUER', `The issuer "${issuer}" must be an https URL.`);
  }
  if (flavor !== undefined && flavor !== 'google' && flavor !== 'oidc') {
    throw new TokenTrayError('USAGE', `Unknown flavor "${String(flavor)}": use google or oidc.`);
  }
  // Keep the issuer exactly as given (minus a lone trailing slash) since it must match the
  // discovery document's `issuer` byte for byte.
  const normalized = url.pathname === '/' ? url.origin : url.href.replace(/\/$/, '');
  return { issuer: normalized, flavor: flavor ?? (isGoogleIssuer(url) ? 'google' : 'oidc') };
}

/**
 * The authorization request's `prompt`. Google: `select_account` always shows its account chooser
 * (so a second account can be added while the browser is signed in to the first) and `consent`
 * makes it return a refresh token every time. Other issuers: `consent`, which offline_access needs.
 */
export function authorizationPrompt(profile: ProviderProfile): string {
  return profile.flavor === 'google' ? 'select_account consent' : 'consent';
}
