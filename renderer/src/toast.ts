import { byId } from './dom.js';

let toastTimer: number | undefined;

/** A short confirmation at the bottom of the window; it never takes clicks. */
export function toast(text: string): void {
  const el = byId('toast');
  el.textContent = text;
  el.classList.add('visible');
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => el.classList.remove('visible'), 2500);
}
