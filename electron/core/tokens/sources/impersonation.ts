import type { AccountRecord } from '../../accounts/account-registry.js';
import { displayName } from '../../accounts/account-service.js';
import { TokenTrayError } from '../../shared/errors.js';
import type { ImpersonationChain } from '../../google/impersonation.js';
import { CLOUD_PLATFORM, scopeKey } from '../../oauth/scopes.js';
import { signInAgain } from '../reauth.js';
import type { SourceContext, TokenSource } from '../token-source.js';

// Loaded on first use: a warm cached call needs none of it.
const iam = () => import('../../google/impersonation.js');
const chainKey = (chain: ImpersonationChain) => [chain.target, ...chain.delegates].join(',');

/**
 * Tokens of a service account that the account impersonates (IAM Credentials), whatever kind the
 * account is: its own access token (cloud-platform) is the caller's credential. Minted outside the
 * account's lock, since getting that token may itself refresh under the lock.
 */
export function impersonationSource(context: SourceContext, chain: ImpersonationChain): TokenSource {
  return {
    access(account, scopes) {
      const target = scopes ?? [CLOUD_PLATFORM];
      return {
        slot: { bucket: 'access', key: `imp:${chainKey(chain)}|${scopeKey(target)}` },
        underLock: false,
        mint: async () => ({ token: await (await iam()).generateAccessToken(await iamBase(context), await callerToken(context, account), chain, target) }),
      };
    },
    id(account, { audience, includeEmail }) {
      if (!audience) throw new TokenTrayError('AUDIENCE_REQUIRED', `An ID token of ${chain.target} needs an audience.`, { facts: { remedy: 'give-audience' } });
      return {
        slot: { bucket: 'ids', key: `imp:${chainKey(chain)}|${audience}|${includeEmail}` },
        underLock: false,
        mint: async () => ({
          token: await (await iam()).generateIdToken(await iamBase(context), await callerToken(context, account), chain, audience, includeEmail),
        }),
      };
    },
  };
}

async function iamBase(context: SourceContext): Promise<string> {
  const { googleEndpoint } = await import('../../google/google-http.js');
  return googleEndpoint(context.env, 'TOKENTRAY_GOOGLE_IAMCREDENTIALS_URL', 'https://iamcredentials.googleapis.com');
}

/** The caller's token for IAM Credentials: it must carry the cloud-platform scope. */
async function callerToken(context: SourceContext, account: AccountRecord): Promise<string> {
  if (account.kind === 'service_account') return (await context.accessToken(account, [CLOUD_PLATFORM])).token;
  if (account.flavor !== 'google') {
    throw new TokenTrayError(
      'IMPERSONATION_FAILED',
      `${displayName(account)} is not a Google account (${account.issuer}); only Google accounts can impersonate service accounts.`,
    );
  }
  if (!account.scopes.includes(CLOUD_PLATFORM)) {
    throw new TokenTrayError(
      'IMPERSONATION_NEEDS_SCOPE',
      `Impersonation needs the cloud-platform scope, which ${displayName(account)} did not grant.`,
      signInAgain(account, 'cloud-platform'),
    );
  }
  return (await context.accessToken(account)).token;
}
