import type { CachedToken } from '../storage/credential-vault.js';
import { isBearerToken } from '../shared/sanitize.js';

/** A token is handed out only if it stays valid at least this long; gcloud and Google's libraries do alike. */
export const EXPIRY_MARGIN_MS = 5 * 60_000;

/**
 * The one rule for "valid long enough to hand out", wherever a token is held (keychain, memory):
 * EXPIRY_MARGIN_MS before expiry, or a quarter of the token's lifetime when that is shorter
 * (issuers with 5-minute tokens would otherwise never be fresh).
 */
export function isFresh(token: CachedToken | undefined, now: number): token is CachedToken {
  if (token === undefined || token.expiresAt <= now) return false;
  // A held token that cannot be sent as it is (written by an older TokenTray, or edited) is renewed.
  if (!isBearerToken(token.token)) return false;
  const margin = token.obtainedAt ? Math.min(EXPIRY_MARGIN_MS, (token.expiresAt - token.obtainedAt) / 4) : EXPIRY_MARGIN_MS;
  return token.expiresAt - now > margin;
}
