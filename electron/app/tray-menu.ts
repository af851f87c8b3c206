import type { AccountSummary, TokenForm, TokenKind } from './ipc-contract.js';
import { displaySafe } from '../core/shared/sanitize.js';
import type { UpdateState } from './update-policy.js';

export type TrayAction =
  | { kind: 'copy'; accountId: string; token: TokenKind; form: TokenForm; impersonated?: true }
  | { kind: 'sign-in-again'; accountId: string }
  | { kind: 'add-account' }
  | { kind: 'open' }
  | { kind: 'open-console'; accountId: string }
  | { kind: 'restart-to-update' }
  | { kind: 'quit' };

export type TrayItem = { type: 'separator' } | { type: 'label'; label: string } | { type: 'action'; label: string; action: TrayAction; enabled?: boolean };

export interface TrayState {
  accounts: AccountSummary[];
  signingIn: boolean;
  /** Set when the account list could not be read: 'damaged' is an accounts.json TokenTray cannot use. */
  accountsError?: 'damaged' | 'unavailable';
  update?: UpdateState;
}

/** A downloaded update is offered (never installed unasked); a refused one is said. */
function updateItems(update: UpdateState | undefined): TrayItem[] {
  if (update?.kind === 'ready') return [{ type: 'action', label: `Restart to update to v${update.version}`, action: { kind: 'restart-to-update' } }];
  if (update?.kind === 'refused') {
    return [
      {
        type: 'label',
        label: update.reason === 'damaged' ? `Update to ${update.version} refused: damaged download` : `Update to ${update.version} refused: older version`,
      },
    ];
  }
  return [];
}

// Names come from issuers and accounts.json: control characters are shown escaped, never raw.
const name = (a: AccountSummary) => displaySafe(a.email ?? a.subject);

function accountSection(a: AccountSummary): TrayItem[] {
  if (a.status === 'signin_required') {
    return [
      { type: 'label', label: `${name(a)}: sign in again` },
      { type: 'action', label: 'Sign in again…', action: { kind: 'sign-in-again', accountId: a.id } },
    ];
  }
  const copy = (label: string, token: TokenKind, form: TokenForm): TrayItem => ({
    type: 'action',
    label,
    action: { kind: 'copy', accountId: a.id, token, form },
  });
  const tags = [
    a.kind === 'service_account' ? 'service account' : a.kind === 'workforce' || a.kind === 'workload' ? a.kind : '',
    a.default ? 'default' : '',
  ].filter(Boolean);
  const items: TrayItem[] = [
    { type: 'label', label: tags.length ? `${name(a)} (${tags.join(', ')})` : name(a) },
    copy('Copy access token', 'access', 'raw'),
    // A service account's ID token needs an audience: that copy lives in the window.
    ...((a.kind ?? 'user') !== 'user' ? [] : [copy('Copy ID token', 'id', 'raw')]),
    copy('Copy Authorization header', 'access', 'header'),
  ];
  const target = a.impersonate[0];
  if (target) {
    items.push({
      type: 'action',
      label: `Copy access token as ${displaySafe(target)}`,
      action: { kind: 'copy', accountId: a.id, token: 'access', form: 'raw', impersonated: true },
    });
  }
  return items;
}

/** The Cloud Console as the default account; shown disabled when there is none. */
function consoleItem(account: AccountSummary | undefined): TrayItem {
  return { type: 'action', label: 'Open Cloud Console', action: { kind: 'open-console', accountId: account?.id ?? '' }, enabled: account !== undefined };
}

/**
 * The tray menu as a pure function of state (the glue turns it into an Electron Menu): the default
 * account first, then the others in registry order; then the app's own entries.
 */
export function buildTrayMenu(state: TrayState): TrayItem[] {
  if (state.accountsError) {
    // Nothing to copy and nothing to add to: the window says what is wrong and where the file is.
    return [
      { type: 'label', label: state.accountsError === 'damaged' ? 'Account list damaged' : 'Accounts unavailable' },
      { type: 'separator' },
      { type: 'action', label: 'Open TokenTray', action: { kind: 'open' } },
      ...updateItems(state.update),
      { type: 'separator' },
      { type: 'action', label: 'Quit TokenTray', action: { kind: 'quit' } },
    ];
  }
  const ordered = [...state.accounts.filter((a) => a.default), ...state.accounts.filter((a) => !a.default)];
  const items: TrayItem[] = [];
  for (const account of ordered) items.push(...accountSection(account), { type: 'separator' });
  if (ordered.length === 0) items.push({ type: 'label', label: 'No accounts yet' }, { type: 'separator' });
  items.push(
    {
      type: 'action',
      label: state.signingIn ? 'Signing in… (finish in your browser)' : 'Add account…',
      action: { kind: 'add-account' },
      enabled: !state.signingIn,
    },
    { type: 'action', label: 'Open TokenTray', action: { kind: 'open' } },
    consoleItem(ordered.find((a) => a.default)),
    ...updateItems(state.update),
    { type: 'separator' },
    { type: 'action', label: 'Quit TokenTray', action: { kind: 'quit' } },
  );
  return items;
}
