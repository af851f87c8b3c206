import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
/**
 * A browser stand-in for the sign-in step: follows redirects by hand, keeps cookies by path (as
 * oidc-provider scopes them to /interaction/:uid and /auth/:uid), and submits login and consent forms.
 */
interface Cookie {
  name: string;
  value: string;
  path: string;
}

export interface BrowserVisit {
  url: string;
  status: number;
  body: string;
}

export class HttpBrowser {
  private cookies: Cookie[] = [];
  /** Every address requested, in order (the start address, the issuer's authorization URL…). */
  readonly history: string[] = [];

  /** `fetcher`: how this browser reaches the network (e.g. through a proxy); Node's fetch by default. */
  constructor(
    private readonly user = 'alice@example.test',
    private readonly fetcher: typeof fetch = fetch,
  ) {}

  private cookieHeader(url: URL): string {
    return this.cookies
      .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) || c.path === '/')
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  private store(res: Response, url: URL): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = false;
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        const key = k.trim().toLowerCase();
        if (key === 'path') path = v.trim();
        if (key === 'expires' && Date.parse(v) < Date.now()) expired = true;
        if (key === 'max-age' && Number(v) <= 0) expired = true;
      }
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === path));
      if (!expired) this.cookies.push({ name, value, path });
    }
  }

  /**
   * Follows the flow from the authorization URL (or a start address that redirects to it) until a
   * page without a form answers. With `stopBefore` (an origin), a redirect there is not followed:
   * its Location comes back as `url`, as a user on another computer would copy it (paste-back).
   */
  async visit(start: string, options: { stopBefore?: string } = {}): Promise<BrowserVisit> {
    let url = new URL(start);
    // A sign-in's private start page (file://): follow its refresh, as a browser does.
    if (url.protocol === 'file:') url = new URL(/content="0;url=(http:[^"]+)"/.exec(await readFile(fileURLToPath(url), 'utf8'))![1]);
    let init: { method: string; body?: URLSearchParams } = { method: 'GET' };
    for (let step = 0; step < 30; step++) {
      const headers: Record<string, string> = {};
      const cookie = this.cookieHeader(url);
      if (cookie) headers.cookie = cookie;
      this.history.push(url.href);
      const res = await this.fetcher(url, { ...init, headers, redirect: 'manual' });
      this.store(res, url);
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        await res.arrayBuffer();
        const next = new URL(res.headers.get('location')!, url);
        if (options.stopBefore && next.origin === options.stopBefore) return { url: next.href, status: res.status, body: '' };
        url = next;
        init = { method: 'GET' };
        continue;
      }
      const body = await res.text();
      const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(body);
      if (!form) return { url: url.href, status: res.status, body };
      const fields = new URLSearchParams();
      for (const input of form[2].matchAll(/<input[^>]*>/gi)) {
        const name = /name="([^"]+)"/.exec(input[0])?.[1];
        if (!name) continue;
        const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
        fields.set(name, name === 'login' ? this.user : name === 'password' ? 'any-password' : value);
      }
      url = new URL(form[1], url);
      init = { method: 'POST', body: fields };
    }
    throw new Error('the sign-in flow did not finish within 30 steps');
  }
}
