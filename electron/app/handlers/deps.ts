import type { Core } from '../../core/core.js';
import { isTokenTrayError } from '../../core/shared/errors.js';
import type { SettingsStore } from '../../core/storage/settings-store.js';
import type { ClipboardGuard } from '../clipboard-guard.js';
import type { UpdatePolicy } from '../update-policy.js';
import type { ChannelArgs, ChannelResult, InvokeChannel, Settings } from '../ipc-contract.js';

/** What the main process (or a test) gives the handlers. */
export interface AppHandlerDeps {
  core: Core;
  clipboard: ClipboardGuard;
  settings: SettingsStore;
  /** Opens the sign-in's one-time loopback start address (it redirects to the issuer) in the system browser. */
  openExternal(url: string): Promise<void>;
  /** After anything that changes accounts or their status: the window reloads, the tray rebuilds. */
  onChange(): void;
  /** Where TOKENTRAY_GOOGLE_* endpoint overrides are read (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where an imported ADC file's refresh token is checked: Google, unless a test says otherwise. */
  adcIssuer?: string;
  /** After settings change (the main process re-registers the global shortcut). */
  onSettingsChange?(settings: Settings): void | Promise<void>;
  /** Opens a folder in the system's file manager (the damaged-registry page's "Open the folder"). */
  openFolder?(path: string): Promise<void>;
  /** The app's updates (release builds); without it the window shows none. */
  updates?: Pick<UpdatePolicy, 'state' | 'restart'>;
}

/** The handler of each channel of the contract; a channel without one is a compile error. */
export type Handlers = { [C in InvokeChannel]: (...args: ChannelArgs<C>) => Promise<ChannelResult<C>> };

/** The handlers of one domain: some of the channels. */
export type DomainHandlers<C extends InvokeChannel> = Pick<Handlers, C>;

/** Failures that change an account's status, so the window and the tray must reload. */
export function changesStatus(err: unknown): boolean {
  return isTokenTrayError(err, 'REAUTH_REQUIRED') || isTokenTrayError(err, 'KEYCHAIN_ENTRY_MISSING') || isTokenTrayError(err, 'KEYCHAIN_ENTRY_DAMAGED');
}

/**
 * Runs tasks one at a time, in the order they were queued, whatever each one's outcome. For state
 * that overlapping calls must not interleave on (two toggles of one server, two settings changes).
 */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task);
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Resolves once everything queued so far has finished. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
