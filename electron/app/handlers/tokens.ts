import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { Core } from '../../core/core.js';
import { parseImpersonationChain, type ImpersonationChain } from '../../core/google/impersonation.js';
import { describeAccessToken } from '../../core/google/token-info.js';
import { isTokenTrayError, TokenTrayError } from '../../core/shared/errors.js';
import type { AccountRecord } from '../../core/accounts/account-registry.js';
import { formatToken } from '../../core/tokens/token-forms.js';
import type { TokenDetails } from '../../core/shared/models.js';
import { quotaProjectOf } from '../../core/accounts/account-service.js';
import type { AccountTokens, CopyOptions, TokenKind } from '../ipc-contract.js';
import { describeForWindow } from '../remedies.js';
import { changesStatus, type AppHandlerDeps, type DomainHandlers } from './deps.js';

const chainOf = (account: AccountRecord): ImpersonationChain | undefined =>
  account.impersonate && account.impersonate.length > 0 ? parseImpersonationChain(account.impersonate) : undefined;

/** For display only: nothing here verifies the token (its issuer did, and its user will). */
function decoded(token: TokenDetails): NonNullable<AccountTokens['id']> {
  try {
    return { ...token, header: decodeProtectedHeader(token.token), claims: decodeJwt(token.token) };
  } catch {
    return { ...token, header: {}, claims: {} };
  }
}

type TokenChannels = 'tokens:get' | 'tokens:refresh' | 'tokens:copy' | 'tokens:info';

/** Showing, refreshing and copying tokens. */
export function tokenHandlers(deps: AppHandlerDeps): DomainHandlers<TokenChannels> {
  const { core } = deps;

  /** A failure that changed the account's status is announced before it is reported. */
  async function announcingStatus<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (changesStatus(err)) deps.onChange();
      throw err;
    }
  }

  async function tokensOf(id: string): Promise<AccountTokens> {
    const account = await core.accounts.resolve(id);
    const access = await core.tokens.getAccessToken(account);
    let idToken: AccountTokens['id'] = null;
    // Only a user account has an ID token of its own (service accounts and federations need an audience).
    if ((account.kind ?? 'user') === 'user') {
      try {
        idToken = decoded(await core.tokens.getIdToken(account));
      } catch (err) {
        if (!isTokenTrayError(err, 'NO_ID_TOKEN')) throw err;
      }
    }
    let impersonated: AccountTokens['impersonated'] = null;
    const chain = chainOf(account);
    if (chain) {
      // A refused impersonation is shown beside the account's own tokens, not instead of them.
      try {
        impersonated = { target: chain.target, access: await core.tokens.getAccessToken(account, undefined, { impersonate: chain }) };
      } catch (err) {
        if (!isTokenTrayError(err)) throw err;
        impersonated = { target: chain.target, access: null, error: describeForWindow(err) };
      }
    }
    return { access, id: idToken, impersonated };
  }

  /** The token a copy takes, per its options. */
  async function tokenFor(account: AccountRecord, kind: TokenKind, options: CopyOptions): Promise<TokenDetails> {
    const chain = options.impersonated ? chainOf(account) : undefined;
    if (options.impersonated && !chain)
      throw new TokenTrayError('INVALID_ARGUMENT', `${account.email ?? account.subject} has no impersonation target. Set one first.`);
    if (kind === 'access') return core.tokens.getAccessToken(account, undefined, chain ? { impersonate: chain } : {});
    // An ID token for an audience: a user account goes through its impersonation target, if any.
    const impersonate = chain ?? (options.audience && account.kind !== 'service_account' ? chainOf(account) : undefined);
    return core.tokens.getIdToken(account, {
      ...(options.audience ? { audience: options.audience, includeEmail: true } : {}),
      ...(impersonate ? { impersonate } : {}),
    });
  }

  return {
    'tokens:get': (id) => announcingStatus(() => tokensOf(id)),

    'tokens:refresh': (id) =>
      announcingStatus(async () => {
        await core.tokens.forceRefresh(await core.accounts.resolve(id));
        return tokensOf(id);
      }),

    'tokens:copy': (id, kind, form, options = {}) =>
      announcingStatus(async () => {
        const account = await core.accounts.resolve(id);
        const token = await tokenFor(account, kind, options);
        await deps.clipboard.copy(formatToken(token.token, form, kind, account.flavor, options.impersonated ? undefined : quotaProjectOf(account)));
        return { kind, form, expiresAt: token.expiresAt };
      }),

    'tokens:info': (id) =>
      announcingStatus(async () => {
        const { account: _id, ...facts } = await describeAccessToken(core, await core.accounts.resolve(id), deps.env ?? process.env);
        return facts;
      }),
  };
}

/**
 * Refreshes every ready account's tokens that are within the expiry margin, so that a tray copy
 * never waits on the network. Run `round()` more often than the margin (5 min). It owns what it
 * learns between rounds (issuers that give no ID token), and a round asked for while one runs
 * joins that one instead of starting a second.
 */
export class TokenWarmer {
  /** Accounts whose issuer gave no ID token: not asked again on every round (each ask is a full refresh). */
  private readonly noIdToken = new Set<string>();
  private running: Promise<boolean> | undefined;

  constructor(private readonly core: Core) {}

  /** Resolves true when an account's status changed (for example its refresh token was revoked). */
  round(): Promise<boolean> {
    this.running ??= this.warmAll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async warmAll(): Promise<boolean> {
    let changed = false;
    for (const account of (await this.core.accounts.records()).accounts) {
      if (account.status !== 'ready') continue;
      try {
        await this.core.tokens.getAccessToken(account);
        // Service accounts' ID tokens need an audience.
        if ((account.kind ?? 'user') === 'user' && !this.noIdToken.has(account.id)) await this.core.tokens.getIdToken(account);
      } catch (err) {
        if (isTokenTrayError(err, 'NO_ID_TOKEN')) this.noIdToken.add(account.id);
        else if (changesStatus(err)) changed = true;
        // Anything else (offline, provider down) is retried on the next round.
      }
    }
    return changed;
  }
}
