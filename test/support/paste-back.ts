import { HttpBrowser } from './http-browser.js';
import type { TestIdp } from './idp.js';

/** `login`'s flags for the test IdP acting as Google. */
export function googleLoginFlags(idp: TestIdp): string[] {
  return ['--issuer', idp.issuer, '--flavor', 'google', '--client-id', idp.client.clientId, '--client-secret', idp.client.clientSecret];
}

/**
 * The browser on "another computer" of a paste-back sign-in: signs `user` in at the printed
 * authorization URL and stops where the redirect to 127.0.0.1 cannot load. Returns that URL (what
 * the user pastes back) and the redirect it was sent to.
 */
export async function browseElsewhere(authorizationUrl: string, user: string): Promise<{ pasted: URL; redirect: URL }> {
  const redirect = new URL(new URL(authorizationUrl).searchParams.get('redirect_uri')!);
  const last = await new HttpBrowser(user).visit(authorizationUrl, { stopBefore: redirect.origin });
  return { pasted: new URL(last.url), redirect };
}
