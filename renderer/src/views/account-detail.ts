import type { AccountSummary } from '../../../electron/app/ipc-contract.js';
import { api } from '../api.js';
import { checkToken, importGcloudCredentials, loadTokens, makeDefault, openAccountsFolder, openConsole, signInAgain, startFresh } from '../actions.js';
import { openAddDialog } from '../dialogs/add-account.js';
import { openRemoveDialog } from '../dialogs/remove-account.js';
import { byId, h } from '../dom.js';
import { formatCountdown, shortScope } from '../format.js';
import { nameOf, pageKey, selected, state } from '../state.js';
import { keepToastOn } from '../toast.js';
import { terminalSafe } from '../../../electron/core/shared/sanitize.js';

/** The issuer's claims as JSON, with bidi, zero-width and separator characters escaped (still valid JSON). */
const shownJson = (value: unknown) => terminalSafe(JSON.stringify(value, null, 2));
import { audienceRow, impersonationCard, quotaProjectCard, tokenCard } from './token-card.js';

/** Refresh what the window shows when a token has less than this left (the core refreshes it). */
const REFRESH_WHEN_LEFT_MS = 5 * 60_000;

function infoBlock(): HTMLElement | null {
  const info = state.info;
  if (!info || info.accountId !== state.selectedId) return null;
  if (info.error) return h('p', { className: 'error', role: 'alert' }, info.error);
  if (!info.facts) return h('p', { className: 'hint' }, 'Asking…');
  const f = info.facts;
  const row = (k: string, v: string) => [h('dt', {}, k), h('dd', {}, v)];
  return h(
    'dl',
    { className: 'token-info', 'data-info': f.source },
    ...row('Email', f.email ?? '-'),
    ...row('Scopes', f.scopes.join(' ') || '-'),
    ...row('Expires', new Date(f.expiresAt).toLocaleString()),
    ...row('Token type', f.tokenType),
    ...row('Source', f.source),
    ...(f.audience ? row('Audience', f.audience) : []),
  );
}

/** First run: what TokenTray needs (your own OAuth client, or gcloud's credentials) and how to get it. */
function emptyState(): HTMLElement {
  const guide = (page: string, label: string) => h('button', { type: 'button', className: 'link', 'data-guide': page }, label);
  const adcError = h('p', { className: 'error', role: 'alert', id: 'adc-error' });
  return h(
    'div',
    { className: 'empty', 'data-view': 'first-run' },
    h('h2', {}, 'Sign in to your first account'),
    h(
      'p',
      {},
      'TokenTray signs you in once in the browser, keeps the refresh token in your system keychain, and hands out fresh access and ID tokens here, in the tray and on the command line.',
    ),
    h(
      'section',
      { className: 'path', 'data-path': 'oauth-client' },
      h('h3', {}, 'With your own OAuth client'),
      h('p', { className: 'hint' }, 'TokenTray ships no OAuth client: Google wants each user to bring one. It takes five steps in the Google Cloud Console:'),
      h(
        'ol',
        { className: 'steps' },
        h(
          'li',
          {},
          'Open the ',
          guide('consent-screen', 'OAuth consent screen'),
          ' of a project and set it up. While it is in Testing, add yourself as a test user (Google then ends sign-ins after 7 days).',
        ),
        h('li', {}, 'Open ', guide('credentials', 'Credentials'), ' → Create credentials → OAuth client ID.'),
        h('li', {}, 'Application type: ', h('strong', {}, 'Desktop app'), ' (a Web application client will not work).'),
        h('li', {}, 'Download its JSON file, ', h('code', {}, 'client_secret_….json'), '.'),
        h('li', {}, 'Drop that file on this window (or press Add account… and choose it), then sign in in your browser.'),
      ),
      h('button', { type: 'button', className: 'primary', 'data-action': 'first-add', onclick: openAddDialog }, 'Add account…'),
    ),
    h(
      'section',
      { className: 'path', 'data-path': 'gcloud' },
      h('h3', {}, 'Or with gcloud'),
      h(
        'p',
        {},
        'If you use the gcloud CLI, run ',
        h('code', {}, 'gcloud auth application-default login'),
        ' in a terminal, then import what it wrote. No client of your own needed.',
      ),
      h(
        'button',
        { type: 'button', 'data-action': 'import-adc', onclick: () => void importGcloudCredentials((m) => (adcError.textContent = m)) },
        "Import gcloud's credentials",
      ),
      adcError,
    ),
  );
}

/** A damaged accounts.json: what is wrong, and the two ways on (TokenTray itself changes nothing until asked). */
function damagedRegistry(message: string): HTMLElement {
  return h(
    'div',
    { className: 'empty', role: 'alert', 'data-view': 'damaged-registry' },
    h('h2', {}, 'Account list damaged'),
    h('p', { className: 'error' }, message),
    h(
      'p',
      {},
      "A backup or sync tool may hold an older copy. Starting fresh keeps the damaged file beside the new list, dated, for a later repair; the accounts' keychain items stay too.",
    ),
    h(
      'div',
      { className: 'header-actions' },
      h('button', { type: 'button', 'data-action': 'open-folder', onclick: () => void openAccountsFolder() }, 'Open the folder'),
      h('button', { type: 'button', className: 'danger', 'data-action': 'start-fresh', onclick: () => void startFresh() }, 'Keep a copy and start fresh'),
    ),
  );
}

