import { byId } from './dom.js';
import { pageKey } from './state.js';

let toastTimer: number | undefined;
/** The page the window showed when the toast appeared (`pageKey` in state.ts). */
let shownOn: string | undefined;

/**
 * A short confirmation in the status bar under the content; it never covers a card or a button.
 * It belongs to the page shown when it appeared: show it after the page it speaks of is drawn.
 */
export function toast(text: string): void {
  const el = byId('toast');
  el.textContent = text;
  el.title = text;
  el.classList.add('visible');
  shownOn = pageKey();
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(clearToast, 4000);
}

/** When the view changes (another account, a dialog), an old confirmation no longer applies. */
export function clearToast(): void {
  window.clearTimeout(toastTimer);
  shownOn = undefined;
  byId('toast').classList.remove('visible');
}

/** Called as the detail redraws: a toast shown on another page (another account, its status, the damage page) goes. */
export function keepToastOn(page: string): void {
  if (shownOn !== undefined && shownOn !== page) clearToast();
}
