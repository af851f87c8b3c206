import type { MetadataStatus } from '../../../electron/app/ipc-contract.js';
import { api, call } from '../api.js';
import { byId, h } from '../dom.js';
import { messageOf, nameOf, state } from '../state.js';
import { clearToast, toast } from '../toast.js';

const dialog = () => byId<HTMLDialogElement>('metadata-dialog');

function showStatus(status: MetadataStatus): void {
  // No account, nothing to serve: the switch stays off (main refuses it too).
  const none = state.accounts.length === 0;
  byId<HTMLInputElement>('metadata-enabled').disabled = none && !status.running;
  byId<HTMLSelectElement>('metadata-account').disabled = none;
  byId('metadata-no-accounts').hidden = !none;
  byId<HTMLInputElement>('metadata-enabled').checked = status.running;
  if (status.accountId) byId<HTMLSelectElement>('metadata-account').value = status.accountId;
  byId('metadata-lines').hidden = !status.running;
  byId('metadata-exports').textContent = status.exports ?? '';
}

async function openMetadataDialog(): Promise<void> {
  const select = byId<HTMLSelectElement>('metadata-account');
  select.replaceChildren(...state.accounts.map((a) => h('option', { value: a.id }, nameOf(a))));
  select.value = (state.accounts.find((a) => a.default) ?? state.accounts[0])?.id ?? '';
  byId('metadata-error').textContent = '';
  clearToast();
  try {
    showStatus(await call(api().getMetadataServer()));
    dialog().showModal();
  } catch (err) {
    toast(messageOf(err));
  }
}

async function apply(): Promise<void> {
  byId('metadata-error').textContent = '';
  const enabled = byId<HTMLInputElement>('metadata-enabled').checked;
  const accountId = byId<HTMLSelectElement>('metadata-account').value;
  try {
    showStatus(await call(api().setMetadataServer(enabled && accountId ? { enabled, accountId } : { enabled })));
  } catch (err) {
    byId<HTMLInputElement>('metadata-enabled').checked = false;
    byId('metadata-error').textContent = messageOf(err);
  }
}

/** The main process writes the clipboard: the window has no clipboard permission. */
async function copyLines(): Promise<void> {
  const button = byId<HTMLButtonElement>('metadata-copy');
  try {
    await call(api().copyMetadataExports());
    byId('metadata-error').textContent = '';
    button.textContent = 'Copied';
    window.setTimeout(() => (button.textContent = 'Copy the lines'), 2000);
  } catch (err) {
    byId('metadata-error').textContent = messageOf(err);
  }
}

export function wireMetadataDialog(): void {
  byId('open-metadata').addEventListener('click', () => void openMetadataDialog());
  byId('metadata-enabled').addEventListener('change', () => void apply());
  byId('metadata-account').addEventListener('change', () => {
    if (byId<HTMLInputElement>('metadata-enabled').checked) void apply();
  });
  byId('metadata-form').addEventListener('submit', (e) => e.preventDefault());
  byId('metadata-close').addEventListener('click', () => dialog().close());
  byId('metadata-copy').addEventListener('click', () => void copyLines());
}
