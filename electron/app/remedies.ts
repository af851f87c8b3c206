import { isTokenTrayError, type ErrorFacts, type Remedy } from '../core/shared/errors.js';

/**
 * What a window user can do about a failure, in the window's own terms (its buttons), never a
 * command. Every remedy must have its words here.
 */
const WINDOW_REMEDIES: { [R in Remedy]: (facts: ErrorFacts) => string } = {
  'sign-in': () => 'Add an account first.',
  'sign-in-again': (f) => {
    const scopes = f.scope?.split(',') ?? [];
    if (scopes.length === 0) return 'Sign the account in again.';
    return scopes.length === 1
      ? `Sign the account in again and grant the ${scopes[0]} scope.`
      : `Sign the account in again and grant the scopes ${scopes.join(', ')}.`;
  },
  'sign-in-instead': () => 'Sign that user in with “Add account…” instead.',
  'use-as-client-file': () => 'Choose it as the OAuth client file in “Add account…” instead.',
  'import-service-account': () => 'Import a service-account key with “Import service account…” instead.',
  'import-key-again': () => 'Import its key file again with “Import service account…”.',
  'list-accounts': () => 'It may have been removed meanwhile.',
  'forget-without-revoke': () => 'Try again when the issuer can be reached.',
  'use-metadata-server': () => 'Use the metadata server instead.',
  'give-client-file': () => 'Choose the JSON file of a “Desktop app” OAuth client in “Add account…”.',
  'give-client-file-again': () => 'Choose its OAuth client file again in “Add account…”.',
  'list-clients': () => 'It may have been removed meanwhile.',
  'sign-out-client-users': () => 'Remove those accounts first.',
  'import-new-key': () => 'Create a new key in the Cloud Console and import it with “Import service account…”.',
  'give-vault-passphrase': () => 'Start TokenTray with TOKENTRAY_FILE_PASSPHRASE set (see docs/remote.md).',
  'replace-or-choose-file': () => 'Choose another file, or remove that one first.',
  'set-project-first': () => "Set the account's project first.",
  'choose-another-port': () => 'Choose another port for the metadata server, or leave the port empty to get a free one.',
  'give-audience': () => 'Give the URL (or client id) of the service that will check it as the audience.',
  'impersonate-or-use-key': () =>
    'Set a service account for this account to impersonate (it needs roles/iam.serviceAccountTokenCreator on it), or import a service-account key.',
  'try-google-flavor': () => 'If the issuer behaves like Google, sign in with the Google flavor.',
  'allow-insecure-http': () => 'Use https.',
  'leave-out-quota-project': () => 'Leave its quota project empty.',
  'choose-google-user': () => 'Choose a Google user account.',
  'allow-other-registry': () => "Only Google's registries are set up for docker.",
  'check-proxy': () =>
    'Check the proxy settings (HTTPS_PROXY, HTTP_PROXY) in the environment TokenTray was started from, or list the host in NO_PROXY to reach it directly; then restart TokenTray.',
  'end-stuck-process': (f) => `If it is, end process ${f.pid} (in the system's task manager) and try again.`,
};

/** The sentence the window (and the tray's notifications) show for a failure. */
export function describeForWindow(err: unknown): string {
  if (!isTokenTrayError(err)) return `Something went wrong in TokenTray: ${err instanceof Error ? err.message : String(err)}`;
  const { remedy } = err.facts;
  return remedy ? `${err.message} ${WINDOW_REMEDIES[remedy](err.facts)}` : err.message;
}
