import type { AppUpdater } from 'electron-updater';
import type { Updater } from './update-policy.js';

/**
 * electron-updater's AppUpdater as the policy's `Updater`. The policy decides when to download and
 * when to install, so the updater does neither on its own; it never offers an older version.
 */
export function updaterPort(updater: AppUpdater): Updater {
  updater.autoDownload = false;
  updater.autoInstallOnAppQuit = false;
  updater.allowDowngrade = false;
  // electron-updater's SemVer, whose own type declarations (semver) are not installed.
  const current = updater.currentVersion as unknown as { version: string; compare(other: string): number };
  return {
    currentVersion: current.version,
    async check() {
      const result = await updater.checkForUpdates();
      if (!result) return null;
      const version = result.updateInfo.version;
      const order = current.compare(version);
      return { version, newer: result.isUpdateAvailable && order < 0, older: order > 0 };
    },
    async download() {
      await updater.downloadUpdate();
    },
    restartToInstall() {
      // Not silent (the installer may need the user), and start the new version afterwards.
      updater.quitAndInstall(false, true);
    },
  };
}
