import type { AccountSummary, AccountTokens, CopyOptions, SignInRequest, TokenForm, TokenInfoView, TokenKind } from '../../electron/app/ipc-contract.js';
import { api, ApiError, call } from './api.js';
import { byId, h } from './dom.js';
import { copiedMessage, formatCountdown, maskToken, shortScope } from './format.js';

/** Refresh what the window shows when a token has less than this left (the core refreshes it). */
const REFRESH_WHEN_LEFT_MS = 5 * 60_000;

const SCOPE_PRESETS: Array<{ scope: string; label: string; checked?: boolean }> = [
  { scope: 'email', label: 'Email address', checked: true },
  { scope: 'profile', label: 'Basic profile' },
  { scope: 'cloud-platform', label: 'Google Cloud', checked: true },
  { scope: 'cloud-platform.read-only', label: 'Google Cloud, read-only' },
  { scope: 'bigquery', label: 'BigQuery' },
  { scope: 'devstorage.read_only', label: 'Cloud Storage, read-only' },
  { scope: 'drive.readonly', label: 'Drive, read-only' },
  { scope: 'gmail.readonly', label: 'Gmail, read-only' },
];

const state = {
  accounts: [] as AccountSummary[],
  selectedId: undefined as string | undefined,
  tokens: undefined as AccountTokens | undefined,
  tokensFor: undefined as string | undefined,
  tokenError: undefined as string | undefined,
  revealed: {} as Record<string, boolean>,
  info: undefined as { accountId: string; facts?: TokenInfoView; error?: string } | undefined,
  signingIn: false,
  lastTokenLoad: 0,
  /** Why the account list cannot be read (a damaged accounts.json: the message names the file). */
  accountsError: undefined as string | undefined,
};

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));
const nameOf = (a: AccountSummary) => a.email ?? a.subject;
const selected = () => state.accounts.find((a) => a.id === state.selectedId);

let toastTimer: number | undefined;
function toast(text: string): void {
  const el = byId('toast');
  el.textContent = text;
  el.classList.add('visible');
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => el.classList.remove('visible'), 2500);
}

// ----- accounts list -------------------------------------------------------------------------

async function loadAccounts(): Promise<void> {
  try {
    state.accounts = await call(api().listAccounts());
    state.accountsError = undefined;
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'REGISTRY_CORRUPT') throw err;
    // Show no stale accounts: say what is wrong and where the file is. TokenTray leaves it as it is.
    Object.assign(state, { accounts: [], selectedId: undefined, tokens: undefined, tokensFor: undefined, accountsError: err.message });
    renderList();
    renderDetail();
    return;
  }
  if (!selected()) state.selectedId = (state.accounts.find((a) => a.default) ?? state.accounts[0])?.id;
  renderList();
  const account = selected();
  if (account?.status === 'ready' && state.tokensFor !== account.id) await loadTokens();
  else renderDetail();
}

function renderList(): void {
  const list = byId('account-list');
  list.replaceChildren(
    ...state.accounts.map((a) =>
      h(
        'li',
        {},
        h(
          'button',
          { type: 'button', className: 'account-item', 'aria-current': String(a.id === state.selectedId), 'data-account': a.id, onclick: () => void select(a.id) },
          h('span', { className: 'account-name' }, nameOf(a), a.default && h('span', { className: 'badge default' }, 'default'), a.status === 'signin_required' && h('span', { className: 'badge reauth' }, 'sign in again')),
          h('span', { className: 'account-meta' }, a.kind === 'service_account' ? `service account${a.projectId ? ` · ${a.projectId}` : ''}` : a.issuer),
        ),
      ),
    ),
  );
}

async function select(id: string): Promise<void> {
  if (state.selectedId === id) return;
  state.selectedId = id;
  state.revealed = {};
  state.info = undefined;
  state.tokens = undefined;
  state.tokensFor = undefined;
  renderList();
  if (selected()?.status === 'ready') await loadTokens();
  else renderDetail();
}

// ----- tokens --------------------------------------------------------------------------------

async function loadTokens(refresh = false): Promise<void> {
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
  renderDetail();
  document.body.removeAttribute('aria-busy');
}

