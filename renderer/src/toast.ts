import { byId } from './dom.js';

let toastTimer: number | undefined;

/** A short confirmation in the status bar under the content; it never covers a card or a button. */
export function toast(text: string): void {
  const el = byId('toast');
  el.textContent = text;
  el.title = text;
  el.classList.add('visible');
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(clearToast, 4000);
}

/** When the view changes (another account, a dialog), an old confirmation no longer applies. */
export function clearToast(): void {
  window.clearTimeout(toastTimer);
  byId('toast').classList.remove('visible');
}
