import type { CopyOptions, SignInRequest, TokenForm, TokenKind, AccountSummary } from '../../electron/app/ipc-contract.js';
import { api, ApiError, call } from './api.js';
import { copiedMessage } from './format.js';
import { changed, messageOf, nameOf, selected, state } from './state.js';
import { clearToast, toast } from './toast.js';

/** What views and dialogs do to accounts and tokens: talk to main, update the state, redraw. */

export async function loadAccounts(): Promise<void> {
  let repaired = false;
  try {
    state.accounts = await call(api().listAccounts());
    repaired = state.accountsError !== undefined;
    state.accountsError = undefined;
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'REGISTRY_CORRUPT') throw err;
    // Show no stale accounts: say what is wrong and where the file is. TokenTray leaves it as it is.
    Object.assign(state, { accounts: [], selectedId: undefined, tokens: undefined, tokensFor: undefined, accountsError: err.message });
    changed();
    return;
  }
  if (!selected()) state.selectedId = (state.accounts.find((a) => a.default) ?? state.accounts[0])?.id;
  // Once repaired, the damage notice goes now, not after the selected account's tokens have loaded.
  if (repaired) changed();
  else changed('list');
  const account = selected();
  if (account?.status === 'ready' && state.tokensFor !== account.id) await loadTokens();
  else changed('detail');
}

export async function select(id: string): Promise<void> {
  if (state.selectedId === id) return;
  clearToast();
  state.selectedId = id;
  state.revealed = {};
  state.info = undefined;
  state.tokens = undefined;
  state.tokensFor = undefined;
  changed('list');
  if (selected()?.status === 'ready') await loadTokens();
  else changed('detail');
}

/** A freshly added or imported account: select it and show its tokens. */
export async function showNewAccount(account: AccountSummary): Promise<void> {
  state.selectedId = account.id;
  state.tokensFor = undefined;
  await loadAccounts();
}

export async function loadTokens(refresh = false): Promise<void> {
  const account = selected();
  if (!account) return;
  state.lastTokenLoad = Date.now();
  // Marks the window busy (for assistive tech and tests) without changing the layout.
  document.body.setAttribute('aria-busy', 'true');
  try {
    state.tokens = await call(refresh ? api().refreshTokens(account.id) : api().getTokens(account.id));
    state.tokensFor = account.id;
    state.tokenError = undefined;
  } catch (err) {
    state.tokenError = messageOf(err);
  }
  changed('detail');
  document.body.removeAttribute('aria-busy');
}

export async function copy(kind: TokenKind, form: TokenForm, options?: CopyOptions): Promise<void> {
  const account = selected();
  if (!account) return;
  try {
    await call(options ? api().copy(account.id, kind, form, options) : api().copy(account.id, kind, form));
    toast(
      options?.audience
        ? `Copied the ID token for ${options.audience}.`
        : options?.impersonated
          ? `Copied the access ${form === 'raw' ? 'token' : form === 'header' ? 'Authorization header' : 'curl command'} of ${account.impersonate[0]}.`
          : copiedMessage(kind, form),
    );
  } catch (err) {
    state.tokenError = messageOf(err);
    changed('detail');
  }
}

export async function checkToken(account: AccountSummary): Promise<void> {
  state.info = { accountId: account.id };
  changed('detail');
  try {
    state.info = { accountId: account.id, facts: await call(api().getTokenInfo(account.id)) };
  } catch (err) {
    state.info = { accountId: account.id, error: messageOf(err) };
  }
  changed('detail');
}

export async function makeDefault(id: string): Promise<void> {
  try {
    state.accounts = await call(api().setDefault(id));
    changed();
    toast('Default account changed.');
  } catch (err) {
    toast(messageOf(err));
  }
}

/** The Cloud Console as this account, in the system browser (the address `tokentray console` opens). */
export async function openConsole(account: AccountSummary): Promise<void> {
  try {
    await call(api().openConsole(account.id));
  } catch (err) {
    toast(messageOf(err));
  }
}

export async function setQuotaProject(account: AccountSummary, project: string): Promise<void> {
  try {
    state.accounts = await call(api().setQuotaProject(account.id, project));
    toast(project ? `API calls of ${account.email ?? account.subject} bill ${project}.` : 'Quota project cleared.');
  } catch (err) {
    toast(messageOf(err));
  }
}

export async function setImpersonation(account: AccountSummary, chain: string[]): Promise<void> {
  try {
    state.accounts = await call(api().setImpersonation(account.id, chain));
    state.tokensFor = undefined;
    toast(chain.length ? `Impersonating ${chain[0]}.` : 'Impersonation cleared.');
    await loadTokens();
  } catch (err) {
    toast(messageOf(err));
  }
}

export async function openAccountsFolder(): Promise<void> {
  try {
    await call(api().openAccountsFolder());
  } catch (err) {
    toast(messageOf(err));
  }
}

/** The damaged list becomes a dated copy beside it; the window starts over with no accounts. */
export async function startFresh(): Promise<void> {
  try {
    const copy = await call(api().startFresh());
    await loadAccounts();
    if (copy) toast(`Kept the damaged list as ${copy}. Starting with no accounts.`);
  } catch (err) {
    toast(messageOf(err));
  }
}

/** Imports the credentials `gcloud auth application-default login` wrote; true when it worked. */
export async function importGcloudCredentials(onError: (message: string) => void): Promise<boolean> {
  try {
    const account = await call(api().importAdc());
    await showNewAccount(account);
    toast(`Imported ${nameOf(account)} from gcloud's credentials.`);
    return true;
  } catch (err) {
    onError(messageOf(err));
    return false;
  }
}

export async function signInAgain(account: AccountSummary): Promise<void> {
  state.signingIn = true;
  changed('detail');
  let outcome: string | undefined;
  try {
    const request: SignInRequest = { accountId: account.id, scopes: account.scopes };
    if (account.email) request.loginHint = account.email;
    await call(api().signIn(request));
    state.tokensFor = undefined;
    outcome = `Signed in again as ${nameOf(account)}.`;
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 'LOGIN_CANCELLED')) outcome = messageOf(err);
  } finally {
    state.signingIn = false;
    await loadAccounts();
  }
  // Said once the account's new state is drawn (a message belongs to the page it is shown on).
  if (outcome) toast(outcome);
}
