import { TokenTrayError } from '../shared/errors.js';
import { displaySafe } from '../shared/sanitize.js';
import { isLoopbackHost, isLoopbackHostname, parseUrl } from '../shared/url-policy.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The curl options `tokentray curl` passes on, by long name, with whether they take a value (curl
 * 7.88's arity). Everything else is refused: an option TokenTray does not know could read URLs or
 * configuration it cannot check, or send the header somewhere else.
 */
const WITH_VALUE = new Set([
  'output',
  'write-out',
  'request',
  'header',
  'data',
  'data-raw',
  'data-binary',
  'data-ascii',
  'data-urlencode',
  'json',
  'form',
  'form-string',
  'user-agent',
  'referer',
  'cookie',
  'cookie-jar',
  'max-time',
  'connect-timeout',
  'retry',
  'retry-delay',
  'retry-max-time',
  'upload-file',
  'max-redirs',
  'limit-rate',
  'range',
  'continue-at',
  'url',
  'proxy',
  'preproxy',
  'socks4',
  'socks4a',
  'socks5',
  'socks5-hostname',
  'noproxy',
  'connect-to',
  'resolve',
  'cacert',
  'capath',
  'cert',
  'cert-type',
  'key',
  'key-type',
  'dump-header',
  'output-dir',
  'time-cond',
  'etag-save',
  'etag-compare',
  'unix-socket',
  'abstract-unix-socket',
  'max-filesize',
  'speed-limit',
  'speed-time',
  'expect100-timeout',
  'proxy-header',
  'proxy-cacert',
  'keepalive-time',
  'interface',
]);
const BOOLEAN = new Set([
  'silent',
  'show-error',
  'verbose',
  'include',
  'head',
  'location',
  'fail',
  'fail-with-body',
  'insecure',
  'globoff',
  'compressed',
  'remote-name',
  'remote-header-name',
  'create-dirs',
  'get',
  'ipv4',
  'ipv6',
  'http1.0',
  'http1.1',
  'http2',
  'http2-prior-knowledge',
  'progress-meter',
  'progress-bar',
  'buffer',
  'retry-all-errors',
  'retry-connrefused',
  'fail-early',
  'path-as-is',
  'raw',
  'junk-session-cookies',
  'remote-time',
  'proxytunnel',
  'proxy-insecure',
  'tlsv1.2',
  'tlsv1.3',
  'ssl-reqd',
  'keepalive',
  'tcp-nodelay',
  'disable',
  'styled-output',
]);
const SHORT: Record<string, string> = {
  s: 'silent',
  S: 'show-error',
  v: 'verbose',
  i: 'include',
  I: 'head',
  L: 'location',
  f: 'fail',
  k: 'insecure',
  g: 'globoff',
  O: 'remote-name',
  J: 'remote-header-name',
  G: 'get',
  '4': 'ipv4',
  '6': 'ipv6',
  '0': 'http1.0',
  '#': 'progress-bar',
  N: 'buffer',
  R: 'remote-time',
  p: 'proxytunnel',
  j: 'junk-session-cookies',
  q: 'disable',
  o: 'output',
  w: 'write-out',
  X: 'request',
  H: 'header',
  d: 'data',
  F: 'form',
  A: 'user-agent',
  e: 'referer',
  b: 'cookie',
  c: 'cookie-jar',
  m: 'max-time',
  T: 'upload-file',
  r: 'range',
  C: 'continue-at',
  x: 'proxy',
  E: 'cert',
  D: 'dump-header',
  z: 'time-cond',
  Y: 'speed-limit',
  y: 'speed-time',
};
/** Options refused with a reason of their own (the rest: "not one TokenTray passes on"). */
const REFUSED: Record<string, string> = {
  config: 'it reads options and URLs from a file TokenTray cannot check',
  K: 'it reads options and URLs from a file TokenTray cannot check',
  'location-trusted': 'it sends the header to any host a redirect names, over any scheme',
  next: 'it starts options TokenTray does not apply its checks to',
  trace: 'it writes the header, token and all, to a file',
  'trace-ascii': 'it writes the header, token and all, to a file',
  stderr: "with curl's verbose output it writes the header, token and all, to a file",
};

