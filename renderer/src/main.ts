import { loadAccounts } from './actions.js';
import { api } from './api.js';
import { wireAddDialog } from './dialogs/add-account.js';
import { wireImportDialog } from './dialogs/import-key.js';
import { wireMetadataDialog } from './dialogs/metadata-server.js';
import { wireRemoveDialog } from './dialogs/remove-account.js';
import { wireSettingsDialog } from './dialogs/settings.js';
import { byId, h } from './dom.js';
import { messageOf, onChanged } from './state.js';
import { toast } from './toast.js';
import { renderAccountDetail, tickCountdowns } from './views/account-detail.js';
import { renderAccountList, wireAccountFilter } from './views/account-list.js';
import { renderUpdateBanner, wireUpdateBanner } from './views/update-banner.js';

/** Composes the window: views subscribe to the state, each dialog wires its own controls. */
function start(): void {
  onChanged('list', renderAccountList);
  onChanged('detail', renderAccountDetail);
  wireAddDialog();
  wireImportDialog();
  wireMetadataDialog();
  wireSettingsDialog();
  wireRemoveDialog();
  wireAccountFilter();
  wireUpdateBanner();
  // Links of the first-run guide (empty state, Add dialog): main opens the Cloud Console page.
  document.addEventListener('click', (e) => {
    const page = (e.target as HTMLElement | null)?.closest<HTMLElement>('[data-guide]')?.dataset.guide;
    if (page === 'consent-screen' || page === 'credentials') void api().openGuide(page);
  });
  api().onChange(() => {
    void loadAccounts().catch((err) => toast(messageOf(err)));
    void renderUpdateBanner().catch(() => undefined); // (an update's state is news, never an error to show)
  });
  void renderUpdateBanner().catch(() => undefined);
  window.setInterval(tickCountdowns, 1000);
  loadAccounts().catch((err) => {
    byId('detail').replaceChildren(h('p', { className: 'error', role: 'alert' }, messageOf(err)));
  });
}

start();
