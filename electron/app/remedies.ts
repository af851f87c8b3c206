import { isTokenTrayError, type ErrorFacts, type Remedy } from '../core/shared/errors.js';

/** "openid,email" → "openid and email scopes". */
function scopes(list: string): string {
  const names = list.split(',').filter(Boolean);
  return names.length === 1 ? `${names[0]} scope` : `${names.slice(0, -1).join(', ')} and ${names.at(-1)} scopes`;
}

/**
 * What a window user can do about a failure, in the window's own terms (its buttons), never a
 * command. Every remedy must have its words here.
 */
const WINDOW_REMEDIES: { [R in Remedy]: (facts: ErrorFacts) => string } = {
  'sign-in': () => 'Add an account first.',
  'sign-in-again': (f) => (f.scope ? `Sign the account in again and grant the ${scopes(f.scope)}.` : 'Sign the account in again.'),
  'sign-in-instead': () => 'Sign that user in with “Add account…” instead.',
  'use-as-client-file': () => 'Choose it as the OAuth client file in “Add account…” instead.',
  'import-service-account': () => 'Import a service-account key with “Import service account…” instead.',
  'import-key-again': () => 'Import its key file again with “Import service account…”.',
  'list-accounts': () => 'It may have been removed meanwhile.',
  'forget-without-revoke': () => 'Try again when the issuer can be reached.',
  'use-metadata-server': () => 'Use the metadata server instead.',
  'give-client-file': () => 'Choose the JSON file of a “Desktop app” OAuth client in “Add account…”.',
  'list-clients': () => 'It may have been removed meanwhile.',
  'sign-out-first': () => 'Remove the accounts that use it first.',
  'import-new-key': () => 'Download a new key from the Cloud Console and import it with “Import service account…”.',
};

/** The sentence the window (and the tray's notifications) show for a failure. */
export function describeForWindow(err: unknown): string {
  if (!isTokenTrayError(err)) return `Something went wrong in TokenTray: ${err instanceof Error ? err.message : String(err)}`;
  const { remedy } = err.facts;
  return remedy ? `${err.message} ${WINDOW_REMEDIES[remedy](err.facts)}` : err.message;
}
