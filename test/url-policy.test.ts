import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isAllowedExternalUrl } from '../electron/app/window-policy.js';
import { CONSOLE_ORIGIN } from '../electron/core/google/console-url.js';
import { checkedEndpoint } from '../electron/core/google/google-http.js';
import { checkCurlArgs } from '../electron/core/integrations/curl-args.js';
import { checkEndpoints } from '../electron/core/oauth/oidc.js';
import { resolveProviderProfile } from '../electron/core/oauth/provider-profile.js';
import { TokenTrayError } from '../electron/core/shared/errors.js';
import { isAllowedEndpoint, isLoopbackHost, isLoopbackUrl, parseUrl } from '../electron/core/shared/url-policy.js';

const HOME = '/home/u/.config/TokenTray';

/** Whether `f` accepts; a TokenTrayError is a refusal, anything else a bug. */
function accepts(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch (err) {
    if (err instanceof TokenTrayError) return false;
    throw err;
  }
}

/** The verdict of every place that decides whether a URL may receive a secret. */
function verdicts(url: string) {
  return {
    googleEndpoint: accepts(() => checkedEndpoint(url, 'The URL')),
    discoveredEndpoint: accepts(() => checkEndpoints('http://127.0.0.1:1', { issuer: 'http://127.0.0.1:1', token_endpoint: url })),
    issuer: accepts(() => resolveProviderProfile(url)),
    browser: isAllowedExternalUrl(url, HOME),
    curl: accepts(() => checkCurlArgs([url], {}, false)),
  };
}

/** Checks that every caller agrees with the one policy (the issuer and curl refuse more, never less). */
function assertAgree(url: string): ReturnType<typeof verdicts> {
  const v = verdicts(url);
  const allowed = isAllowedEndpoint(url);
  const parsed = parseUrl(url);
  const shown = JSON.stringify(url);
  assert.equal(v.googleEndpoint, allowed, `google endpoint ${shown}`);
  assert.equal(v.discoveredEndpoint, allowed, `discovered endpoint ${shown}`);
  // An issuer must also carry no query or fragment.
  assert.equal(v.issuer, allowed && !parsed!.search && !parsed!.hash, `issuer ${shown}`);
  // The browser: the https part of the policy, no loopback (a one-time address in public argv), and the Console only.
  assert.equal(v.browser, allowed && parsed!.protocol === 'https:' && !isLoopbackUrl(parsed!) && parsed!.origin === CONSOLE_ORIGIN, `browser ${shown}`);
  // curl refuses what its parser and the URL parser could read differently; what it takes, the policy takes.
  if (v.curl) assert.ok(allowed, `curl took ${shown}`);
  if (allowed && url === parsed!.href && !/[%{}[\]@]/.test(url)) assert.equal(v.curl, true, `curl refused the plain ${shown}`);
  return v;
}

const TRICKY = [
  'http://127.0.0.1.invalid/',
  'http://127.0.0.1.invalid',
  'http://[::1]',
  'http://[::1]:8080/x',
  'http://0x7f.1/',
  'http://127.1/',
  'http://localhost./',
  'http://localhost/',
  'http://LOCALHOST:80/',
  'HTTP://127.0.0.1/',
  'HtTpS://example.invalid/',
  'http://u@127.0.0.1/',
  'http://u:p@localhost/',
  'https://:p@example.invalid/',
  'http://%2e/',
  'http://127.0.0.1%2e/',
  'http://127.0.0%2e1/',
  'http://%6cocalhost/',
  'http://127.0.0.1\\@example.invalid/',
  'http://example.invalid\\@127.0.0.1/',
  'http://127.0.0.1\t/',
  'http://127.0.0.1\n.invalid/',
  'http://12\t7.0.0.1/',
  '\thttp://127.0.0.1/',
  'http://2130706433/',
  'http://0177.0.0.1/',
  'http://127.0.0.255/',
  'http://128.0.0.1/',
  'http://[::ffff:127.0.0.1]/',
  'http://[0:0:0:0:0:0:0:1]/',
  'http://[::2]/',
  'https://127.0.0.1/',
  'https://localhost/x',
  'https://[::1]/',
  'ftp://127.0.0.1/',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'http:127.0.0.1',
  'http:/127.0.0.1/',
  'http:\\\\127.0.0.1\\',
  'https://accounts.google.com/o/oauth2/token',
  'http://accounts.google.com/',
  'https://console.cloud.google.com/apis/credentials',
  'https://CONSOLE.cloud.google.com:443/',
  'https://console.cloud.google.com./',
  'https://console.cloud.google.com%2e/',
  'https://console.cloud.google.com.invalid/',
  'https://u@console.cloud.google.com/',
  'http://console.cloud.google.com/',
  'nonsense',
  '',
];

