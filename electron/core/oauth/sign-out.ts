import type { AccountRecord } from '../storage/account-registry.js';
import { displayName, type AccountService } from '../storage/account-service.js';
import { isTokenTrayError, TokenTrayError } from '../shared/errors.js';
import { configure, oidc } from './oidc.js';

export interface SignOutResult {
  account: AccountRecord;
  /** False when the issuer offers no revocation endpoint or `revoke: false` was asked. */
  revoked: boolean;
  /** With `forgetClient`: whether the OAuth client went too, or which accounts still use it. */
  clientForgotten: boolean;
  clientKeptFor: string[];
}

/**
 * Revokes the account's grant at its issuer (RFC 7009), then forgets it locally. If revocation
 * fails the account is kept, since forgetting it would leave a live grant nobody can end.
 */
export async function signOut(accounts: AccountService, account: AccountRecord, options: { revoke?: boolean; forgetClient?: boolean } = {}): Promise<SignOutResult> {
  let revoked = false;
  // A service-account key is not an OAuth grant: forgetting it here is all a sign-out can do.
  if (options.revoke !== false && (account.kind === 'workforce' || account.kind === 'workload')) {
    revoked = await revokeFederation(accounts, account);
  } else if (options.revoke !== false && account.kind !== 'service_account') {
    let secrets: Awaited<ReturnType<AccountService['clientOf']>> | undefined;
    try {
      secrets = await accounts.clientOf(account);
    } catch (err) {
      // An issuer refused as stored (accounts.json edited): keep the account, say how to forget it.
      if (isTokenTrayError(err, 'INSECURE_ISSUER') || isTokenTrayError(err, 'INVALID_ISSUER')) throw revokeFailed(account, err);
      // Nothing left to revoke with (the item or the client's secret is gone): forget it anyway.
      if (!isTokenTrayError(err, 'KEYCHAIN_ENTRY_MISSING') && !isTokenTrayError(err, 'CLIENT_REQUIRED')) throw err;
    }
    if (secrets) revoked = await revoke(account, secrets.client, secrets.refreshToken);
  }
  const { clientForgotten, clientKeptFor } = await accounts.forget(account.id, { forgetClient: options.forgetClient === true });
  return { account, revoked, clientForgotten, clientKeptFor };
}

function revokeFailed(account: AccountRecord, err: unknown): TokenTrayError {
  const reason = isTokenTrayError(err) ? err.message : err instanceof Error ? err.message : String(err);
  return new TokenTrayError('REVOKE_FAILED', `Could not revoke the grant of ${displayName(account)} at ${account.issuer}: ${reason} The account was kept.`, {
    cause: err,
    facts: { remedy: 'forget-without-revoke', account: displayName(account), accountId: account.id },
  });
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
    throw revokeFailed(account, err);
  }
}

/** A workforce refresh token is revoked at the file's revoke_url; a workload file has no grant to revoke. */
async function revokeFederation(accounts: AccountService, account: AccountRecord): Promise<boolean> {
  if (account.kind !== 'workforce') return false;
  const { federationFileOf } = await import('../tokens/sources/federation.js');
  let file;
  try {
    file = await federationFileOf({ accounts }, account);
  } catch (err) {
    if (isTokenTrayError(err, 'KEYCHAIN_ENTRY_MISSING')) return false;
    throw revokeFailed(account, err);
  }
  if (file.type !== 'external_account_authorized_user') return false;
  const { workforceRevoke } = await import('../google/sts.js');
  try {
    return await workforceRevoke(file);
  } catch (err) {
    throw revokeFailed(account, err);
  }
}
