import { select } from '../actions.js';
import { byId, h } from '../dom.js';
import { nameOf, state } from '../state.js';

/** The sidebar: one button per account, the selected one marked. */
export function renderAccountList(): void {
  byId('account-list').replaceChildren(
    ...state.accounts.map((a) =>
      h(
        'li',
        {},
        h(
          'button',
          { type: 'button', className: 'account-item', 'aria-current': String(a.id === state.selectedId), 'data-account': a.id, onclick: () => void select(a.id) },
          h('span', { className: 'account-name' }, nameOf(a), a.default && h('span', { className: 'badge default' }, 'default'), a.status === 'signin_required' && h('span', { className: 'badge reauth' }, 'sign in again')),
          h('span', { className: 'account-meta' }, a.kind === 'service_account' ? `service account${a.projectId ? ` · ${a.projectId}` : ''}` : a.issuer),
        ),
      ),
    ),
  );
}
