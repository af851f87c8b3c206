/**
 * The one rule for where TokenTray sends secrets: https, or plain http only to this machine, and
 * never a URL with a user name or password in it. Every URL is parsed once, by the WHATWG parser
 * that fetch, openid-client and Chromium use, so the host checked is the host connected to.
 */

/** The URL as the WHATWG parser reads it, or undefined when it is not one. */
export function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * A hostname as the URL parser gives it (lower case, IPv4 in dotted decimal, IPv6 in brackets) that
 * names this machine: `localhost`, 127.0.0.0/8 or `[::1]`. `localhost.` is not: a resolver may
 * send a name with a trailing dot to DNS.
 */
export function isLoopbackHostname(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(hostname);
}

/**
 * A host written outside a URL (curl's --resolve, --connect-to, a proxy) that names this machine,
 * as the URL parser would write it; other spellings (`127.1`, `0x7f.0.0.1`) are not trusted, since
 * the program that reads them may not read them the same way.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  const inUrl = bare.includes(':') ? `[${bare}]` : bare;
  const url = parseUrl(`http://${inUrl}/`);
  return url !== undefined && url.hostname === inUrl.toLowerCase() && isLoopbackHostname(url.hostname);
}

export function isLoopbackUrl(url: URL): boolean {
  return isLoopbackHostname(url.hostname);
}

export function hasCredentials(url: URL): boolean {
  return url.username !== '' || url.password !== '';
}

/** Plain http may go to this machine only. */
export function mayUsePlainHttp(url: URL): boolean {
  return url.protocol === 'http:' && isLoopbackUrl(url);
}

/** Why a URL may not receive secrets, or undefined when it may. */
export type EndpointProblem = 'not-a-url' | 'credentials' | 'insecure';

export function endpointProblem(value: string | URL): EndpointProblem | undefined {
  const url = typeof value === 'string' ? parseUrl(value) : value;
  if (!url) return 'not-a-url';
  if (hasCredentials(url)) return 'credentials';
  if (url.protocol === 'https:' || mayUsePlainHttp(url)) return undefined;
  return 'insecure';
}

/** An endpoint TokenTray may send tokens, codes or secrets to. */
export function isAllowedEndpoint(value: string | URL): boolean {
  return endpointProblem(value) === undefined;
}
