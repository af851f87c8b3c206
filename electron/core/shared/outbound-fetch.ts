/**
 * The one way TokenTray talks to the network. With HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either
 * case) in the environment, requests go through undici's own environment proxy agent (CONNECT for
 * https, `user:password@` sent as Proxy-Authorization); without them, through Node's fetch as
 * before. A proxy that refuses or is down becomes PROXY_UNREACHABLE, naming it without credentials.
 */
import type { Dispatcher } from 'undici';
import { TokenTrayError } from './errors.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface ProxySettings {
  /** Proxy for https: URLs (HTTPS_PROXY, else HTTP_PROXY), shown as scheme://host:port. */
  https?: string;
  /** Proxy for http: URLs (HTTP_PROXY). */
  http?: string;
  noProxy?: string;
}

function pick(env: Env, name: string): string | undefined {
  const value = env[name.toLowerCase()] ?? env[name];
  return value ? value : undefined;
}

/** What the environment asks for, in the order undici's EnvHttpProxyAgent reads it. */
function proxySettings(env: Env = process.env): ProxySettings {
  const http = pick(env, 'HTTP_PROXY');
  return { http, https: pick(env, 'HTTPS_PROXY') ?? http, noProxy: pick(env, 'NO_PROXY') };
}

/** scheme://host:port of a proxy URL, never its user or password. */
function describeProxy(proxy: string): string {
  try {
    const url = new URL(proxy);
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    return `${url.protocol}//${url.hostname}:${port}`;
  } catch {
    return 'the proxy in HTTPS_PROXY/HTTP_PROXY (not a valid URL)';
  }
}

let dispatcher: { key: string; agent: Dispatcher } | undefined;

// Loaded only when a proxy is set: undici costs every CLI call about 100 ms to load.
const undici = () => import('undici');

/** One agent per proxy configuration (the environment may change between tests, not in a run). */
function proxyDispatcher(settings: ProxySettings, { EnvHttpProxyAgent }: Awaited<ReturnType<typeof undici>>): Dispatcher {
  const key = JSON.stringify(settings);
  if (dispatcher?.key !== key) {
    // undici marks the agent experimental with a process warning, which would land on the CLI's
    // stderr on every run; the agent itself is what we want.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was, on process
    const emit = process.emitWarning;
    process.emitWarning = () => undefined;
    try {
      dispatcher = { key, agent: new EnvHttpProxyAgent({ httpProxy: settings.http ?? '', httpsProxy: settings.https ?? '', noProxy: settings.noProxy ?? '' }) };
    } finally {
      process.emitWarning = emit;
    }
  }
  return dispatcher.agent;
}

/** Words for the verbose log: the proxy in use (host and port only) and what bypasses it. */
export function proxyLogLine(settings: ProxySettings = proxySettings()): string | undefined {
  if (!settings.https && !settings.http) return undefined;
  const parts = [];
  if (settings.https) parts.push(`https via proxy ${describeProxy(settings.https)}`);
  if (settings.http) parts.push(`http via proxy ${describeProxy(settings.http)}`);
  if (settings.noProxy) parts.push(`except NO_PROXY hosts (${settings.noProxy})`);
  return `HTTP: ${parts.join(', ')}`;
}

function causeChain(err: unknown): Array<Error & { code?: string; address?: string; port?: number }> {
  const out = [];
  let e: unknown = err;
  for (let i = 0; e instanceof Error && i < 5; i++, e = (e as { cause?: unknown }).cause) out.push(e);
  return out;
}

/**
 * The proxy's failure, if this failure was the proxy's: it answered the CONNECT with something other
 * than 200 (407, 403, 502…), or it refused the connection or could not be found.
 */
function proxyFailure(err: unknown, url: string | URL, settings: ProxySettings = proxySettings()): TokenTrayError | undefined {
  const proxy = new URL(String(url)).protocol === 'https:' ? settings.https : settings.http;
  if (!proxy) return undefined;
  const shown = describeProxy(proxy);
  let proxyUrl: URL | undefined;
  try {
    proxyUrl = new URL(proxy);
  } catch {
    return new TokenTrayError(
      'PROXY_UNREACHABLE',
      `The proxy setting is not a valid URL, so ${new URL(String(url)).origin} could not be reached. Set HTTPS_PROXY to a URL such as http://proxy.example:3128.`,
      { cause: err },
    );
  }
  for (const e of causeChain(err)) {
    const refused = /Proxy response \((\d+)\)/.exec(e.message);
    if (refused) {
      return new TokenTrayError(
        'PROXY_UNREACHABLE',
        `The proxy ${shown} refused to connect to ${new URL(String(url)).origin} (HTTP ${refused[1]}${refused[1] === '407' ? ', proxy authentication required' : ''}).`,
        { cause: err, facts: { remedy: 'check-proxy' } },
      );
    }
    const port = Number(proxyUrl.port || (proxyUrl.protocol === 'https:' ? 443 : 80));
    const atProxy = (e.port === port && e.address !== undefined) || (e as { hostname?: string }).hostname === proxyUrl.hostname;
    if (atProxy && /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|EHOSTUNREACH|ETIMEDOUT/.test(e.code ?? '')) {
      return new TokenTrayError('PROXY_UNREACHABLE', `Could not reach the proxy ${shown} (${e.code}) while connecting to ${new URL(String(url)).origin}.`, {
        cause: err,
        facts: { remedy: 'check-proxy' },
      });
    }
  }
  return undefined;
}

/** fetch, through the environment's proxy when one is set. Proxy failures are coded here. */
export async function outboundFetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
  const settings = proxySettings();
  if (!settings.https && !settings.http) return fetch(url, init);
  const loaded = await undici();
  try {
    // undici's Response is the same class of object as Node's (boundResponse rebuilds a global one).
    return await loaded.fetch(url, { ...(init as object), dispatcher: proxyDispatcher(settings, loaded) });
  } catch (err) {
    throw proxyFailure(err, url, settings) ?? err;
  }
}
