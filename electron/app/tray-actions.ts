import { ADD_ACCOUNT_EVENT } from './ipc-contract.js';
import type { Handlers } from './handlers/deps.js';
import { describeForWindow } from './remedies.js';
import type { TrayAction } from './tray-menu.js';

export interface TrayActionDeps {
  handlers: Pick<Handlers, 'accounts:list' | 'accounts:sign-in' | 'tokens:copy' | 'accounts:open-console'>;
  window: { show(): void; send(channel: string): void };
  /** There is no window to show an error in: failures are notifications. */
  notify(body: string): void;
  restartToUpdate(): void;
  quit(): void;
}

/** What the tray's items and the global shortcut do, over the same handlers the window calls. */
export function createTrayActions(deps: TrayActionDeps): { onAction(action: TrayAction): void; copyDefault(): Promise<void> } {
  const { handlers, window } = deps;
  const reportFailure = (err: unknown) => deps.notify(describeForWindow(err));
  return {
    onAction(action) {
      switch (action.kind) {
        case 'copy':
          void handlers['tokens:copy'](action.accountId, action.token, action.form, action.impersonated ? { impersonated: true } : {}).catch(reportFailure);
          return;
        case 'sign-in-again':
          void handlers['accounts:sign-in']({ accountId: action.accountId }).catch(reportFailure);
          return;
        case 'open-console':
          void handlers['accounts:open-console'](action.accountId).catch(reportFailure);
          return;
        case 'add-account':
          window.show();
          window.send(ADD_ACCOUNT_EVENT);
          return;
        case 'open':
          window.show();
          return;
        case 'restart-to-update':
          deps.restartToUpdate();
          return;
        case 'quit':
          deps.quit();
      }
    },
    // Pressed with no window to show an error in: every failure (a damaged registry too) is a notification.
    async copyDefault() {
      try {
        const account = (await handlers['accounts:list']()).find((a) => a.default);
        if (!account) return deps.notify('No account yet: open TokenTray to add one.');
        await handlers['tokens:copy'](account.id, 'access', 'raw');
      } catch (err) {
        reportFailure(err);
      }
    },
  };
}
