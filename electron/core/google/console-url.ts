import type { AccountRecord } from '../accounts/account-registry.js';
import { TokenTrayError } from '../shared/errors.js';
import { checkProjectId } from './project-id.js';

const CONSOLE = 'https://console.cloud.google.com/';
/** The Cloud Console's origin: the only web pages the desktop app opens in the browser (window-policy.ts). */
export const CONSOLE_ORIGIN = new URL(CONSOLE).origin;

/**
 * The Cloud Console address that opens as this account: `authuser=EMAIL` picks it among the
 * browser's signed-in Google accounts. `path` is a Console page (`run`, `iam-admin/iam`…), kept
 * on the Console's origin. A service account cannot use the Console; an account that impersonates
 * one opens as itself, the signed-in user.
 */
export function consoleUrl(account: Pick<AccountRecord, 'kind' | 'email' | 'subject' | 'flavor'>, options: { project?: string; path?: string } = {}): string {
  if (account.kind === 'service_account') {
    throw new TokenTrayError(
      'CONSOLE_NOT_FOR_SERVICE_ACCOUNTS',
      `${account.email ?? account.subject} is a service account, and service accounts cannot sign in to the Cloud Console.`,
      { facts: { remedy: 'choose-google-user' } },
    );
  }
  if (account.flavor !== 'google' || !account.email) {
    throw new TokenTrayError('CONSOLE_GOOGLE_ONLY', `${account.email ?? account.subject} is not a Google account, so the Cloud Console does not know it.`, {
      facts: { remedy: 'choose-google-user' },
    });
  }
  const path = (options.path ?? '').replace(/^\/+/, '');
  const url = new URL(path, CONSOLE);
  if (url.origin !== CONSOLE_ORIGIN || /[\\]|(^|\/)\.\.?(\/|$)/.test(path) || /^[a-z][a-z0-9+.-]*:/i.test(path)) {
    throw new TokenTrayError('INVALID_ARGUMENT', `"${path.slice(0, 100)}" is not a Cloud Console page (a path such as run or iam-admin/iam).`);
  }
  url.search = '';
  url.hash = '';
  if (options.project) url.searchParams.set('project', checkProjectId(options.project));
  url.searchParams.set('authuser', account.email);
  return url.href;
}
