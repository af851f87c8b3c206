import type { Settings } from '../../../electron/app/ipc-contract.js';
import { api, call } from '../api.js';
import { byId } from '../dom.js';
import { acceleratorOf, describeAccelerator } from '../shortcut.js';
import { messageOf } from '../state.js';
import { clearToast, toast } from '../toast.js';

const dialog = () => byId<HTMLDialogElement>('settings-dialog');
const mac = () => navigator.userAgent.includes('Mac');
const checkbox = (id: string) => byId<HTMLInputElement>(id);

/** The shortcut being edited, in Electron's syntax; the box shows it as this computer writes it. */
let shortcut = '';

function showShortcut(value: string): void {
  shortcut = value;
  const box = byId<HTMLInputElement>('shortcut');
  box.value = describeAccelerator(value, mac());
  box.dataset.accelerator = value;
}

function recordShortcut(event: KeyboardEvent): void {
  if (event.key === 'Tab' && !event.ctrlKey && !event.altKey && !event.metaKey) return; // keep keyboard navigation
  if (event.key === 'Escape' && !event.ctrlKey && !event.altKey && !event.metaKey && !event.shiftKey) return; // closes the dialog
  event.preventDefault();
  const hint = byId('shortcut-hint');
  const result = acceleratorOf(event, mac());
  if ('accelerator' in result) {
    showShortcut(result.accelerator);
    hint.textContent = 'Recorded. Save to use it.';
  } else if ('needsModifier' in result) {
    hint.textContent = 'Add Ctrl, Alt, Shift or Super: a global shortcut without one would take the key from every app.';
  }
}

async function openSettingsDialog(): Promise<void> {
  try {
    const settings = await call(api().getSettings());
    byId<HTMLInputElement>('clear-seconds').value = String(settings.clipboardClearSeconds);
    showShortcut(settings.globalShortcut);
    byId('shortcut-hint').textContent = 'Click the box, then press the keys (with Ctrl, Alt, Shift or Super).';
    checkbox('check-updates').checked = settings.checkForUpdates;
    checkbox('start-at-login').checked = settings.startAtLogin;
    byId('settings-error').textContent = '';
    clearToast();
    dialog().showModal();
  } catch (err) {
    toast(messageOf(err));
  }
}

async function save(event: Event): Promise<void> {
  event.preventDefault();
  const patch: Settings = {
    clipboardClearSeconds: Number(byId<HTMLInputElement>('clear-seconds').value || '0'),
    globalShortcut: shortcut,
    checkForUpdates: checkbox('check-updates').checked,
    startAtLogin: checkbox('start-at-login').checked,
  };
  try {
    await call(api().setSettings(patch));
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
  byId('shortcut').addEventListener('keydown', recordShortcut);
  byId('shortcut-clear').addEventListener('click', () => showShortcut(''));
}
