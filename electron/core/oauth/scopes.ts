import type { Flavor } from './provider-profile.js';
import { TokenTrayError } from '../shared/errors.js';
import { displaySafe, isScopeToken } from '../shared/sanitize.js';

const GOOGLE_SCOPE_PREFIX = 'https://www.googleapis.com/auth/';
export const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
/** Scopes Google keeps short; everything else it names by URL. */
const GOOGLE_SHORT_SCOPES = new Set(['openid', 'email', 'profile']);

/** Short names offered by shell completion for --scopes (any other scope may be typed). */
export const GOOGLE_SHORT_SCOPE_NAMES: readonly string[] = [
  'openid',
  'email',
  'profile',
  'cloud-platform',
  'cloud-platform.read-only',
  'userinfo.email',
  'userinfo.profile',
  'compute',
  'compute.readonly',
  'devstorage.read_only',
  'devstorage.read_write',
  'devstorage.full_control',
  'bigquery',
  'sqlservice.admin',
  'appengine.admin',
  'drive',
  'drive.readonly',
  'drive.file',
  'spreadsheets',
  'spreadsheets.readonly',
  'gmail.readonly',
  'calendar',
  'calendar.readonly',
];

export const DEFAULT_SCOPES: Readonly<Record<Flavor, readonly string[]>> = {
  google: ['openid', 'email', 'https://www.googleapis.com/auth/cloud-platform'],
  oidc: ['openid', 'email'],
};

/** Splits a comma- or space-separated list, as the CLI and the scope field accept both. */
export function parseScopeList(text: string): string[] {
  return text.split(/[\s,]+/).filter((s) => s.length > 0);
}

/**
 * Expands Google's short names (`cloud-platform` → its URL) for the google flavor; other issuers
 * name their scopes themselves. Order is kept and duplicates dropped.
 */
export function normalizeScopes(scopes: readonly string[], flavor: Flavor): string[] {
  const out: string[] = [];
  for (const raw of scopes) {
    const scope = raw.trim();
    if (!scope) continue;
    // What is asked for is stored as granted when an issuer names no scopes: same syntax as theirs.
    if (!isScopeToken(scope))
      throw new TokenTrayError(
        'USAGE',
        `"${displaySafe(scope.slice(0, 80))}" is not a scope: scopes are visible ASCII without spaces, quotes or backslashes (RFC 6749).`,
      );
    const full = flavor === 'google' && !GOOGLE_SHORT_SCOPES.has(scope) && !scope.includes(':') && !scope.includes('/') ? GOOGLE_SCOPE_PREFIX + scope : scope;
    if (!out.includes(full)) out.push(full);
  }
  return out;
}

/** A stable key for a set of scopes, independent of order. */
export function scopeKey(scopes: readonly string[]): string {
  return [...new Set(scopes)].sort().join(' ');
}
