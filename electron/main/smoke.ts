import { app, type WebContents } from 'electron';
import type { SmokeProbe, SmokeResult } from '../app/smoke-test.js';
import { redact } from '../core/shared/logger.js';

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

/** Prints the verdict (stdout when passed, stderr when not) and exits 0 or 1. */
export function reportAndExit(result: SmokeResult): void {
  const code = result.ok ? 0 : 1;
  const line = result.ok ? `TokenTray smoke test passed: ${result.summary}.\n` : `TokenTray smoke test failed: ${redact(result.reason)}.\n`;
  // app.exit does not wait for stdio: exit once the line is written (pipes are asynchronous on macOS).
  const exit = () => app.exit(code);
  setTimeout(exit, 5000);
  (result.ok ? process.stdout : process.stderr).write(line, exit);
}
