import type { ErrorFacts, Remedy, TokenTrayError } from '../core/shared/errors.js';

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
};

/** The error's sentence, then what to do about it on the command line. */
export function describeForCli(err: TokenTrayError): string {
  const { remedy } = err.facts;
  return remedy ? `${err.message} ${CLI_REMEDIES[remedy](err.facts)}` : err.message;
}
