import { accountHandlers, SignInSlot } from './accounts.js';
import type { AppHandlerDeps, Handlers } from './deps.js';
import { guideHandlers } from './guide.js';
import { metadataHandlers, MetadataSwitch } from './metadata.js';
import { settingsHandlers } from './settings.js';
import { tokenHandlers } from './tokens.js';
import { updateHandlers } from './updates.js';
import { registryRepairHandlers } from './registry-repair.js';

export type { AppHandlerDeps, Handlers } from './deps.js';
export { TokenWarmer } from './tokens.js';

export interface AppHandlers extends Handlers {
  isSigningIn(): boolean;
  /** Stops what the handlers started (the metadata-server emulator); for quitting. */
  dispose(): Promise<void>;
}

/**
 * The main process's handlers as plain functions over the core, one group per domain: Electron's
 * ipcMain, the tray, and the tests' loopback transport all call these. Each piece of state has one
 * owner: the sign-in attempt its SignInSlot, the emulator its MetadataSwitch.
 */
export function createHandlers(deps: AppHandlerDeps): AppHandlers {
  const signIns = new SignInSlot(() => deps.onChange());
  const metadata = new MetadataSwitch(deps.core);
  const handlers = {
    ...accountHandlers(deps, signIns),
    ...tokenHandlers(deps),
    ...metadataHandlers(deps, metadata),
    ...guideHandlers(deps),
    ...settingsHandlers(deps),
    ...updateHandlers(deps),
    ...registryRepairHandlers(deps),
  } satisfies Handlers;
  return {
    ...handlers,
    isSigningIn: () => signIns.busy,
    dispose: () => metadata.close(),
  };
}
