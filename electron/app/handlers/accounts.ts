import { resolveSignInSetup, signInAccount } from '../../core/oauth/account-sign-in.js';
import { parseScopeList } from '../../core/oauth/scopes.js';
import { signOut } from '../../core/oauth/sign-out.js';
import { parseImpersonationChain } from '../../core/google/impersonation.js';
import { importServiceAccountJson } from '../../core/google/service-account.js';
import { importAdcFile, wellKnownAdcPath } from '../../core/google/adc.js';
import { TokenTrayError } from '../../core/shared/errors.js';
import type { AccountSummary, SignInRequest } from '../ipc-contract.js';
import type { AppHandlerDeps, DomainHandlers } from './deps.js';

/**
 * The one sign-in the window may have waiting for the browser. Only this starts, cancels or ends an
 * attempt, and it announces each start and end (the tray shows "signing in…" meanwhile).
 */
export class SignInSlot {
  private attempt: AbortController | undefined;

  constructor(private readonly onBusyChange: () => void) {}

  get busy(): boolean {
    return this.attempt !== undefined;
  }

  /** Runs `fn` as the attempt; refuses a second one while the first waits. */
  async hold<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.attempt) throw new TokenTrayError('SIGN_IN_IN_PROGRESS', 'A sign-in is already waiting for the browser. Finish it there, or cancel it first.');
    const attempt = new AbortController();
    this.attempt = attempt;
    this.onBusyChange();
    try {
      return await fn(attempt.signal);
    } finally {
      this.attempt = undefined;
      this.onBusyChange();
    }
  }

  /** Aborts the waiting attempt; false when there was none. */
  cancel(): boolean {
    if (!this.attempt) return false;
    this.attempt.abort();
    return true;
  }
}

type AccountChannels =
  | 'accounts:list'
  | 'accounts:sign-in'
  | 'accounts:cancel-sign-in'
  | 'accounts:remove'
  | 'accounts:set-default'
  | 'accounts:import-service-account'
  | 'accounts:set-impersonation'
  | 'accounts:import-adc'
  | 'accounts:set-quota-project';

/** Signing in and out, the default account, service-account keys and impersonation targets. */
export function accountHandlers(deps: AppHandlerDeps, signIns: SignInSlot): DomainHandlers<AccountChannels> {
  const { core } = deps;
  const summaryOf = async (id: string): Promise<AccountSummary> => (await core.accounts.list()).find((a) => a.id === id)!;

  async function signIn(request: SignInRequest, signal: AbortSignal): Promise<AccountSummary> {
    const { scopes: typed, loginHint, ...choice } = request;
    const setup = await resolveSignInSetup(core, choice);
    const scopes = typed?.flatMap(parseScopeList);
    const record = await signInAccount(core, setup, {
      ...(scopes && scopes.length > 0 ? { scopes } : {}),
      ...(loginHint ? { loginHint } : {}),
      signal,
      ...(choice.accountId ? { expectedAccountId: choice.accountId } : {}),
      // The private start page, never an address: the opener's argv is public.
      presentAuthorization: (request) => deps.openExternal(request.startPage),
    });
    return summaryOf(record.id);
  }

  return {
    'accounts:list': () => core.accounts.list(),

    'accounts:sign-in': (request) => signIns.hold((signal) => signIn(request, signal)),

    'accounts:cancel-sign-in': async () => signIns.cancel(),

    async 'accounts:remove'(id) {
      const { revoked } = await signOut(core.accounts, await core.accounts.resolve(id));
      deps.onChange();
      return { revoked };
    },

    async 'accounts:set-default'(id) {
      await core.accounts.setDefault(id);
      deps.onChange();
      return core.accounts.list();
    },

    async 'accounts:import-service-account'(json) {
      // The window's one "import a JSON file" path also takes workforce and workload federation files.
      const federation = await import('../../core/google/federation-import.js');
      const record = federation.isFederationFile(json)
        ? await federation.importFederationFile(core, json, 'The chosen file', deps.env ?? process.env)
        : await importServiceAccountJson(core.accounts, json);
      deps.onChange();
      return summaryOf(record.id);
    },

    async 'accounts:import-adc'() {
      const path = wellKnownAdcPath(deps.env ?? process.env);
      const record = await importAdcFile(core, path, deps.adcIssuer ? { issuer: deps.adcIssuer } : {});
      deps.onChange();
      return summaryOf(record.id);
    },

    async 'accounts:set-quota-project'(id, project) {
      await core.accounts.setQuotaProject(id, project.trim() || undefined);
      deps.onChange();
      return core.accounts.list();
    },

    async 'accounts:set-impersonation'(id, chain) {
      if (chain.length > 0) parseImpersonationChain(chain);
      await core.accounts.setImpersonation(id, chain);
      deps.onChange();
      return core.accounts.list();
    },
  };
}