describe('one URL policy, the same answer everywhere (issue 19 §3)', () => {
  it('names the loopback hosts in URLs, and only those', () => {
    const expected: Record<string, boolean> = {
      'http://127.0.0.1.invalid/': false,
      'http://[::1]': true,
      'http://0x7f.1/': true,
      'http://127.1/': true,
      'http://localhost./': false,
      'http://u@127.0.0.1/': false,
      'HTTP://127.0.0.1/': true,
      'http://%6cocalhost/': true,
      'http://127.0.0.1\\@example.invalid/': true,
      'http://example.invalid\\@127.0.0.1/': false,
      'http://127.0.0.1\t/': true,
      'http://[::ffff:127.0.0.1]/': false,
      'ftp://127.0.0.1/': false,
    };
    for (const [url, allowed] of Object.entries(expected)) assert.equal(isAllowedEndpoint(url), allowed, url);
  });

  it('trusts hosts written outside a URL only as the URL parser writes them', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', 'localhost', 'LOCALHOST', '::1', '[::1]']) assert.equal(isLoopbackHost(host), true, host);
    for (const host of [
      '127.1',
      '0x7f.0.0.1',
      '2130706433',
      'localhost.',
      '127.0.0.1.invalid',
      '127.0.0.1:80',
      'u@127.0.0.1',
      '127.0.0.1/x',
      '[::2]',
      '',
      '%6cocalhost',
    ]) {
      assert.equal(isLoopbackHost(host), false, host);
    }
  });

  it('every caller agrees on the tricky cases', () => {
    for (const url of TRICKY) assertAgree(url);
  });

  it('every caller agrees on generated URLs', () => {
    const scheme = fc.constantFrom('http', 'https', 'HTTP', 'HttPs', 'ftp', 'ws', 'file');
    const user = fc.constantFrom('', 'u@', 'u:p@', ':@', '@');
    const host = fc.constantFrom(
      '127.0.0.1',
      '127.1',
      '0x7f.1',
      '127.0.0.1.invalid',
      'localhost',
      'localhost.',
      'LocalHost',
      '[::1]',
      '[::ffff:127.0.0.1]',
      '[0::1]',
      'example.invalid',
      '%6cocalhost',
      '127.0.0.%31',
      '127.255.255.254',
      '126.0.0.1',
      '2130706433',
      '0177.0.0.1',
      'localhost%2e',
      '127.0.0.1%2e',
      '%2e',
      'xn--lcalhost-9za',
      'console.cloud.google.com',
      'Console.Cloud.Google.com',
      'console.cloud.google.com.',
      'console%2ecloud.google.com',
    );
    const port = fc.constantFrom('', ':80', ':443', ':8443', ':0', ':');
    const rest = fc.constantFrom('', '/', '/a/b', '/%2e%2e/x', '\\x', '?q=1', '#f', '\\@example.invalid/', '@example.invalid');
    const junk = fc.constantFrom('\t', '\n', '\r', ' ', '\\', '/', '');
    const url = fc.tuple(scheme, fc.constantFrom('://', ':/', ':\\\\', ':'), user, host, port, rest, junk, fc.nat()).map(([s, sep, u, h, p, r, j, at]) => {
      const whole = `${s}${sep}${u}${h}${p}${r}`;
      const i = at % (whole.length + 1);
      return whole.slice(0, i) + j + whole.slice(i);
    });
    let opened = 0;
    fc.assert(
      fc.property(url, (u) => {
        if (assertAgree(u).browser) opened++;
      }),
      { numRuns: 3000 },
    );
    assert.ok(opened > 0, 'some generated URLs are Console pages the browser may open');
  });
});
