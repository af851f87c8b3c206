import { app } from 'electron';
import { UpdatePolicy, type UpdateState } from '../app/update-policy.js';
import { updaterPort } from '../app/updater-port.js';

/**
 * electron-updater in a release build (its feed comes from app-update.yml, which electron-builder's
 * `publish` config writes); none when running from a checkout. `smokeFeed` (the smoke test's
 * loopback feed) replaces the feed, so the real updater runs in an unpackaged app too.
 */
export async function setupUpdates(options: {
  enabled: boolean;
  smokeFeed?: string;
  onChange(state: UpdateState): void;
  log(line: string): void;
}): Promise<UpdatePolicy | undefined> {
  if (!app.isPackaged && !options.smokeFeed) return undefined;
  // Loaded only here: electron-updater reaches for Electron's app and net as it is constructed.
  const { autoUpdater } = (await import('electron-updater')).default;
  autoUpdater.logger = { info: () => undefined, warn: options.log, error: options.log };
  if (options.smokeFeed) {
    autoUpdater.forceDevUpdateConfig = true;
    autoUpdater.setFeedURL({ provider: 'generic', url: options.smokeFeed });
  }
  return new UpdatePolicy({ updater: updaterPort(autoUpdater), enabled: options.enabled, onChange: options.onChange, log: options.log });
}
