import type { AccountRecord } from '../storage/account-registry.js';
import { displayName, type AccountService } from '../storage/account-service.js';
import { isTokenTrayError, TokenTrayError } from '../shared/errors.js';
import { configure, oidc } from './oidc.js';

export interface SignOutResult {
  account: AccountRecord;
  /** False when the issuer offers no revocation endpoint or `revoke: false` was asked. */
  revoked: boolean;
}

/**
 * Revokes the account's grant at its issuer (RFC 7009), then forgets it locally. If revocation
 * fails the account is kept, since forgetting it would leave a live grant nobody can end.
 */
export async function signOut(accounts: AccountService, account: AccountRecord, options: { revoke?: boolean } = {}): Promise<SignOutResult> {
  let revoked = false;
  // A service-account key is not an OAuth grant: forgetting it here is all a sign-out can do.
  if (options.revoke !== false && account.kind !== 'service_account') {
    let secrets: Awaited<ReturnType<AccountService['clientOf']>> | undefined;
    try {
      secrets = await accounts.clientOf(account);
    } catch (err) {
      if (!isTokenTrayError(err, 'KEYCHAIN_ENTRY_MISSING')) throw err;
    }
    if (secrets) revoked = await revoke(account, secrets.client, secrets.refreshToken);
  }
  await accounts.forget(account.id);
  return { account, revoked };
}

async function revoke(account: AccountRecord, client: Parameters<typeof configure>[1], refreshToken: string): Promise<boolean> {
  try {
    const config = await configure({ issuer: account.issuer, flavor: account.flavor }, client);
    if (!config.serverMetadata().revocation_endpoint) return false;
    await oidc.tokenRevocation(config, refreshToken, { token_type_hint: 'refresh_token' });
    return true;
  } catch (err) {
    // RFC 7009: an already invalid token is not an error. Some issuers still say invalid_token.
    if (err instanceof oidc.ResponseBodyError && (err.error === 'invalid_token' || err.error === 'invalid_grant')) return true;
    const reason = isTokenTrayError(err) ? err.message : err instanceof Error ? err.message : String(err);
    throw new TokenTrayError('REVOKE_FAILED', `Could not revoke the grant of ${displayName(account)} at ${account.issuer}: ${reason} The account was kept.`, {
      cause: err,
      facts: { remedy: 'forget-without-revoke', account: displayName(account), accountId: account.id },
    });
  }
}
