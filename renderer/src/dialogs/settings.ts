import { api, call } from '../api.js';
import { byId } from '../dom.js';
import { messageOf } from '../state.js';
import { clearToast, toast } from '../toast.js';

const dialog = () => byId<HTMLDialogElement>('settings-dialog');

async function openSettingsDialog(): Promise<void> {
  try {
    const settings = await call(api().getSettings());
    byId<HTMLInputElement>('clear-seconds').value = String(settings.clipboardClearSeconds);
    byId<HTMLInputElement>('shortcut').value = settings.globalShortcut;
    byId('settings-error').textContent = '';
    clearToast();
    dialog().showModal();
  } catch (err) {
    toast(messageOf(err));
  }
}

async function save(event: Event): Promise<void> {
  event.preventDefault();
  const seconds = Number(byId<HTMLInputElement>('clear-seconds').value || '0');
  try {
    await call(api().setSettings({ clipboardClearSeconds: seconds, globalShortcut: byId<HTMLInputElement>('shortcut').value.trim() }));
    dialog().close();
    toast('Settings saved.');
  } catch (err) {
    byId('settings-error').textContent = messageOf(err);
  }
}

export function wireSettingsDialog(): void {
  byId('open-settings').addEventListener('click', () => void openSettingsDialog());
  byId('settings-form').addEventListener('submit', (e) => void save(e));
  byId('settings-cancel').addEventListener('click', () => dialog().close());
}
