import { isAbsolute, join, normalize, relative } from 'node:path';
import { CONSOLE_ORIGIN } from '../core/google/console-url.js';
import { isStartPageUrl } from '../core/oauth/start-page.js';
import { TokenTrayError } from '../core/shared/errors.js';
import { hasCredentials, parseUrl } from '../core/shared/url-policy.js';

/** The window's content is served from this privileged custom scheme, never from a remote URL. */
export const APP_SCHEME = 'app';
const APP_HOST = 'tokentray';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

/** Only our own scripts and styles; no network, no frames, no plugins, no form posts. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** The window's webPreferences, per the Electron security checklist. */
export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    safeDialogs: true,
  } as const;
}

/**
 * `scheme://host[:port]` of a URL. Node's URL gives custom schemes an opaque origin ("null"), while
 * Chromium treats our registered standard scheme like https; compare the parts instead.
 */
function originOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.host ? `${u.protocol}//${u.host}` : undefined;
  } catch {
    return undefined;
  }
}

/** The window never navigates away from its own entry page. */
export function isAllowedNavigation(url: string): boolean {
  return originOf(url) === APP_ORIGIN && new URL(url).pathname === '/index.html';
}

/**
 * What may be handed to the system browser: the Cloud Console's pages (the first-run guide, and
 * the Console as an account), and this home's private sign-in start pages (see
 * core/oauth/start-page.ts; they go on to the issuer). No other page, even https: a link that
 * reached here by a bug elsewhere does not open an attacker's page. Nothing with credentials in
 * it, and no loopback address (the Console's origin is none): an opener's arguments are public,
 * and a one-time address there could be fetched first by another local user.
 */
export function isAllowedExternalUrl(url: string, home: string): boolean {
  return isStartPageUrl(url, home) || consolePage(url) !== undefined;
}

/**
 * The URL to hand the browser, else EXTERNAL_URL_REFUSED. A Console page goes as this parser
 * wrote it back, so that the opener reads the address that was checked, not its own reading of
 * the original (backslashes, tabs, a trailing dot).
 */
export function checkedExternalUrl(url: string, home: string): string {
  if (isStartPageUrl(url, home)) return url;
  const page = consolePage(url);
  if (!page) throw new TokenTrayError('EXTERNAL_URL_REFUSED', 'TokenTray opens only Cloud Console pages and its own sign-in pages in the browser.');
  return page.href;
}

function consolePage(url: string): URL | undefined {
  const u = parseUrl(url);
  return u !== undefined && u.protocol === 'https:' && u.origin === CONSOLE_ORIGIN && !hasCredentials(u) ? u : undefined;
}

/** Maps an app:// request to a file inside the renderer folder, or null (no escaping it). */
export function resolveAppFile(rendererDir: string, requestUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return null;
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  const file = normalize(join(rendererDir, path === '/' ? 'index.html' : path));
  const rel = relative(rendererDir, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
  return file;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export function mimeTypeFor(file: string): string {
  const dot = file.lastIndexOf('.');
  return MIME[dot >= 0 ? file.slice(dot).toLowerCase() : ''] ?? 'application/octet-stream';
}

/**
 * An IPC message is ours only if it comes from our window's main frame showing our own content.
 * `frameUrl` is the sender frame's URL; `appOrigin` where the app is served from.
 */
export function isTrustedSender(sender: { isOurWindow: boolean; isMainFrame: boolean; frameUrl: string | undefined }, appOrigin: string): boolean {
  if (!sender.isOurWindow || !sender.isMainFrame || !sender.frameUrl) return false;
  return originOf(sender.frameUrl) === appOrigin;
}
