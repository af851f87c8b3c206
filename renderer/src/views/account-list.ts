import type { AccountSummary } from '../../../electron/app/ipc-contract.js';
import { select } from '../actions.js';
import { byId, h } from '../dom.js';
import { nameOf, state } from '../state.js';

/** With more accounts than fit the sidebar comfortably, a filter box appears above the list. */
const FILTER_FROM = 9;

const metaOf = (a: AccountSummary) =>
  a.kind === 'service_account'
    ? `service account${a.projectId ? ` · ${a.projectId}` : ''}`
    : a.kind === 'workforce' || a.kind === 'workload'
      ? `${a.kind} identity federation`
      : a.issuer;

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
          {
            type: 'button',
            className: 'account-item',
            'aria-current': String(a.id === state.selectedId),
            'data-account': a.id,
            title: `${nameOf(a)}\n${metaOf(a)}`,
            onclick: () => void select(a.id),
          },
          h('span', { className: 'account-name' }, nameOf(a)),
          // The badges share the second line, so the address keeps the whole first one.
          h(
            'span',
            { className: 'account-line' },
            h('span', { className: 'account-meta' }, metaOf(a)),
            a.default && h('span', { className: 'badge default' }, 'default'),
            a.status === 'signin_required' && h('span', { className: 'badge reauth' }, 'sign in again'),
          ),
        ),
      ),
    ),
    ...(shown.length === 0 && state.accounts.length > 0 ? [h('li', { className: 'hint', role: 'status' }, 'No account matches.')] : []),
  );
  showHiddenBelow();
}

/**
 * Says how many accounts are below the list's visible end, so a list that scrolls shows that it
 * does (a scroll bar appears only on hover on some systems).
 */
function showHiddenBelow(): void {
  const list = byId('account-list');
  const more = byId('account-more');
  // Shown before counting: the line takes room from the list, which may hide one more account.
  more.hidden = list.scrollTop + list.clientHeight >= list.scrollHeight - 1;
  if (more.hidden) return;
  const bottom = list.getBoundingClientRect().bottom;
  const below = [...list.querySelectorAll('.account-item')].filter((item) => item.getBoundingClientRect().bottom > bottom + 1).length;
  more.textContent = below === 1 ? '↓ 1 more account' : `↓ ${below} more accounts`;
}

export function wireAccountFilter(): void {
  byId('account-list').addEventListener('scroll', showHiddenBelow, { passive: true });
  window.addEventListener('resize', showHiddenBelow);
  const box = byId<HTMLInputElement>('account-filter');
  box.addEventListener('input', () => {
    state.filter = box.value;
    renderAccountList();
  });
}