/** What curl was asked to do, as far as where the header goes is concerned. */
export interface CurlArgs {
  urls: string[];
  /** Values of the options that take one, by long name, in order. */
  values: Map<string, string[]>;
  flags: Set<string>;
}

function refuse(option: string): never {
  const why = REFUSED[option.replace(/^-+/, '')];
  throw new TokenTrayError(
    'CURL_OPTION_REFUSED',
    why
      ? `curl's ${displaySafe(option)} is refused: ${why}.`
      : `curl's ${displaySafe(option)} is not one TokenTray passes on: it cannot check where an option it does not know sends the token.`,
  );
}

/** Reads curl's arguments as curl does: every argument that is not an option or an option's value is a URL. */
export function parseCurlArgs(args: readonly string[]): CurlArgs {
  const parsed: CurlArgs = { urls: [], values: new Map(), flags: new Set() };
  const take = (name: string, value: string | undefined, shown: string) => {
    if (value === undefined) throw new TokenTrayError('CURL_OPTION_REFUSED', `curl's ${displaySafe(shown)} needs a value.`);
    parsed.values.set(name, [...(parsed.values.get(name) ?? []), value]);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      parsed.urls.push(...args.slice(i + 1)); // curl: everything after -- is a URL
      break;
    }
    if (arg.startsWith('--')) {
      // curl knows no --name=value: the whole argument is the name.
      const name = arg.slice(2);
      const bool = name.startsWith('no-') && BOOLEAN.has(name.slice(3)) ? name.slice(3) : name;
      if (BOOLEAN.has(bool)) parsed.flags[bool === name ? 'add' : 'delete'](bool);
      else if (WITH_VALUE.has(name)) take(name, args[++i], arg);
      else refuse(arg);
    } else if (arg.startsWith('-') && arg.length > 1) {
      // Short options combine (-sSL); one that takes a value takes the rest of the argument, else the next.
      for (let j = 1; j < arg.length; j++) {
        const name = SHORT[arg[j]];
        if (name === undefined) refuse(`-${arg[j]}`);
        if (BOOLEAN.has(name)) parsed.flags.add(name);
        else {
          take(name, j + 1 < arg.length ? arg.slice(j + 1) : args[++i], `-${arg[j]}`);
          break;
        }
      }
    } else parsed.urls.push(arg);
  }
  for (const url of parsed.values.get('url') ?? []) parsed.urls.push(url);
  return parsed;
}

function ambiguous(url: string, why: string): never {
  throw new TokenTrayError('AMBIGUOUS_URL', `"${displaySafe(url)}" is refused: ${why}, which curl and TokenTray could read as different hosts.`);
}

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

/**
 * The scheme and host curl connects to, read so that both parsers must agree: only printable ASCII
 * without `\`, no user name in the URL, no globbing (unless -g), and Node's URL parser must find the
 * same host as the plain split curl makes. A URL without a scheme is curl's http.
 */