async function copy(kind: TokenKind, form: TokenForm, options?: CopyOptions): Promise<void> {
  const account = selected();
  if (!account) return;
  try {
    await call(options ? api().copy(account.id, kind, form, options) : api().copy(account.id, kind, form));
    toast(options?.audience ? `Copied the ID token for ${options.audience}.` : options?.impersonated ? `Copied the access ${form === 'raw' ? 'token' : form === 'header' ? 'Authorization header' : 'curl command'} of ${account.impersonate[0]}.` : copiedMessage(kind, form));
  } catch (err) {
    state.tokenError = messageOf(err);
    renderDetail();
  }
}

interface CardOptions {
  /** Names the card in the DOM (data-kind) and its reveal state. */
  key: string;
  copyOptions?: CopyOptions;
  empty?: string;
  extra?: Node | undefined;
}

function tokenCard(kind: TokenKind, title: string, token: { token: string; expiresAt: number } | null, options: CardOptions): HTMLElement {
  const { key } = options;
  const revealed = state.revealed[key] === true;
  const value = token
    ? h('code', { className: `token-value${revealed ? '' : ' masked'}`, 'data-token': key, 'aria-label': `${title}${revealed ? '' : ' (hidden)'}` }, revealed ? token.token : maskToken(token.token))
    : h('code', { className: 'token-value masked', 'data-token': key }, options.empty ?? 'No token.');
  const button = (label: string, onclick: () => void, attrs: Record<string, string> = {}) => h('button', { type: 'button', onclick, disabled: !token, ...attrs }, label);
  const copyForm = (form: TokenForm) => () => void copy(kind, form, options.copyOptions);
  return h(
    'section',
    { className: 'token-card', 'data-kind': key },
    h('div', { className: 'token-head' }, h('h3', {}, title), h('span', { className: 'countdown', 'data-expires': token ? String(token.expiresAt) : '' }, token ? `expires ${formatCountdown(token.expiresAt, Date.now())}` : '')),
    value,
    h(
      'div',
      { className: 'token-actions' },
      button(revealed ? 'Hide' : 'Reveal', () => {
        state.revealed[key] = !revealed;
        renderDetail();
      }, { 'aria-pressed': String(revealed), 'data-action': `reveal-${key}` }),
      button('Copy token', copyForm('raw'), { 'data-action': `copy-${key}-raw` }),
      button('Copy header', copyForm('header'), { 'data-action': `copy-${key}-header` }),
      button('Copy curl', copyForm('curl'), { 'data-action': `copy-${key}-curl` }),
    ),
    options.extra ?? null,
  );
}

