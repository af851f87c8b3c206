import type { AccountRecord, SignOutIntent } from '../accounts/account-registry.js';
import { displayName, type AccountService } from '../accounts/account-service.js';
import { isTokenTrayError, TokenTrayError } from '../shared/errors.js';
import { revokeRefreshToken } from './oidc.js';
import type { OAuthClient } from './client-file.js';

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
 *
 * Resumable: the intent is recorded first, and all of it runs under the account's lock (as a
 * sign-in's writes do). A process killed midway leaves the intent in the registry, and the next
 * process that lists or resolves accounts finishes it (`finishInterruptedSignOuts`).
 */
export async function signOut(
  accounts: AccountService,
  account: AccountRecord,
  options: { revoke?: boolean; forgetClient?: boolean } = {},
): Promise<SignOutResult> {
  // A keychain that cannot open (a file vault's wrong passphrase) must fail before anything changes.
  await accounts.probe();
  const intent: SignOutIntent = { id: account.id, revoke: options.revoke !== false, forgetClient: options.forgetClient === true };
  return accounts.withAccountLock(account.id, async () => {
    // Read again under the lock: a sign-in that just finished replaced the grant to revoke.
    const current = (await accounts.records()).accounts.find((a) => a.id === account.id);
    if (!current) throw new TokenTrayError('ACCOUNT_NOT_FOUND', `No account "${displayName(account)}".`, { facts: { remedy: 'list-accounts' } });
    return signOutLocked(accounts, current, intent);
  });
}

/** Finishes every sign-out that a killed process left; one whose revocation now fails keeps its account. */
export async function finishInterruptedSignOuts(accounts: AccountService): Promise<void> {
  for (const pending of (await accounts.records()).signingOut ?? []) {
    await accounts.withAccountLock(pending.id, async () => {
      const data = await accounts.records();
      const intent = data.signingOut?.find((i) => i.id === pending.id);
      if (!intent) return; // finished (or superseded by a sign-in) meanwhile
      const account = data.accounts.find((a) => a.id === intent.id);
      // Not listed: a first sign-in killed before its registry write. Its grant stays unused.
      if (!account) {
        await accounts.forget(intent.id);
        return;
      }
      await signOutLocked(accounts, account, intent).catch((err: unknown) => {
        if (!isTokenTrayError(err, 'REVOKE_FAILED')) throw err;
      });
    });
  }
}

async function signOutLocked(accounts: AccountService, account: AccountRecord, intent: SignOutIntent): Promise<SignOutResult> {
  await accounts.beginSignOut(intent);
  let revoked = false;
  try {
    // A service-account key is not an OAuth grant: forgetting it here is all a sign-out can do.
    if (intent.revoke && (account.kind === 'workforce' || account.kind === 'workload')) revoked = await revokeFederation(accounts, account);
    else if (intent.revoke && account.kind !== 'service_account') revoked = await revokeGrant(accounts, account);
  } catch (err) {
    if (isTokenTrayError(err, 'REVOKE_FAILED')) await accounts.abandonSignOut(account.id);
    throw err;
  }
  const { clientForgotten, clientKeptFor } = await accounts.forget(account.id, { forgetClient: intent.forgetClient });
  return { account, revoked, clientForgotten, clientKeptFor };
}

async function revokeGrant(accounts: AccountService, account: AccountRecord): Promise<boolean> {
  let secrets: Awaited<ReturnType<AccountService['clientOf']>> | undefined;
  try {
    secrets = await accounts.clientOf(account);
  } catch (err) {
    // An issuer refused as stored (accounts.json edited): keep the account, say how to forget it.
    if (isTokenTrayError(err, 'INSECURE_ISSUER') || isTokenTrayError(err, 'INVALID_ISSUER')) throw revokeFailed(account, err);
    // Nothing left to revoke with (the item gone or damaged, the client's secret gone): forget it anyway.
    if (!isTokenTrayError(err, 'KEYCHAIN_ENTRY_MISSING') && !isTokenTrayError(err, 'KEYCHAIN_ENTRY_DAMAGED') && !isTokenTrayError(err, 'CLIENT_SECRET_MISSING'))
      throw err;
  }
  return secrets ? revoke(account, secrets.client, secrets.refreshToken) : false;
}

function revokeFailed(account: AccountRecord, err: unknown): TokenTrayError {
  const reason = isTokenTrayError(err) ? err.message : err instanceof Error ? err.message : String(err);
  return new TokenTrayError('REVOKE_FAILED', `Could not revoke the grant of ${displayName(account)} at ${account.issuer}: ${reason} The account was kept.`, {
    cause: err,
    facts: { remedy: 'forget-without-revoke', account: displayName(account), accountId: account.id },
  });
}

async function revoke(account: AccountRecord, client: OAuthClient, refreshToken: string): Promise<boolean> {
  try {
    return await revokeRefreshToken({ issuer: account.issuer, flavor: account.flavor }, client, refreshToken, `revoking the grant of ${displayName(account)}`);
  } catch (err) {
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
