import type { ErrorFacts, Remedy, TokenTrayError } from '../core/shared/errors.js';
import { GOOGLE_ISSUER } from '../core/oauth/provider-profile.js';

const issuerFlag = (f: ErrorFacts) => (f.issuer && f.issuer !== GOOGLE_ISSUER ? ` --issuer ${f.issuer}` : '');
const loginHint = (f: ErrorFacts) => (f.account?.includes('@') ? ` --login-hint ${f.account}` : '');

/** What a terminal user can do about a failure, in commands. Every remedy must have its words here. */
const CLI_REMEDIES: { [R in Remedy]: (facts: ErrorFacts) => string } = {
  'sign-in': () => 'Run `tokentray login` first.',
  'sign-in-again': (f) => `Sign in again with \`tokentray login${loginHint(f)}${f.scope ? ` --scopes ${f.scope}` : ''}\`.`,
  'sign-in-instead': () => 'Sign that user in with `tokentray login` instead.',
  'use-as-client-file': () => 'Use it with `tokentray login --client-secret-file FILE`.',
  'import-service-account': (f) => `Import a service-account key with \`tokentray import-service-account ${f.path ?? 'FILE'}\`.`,
  'import-key-again': () => 'Import its key again with `tokentray import-service-account FILE`.',
  'list-accounts': () => '`tokentray accounts` lists the signed-in accounts.',
  'forget-without-revoke': (f) => `Try again, or run \`tokentray logout ${f.accountId ?? 'ACCOUNT'} --no-revoke\` to forget it on this computer only.`,
  'use-metadata-server': () => 'Use `tokentray exec` (the metadata-server emulator) instead.',
  'give-client-file': () =>
    'Give the JSON file of a "Desktop app" OAuth client: `tokentray login --client-secret-file FILE` (or --client-id ID --client-secret SECRET).',
  'give-client-file-again': (f) => `Give its file again: \`tokentray login --client-secret-file FILE${issuerFlag(f)}${loginHint(f)}\`.`,
  'list-clients': () => '`tokentray clients` lists them.',
  'sign-out-client-users': (f) => `Sign them out first: \`tokentray logout ${f.account ?? 'ACCOUNT'} --forget-client\`.`,
  'import-new-key': () => 'Create a new key in the Cloud Console and import it with `tokentray import-service-account FILE`.',
  'give-vault-passphrase': () =>
    'Set TOKENTRAY_FILE_PASSPHRASE (docs/remote.md keeps it out of your shell history), or run tokentray in a terminal to be asked.',
  'replace-or-choose-file': () => 'Pass --force to replace it, or --output to write elsewhere.',
  'set-project-first': (f) => `Give its project with the number: \`tokentray configure ${f.accountId ?? 'ACCOUNT'} --project ID --project-number NUMBER\`.`,
  'choose-another-port': () => 'Choose another with --port, or leave it out to get a free one.',
  'give-audience': () => 'Give --audiences with the URL (or client id) of the service that will check it.',
  'impersonate-or-use-key': () =>
    'Impersonate a service account (--impersonate-service-account SA, which needs roles/iam.serviceAccountTokenCreator on SA), or use a service-account key.',
  'try-google-flavor': (f) => `If the issuer is Google-like, try \`tokentray login --flavor google${issuerFlag(f)}\`.`,
  'allow-insecure-http': () => 'Use https, or `tokentray curl --allow-insecure-http URL …` if you mean it.',
  'leave-out-quota-project': () => 'Leave out --quota-project for it (or clear it with `tokentray configure ACCOUNT --no-quota-project`).',
  'choose-google-user': () => 'Choose a Google user account with --account.',
  'allow-other-registry': () => 'Pass --allow-other-host only for a registry you trust with a Google access token.',
  'check-proxy': () =>
    'Check HTTPS_PROXY and HTTP_PROXY (either case) in your environment (--verbose names the proxy each request used), or add the host to NO_PROXY to reach it directly.',
  'end-stuck-process': (f) => `If it is, end it (\`${process.platform === 'win32' ? `taskkill /PID ${f.pid}` : `kill ${f.pid}`}\`) and try again.`,
};

/** The error's sentence, then what to do about it on the command line. */
export function describeForCli(err: TokenTrayError): string {
  // A remedy this version has no words for (an agent of another version said it): the sentence alone.
  const words = err.facts.remedy ? CLI_REMEDIES[err.facts.remedy] : undefined;
  return words ? `${err.message} ${words(err.facts)}` : err.message;
}

/** What the metadata-server emulator's 404 for the project number tells a terminal user. */
export const NO_PROJECT_NUMBER_ADVICE =
  "Set it with `tokentray configure ACCOUNT --project-number NUMBER` (the Console shows the number on the project's dashboard).";
/** What the metadata-server emulator's 404 for the project tells a terminal user. */
export const NO_PROJECT_ADVICE =
  "Give --project-id, set one for the account (`tokentray configure ACCOUNT --project ID`), or set gcloud's (`gcloud config set project ID`).";
