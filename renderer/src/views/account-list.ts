import type { AccountSummary } from '../../../electron/app/ipc-contract.js';
import { select } from '../actions.js';
import { byId, h } from '../dom.js';
import { nameOf, state } from '../state.js';

/** With more accounts than fit the sidebar comfortably, a filter box appears above the list. */
export const FILTER_FROM = 9;

const metaOf = (a: AccountSummary) =>
  a.kind === 'service_account' ? `service account${a.projectId ? ` · ${a.projectId}` : ''}` : a.kind === 'workforce' || a.kind === 'workload' ? `${a.kind} identity federation` : a.issuer;

function matches(a: AccountSummary, filter: string): boolean {
  const needle = filter.trim().toLowerCase();
  return !needle || [nameOf(a), metaOf(a)].some((text) => text.toLowerCase().includes(needle));
}

/** The sidebar: one button per account, the selected one marked; names ellipsized, full on hover. */
export function renderAccountList(): void {
  const filterBox = byId<HTMLInputElement>('account-filter');
  filterBox.hidden = state.accounts.length < FILTER_FROM;
  if (filterBox.hidden) state.filter = '';
  const shown = state.accounts.filter((a) => matches(a, state.filter));
  byId('account-list').replaceChildren(
    ...shown.map((a) =>
      h(
        'li',
        {},
        h(
          'button',
          { type: 'button', className: 'account-item', 'aria-current': String(a.id === state.selectedId), 'data-account': a.id, title: `${nameOf(a)}\n${metaOf(a)}`, onclick: () => void select(a.id) },
          h('span', { className: 'account-name' }, nameOf(a)),
          // The badges share the second line, so the address keeps the whole first one.
          h('span', { className: 'account-line' },
            h('span', { className: 'account-meta' }, metaOf(a)),
            a.default && h('span', { className: 'badge default' }, 'default'),
            a.status === 'signin_required' && h('span', { className: 'badge reauth' }, 'sign in again')),
        ),
      ),
    ),
    ...(shown.length === 0 && state.accounts.length > 0 ? [h('li', { className: 'hint', role: 'status' }, 'No account matches.')] : []),
  );
}

export function wireAccountFilter(): void {
  const box = byId<HTMLInputElement>('account-filter');
  box.addEventListener('input', () => {
    state.filter = box.value;
    renderAccountList();
  });
}