export function curlTarget(url: string, globoff: boolean): { scheme: string; host: string } {
  if (!/^[\x21-\x7e]+$/.test(url)) ambiguous(url, 'it has spaces, control or non-ASCII characters');
  if (url.includes('\\')) ambiguous(url, 'it has a backslash');
  const scheme = SCHEME.exec(url);
  // curl takes `name:` for a scheme only when a slash follows; then it must be `name://host`.
  const explicit = scheme !== null && url[scheme[0].length] === '/';
  if (explicit && !/^[a-z][a-z0-9+.-]*:\/\/[^/]/i.test(url)) ambiguous(url, 'its scheme is not followed by exactly two slashes and a host');
  const rest = explicit ? url.slice(url.indexOf('//') + 2) : url;
  const authority = /^[^/?#]*/.exec(rest)![0];
  if (authority.includes('@')) ambiguous(url, 'it has a user name in it');
  if (authority.includes('%')) ambiguous(url, 'its host is percent-encoded');
  const ipv6 = /^\[[0-9a-f:.]+\]/i.exec(authority)?.[0];
  const unglobbed = ipv6 ? url.replace(ipv6, '') : url;
  if (!globoff && /[{}[\]]/.test(unglobbed)) ambiguous(url, 'it has curl globbing ({} or []; give -g to send them as they are)');
  const host = (ipv6 ?? authority.replace(/:[^:]*$/, '')).toLowerCase();
  let parsed: URL;
  try {
    parsed = new URL(explicit ? url : `http://${url}`);
  } catch {
    ambiguous(url, 'it is not a URL TokenTray can read');
  }
  if (parsed.hostname !== host) ambiguous(url, `TokenTray reads its host as ${displaySafe(parsed.hostname)}, curl as ${displaySafe(host)}`);
  return { scheme: explicit ? scheme[1].toLowerCase() : 'http', host };
}

/**
 * The host a proxy value names (`[scheme://][user@]host[:port]`) is loopback, read by both the URL
 * parser and as written, so that a spelling only one of them takes for this machine is not.
 */
function proxyIsLoopback(value: string): boolean {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  const url = parseUrl(withScheme);
  const authority = /^[^/?#]*/.exec(withScheme.slice(withScheme.indexOf('//') + 2))![0];
  const written = authority.slice(authority.lastIndexOf('@') + 1).replace(/:\d*$/, '');
  return url !== undefined && isLoopbackHostname(url.hostname) && isLoopbackHost(written);
}

/** `--connect-to H:P:HOST:PORT` and `--resolve [+]H:P:ADDR[,ADDR…]`: every address they send to is loopback. */
function rerouteIsLoopback(option: 'connect-to' | 'resolve', value: string): boolean {
  // Split on the colons outside [ipv6] brackets.
  const parts = value.split(/:(?![^[]*\])/);
  if (option === 'connect-to') {
    if (parts.length !== 4) return false;
    return parts[2] === '' || isLoopbackHost(parts[2]); // empty: the URL's own host, already checked
  }
  if (parts.length < 3) return false;
  return parts
    .slice(2)
    .join(':')
    .split(',')
    .every((addr) => isLoopbackHost(addr.trim()));
}

/**
 * Whether curl's no-proxy list (`--noproxy`, else no_proxy, else NO_PROXY) sends `host` (a loopback
 * host from curlTarget) direct. curl 7.88's rule, or less: `*` alone matches all; a name matches
 * itself and its subdomains, dots at either end of the entry ignored; an address only itself
 * (curl also takes CIDR ranges, which TokenTray does not, so it checks the proxy instead).
 */
function bypassesProxy(host: string, args: CurlArgs, env: Env): boolean {
  const list = args.values.get('noproxy')?.at(-1) ?? env.no_proxy ?? env.NO_PROXY ?? '';
  if (list === '*') return true;
  const address = host.startsWith('[') || /^[\d.]+$/.test(host);
  const name = host.replace(/^\[(.*)\]$/, '$1');
  return list.split(/[ \t,]+/).some((entry) => {
    if (address) return entry !== '' && entry === name;
    const domain = entry.replace(/\.$/, '').replace(/^\./, '').toLowerCase();
    return domain !== '' && (name === domain || name.endsWith(`.${domain}`));
  });
}

/**
 * The proxies curl would use for a URL: its options, else <scheme>_proxy / ALL_PROXY (curl reads
 * http_proxy in lower case only), none when the no-proxy list names the host.
 */
function proxiesFor(target: { scheme: string; host: string }, args: CurlArgs, env: Env, only: 'all' | 'named' = 'all'): { name: string; value: string }[] {
  if (bypassesProxy(target.host, args, env)) return [];
  const named = ['proxy', 'preproxy', 'socks4', 'socks4a', 'socks5', 'socks5-hostname'].flatMap((name) =>
    (args.values.get(name) ?? []).filter((v) => v !== '').map((value) => ({ name: `--${name}`, value })),
  );
  if (
    only === 'named' ||
    args.values.has('proxy') ||
    args.values.has('socks4') ||
    args.values.has('socks4a') ||
    args.values.has('socks5') ||
    args.values.has('socks5-hostname')
  )
    return named;
  const variables = target.scheme === 'https' ? ['https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY'] : ['http_proxy', 'all_proxy', 'ALL_PROXY'];
  const fromEnv = variables.find((name) => env[name]);
  return fromEnv ? [...named, { name: fromEnv, value: env[fromEnv]! }] : named;
}

/**
 * The rule for `tokentray curl`: the token goes over https, or as plain http only to this machine,
 * and "this machine" is where the bytes actually go: the URL's host, every proxy curl would use,
 * and every --connect-to / --resolve. With -k (--insecure) https checks no certificate, so a
 * reroute or proxy could take the token anywhere: such a URL gets the plain-http rule. With a CA of
 * the command's own (--cacert, --capath) https proves only what that CA signed, so a reroute or a
 * proxy named on the command line may not leave this machine either; the environment's proxies
 * stay allowed (a TLS-inspecting corporate proxy comes with its own CA).
 * --allow-insecure-http lifts the plain-http rule only.
 */
export function checkCurlArgs(args: readonly string[], env: Env, allowInsecureHttp: boolean): CurlArgs {
  const parsed = parseCurlArgs(args);
  const globoff = parsed.flags.has('globoff');
  const unverified = parsed.flags.has('insecure');
  const plain: Target[] = [];
  for (const url of parsed.urls) {
    const target = curlTarget(url, globoff);
    if (target.scheme === 'https' && !unverified) continue;
    if (target.scheme !== 'http' && target.scheme !== 'https')
      throw new TokenTrayError('INSECURE_URL', `TokenTray sends the token over https (or http to this machine) only, not ${displaySafe(target.scheme)}.`);
    if (!isLoopbackHostname(target.host) && !allowInsecureHttp) {
      const how = target.scheme === 'https' ? 'https without certificate checks' : 'plain http';
      throw new TokenTrayError(
        'INSECURE_URL',
        `${displaySafe(target.host)} is not this machine and the URL is ${how}: the token would cross the network unprotected.`,
        { facts: { remedy: 'allow-insecure-http' } },
      );
    }
    plain.push(target);
  }
  if (allowInsecureHttp) return parsed;
  const ownCa = !unverified && (parsed.values.has('cacert') || parsed.values.has('capath'));
  const vouched = ownCa ? parsed.urls.map((url) => curlTarget(url, globoff)).filter((t) => t.scheme === 'https') : [];
  checkRoutes(parsed, env, plain, vouched);
  return parsed;
}

type Target = { scheme: string; host: string };
const OWN_CA = 'https URL checked only against a CA the command brings';

/**
 * Where the bytes of weakly protected URLs go: `plain` (http, or https with -k) through no proxy
 * and no reroute off this machine; `vouched` (https against the command's own CA) through no
 * proxy named on the command line and no reroute off this machine.
 */
function checkRoutes(parsed: CurlArgs, env: Env, plain: readonly Target[], vouched: readonly Target[]): void {
  if (plain.length === 0 && vouched.length === 0) return;
  const unverified = parsed.flags.has('insecure');
  const risk = (target: Target) =>
    target.scheme === 'http' || unverified ? 'the token would cross the network unprotected' : 'the token could reach any server that CA vouches for';
  for (const [targets, only] of [
    [plain, 'all'],
    [vouched, 'named'],
  ] as const) {
    for (const target of targets) {
      const what = target.scheme === 'http' ? 'plain-http URL' : unverified ? 'https URL without certificate checks' : OWN_CA;
      for (const { name, value } of proxiesFor(target, parsed, env, only)) {
        if (!proxyIsLoopback(value))
          throw new TokenTrayError('INSECURE_URL', `A ${what} would go through the proxy of ${name}, which is not this machine: ${risk(target)}.`);
      }
    }
  }
  const what = plain.length > 0 ? (unverified ? 'URL without certificate checks' : 'plain-http URL') : OWN_CA;
  for (const option of ['connect-to', 'resolve'] as const) {
    for (const value of parsed.values.get(option) ?? []) {
      if (!rerouteIsLoopback(option, value))
        throw new TokenTrayError('INSECURE_URL', `--${option} ${displaySafe(value)} sends a ${what} to another machine: ${risk(plain[0] ?? vouched[0])}.`);
    }
  }
}
