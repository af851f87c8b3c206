import type { TokenForm, TokenKind } from '../shared/models.js';
import type { Flavor } from '../oauth/provider-profile.js';
import { QUOTA_PROJECT_HEADER } from '../accounts/account-service.js';

const GOOGLE_USERINFO = 'https://openidconnect.googleapis.com/v1/userinfo';

/** Where the ready curl line points: somewhere the token is accepted as is, or a placeholder. */
function curlTarget(kind: TokenKind, flavor: Flavor): string {
  if (kind === 'id') return 'https://YOUR-SERVICE-URL'; // e.g. a Cloud Run or IAP-protected URL
  return flavor === 'google' ? GOOGLE_USERINFO : 'https://YOUR-API-URL';
}

/**
 * The text that goes onto the clipboard for a token in a given form. A user's access token with a
 * quota project carries its x-goog-user-project header too (ID tokens go to services, not APIs).
 */
export function formatToken(token: string, form: TokenForm, kind: TokenKind, flavor: Flavor, quotaProject?: string): string {
  const quota = kind === 'access' && quotaProject ? `${QUOTA_PROJECT_HEADER}: ${quotaProject}` : undefined;
  switch (form) {
    case 'raw':
      return token;
    case 'header':
      return `Authorization: Bearer ${token}${quota ? `\n${quota}` : ''}`;
    case 'curl':
      return `curl -H "Authorization: Bearer ${token}"${quota ? ` -H "${quota}"` : ''} ${curlTarget(kind, flavor)}`;
  }
}
