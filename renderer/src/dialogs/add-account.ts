import type { SignInRequest } from '../../../electron/app/ipc-contract.js';
import { showNewAccount } from '../actions.js';
import { api, ApiError, call } from '../api.js';
import { byId, h } from '../dom.js';
import { messageOf, nameOf, state } from '../state.js';
import { toast } from '../toast.js';

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

const dialog = () => byId<HTMLDialogElement>('add-dialog');

export function openAddDialog(): void {
  if (dialog().open) return;
  byId<HTMLFormElement>('add-form').reset();
  const fallback = state.accounts.find((a) => a.default) ?? state.accounts[0];
  byId('client-remembered').textContent = fallback
    ? `Leave this empty to use the client ${nameOf(fallback)} signed in with (${fallback.issuer}).`
    : 'Pick the JSON file of your "Desktop app" OAuth client (see README: Setting up a Google OAuth client).';
  byId('add-error').textContent = '';
  setWaiting(false);
  dialog().showModal();
}

function setWaiting(waiting: boolean): void {
  byId('add-waiting').hidden = !waiting;
  byId<HTMLButtonElement>('add-submit').disabled = waiting;
  for (const el of byId('add-form').querySelectorAll<HTMLInputElement>('fieldset, #login-hint')) el.disabled = waiting;
}

async function request(): Promise<SignInRequest> {
  const scopes = [...document.querySelectorAll<HTMLInputElement>('#scope-presets input:checked')].map((el) => el.value);
  const extra = byId<HTMLInputElement>('extra-scopes').value.trim();
  if (extra) scopes.push(extra);
  const req: SignInRequest = { scopes };
  const text = (id: string) => byId<HTMLInputElement>(id).value.trim();
  if (text('login-hint')) req.loginHint = text('login-hint');
  const file = byId<HTMLInputElement>('client-file').files?.[0];
  if (file) req.clientJson = await file.text();
  else if (text('client-id')) {
    req.clientId = text('client-id');
    if (text('client-secret')) req.clientSecret = text('client-secret');
  }
  if (text('issuer')) req.issuer = text('issuer');
  const flavor = byId<HTMLSelectElement>('flavor').value;
  if (flavor === 'google' || flavor === 'oidc') req.flavor = flavor;
  return req;
}

async function submit(event: Event): Promise<void> {
  event.preventDefault();
  if (state.signingIn) return;
  byId('add-error').textContent = '';
  state.signingIn = true;
  setWaiting(true);
  try {
    const account = await call(api().signIn(await request()));
    dialog().close();
    toast(`Signed in as ${nameOf(account)}.`);
    await showNewAccount(account);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 'LOGIN_CANCELLED')) byId('add-error').textContent = messageOf(err);
  } finally {
    state.signingIn = false;
    setWaiting(false);
  }
}

async function cancel(): Promise<void> {
  if (state.signingIn) await api().cancelSignIn();
  else dialog().close();
}

export function wireAddDialog(): void {
  byId('scope-presets').replaceChildren(
    ...SCOPE_PRESETS.map((p) => h('label', { title: p.scope }, h('input', { type: 'checkbox', value: p.scope, checked: p.checked ?? false }), `${p.label}`)),
  );
  byId('add-account').addEventListener('click', openAddDialog);
  byId('add-form').addEventListener('submit', (e) => void submit(e));
  byId('add-cancel').addEventListener('click', () => void cancel());
  dialog().addEventListener('cancel', (e) => {
    // Escape while waiting cancels the sign-in instead of hiding its progress.
    if (state.signingIn) {
      e.preventDefault();
      void api().cancelSignIn();
    }
  });
  api().onAddAccountRequested(openAddDialog);
}
