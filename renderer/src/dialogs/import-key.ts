import { showNewAccount } from '../actions.js';
import { api, call } from '../api.js';
import { byId } from '../dom.js';
import { messageOf, nameOf } from '../state.js';
import { clearToast, toast } from '../toast.js';

const dialog = () => byId<HTMLDialogElement>('import-dialog');

function openImportDialog(): void {
  byId<HTMLFormElement>('import-form').reset();
  byId('import-error').textContent = '';
  clearToast();
  dialog().showModal();
}

async function submitImport(event: Event): Promise<void> {
  event.preventDefault();
  const file = byId<HTMLInputElement>('sa-file').files?.[0];
  if (!file) {
    byId('import-error').textContent = 'Pick or drop the key or federation file (JSON) first.';
    return;
  }
  try {
    const account = await call(api().importServiceAccount(await file.text()));
    dialog().close();
    await showNewAccount(account);
    toast(`Imported ${nameOf(account)}.`);
  } catch (err) {
    byId('import-error').textContent = messageOf(err);
  }
}

export function wireImportDialog(): void {
  byId('import-sa').addEventListener('click', openImportDialog);
  byId('import-form').addEventListener('submit', (e) => void submitImport(e));
  byId('import-cancel').addEventListener('click', () => dialog().close());
  // A file dropped on the open dialog is taken as if chosen (the window's own drop handler leaves it alone).
  dialog().addEventListener('drop', (e) => {
    const files = e.dataTransfer?.files;
    if (!files?.length) return;
    e.preventDefault();
    byId<HTMLInputElement>('sa-file').files = files;
    byId('import-error').textContent = '';
  });
}