/** "ID token for audience …": a service account's own, or a user's through its impersonation target. */
function audienceRow(account: AccountSummary): HTMLElement {
  const input = h('input', { type: 'url', id: 'audience', placeholder: 'https://my-service.example.com', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Audience' });
  const hint =
    account.kind === 'service_account' ? 'Signed by this service account for the audience you give.'
    : account.impersonate.length > 0 ? `Issued for ${account.impersonate[0]} through impersonation.`
    : 'Google issues a user\'s ID tokens only for its OAuth client: set an impersonation target to get one for another audience.';
  return h(
    'div',
    { className: 'audience-row' },
    h('label', {}, 'ID token for audience', h('span', { className: 'inline' }, input, h('button', {
      type: 'button',
      'data-action': 'copy-id-audience',
      onclick: () => {
        const audience = input.value.trim();
        if (audience) void copy('id', 'raw', { audience });
        else toast('Type the audience first.');
      },
    }, 'Copy'))),
    h('p', { className: 'hint' }, hint),
  );
}

function impersonationCard(account: AccountSummary, tokens: AccountTokens | undefined): HTMLElement {
  const input = h('input', { type: 'text', id: 'impersonate', value: account.impersonate.join(', '), placeholder: 'deployer@my-project.iam.gserviceaccount.com', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Service account to impersonate, then delegates' });
  const save = async (chain: string[]) => {
    try {
      state.accounts = await call(api().setImpersonation(account.id, chain));
      state.tokensFor = undefined;
      toast(chain.length ? `Impersonating ${chain[0]}.` : 'Impersonation cleared.');
      await loadTokens();
    } catch (err) {
      toast(messageOf(err));
    }
  };
  const form = h(
    'div',
    { className: 'audience-row' },
    h('label', {}, 'Impersonate a service account', h('span', { className: 'hint' }, ' (target first, then delegates; needs roles/iam.serviceAccountTokenCreator)'),
      h('span', { className: 'inline' }, input,
        h('button', { type: 'button', 'data-action': 'save-impersonation', onclick: () => void save(input.value.split(/[\s,]+/).filter(Boolean)) }, 'Save'),
        account.impersonate.length > 0 && h('button', { type: 'button', 'data-action': 'clear-impersonation', onclick: () => void save([]) }, 'Clear'))),
  );
  const imp = tokens?.impersonated;
  if (!imp) return h('section', { className: 'token-card', 'data-kind': 'impersonation' }, h('h3', {}, 'Impersonation'), form);
  return tokenCard('access', `Access token as ${imp.target}`, imp.access, {
    key: 'impersonated',
    copyOptions: { impersonated: true },
    empty: imp.error ?? 'No token.',
    extra: form,
  });
}

function infoBlock(): HTMLElement | null {
  const info = state.info;
  if (!info || info.accountId !== state.selectedId) return null;
  if (info.error) return h('p', { className: 'error', role: 'alert' }, info.error);
  if (!info.facts) return h('p', { className: 'hint' }, 'Asking…');
  const f = info.facts;
  const row = (k: string, v: string) => [h('dt', {}, k), h('dd', {}, v)];
  return h('dl', { className: 'token-info', 'data-info': f.source },
    ...row('Email', f.email ?? '-'), ...row('Scopes', f.scopes.join(' ') || '-'), ...row('Expires', new Date(f.expiresAt).toLocaleString()),
    ...row('Token type', f.tokenType), ...row('Source', f.source), ...(f.audience ? row('Audience', f.audience) : []));
}

async function checkToken(account: AccountSummary): Promise<void> {
  state.info = { accountId: account.id };
  renderDetail();
  try {
    state.info = { accountId: account.id, facts: await call(api().getTokenInfo(account.id)) };
  } catch (err) {
    state.info = { accountId: account.id, error: messageOf(err) };
  }
  renderDetail();
}

function renderDetail(): void {
  const detail = byId('detail');
  const account = selected();
  if (state.accountsError !== undefined) {
    detail.replaceChildren(
      h('div', { className: 'empty', role: 'alert' }, h('h2', {}, 'Account list damaged'), h('p', { className: 'error' }, state.accountsError)),
    );
    return;
  }
  if (!account) {
    detail.replaceChildren(
      h('div', { className: 'empty' }, h('h2', {}, 'No accounts yet'), h('p', {}, 'Add a Google account (or any OpenID Connect account) to get its access and ID tokens here and in the tray.'), h('button', { type: 'button', className: 'primary', onclick: openAddDialog }, 'Add account…')),
    );
    return;
  }
  const header = h(
    'div',
    { className: 'account-header' },
    h('div', {}, h('h2', {}, nameOf(account)), h('p', {}, [
      account.kind === 'service_account' ? `service account${account.projectId ? ` of ${account.projectId}` : ''}` : account.issuer,
      account.status === 'ready' ? 'ready' : 'needs sign-in',
      account.default ? 'default' : '',
    ].filter(Boolean).join(' · '))),
    h(
      'div',
      { className: 'header-actions' },
      !account.default && h('button', { type: 'button', 'data-action': 'make-default', onclick: () => void makeDefault(account.id) }, 'Make default'),
      account.status === 'ready' && h('button', { type: 'button', 'data-action': 'refresh', onclick: () => void loadTokens(true) }, 'Refresh now'),
      account.status === 'ready' && h('button', { type: 'button', 'data-action': 'check-token', onclick: () => void checkToken(account) }, 'Check token'),
      h('button', { type: 'button', className: 'danger', 'data-action': 'remove', onclick: () => openRemoveDialog(account) }, 'Remove…'),
    ),
  );
  const scopes = h('ul', { className: 'scopes', 'aria-label': 'Granted scopes' }, ...account.scopes.map((s) => h('li', { className: 'chip', title: s }, shortScope(s))));
  const parts: Node[] = [header, scopes];
  if (account.status === 'signin_required') {
    parts.push(
      h(
        'div',
        { className: 'notice', role: 'alert' },
        h('p', {}, account.statusReason ?? 'This account needs to sign in again.'),
        state.signingIn
          ? h('p', {}, 'Finish signing in in your browser… ', h('button', { type: 'button', onclick: () => void api().cancelSignIn() }, 'Cancel'))
          : h('button', { type: 'button', className: 'primary', 'data-action': 'sign-in-again', onclick: () => void signInAgain(account) }, 'Sign in again'),
      ),
    );
  } else {
    if (state.tokenError) parts.push(h('p', { className: 'error', role: 'alert' }, state.tokenError));
    const tokens = state.tokensFor === account.id ? state.tokens : undefined;
    const info = infoBlock();
    if (info) parts.push(info);
    parts.push(tokenCard('access', 'Access token', tokens?.access ?? null, { key: 'access' }));
    const claims = tokens?.id
      ? h('details', { className: 'claims' }, h('summary', {}, 'Decoded header and claims'), h('pre', { 'data-claims': 'header' }, JSON.stringify(tokens.id.header, null, 2)), h('pre', { 'data-claims': 'payload' }, JSON.stringify(tokens.id.claims, null, 2)))
      : undefined;
    const idExtra = h('div', {}, claims ?? null, audienceRow(account));
    parts.push(tokenCard('id', 'ID token', tokens?.id ?? null, {
      key: 'id',
      extra: idExtra,
      empty: account.kind === 'service_account' ? 'A service account\'s ID token needs an audience: give one below.' : 'No ID token: the grant has no openid scope.',
    }));
    if (account.flavor === 'google') parts.push(impersonationCard(account, tokens));
  }
  // Keep the open state of the claims across re-renders.
  const wasOpen = detail.querySelector('details.claims')?.hasAttribute('open');
  detail.replaceChildren(...parts);
  if (wasOpen) detail.querySelector('details.claims')?.setAttribute('open', '');
}

function tick(): void {
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

// ----- account actions -----------------------------------------------------------------------

async function makeDefault(id: string): Promise<void> {
  try {
    state.accounts = await call(api().setDefault(id));
    renderList();
    renderDetail();
    toast('Default account changed.');
  } catch (err) {
    toast(messageOf(err));
  }
}

async function signInAgain(account: AccountSummary): Promise<void> {
  state.signingIn = true;
  renderDetail();
  try {
    const request: SignInRequest = { accountId: account.id, scopes: account.scopes };
    if (account.email) request.loginHint = account.email;
    await call(api().signIn(request));
    state.tokensFor = undefined;
    toast(`Signed in again as ${nameOf(account)}.`);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 'LOGIN_CANCELLED')) toast(messageOf(err));
  } finally {
    state.signingIn = false;
    await loadAccounts();
  }
}

function openRemoveDialog(account: AccountSummary): void {
  const dialog = byId<HTMLDialogElement>('remove-dialog');
  byId('remove-text').textContent = `TokenTray revokes the grant of ${nameOf(account)} at ${account.issuer} and forgets it on this computer (the command line too).`;
  byId('remove-error').textContent = '';
  dialog.dataset.account = account.id;
  dialog.showModal();
}

async function removeConfirmed(event: Event): Promise<void> {
  event.preventDefault();
  const dialog = byId<HTMLDialogElement>('remove-dialog');
  const id = dialog.dataset.account;
  if (!id) return;
  try {
    const { revoked } = await call(api().removeAccount(id));
    dialog.close();
    state.selectedId = undefined;
    toast(revoked ? 'Account removed; its grant was revoked.' : 'Account removed.');
    await loadAccounts();
  } catch (err) {
    byId('remove-error').textContent = messageOf(err);
  }
}

// ----- add account ---------------------------------------------------------------------------

function openAddDialog(): void {
  const dialog = byId<HTMLDialogElement>('add-dialog');
  if (dialog.open) return;
  byId<HTMLFormElement>('add-form').reset();
  const fallback = state.accounts.find((a) => a.default) ?? state.accounts[0];
  byId('client-remembered').textContent = fallback
    ? `Leave this empty to use the client ${nameOf(fallback)} signed in with (${fallback.issuer}).`
    : 'Pick the JSON file of your "Desktop app" OAuth client (see README: Setting up a Google OAuth client).';
  byId('add-error').textContent = '';
  setAddWaiting(false);
  dialog.showModal();
}

function setAddWaiting(waiting: boolean): void {
  byId('add-waiting').hidden = !waiting;
  byId<HTMLButtonElement>('add-submit').disabled = waiting;
  for (const el of byId('add-form').querySelectorAll<HTMLInputElement>('fieldset, #login-hint')) el.disabled = waiting;
}

async function addRequest(): Promise<SignInRequest> {
  const scopes = [...document.querySelectorAll<HTMLInputElement>('#scope-presets input:checked')].map((el) => el.value);
  const extra = byId<HTMLInputElement>('extra-scopes').value.trim();
  if (extra) scopes.push(extra);
  const request: SignInRequest = { scopes };
  const text = (id: string) => byId<HTMLInputElement>(id).value.trim();
  if (text('login-hint')) request.loginHint = text('login-hint');
  const file = byId<HTMLInputElement>('client-file').files?.[0];
  if (file) request.clientJson = await file.text();
  else if (text('client-id')) {
    request.clientId = text('client-id');
    if (text('client-secret')) request.clientSecret = text('client-secret');
  }
  if (text('issuer')) request.issuer = text('issuer');
  const flavor = byId<HTMLSelectElement>('flavor').value;
  if (flavor === 'google' || flavor === 'oidc') request.flavor = flavor;
  return request;
}

async function submitAdd(event: Event): Promise<void> {
  event.preventDefault();
  if (state.signingIn) return;
  byId('add-error').textContent = '';
  state.signingIn = true;
  setAddWaiting(true);
  try {
    const account = await call(api().signIn(await addRequest()));
    byId<HTMLDialogElement>('add-dialog').close();
    state.selectedId = account.id;
    state.tokensFor = undefined;
    toast(`Signed in as ${nameOf(account)}.`);
    await loadAccounts();
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 'LOGIN_CANCELLED')) byId('add-error').textContent = messageOf(err);
  } finally {
    state.signingIn = false;
    setAddWaiting(false);
  }
}

async function cancelAdd(): Promise<void> {
  if (state.signingIn) await api().cancelSignIn();
  else byId<HTMLDialogElement>('add-dialog').close();
}

// ----- service-account keys ------------------------------------------------------------------

function openImportDialog(): void {
  byId<HTMLFormElement>('import-form').reset();
  byId('import-error').textContent = '';
  byId<HTMLDialogElement>('import-dialog').showModal();
}

async function submitImport(event: Event): Promise<void> {
  event.preventDefault();
  const file = byId<HTMLInputElement>('sa-file').files?.[0];
  if (!file) {
    byId('import-error').textContent = 'Pick the key file (JSON) first.';
    return;
  }
  try {
    const account = await call(api().importServiceAccount(await file.text()));
    byId<HTMLDialogElement>('import-dialog').close();
    state.selectedId = account.id;
    state.tokensFor = undefined;
    toast(`Imported ${nameOf(account)}.`);
    await loadAccounts();
  } catch (err) {
    byId('import-error').textContent = messageOf(err);
  }
}

// ----- metadata server -----------------------------------------------------------------------

function showMetadata(status: { running: boolean; accountId?: string; exports?: string }): void {
  byId<HTMLInputElement>('metadata-enabled').checked = status.running;
  if (status.accountId) byId<HTMLSelectElement>('metadata-account').value = status.accountId;
  byId('metadata-lines').hidden = !status.running;
  byId('metadata-exports').textContent = status.exports ?? '';
}

async function openMetadata(): Promise<void> {
  const select = byId<HTMLSelectElement>('metadata-account');
  select.replaceChildren(...state.accounts.map((a) => h('option', { value: a.id }, nameOf(a))));
  select.value = (state.accounts.find((a) => a.default) ?? state.accounts[0])?.id ?? '';
  byId('metadata-error').textContent = '';
  try {
    showMetadata(await call(api().getMetadataServer()));
    byId<HTMLDialogElement>('metadata-dialog').showModal();
  } catch (err) {
    toast(messageOf(err));
  }
}

async function applyMetadata(): Promise<void> {
  byId('metadata-error').textContent = '';
  const enabled = byId<HTMLInputElement>('metadata-enabled').checked;
  const accountId = byId<HTMLSelectElement>('metadata-account').value;
  try {
    showMetadata(await call(api().setMetadataServer(enabled && accountId ? { enabled, accountId } : { enabled })));
  } catch (err) {
    byId<HTMLInputElement>('metadata-enabled').checked = false;
    byId('metadata-error').textContent = messageOf(err);
  }
}

// ----- settings ------------------------------------------------------------------------------

async function openSettings(): Promise<void> {
  try {
    const settings = await call(api().getSettings());
    byId<HTMLInputElement>('clear-seconds').value = String(settings.clipboardClearSeconds);
    byId<HTMLInputElement>('shortcut').value = settings.globalShortcut;
    byId('settings-error').textContent = '';
    byId<HTMLDialogElement>('settings-dialog').showModal();
  } catch (err) {
    toast(messageOf(err));
  }
}

async function saveSettings(event: Event): Promise<void> {
  event.preventDefault();
  const seconds = Number(byId<HTMLInputElement>('clear-seconds').value || '0');
  try {
    await call(api().setSettings({ clipboardClearSeconds: seconds, globalShortcut: byId<HTMLInputElement>('shortcut').value.trim() }));
    byId<HTMLDialogElement>('settings-dialog').close();
    toast('Settings saved.');
  } catch (err) {
    byId('settings-error').textContent = messageOf(err);
  }
}

// ----- start ---------------------------------------------------------------------------------

function start(): void {
  byId('scope-presets').replaceChildren(
    ...SCOPE_PRESETS.map((p) => h('label', { title: p.scope }, h('input', { type: 'checkbox', value: p.scope, checked: p.checked ?? false }), `${p.label}`)),
  );
  byId('add-account').addEventListener('click', openAddDialog);
  byId('add-form').addEventListener('submit', (e) => void submitAdd(e));
  byId('add-cancel').addEventListener('click', () => void cancelAdd());
  byId<HTMLDialogElement>('add-dialog').addEventListener('cancel', (e) => {
    // Escape while waiting cancels the sign-in instead of hiding its progress.
    if (state.signingIn) {
      e.preventDefault();
      void api().cancelSignIn();
    }
  });
  byId('open-settings').addEventListener('click', () => void openSettings());
  byId('import-sa').addEventListener('click', openImportDialog);
  byId('open-metadata').addEventListener('click', () => void openMetadata());
  byId('metadata-enabled').addEventListener('change', () => void applyMetadata());
  byId('metadata-account').addEventListener('change', () => {
    if (byId<HTMLInputElement>('metadata-enabled').checked) void applyMetadata();
  });
  byId('metadata-form').addEventListener('submit', (e) => e.preventDefault());
  byId('metadata-close').addEventListener('click', () => byId<HTMLDialogElement>('metadata-dialog').close());
  byId('import-form').addEventListener('submit', (e) => void submitImport(e));
  byId('import-cancel').addEventListener('click', () => byId<HTMLDialogElement>('import-dialog').close());
  byId('settings-form').addEventListener('submit', (e) => void saveSettings(e));
  byId('settings-cancel').addEventListener('click', () => byId<HTMLDialogElement>('settings-dialog').close());
  byId('remove-form').addEventListener('submit', (e) => void removeConfirmed(e));
  byId('remove-cancel').addEventListener('click', () => byId<HTMLDialogElement>('remove-dialog').close());
  api().onChange(() => void loadAccounts().catch((err) => toast(messageOf(err))));
  api().onAddAccountRequested(openAddDialog);
  window.setInterval(tick, 1000);
  loadAccounts().catch((err) => {
    byId('detail').replaceChildren(h('p', { className: 'error', role: 'alert' }, messageOf(err)));
  });
}

start();
