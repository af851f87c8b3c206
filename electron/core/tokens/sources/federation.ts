import type { AccountRecord } from '../../accounts/account-registry.js';
import { displayName, type AccountService } from '../../accounts/account-service.js';
import { TokenTrayError } from '../../shared/errors.js';
import { CLOUD_PLATFORM, scopeKey } from '../../oauth/scopes.js';
import type { WorkforceFile, WorkloadFile } from '../../google/external-account-file.js';
import { signInAgain } from '../reauth.js';
import type { SourceContext, TokenSource } from '../token-source.js';

// Loaded on first use: a warm cached call needs none of it.
const sts = () => import('../../google/sts.js');
const iam = () => import('../../google/impersonation.js');
const files = () => import('../../google/external-account-file.js');

/**
 * What a federation source needs: the account's file where it is kept, which is the keychain, or
 * memory while an import proves the file works before anything is stored (federation-import.ts).
 */
export interface FederationContext extends Pick<SourceContext, 'env' | 'now'> {
  accounts: Pick<AccountService, 'federationFile' | 'saveFederationFile' | 'markSigninRequired'>;
}

/** The account's federation file, parsed (and its URLs checked) again at every use. */
export async function federationFileOf(context: Pick<FederationContext, 'accounts'>, account: AccountRecord) {
  const text = await context.accounts.federationFile(account.id);
  if (text === undefined)
    throw new TokenTrayError('KEYCHAIN_ENTRY_MISSING', `The keychain holds no federation file for ${displayName(account)}.`, {
      facts: { remedy: 'import-key-again', account: displayName(account), accountId: account.id },
    });
  return (await files()).parseFederationFile(text, `The stored federation file of ${displayName(account)}`);
}

async function workforceFileOf(context: FederationContext, account: AccountRecord): Promise<WorkforceFile> {
  const file = await federationFileOf(context, account);
  if (file.type !== 'external_account_authorized_user')
    throw new TokenTrayError('KEYCHAIN_ENTRY_DAMAGED', `The keychain item of ${displayName(account)} is not a workforce file.`, {
      facts: { remedy: 'import-key-again', accountId: account.id },
    });
  return file;
}

async function workloadFileOf(context: FederationContext, account: AccountRecord): Promise<WorkloadFile> {
  const file = await federationFileOf(context, account);
  if (file.type !== 'external_account')
    throw new TokenTrayError('KEYCHAIN_ENTRY_DAMAGED', `The keychain item of ${displayName(account)} is not a workload file.`, {
      facts: { remedy: 'import-key-again', accountId: account.id },
    });
  return file;
}

const noAudience = (account: AccountRecord) =>
  new TokenTrayError(
    'AUDIENCE_NOT_SUPPORTED',
    `Google issues no ID tokens of a federated identity (${displayName(account)}) itself; a workload file can name a service account to impersonate (service_account_impersonation_url).`,
    { facts: { remedy: 'impersonate-or-use-key' } },
  );

/**
 * Workforce identity federation (external_account_authorized_user): the refresh grant at STS with
 * the client by HTTP Basic, under the account's lock; a rotated refresh token is stored first.
 * The pool's token carries the scopes the pool grants, so every request shares the default slot.
 */
export const workforceSource = (context: FederationContext): TokenSource => ({
  access(account) {
    return {
      slot: { bucket: 'access', key: '' },
      underLock: true,
      mint: async () => {
        const file = await workforceFileOf(context, account);
        const outcome = await (await sts()).workforceRefresh(file, context.now(), `refreshing the token of ${displayName(account)}`);
        if ('rejected' in outcome) {
          const reason = `${new URL(file.token_url).origin} no longer accepts the refresh token of ${displayName(account)} (${outcome.rejected}): it was revoked or expired.`;
          await context.accounts.markSigninRequired(account.id, reason);
          throw new TokenTrayError('REAUTH_REQUIRED', reason, signInAgain(account));
        }
        const { access, refreshToken } = outcome.granted;
        if (refreshToken && refreshToken !== file.refresh_token)
          await context.accounts.saveFederationFile(account.id, JSON.stringify({ ...file, refresh_token: refreshToken }));
        return { token: access };
      },
    };
  },
  id(account) {
    throw noAudience(account);
  },
});

/**
 * Workload identity federation (external_account): the subject token read fresh, exchanged at STS
 * (RFC 8693), then, with service_account_impersonation_url, that service account's token. No
 * secret of ours is spent, so the mint runs outside the lock.
 */
export const workloadSource = (context: FederationContext): TokenSource => ({
  access(account, scopes) {
    const key = scopes && scopeKey(scopes) !== scopeKey(account.scopes) ? `s:${scopeKey(scopes)}` : '';
    return {
      slot: { bucket: 'access', key },
      underLock: false,
      mint: async () => {
        const file = await workloadFileOf(context, account);
        const target = scopes ?? account.scopes;
        if (!file.service_account_impersonation_url) return { token: await exchange(context, file, target) };
        const { base, email } = (await files()).impersonationTarget(file.service_account_impersonation_url, 'The stored workload file');
        const federated = await exchange(context, file, [CLOUD_PLATFORM]);
        return { token: await (await iam()).generateAccessToken(base, federated.token, { target: email, delegates: [] }, [...target], file.lifetimeSeconds) };
      },
    };
  },
  id(account, { audience, includeEmail }) {
    if (!audience)
      throw new TokenTrayError('AUDIENCE_REQUIRED', `An ID token of ${displayName(account)} needs an audience.`, { facts: { remedy: 'give-audience' } });
    return {
      slot: { bucket: 'ids', key: `wl:${audience}|${includeEmail}` },
      underLock: false,
      mint: async () => {
        const file = await workloadFileOf(context, account);
        if (!file.service_account_impersonation_url) throw noAudience(account);
        const { base, email } = (await files()).impersonationTarget(file.service_account_impersonation_url, 'The stored workload file');
        const federated = await exchange(context, file, [CLOUD_PLATFORM]);
        return { token: await (await iam()).generateIdToken(base, federated.token, { target: email, delegates: [] }, audience, includeEmail) };
      },
    };
  },
});

async function exchange(context: FederationContext, file: WorkloadFile, scopes: readonly string[]) {
  const { readSubjectToken } = await import('../../google/subject-token.js');
  const subject = await readSubjectToken(file.source, context.env);
  return (await sts()).workloadExchange(file, subject, scopes, context.now());
}
