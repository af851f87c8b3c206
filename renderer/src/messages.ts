import { ApiError } from './api.js';

/**
 * Errors reach the window worded for it (electron/app/remedies.ts names its buttons, never a
 * command); a few codes get a sentence of the window's own, which knows its layout.
 */
const WINDOW_WORDING: Record<string, (message: string) => string> = {
  CLIENT_REQUIRED: () =>
    'TokenTray needs your own OAuth client the first time: choose or drop its client_secret_….json file (see "How to get one" below), or import gcloud\'s credentials instead.',
  ADC_FILE_UNREADABLE: (message) => {
    const path = /^Cannot read the ADC file (.+?): /.exec(message)?.[1];
    return `No credentials from gcloud were found${path ? ` at ${path}` : ''}. Run \`gcloud auth application-default login\` in a terminal first, then import again.`;
  },
};

export function windowMessage(err: unknown): string {
  if (err instanceof ApiError) return WINDOW_WORDING[err.code]?.(err.message) ?? err.message;
  return err instanceof Error ? err.message : String(err);
}
