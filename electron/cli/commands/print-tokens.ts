import { TokenTrayError } from '../../core/shared/errors.js';
import type { ImpersonationChain } from '../../core/google/impersonation.js';
import { parseScopeList } from '../../core/oauth/scopes.js';
import { parseFlags, wantsHelp, type CliIo } from '../io.js';

const ACCESS_USAGE =
  'tokentray print-access-token [--account ACCOUNT] [--scopes S1,S2] [--impersonate-service-account SA[,DELEGATE…]] [--self-signed-jwt --audience URL]';
const IDENTITY_USAGE = 'tokentray print-identity-token [--account ACCOUNT] [--audiences AUD] [--include-email] [--impersonate-service-account SA[,DELEGATE…]]';

async function chainOf(value: string | undefined): Promise<ImpersonationChain | undefined> {
  if (value === undefined) return undefined;
  const { parseImpersonationChain } = await import('../../core/google/impersonation.js');
  return parseImpersonationChain(value);
}

/** Prints the token and a newline, nothing else, so that `$(tokentray print-access-token)` works. */
export async function printAccessToken(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(
    args,
    {
      account: { type: 'string' },
      scopes: { type: 'string' },
      'impersonate-service-account': { type: 'string' },
      'self-signed-jwt': { type: 'boolean' },
      audience: { type: 'string' },
    },
    ACCESS_USAGE,
  );
  if (wantsHelp(values, ACCESS_USAGE, io)) return 0;
  if (values['self-signed-jwt'] && (values.audience === undefined || values.scopes !== undefined || values['impersonate-service-account'] !== undefined)) {
    throw new TokenTrayError('USAGE', `--self-signed-jwt takes --audience URL, and neither --scopes nor --impersonate-service-account\nusage: ${ACCESS_USAGE}`);
  }
  if (values.audience !== undefined && !values['self-signed-jwt']) throw new TokenTrayError('USAGE', `--audience goes with --self-signed-jwt (for ID tokens: print-identity-token --audiences)\nusage: ${ACCESS_USAGE}`);
  const core = io.core();
  const account = await core.accounts.resolve(values.account);
  const impersonate = await chainOf(values['impersonate-service-account']);
  const token = values['self-signed-jwt']
    ? await core.tokens.getSelfSignedJwt(account, values.audience!)
    : await core.tokens.getAccessToken(account, values.scopes ? parseScopeList(values.scopes) : undefined, impersonate ? { impersonate } : {});
  io.stdout(`${token.token}\n`);
  return 0;
}

export async function printIdentityToken(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(
    args,
    { account: { type: 'string' }, audiences: { type: 'string' }, 'include-email': { type: 'boolean' }, 'impersonate-service-account': { type: 'string' } },
    IDENTITY_USAGE,
  );
  if (wantsHelp(values, IDENTITY_USAGE, io)) return 0;
  if (values.audiences !== undefined && values.audiences.trim() === '') throw new TokenTrayError('USAGE', `--audiences needs a value\nusage: ${IDENTITY_USAGE}`);
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
}
