import { GOOGLE_ISSUER } from '../core/oauth/provider-profile.js';
import type { ErrorFacts, Remedy, TokenTrayError } from '../core/shared/errors.js';

/** `--login-hint` with the account's email, else its id (login takes both). */
function loginHint(f: ErrorFacts): string {
  const hint = f.account?.includes('@') ? f.account : f.accountId;
  return hint ? ` --login-hint ${hint}` : '';
}

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
  'give-client-file': (f) =>
    `Give the JSON file of a "Desktop app" OAuth client: \`tokentray login --client-secret-file FILE${f.issuer && f.issuer !== GOOGLE_ISSUER ? ` --issuer ${f.issuer}` : ''}${loginHint(f)}\` (or --client-id ID --client-secret SECRET).`,
  'list-clients': () => '`tokentray clients` lists them.',
  'sign-out-first': (f) => `Sign them out first: \`tokentray logout ${f.account ?? 'ACCOUNT'} --forget-client\`.`,
  'import-new-key': () => 'Download a new key from the Cloud Console and import it with `tokentray import-service-account FILE`.',
};

/** The error's sentence, then what to do about it on the command line. */
export function describeForCli(err: TokenTrayError): string {
  const { remedy } = err.facts;
  return remedy ? `${err.message} ${CLI_REMEDIES[remedy](err.facts)}` : err.message;
}
