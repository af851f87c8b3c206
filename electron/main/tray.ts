import { Menu, nativeImage, Tray, type MenuItemConstructorOptions } from 'electron';
import { buildTrayMenu, type TrayAction, type TrayItem, type TrayState } from '../app/tray-menu.js';
import { isTokenTrayError } from '../core/shared/errors.js';
import type { AccountSummary } from '../app/ipc-contract.js';
import type { UpdateState } from '../app/update-policy.js';

function toTemplate(items: TrayItem[], onAction: (action: TrayAction) => void): MenuItemConstructorOptions[] {
  return items.map((item): MenuItemConstructorOptions => {
    if (item.type === 'separator') return { type: 'separator' };
    if (item.type === 'label') return { label: item.label, enabled: false };
    return { label: item.label, enabled: item.enabled ?? true, click: () => onAction(item.action) };
  });
}

/** The tray icon; its menu is rebuilt from state whenever accounts change. */
export function setupTray(options: {
  icon: string;
  listAccounts: () => Promise<AccountSummary[]>;
  isSigningIn: () => boolean;
  updateState: () => UpdateState | undefined;
  onAction: (action: TrayAction) => void;
}): { rebuild(): Promise<void>; exists(): boolean } {
  const image = nativeImage.createFromPath(options.icon);
  if (process.platform === 'darwin') image.setTemplateImage(true);
  const tray = new Tray(image);
  tray.setToolTip('TokenTray');
  let generation = 0;
  async function rebuild(): Promise<void> {
    const mine = ++generation;
    const listed: Pick<TrayState, 'accounts' | 'accountsError'> = await options.listAccounts().then(
      (accounts) => ({ accounts }),
      (err: unknown) => ({ accounts: [], accountsError: isTokenTrayError(err, 'REGISTRY_CORRUPT') ? 'damaged' : 'unavailable' }),
    );
    if (mine !== generation) return; // a newer rebuild is under way: it wins
    const update = options.updateState();
    tray.setContextMenu(
      Menu.buildFromTemplate(toTemplate(buildTrayMenu({ ...listed, signingIn: options.isSigningIn(), ...(update ? { update } : {}) }), options.onAction)),
    );
  }
  void rebuild();
  return { rebuild, exists: () => !tray.isDestroyed() };
}
