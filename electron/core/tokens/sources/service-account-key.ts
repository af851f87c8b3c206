import type { AccountRecord } from '../../accounts/account-registry.js';
import { displayName } from '../../accounts/account-service.js';
import type { StoredServiceAccountKey } from '../../storage/credential-vault.js';
import { TokenTrayError } from '../../shared/errors.js';
import { scopeKey } from '../../oauth/scopes.js';
import type { SourceContext, SourceFactory } from '../token-source.js';

// Loaded on first use: a warm cached call needs neither the module nor jose.
const serviceAccounts = () => import('../../google/service-account.js');

/** A service account with an imported key: the JWT-bearer grant at its token_uri, signed with the key. */
export const serviceAccountKeySource: SourceFactory = (context) => ({
  access(account, scopes) {
    const target = scopes ?? account.scopes;
    // The default scopes are the account's default token (the warm path's one item).
    const key = scopes && scopeKey(scopes) !== scopeKey(account.scopes) ? `sa:${scopeKey(target)}` : '';
    return {
      slot: { bucket: 'access', key },
      underLock: false,
      mint: async () => ({ token: await (await serviceAccounts()).jwtBearerGrant(await keyOf(context, account), { scopes: target }, context.now()) }),
    };
  },
  id(account, { audience }) {
    if (!audience) throw new TokenTrayError('AUDIENCE_REQUIRED', `A service account's ID token needs an audience.`, { facts: { remedy: 'give-audience' } });
    return {
      slot: { bucket: 'ids', key: `sa:${audience}` },
      underLock: false,
      mint: async () => ({ token: await (await serviceAccounts()).jwtBearerGrant(await keyOf(context, account), { targetAudience: audience }, context.now()) }),
    };
  },
});

/** A self-signed JWT access token of a service account for one API (no token endpoint involved). */
export async function selfSignedJwt(context: SourceContext, account: AccountRecord, audience: string) {
  if (account.kind !== 'service_account') {
    throw new TokenTrayError('NOT_A_SERVICE_ACCOUNT', `${displayName(account)} is a user account: only a service-account key can sign its own JWT.`, {
      facts: { remedy: 'import-service-account' },
    });
  }
  return (await serviceAccounts()).selfSignedJwt(await keyOf(context, account), audience, context.now());
}

async function keyOf(context: SourceContext, account: AccountRecord): Promise<StoredServiceAccountKey> {
  const key = await context.accounts.serviceAccountKey(account.id);
  if (!key)
    throw new TokenTrayError('KEYCHAIN_ENTRY_MISSING', `The keychain holds no key for ${displayName(account)}.`, {
      facts: { remedy: 'import-key-again', account: displayName(account), accountId: account.id },
    });
  return key;
}
