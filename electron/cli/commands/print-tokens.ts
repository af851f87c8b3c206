import type { ImpersonationChain } from '../../core/google/impersonation.js';
import { parseScopeList } from '../../core/oauth/scopes.js';
import { defineCommand, parseCommand, usageError, type CommandHelp } from '../io.js';

const ACCOUNT = { type: 'string', value: 'ACCOUNT', default: '$TOKENTRAY_ACCOUNT, else the default account', help: 'Email or id of the account' } as const;
const IMPERSONATE = {
  type: 'string',
  value: 'SA[,DELEGATE…]',
  default: 'none',
  help: 'Mint the token as this service account (then the delegation chain); needs roles/iam.serviceAccountTokenCreator',
} as const;

const ACCESS_HELP = {
  name: 'print-access-token',
  group: 'Tokens',
  summary: 'Print a fresh access token, and nothing else',
  usage: '[--account ACCOUNT] [--scopes S1,S2] [--impersonate-service-account SA] [--self-signed-jwt --audience URL]',
  description:
    'Prints a cached token while it stays valid for 5 more minutes, else refreshes it first. Only the token and a newline go to stdout, so `$(tokentray print-access-token)` works.',
  options: {
    account: ACCOUNT,
    scopes: {
      type: 'string',
      value: 'S1,S2',
      default: 'the scopes granted at sign-in',
      help: 'A token for fewer scopes (down-scoped at refresh; service accounts: any scopes)',
    },
    'impersonate-service-account': IMPERSONATE,
    'self-signed-jwt': { type: 'boolean', help: 'Service accounts: a self-signed JWT for --audience, no token endpoint involved' },
    audience: { type: 'string', value: 'URL', default: 'none', help: "With --self-signed-jwt: the API's URL, e.g. https://pubsub.googleapis.com/" },
  },
  examples: [
    { command: 'curl -H "Authorization: Bearer $(tokentray print-access-token)" https://cloudresourcemanager.googleapis.com/v1/projects' },
    { command: 'tokentray print-access-token --account work@example.com --impersonate-service-account deployer@my-project.iam.gserviceaccount.com' },
  ],
} satisfies CommandHelp;

const IDENTITY_HELP = {
  name: 'print-identity-token',
  group: 'Tokens',
  summary: 'Print an ID token (a JWT), and nothing else',
  usage: '[--account ACCOUNT] [--audiences AUD] [--include-email] [--impersonate-service-account SA]',
  description:
    "A user's ID token always has the OAuth client as its audience. For another audience (Cloud Run, IAP) use a service account, or impersonate one.",
  options: {
    account: ACCOUNT,
    audiences: { type: 'string', value: 'AUD', default: 'the OAuth client id (users); required for service accounts', help: 'The audience (aud) of the token' },
    'include-email': { type: 'boolean', help: "With impersonation: put the service account's email in the token" },
    'impersonate-service-account': IMPERSONATE,
  },
  examples: [
    { command: 'tokentray print-identity-token' },
    {
      command:
        'curl -H "Authorization: Bearer $(tokentray print-identity-token --account ci-bot@my-project.iam.gserviceaccount.com --audiences https://my-service-abc.a.run.app)" https://my-service-abc.a.run.app/',
    },
  ],
} satisfies CommandHelp;

async function chainOf(value: string | undefined): Promise<ImpersonationChain | undefined> {
  if (value === undefined) return undefined;
  const { parseImpersonationChain } = await import('../../core/google/impersonation.js');
  return parseImpersonationChain(value);
}

/** Prints the token and a newline, nothing else, so that `$(tokentray print-access-token)` works. */
export const printAccessToken = defineCommand(ACCESS_HELP, async (args, io) => {
  const parsed = parseCommand(ACCESS_HELP, args, io);
  if (!parsed) return 0;
  const { values } = parsed;
  if (values['self-signed-jwt'] && (values.audience === undefined || values.scopes !== undefined || values['impersonate-service-account'] !== undefined)) {
    throw usageError(ACCESS_HELP, '--self-signed-jwt takes --audience URL, and neither --scopes nor --impersonate-service-account');
  }
  if (values.audience !== undefined && !values['self-signed-jwt'])
    throw usageError(ACCESS_HELP, '--audience goes with --self-signed-jwt (for ID tokens: print-identity-token --audiences)');
  const core = io.core();
  const account = await core.accounts.resolve(values.account);
  const impersonate = await chainOf(values['impersonate-service-account']);
  const token = values['self-signed-jwt']
    ? await core.tokens.getSelfSignedJwt(account, values.audience!)
    : await core.tokens.getAccessToken(account, values.scopes ? parseScopeList(values.scopes) : undefined, impersonate ? { impersonate } : {});
  io.stdout(`${token.token}\n`);
  return 0;
});

export const printIdentityToken = defineCommand(IDENTITY_HELP, async (args, io) => {
  const parsed = parseCommand(IDENTITY_HELP, args, io);
  if (!parsed) return 0;
  const { values } = parsed;
  if (values.audiences !== undefined && values.audiences.trim() === '') throw usageError(IDENTITY_HELP, '--audiences needs a value');
  const core = io.core();
  const account = await core.accounts.resolve(values.account);
  const impersonate = await chainOf(values['impersonate-service-account']);
  const token = await core.tokens.getIdToken(account, {
    ...(values.audiences !== undefined ? { audience: values.audiences.trim() } : {}),
    ...(values['include-email'] ? { includeEmail: true } : {}),
    ...(impersonate ? { impersonate } : {}),
  });
  io.stdout(`${token.token}\n`);
  return 0;
});
