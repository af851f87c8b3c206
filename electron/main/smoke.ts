import type { WebContents } from 'electron';
import type { SmokeProbe } from '../app/smoke-test.js';

/**
 * Watches the window's renderer from its creation (attach before loadURL): load result, preload
 * errors, a crashed renderer, and every error-level console message (Chromium logs CSP violations
 * and uncaught exceptions there).
 */
export function watchRenderer(contents: WebContents, visible: () => boolean, trayExists: () => boolean): SmokeProbe {
  const errors: string[] = [];
  const loaded = new Promise<void>((resolve, reject) => {
    contents.once('did-finish-load', () => resolve());
    contents.once('did-fail-load', (_event, code, description, url) => reject(new Error(`${url}: ${description} (${code})`)));
    contents.once('preload-error', (_event, path, error) => {
      errors.push(`preload ${path}: ${error.message}`);
      reject(new Error(`the preload failed: ${error.message}`));
    });
    contents.once('render-process-gone', (_event, details) => reject(new Error(`the renderer process ended: ${details.reason}`)));
  });
  loaded.catch(() => undefined);
  contents.on('console-message', (details) => {
    if (details.level === 'error') errors.push(details.message);
  });
  return {
    loaded: () => loaded,
    listAccountsInRenderer: () => contents.executeJavaScript('window.tokentray.listAccounts()') as Promise<unknown>,
    rendererErrors: () => errors,
    windowVisible: visible,
    trayExists,
  };
}
