import { ipcMain, type WebContents } from 'electron';
import type { Handlers } from '../app/handlers/index.js';
import { dispatch } from '../app/ipc-dispatch.js';
import { INVOKE_CHANNELS } from '../app/ipc-contract.js';
import { APP_ORIGIN, isTrustedSender } from '../app/window-policy.js';

/** The only place that touches ipcMain: sender check, then validation and the handler (dispatch). */
export function setupIpc(handlers: Handlers, isOurWindow: (contents: WebContents) => boolean): void {
  for (const channel of INVOKE_CHANNELS) {
    ipcMain.handle(channel, (event, ...args: unknown[]) => {
      const frame = event.senderFrame;
      const trusted = isTrustedSender(
        { isOurWindow: isOurWindow(event.sender), isMainFrame: frame !== null && frame.parent === null, frameUrl: frame?.url },
        APP_ORIGIN,
      );
      if (!trusted) return { ok: false, code: 'UNTRUSTED_SENDER', message: 'Refused a request that did not come from the TokenTray window.' };
      return dispatch(handlers, channel, args);
    });
  }
}
