import type { CachedToken } from '../storage/credential-vault.js';
import { TokenTrayError } from '../shared/errors.js';
import { assertIssuedTokens, displaySafe, hasHiddenCharacters } from '../shared/sanitize.js';
import { googleErrorText, googleRequest, type GoogleResponse } from './google-http.js';

/** A delegation chain as the CLI takes it: the target service account first, then its delegates. */
export interface ImpersonationChain {
  target: string;
  delegates: string[];
}

// No control characters either: the chain is stored and printed.
const EMAIL = /^[^@\s,/\u0000-\u001f\u007f-\u009f]+@[^@\s,/\u0000-\u001f\u007f-\u009f]+$/;

export function parseImpersonationChain(value: string | readonly string[]): ImpersonationChain {
  const raw = typeof value === 'string' ? value.split(',') : [...value];
  // Before trimming, which would drop a leading or trailing newline or tab unseen.
  const control = raw.find((s) => hasHiddenCharacters(s));
  if (control !== undefined)
    throw new TokenTrayError(
      'USAGE',
      `"${displaySafe(control.slice(0, 80))}" is not a service-account email: it contains control characters or invisible formatting characters.`,
    );
  const parts = raw.map((s) => s.trim()).filter(Boolean);
  const [target, ...delegates] = parts;
  if (!target) throw new TokenTrayError('USAGE', 'Name the service account to impersonate, e.g. deployer@my-project.iam.gserviceaccount.com.');
  for (const email of parts) {
    if (!EMAIL.test(email)) throw new TokenTrayError('USAGE', `"${displaySafe(email.slice(0, 80))}" is not a service-account email.`);
  }
  return { target, delegates };
}

const resource = (email: string) => `projects/-/serviceAccounts/${email}`;

function failure(chain: ImpersonationChain, what: string, { status, body }: GoogleResponse): TokenTrayError {
  const reason = googleErrorText(body);
  if (status === 403 || status === 401) {
    return new TokenTrayError(
      'IMPERSONATION_DENIED',
      `Google refused ${what} as ${chain.target} (${reason}). The signed-in account needs roles/iam.serviceAccountTokenCreator on ${chain.target}` +
        `${chain.delegates.length ? ' (through each delegate in order)' : ''}, and the IAM Service Account Credentials API must be enabled.`,
    );
  }
  if (status === 404)
    return new TokenTrayError('IMPERSONATION_FAILED', `The service account ${chain.target} does not exist, or the chain names one that does not (${reason}).`);
  return new TokenTrayError('IMPERSONATION_FAILED', `Google could not complete ${what} as ${chain.target} (${reason}, HTTP ${status}).`);
}

/** IAM Credentials `generateAccessToken`, called with an access token of the signed-in account. */
export async function generateAccessToken(
  base: string,
  sourceToken: string,
  chain: ImpersonationChain,
  scopes: string[],
  lifetimeSeconds = 3600,
): Promise<CachedToken> {
  const what = 'generating an access token';
  const res = await googleRequest(
    `${base}/v1/${resource(encodeURIComponent(chain.target))}:generateAccessToken`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${sourceToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scope: scopes, delegates: chain.delegates.map(resource), lifetime: `${lifetimeSeconds}s` }),
    },
    what,
  );
  if (res.status !== 200) throw failure(chain, what, res);
  const { accessToken, expireTime } = res.body;
  const expiresAt = typeof expireTime === 'string' ? Date.parse(expireTime) : NaN;
  if (typeof accessToken !== 'string' || !Number.isFinite(expiresAt))
    throw new TokenTrayError('PROVIDER_ERROR', 'IAM Credentials answered generateAccessToken without accessToken and expireTime.');
  assertIssuedTokens('IAM Credentials', { accessToken });
  return { token: accessToken, expiresAt };
}

/** IAM Credentials `generateIdToken`: an ID token of the service account for any audience. */
export async function generateIdToken(
  base: string,
  sourceToken: string,
  chain: ImpersonationChain,
  audience: string,
  includeEmail: boolean,
): Promise<CachedToken> {
  const what = `generating an ID token for ${audience}`;
  const res = await googleRequest(
    `${base}/v1/${resource(encodeURIComponent(chain.target))}:generateIdToken`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${sourceToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ audience, delegates: chain.delegates.map(resource), includeEmail }),
    },
    what,
  );
  if (res.status !== 200) throw failure(chain, what, res);
  const { token } = res.body;
  // jose only here: parsing a chain (every metadata-server request) does not need it.
  const { decodeJwt } = await import('jose');
  let expiresAt: number | undefined;
  try {
    const { exp } = decodeJwt(String(token));
    expiresAt = typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    expiresAt = undefined;
  }
  if (typeof token !== 'string' || expiresAt === undefined)
    throw new TokenTrayError('PROVIDER_ERROR', 'IAM Credentials answered generateIdToken without a token.');
  assertIssuedTokens('IAM Credentials', { idToken: token });
  return { token, expiresAt };
}
