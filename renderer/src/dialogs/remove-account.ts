import type { AccountSummary } from '../../../electron/app/ipc-contract.js';
import { loadAccounts } from '../actions.js';
import { api, call } from '../api.js';
import { byId } from '../dom.js';
import { messageOf, nameOf, state } from '../state.js';
import { clearToast, toast } from '../toast.js';

const dialog = () => byId<HTMLDialogElement>('remove-dialog');

export function openRemoveDialog(account: AccountSummary): void {
  byId('remove-text').textContent =
    `TokenTray revokes the grant of ${nameOf(account)} at ${account.issuer} and forgets it on this computer (the command line too).`;
  byId('remove-error').textContent = '';
  dialog().dataset.account = account.id;
  clearToast();
  dialog().showModal();
}

async function removeConfirmed(event: Event): Promise<void> {
  event.preventDefault();
  const id = dialog().dataset.account;
  if (!id) return;
  try {
    const { revoked } = await call(api().removeAccount(id));
    dialog().close();
    const removed = state.accounts.find((a) => a.id === id);
    const name = removed ? nameOf(removed) : 'the account';
    state.selectedId = undefined;
    await loadAccounts();
    // Named: the window now shows another account, which is still there.
    toast(revoked ? `Removed ${name}; its grant was revoked.` : `Removed ${name}.`);
  } catch (err) {
    byId('remove-error').textContent = messageOf(err);
  }
}

export function wireRemoveDialog(): void {
  byId('remove-form').addEventListener('submit', (e) => void removeConfirmed(e));
  byId('remove-cancel').addEventListener('click', () => dialog().close());
}
