import { decodeJwt } from 'jose';
import type { AccountRecord } from '../../electron/core/accounts/account-registry.js';
import type { Core } from '../../electron/core/core.js';
import { resolveProviderProfile } from '../../electron/core/oauth/provider-profile.js';
import { signIn } from '../../electron/core/oauth/sign-in.js';
import { HttpBrowser } from './http-browser.js';
import type { TestIdp } from './idp.js';

/** Signs `user` in through the core, the browser step played by HttpBrowser. */
export async function signInThroughCore(core: Core, idp: TestIdp, user: string, scopes?: string[]): Promise<AccountRecord> {
  const profile = resolveProviderProfile(idp.issuer, idp.mode);
  const result = await signIn({
    profile,
    client: idp.client,
    loginHint: user,
    home: core.home,
    ...(scopes ? { scopes } : {}),
    presentAuthorization({ startUrl }) {
      // Not awaited: the browser's last request waits for the code exchange that follows.
      void new HttpBrowser(user).visit(startUrl);
    },
  });
  return core.accounts.saveSignIn(profile, idp.client, result);
}

/**
 * `tokentray login` against the test IdP with its client, the browser step left to the test
 * (`--no-browser`: the URL is printed). `flavor` adds `--flavor` with the IdP's mode.
 */
export function loginArgs(idp: TestIdp, options: { flavor?: boolean; timeoutSeconds?: number } = {}): string[] {
  return [
    'login',
    '--issuer',
    idp.issuer,
    ...(options.flavor ? ['--flavor', idp.mode] : []),
    '--client-id',
    idp.client.clientId,
    '--client-secret',
    idp.client.clientSecret,
    '--no-browser',
    '--timeout',
    String(options.timeoutSeconds ?? 30),
  ];
}

export async function revokeAtIdp(idp: TestIdp, token: string): Promise<void> {
  const res = await fetch(`${idp.issuer}/token/revocation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, client_id: idp.client.clientId, client_secret: idp.client.clientSecret }),
  });
  if (!res.ok) throw new Error(`revocation answered ${res.status}`);
}

export function decodeJwtPayload(jwt: string): Record<string, unknown> {
  return decodeJwt(jwt);
}

/** Makes the account's cached tokens look expired to every process (the cache is in the keychain). */
export async function expireCache(core: Core, accountId: string): Promise<void> {
  const cache = await core.accounts['vault'].getTokenCache(accountId);
  for (const t of Object.values(cache.access)) t.expiresAt = Date.now() - 1000;
  if (cache.id) cache.id.expiresAt = Date.now() - 1000;
  await core.accounts['vault'].setTokenCache(accountId, cache);
}