function header(account: AccountSummary): HTMLElement {
  return h(
    'div',
    { className: 'account-header' },
    h(
      'div',
      {},
      h('h2', {}, nameOf(account)),
      h(
        'p',
        {},
        [
          account.kind === 'service_account'
            ? `service account${account.projectId ? ` of ${account.projectId}` : ''}`
            : account.kind === 'workforce' || account.kind === 'workload'
              ? `${account.kind} identity federation · ${account.subject}`
              : account.issuer,
          account.status === 'ready' ? 'ready' : 'needs sign-in',
          account.default ? 'default' : '',
        ]
          .filter(Boolean)
          .join(' · '),
      ),
    ),
    h(
      'div',
      { className: 'header-actions' },
      !account.default && h('button', { type: 'button', 'data-action': 'make-default', onclick: () => void makeDefault(account.id) }, 'Make default'),
      account.status === 'ready' && h('button', { type: 'button', 'data-action': 'refresh', onclick: () => void loadTokens(true) }, 'Refresh now'),
      account.status === 'ready' && h('button', { type: 'button', 'data-action': 'check-token', onclick: () => void checkToken(account) }, 'Check token'),
      // The Console knows Google user accounts only (core/google/console-url.ts says why the others cannot).
      account.flavor === 'google' &&
        account.kind !== 'service_account' &&
        h('button', { type: 'button', 'data-action': 'open-console', onclick: () => void openConsole(account) }, 'Open Cloud Console'),
      h('button', { type: 'button', className: 'danger', 'data-action': 'remove', onclick: () => openRemoveDialog(account) }, 'Remove…'),
    ),
  );
}

function signInNotice(account: AccountSummary): HTMLElement {
  return h(
    'div',
    { className: 'notice', role: 'alert' },
    h('p', {}, account.statusReason ?? 'This account needs to sign in again.'),
    state.signingIn
      ? h('p', {}, 'Finish signing in in your browser… ', h('button', { type: 'button', onclick: () => void api().cancelSignIn() }, 'Cancel'))
      : h('button', { type: 'button', className: 'primary', 'data-action': 'sign-in-again', onclick: () => void signInAgain(account) }, 'Sign in again'),
  );
}

/** The right-hand side: the selected account's header, scopes and token cards, or the empty state. */
export function renderAccountDetail(): void {
  keepToastOn(pageKey());
  const detail = byId('detail');
  const account = selected();
  if (state.accountsError !== undefined) {
    detail.replaceChildren(damagedRegistry(state.accountsError));
    return;
  }
  if (!account) {
    detail.replaceChildren(emptyState());
    return;
  }
  const scopes = h(
    'ul',
    { className: 'scopes', 'aria-label': 'Granted scopes' },
    ...account.scopes.map((s) => h('li', { className: 'chip', title: s }, shortScope(s))),
  );
  const parts: Node[] = [header(account), scopes];
  if (account.status === 'signin_required') {
    parts.push(signInNotice(account));
  } else {
    if (state.tokenError) parts.push(h('p', { className: 'error', role: 'alert' }, state.tokenError));
    const tokens = state.tokensFor === account.id ? state.tokens : undefined;
    const info = infoBlock();
    if (info) parts.push(info);
    parts.push(tokenCard('access', 'Access token', tokens?.access ?? null, { key: 'access' }));
    const claims = tokens?.id
      ? h(
          'details',
          { className: 'claims' },
          h('summary', {}, 'Decoded header and claims'),
          h('pre', { 'data-claims': 'header' }, shownJson(tokens.id.header)),
          h('pre', { 'data-claims': 'payload' }, shownJson(tokens.id.claims)),
        )
      : undefined;
    parts.push(
      tokenCard('id', 'ID token', tokens?.id ?? null, {
        key: 'id',
        extra: h('div', {}, claims ?? null, audienceRow(account)),
        empty:
          account.kind === 'service_account'
            ? "A service account's ID token needs an audience: give one below."
            : 'No ID token: the grant has no openid scope.',
      }),
    );
    if (account.flavor === 'google') parts.push(impersonationCard(account, tokens));
    if (account.flavor === 'google' && account.kind !== 'service_account') parts.push(quotaProjectCard(account));
  }
  // Keep the open state of the claims across re-renders.
  const wasOpen = detail.querySelector('details.claims')?.hasAttribute('open');
  detail.replaceChildren(...parts);
  if (wasOpen) detail.querySelector('details.claims')?.setAttribute('open', '');
}

/** Once a second: move the countdowns, and reload tokens the core is about to refresh. */
export function tickCountdowns(): void {
  const now = Date.now();
  let soon = false;
  for (const el of document.querySelectorAll<HTMLElement>('.countdown[data-expires]')) {
    const expiresAt = Number(el.dataset.expires);
    if (!expiresAt) continue;
    el.textContent = `expires ${formatCountdown(expiresAt, now)}`;
    const left = expiresAt - now;
    el.classList.toggle('soon', left < REFRESH_WHEN_LEFT_MS);
    if (left < REFRESH_WHEN_LEFT_MS) soon = true;
  }
  if (soon && now - state.lastTokenLoad > 30_000) void loadTokens();
}
