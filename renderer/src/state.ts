import type { AccountSummary, AccountTokens, TokenInfoView } from '../../electron/app/ipc-contract.js';
import { displaySafe } from '../../electron/core/shared/sanitize.js';
import { windowMessage } from './messages.js';

/**
 * Everything the window knows, in one place. Modules change it and then call `changed()`; the views
 * subscribed in main.ts redraw from it. Nothing else holds state that outlives a render.
 */
export const state = {
  accounts: [] as AccountSummary[],
  selectedId: undefined as string | undefined,
  tokens: undefined as AccountTokens | undefined,
  tokensFor: undefined as string | undefined,
  tokenError: undefined as string | undefined,
  revealed: {} as Record<string, boolean>,
  info: undefined as { accountId: string; facts?: TokenInfoView; error?: string } | undefined,
  signingIn: false,
  lastTokenLoad: 0,
  /** The sidebar's filter text (shown with many accounts). */
  filter: '',
  /** Why the account list cannot be read (a damaged accounts.json: the message names the file). */
  accountsError: undefined as string | undefined,
};

export type View = 'list' | 'detail';
const listeners: Record<View, Set<() => void>> = { list: new Set(), detail: new Set() };

/** Registers a view's render function; main.ts does this once per view. */
export function onChanged(view: View, render: () => void): void {
  listeners[view].add(render);
}

/** Redraws the named views (both by default) from the state. */
export function changed(...views: View[]): void {
  for (const view of views.length > 0 ? views : (['list', 'detail'] as const)) for (const render of listeners[view]) render();
}

export const selected = (): AccountSummary | undefined => state.accounts.find((a) => a.id === state.selectedId);
// Names come from issuers and accounts.json: control characters are shown escaped.
export const nameOf = (a: AccountSummary): string => displaySafe(a.email ?? a.subject);
/** An error as the window says it (no command-line hints). */
export const messageOf = (err: unknown): string => windowMessage(err);

/**
 * Which page the detail shows: the damage notice, the first run, or an account in one status. A
 * message in the status bar belongs to one page and goes when the window shows another.
 */
export function pageKey(): string {
  if (state.accountsError !== undefined) return 'damaged';
  const account = selected();
  return account ? `account:${account.id}:${account.status}` : 'first-run';
}
