import { api, call } from '../api.js';
import { byId } from '../dom.js';
import { messageOf } from '../state.js';
import { toast } from '../toast.js';

/** The app's update above the content: what is happening, and "Restart to update to vX" once one is ready. */
export async function renderUpdateBanner(): Promise<void> {
  const view = await call(api().getUpdate());
  const banner = byId('update-banner');
  const button = byId<HTMLButtonElement>('update-restart');
  banner.hidden = !view.text;
  banner.dataset.state = view.state;
  byId('update-text').textContent = view.text ?? '';
  button.hidden = !view.action;
  button.textContent = view.action ?? '';
}

export function wireUpdateBanner(): void {
  byId('update-restart').addEventListener('click', () => {
    void call(api().restartToUpdate()).catch((err) => toast(messageOf(err)));
  });
}
