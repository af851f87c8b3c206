import type { SignInRequest } from '../../../electron/app/ipc-contract.js';
import { importGcloudCredentials, showNewAccount } from '../actions.js';
import { api, ApiError, call } from '../api.js';
import { byId, h } from '../dom.js';
import { messageOf, nameOf, state } from '../state.js';
import { clearToast, toast } from '../toast.js';

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
  clearToast();
  byId<HTMLFormElement>('add-form').reset();
  // A service account lends no client: only user accounts are offered as the one to reuse.
  const fallback = [state.accounts.find((a) => a.default), ...state.accounts].find((a) => a && a.kind !== 'service_account');
  byId('client-remembered').textContent = fallback
    ? `Leave this empty to use the client ${nameOf(fallback)} signed in with (${fallback.issuer}).`
    : 'Choose or drop the JSON file of your own "Desktop app" OAuth client. "How to get one" has the steps.';
  // First run: the steps are open; later they stay out of the way.
  byId<HTMLDetailsElement>('client-howto').open = !fallback;
  setGuideShown(true);
  byId('add-error').textContent = '';
  setWaiting(false);
  dialog().showModal();
}

/** Takes a dropped file as the client file, as if it had been chosen. */
function useDroppedFile(files: FileList | undefined | null): void {
  const file = files?.[0];
  if (!file) return;
  if (!/\.json$/i.test(file.name)) {
    byId('add-error').textContent = `${file.name} is not a JSON file: drop the client_secret_….json you downloaded.`;
    return;
  }
  byId<HTMLInputElement>('client-file').files = files!;
  byId('add-error').textContent = '';
  stepsDone();
}

/**
 * With the client file in hand, what leads to one (the steps, the hint, the gcloud alternative)
 * steps aside, and the dialog fits a 700 px window without scrolling.
 */
function stepsDone(): void {
  byId<HTMLDetailsElement>('client-howto').open = false;
  setGuideShown(false);
}

function setGuideShown(shown: boolean): void {
  byId('client-remembered').hidden = !shown;
  byId('gcloud-path').hidden = !shown;
}

/** Dropping a file anywhere on the window opens this dialog with it (the empty state says so). */
function wireDrop(): void {
  const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') === true;
  window.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault(); // else the browser would open the file
    document.body.classList.add('dragging');
  });
  window.addEventListener('dragleave', (e) => {
    if (e.relatedTarget === null) document.body.classList.remove('dragging');
  });
  window.addEventListener('drop', (e) => {
    document.body.classList.remove('dragging');
    if (!hasFiles(e)) return;
    e.preventDefault();
    if (state.signingIn) return;
    const otherDialog = [...document.querySelectorAll('dialog')].some((d) => d.open && d.id !== 'add-dialog');
    if (otherDialog) return;
    openAddDialog();
    useDroppedFile(e.dataTransfer?.files);
  });
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
    await showNewAccount(account);
    toast(`Signed in as ${nameOf(account)}.`);
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
  byId('client-file').addEventListener('change', () => {
    if (byId<HTMLInputElement>('client-file').files?.length) stepsDone();
  });
  wireDrop();
  byId('add-form')
    .querySelector('[data-action="import-adc"]')!
    .addEventListener('click', () => {
      if (state.signingIn) return;
      byId('add-error').textContent = '';
      void importGcloudCredentials((m) => (byId('add-error').textContent = m)).then((ok) => ok && dialog().close());
    });
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
