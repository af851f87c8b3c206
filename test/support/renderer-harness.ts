/**
 * Runs the real renderer (dist/renderer) in Chromium against the real main-process handlers. Only
 * the transport differs from Electron's IPC: Playwright's exposeFunction (a CDP binding, so the
 * window's CSP applies unchanged) carries each call to `dispatch`, as ipcMain.handle would.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createHandlers, type AppHandlerDeps, type AppHandlers, type Handlers } from '../../electron/app/handlers/index.js';
import { ClipboardGuard, type ClipboardAdapter } from '../../electron/app/clipboard-guard.js';
import type { Core } from '../../electron/core/core.js';
import type { SettingsStore } from '../../electron/core/storage/settings-store.js';
import { API_CHANNELS, EVENTS } from '../../electron/app/ipc-contract.js';
import { dispatch } from '../../electron/app/ipc-dispatch.js';
import { APP_ORIGIN, CONTENT_SECURITY_POLICY, mimeTypeFor, resolveAppFile } from '../../electron/app/window-policy.js';

// dist/test/support → dist/renderer
const rendererDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'renderer');

/** Stands in for Electron's clipboard and records what reached it. */
export class RecordingClipboard implements ClipboardAdapter {
  text = '';
  writes: string[] = [];
  readText(): string {
    return this.text;
  }
  writeText(text: string): void {
    this.text = text;
    this.writes.push(text);
  }
}

/** The window's handlers on `core`, with a recording clipboard that never clears and no browser. */
export function handlersForTest(core: Core, settings: SettingsStore, more: Partial<AppHandlerDeps> = {}): AppHandlers {
  return createHandlers({
    core,
    settings,
    clipboard: new ClipboardGuard(new RecordingClipboard(), () => 0),
    openExternal: async () => undefined,
    onChange: () => undefined,
    ...more,
  });
}

/** Serves dist/renderer on 127.0.0.1 the way the app:// protocol handler does (same files, same CSP). */
export async function serveRenderer(): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const file = resolveAppFile(rendererDir, `${APP_ORIGIN}${req.url ?? '/'}`);
    const body = file ? await readFile(file).catch(() => undefined) : undefined;
    if (!file || !body || req.method !== 'GET') {
      res.writeHead(404).end('Not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': mimeTypeFor(file), 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface AppPage {
  page: Page;
  context: BrowserContext;
  /** What main's webContents.send would deliver (accounts:changed, ui:add-account). */
  emit(event: string): Promise<void>;
  consoleErrors: string[];
  /** Each call the window made, with how long it took and how it ended ("…" while it runs): a failed wait says what the window was waiting on. */
  calls(): string[];
}

export async function openApp(browser: Browser, origin: string, handlers: Handlers): Promise<AppPage> {
  const context = await browser.newContext({ viewport: { width: 1040, height: 700 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  const calls: Array<{ channel: string; start: number; end?: number; outcome?: string }> = [];
  await page.exposeFunction('__tokentrayInvoke', async (channel: string, args: unknown[]) => {
    const call: (typeof calls)[number] = { channel, start: Date.now() };
    calls.push(call);
    const result = await dispatch(handlers, channel, args);
    call.end = Date.now();
    call.outcome = result.ok ? 'ok' : result.code;
    return result;
  });
  await page.addInitScript(
    ({ channels, events }: { channels: Record<string, string>; events: Record<string, string> }) => {
      const w = globalThis as unknown as Record<string, unknown> & { __tokentrayInvoke(c: string, a: unknown[]): Promise<unknown> };
      const listeners: Record<string, Set<() => void>> = {};
      const subscribe = (event: string) => (cb: () => void) => {
        (listeners[event] ??= new Set()).add(cb);
        return () => void listeners[event].delete(cb);
      };
      const api: Record<string, unknown> = {};
      for (const [method, event] of Object.entries(events)) api[method] = subscribe(event);
      for (const [method, channel] of Object.entries(channels)) api[method] = (...args: unknown[]) => w.__tokentrayInvoke(channel, args);
      w.tokentray = Object.freeze(api);
      w.__tokentrayEmit = (event: string) => listeners[event]?.forEach((cb) => cb());
    },
    { channels: API_CHANNELS, events: EVENTS },
  );
  await page.goto(`${origin}/index.html`);
  return {
    page,
    context,
    consoleErrors,
    calls: () => calls.map((c) => `${c.channel} ${c.outcome ?? '…'} after ${(c.end ?? Date.now()) - c.start} ms`),
    emit: (event) => page.evaluate((e) => (globalThis as unknown as { __tokentrayEmit(e: string): void }).__tokentrayEmit(e), event),
  };
}

/** What a user can see of an element: computed style and where it is, not mere presence in the DOM. */
export interface Visibility {
  shown: boolean;
  display: string;
  visibility: string;
  opacity: number;
  box: { x: number; y: number; width: number; height: number } | null;
  /** Inside the window (the viewport), not scrolled or pushed out of it. */
  inViewport: boolean;
}

/** Visibility of the first element matching `selector`; `shown` is false when there is none. */
export async function visibilityOf(page: Page, selector: string): Promise<Visibility> {
  return page.evaluate((sel) => {
    const w = globalThis as unknown as {
      document: {
        querySelector(s: string): { getBoundingClientRect(): { x: number; y: number; width: number; height: number }; parentElement: unknown } | null;
      };
      getComputedStyle(e: unknown): { display: string; visibility: string; opacity: string };
      innerWidth: number;
      innerHeight: number;
    };
    const el = w.document.querySelector(sel);
    if (!el) return { shown: false, display: 'absent', visibility: 'absent', opacity: 0, box: null, inViewport: false };
    const style = w.getComputedStyle(el);
    // An ancestor's display:none, visibility or opacity hides it too.
    let opacity = Number(style.opacity);
    let hiddenByAncestor = false;
    for (let p = el.parentElement as typeof el | null; p; p = p.parentElement as typeof el | null) {
      const s = w.getComputedStyle(p);
      opacity *= Number(s.opacity);
      if (s.display === 'none') hiddenByAncestor = true;
    }
    const r = el.getBoundingClientRect();
    const box = { x: r.x, y: r.y, width: r.width, height: r.height };
    const inViewport = r.width > 0 && r.height > 0 && r.x >= 0 && r.y >= 0 && r.x + r.width <= w.innerWidth + 0.5 && r.y + r.height <= w.innerHeight + 0.5;
    const shown = !hiddenByAncestor && style.display !== 'none' && style.visibility === 'visible' && opacity > 0.05 && r.width > 0 && r.height > 0;
    return { shown, display: style.display, visibility: style.visibility, opacity, box, inViewport };
  }, selector);
}

/** Waits until the element is shown (true) or not (false) by computed style and box; returns its state. */
export async function waitForShown(page: Page, selector: string, shown: boolean, timeoutMs = 10_000): Promise<Visibility> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await visibilityOf(page, selector);
    if (v.shown === shown) return v;
    if (Date.now() > deadline)
      throw new Error(`${selector} is ${v.shown ? 'shown' : 'not shown'} (${JSON.stringify(v)}); expected ${shown ? 'shown' : 'not shown'}`);
    await page.waitForTimeout(50);
  }
}

/**
 * Boxes of every shown element matching `selector`, cut to what the scroll container `clipTo`
 * shows of them (a card scrolled out of view is not under anything).
 */
export async function shownBoxes(
  page: Page,
  selector: string,
  clipTo = 'body',
): Promise<Array<{ x: number; y: number; width: number; height: number; label: string }>> {
  return page.evaluate(
    ([sel, clip]) => {
      type Rect = { x: number; y: number; width: number; height: number };
      type El = { getBoundingClientRect(): Rect; textContent: string | null; checkVisibility(o: unknown): boolean };
      const w = globalThis as unknown as { document: { querySelectorAll(s: string): El[]; querySelector(s: string): El | null } };
      const c = w.document.querySelector(clip)!.getBoundingClientRect();
      return [...w.document.querySelectorAll(sel)]
        .filter((e) => e.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true }))
        .map((e) => {
          const r = e.getBoundingClientRect();
          const x = Math.max(r.x, c.x);
          const y = Math.max(r.y, c.y);
          const width = Math.min(r.x + r.width, c.x + c.width) - x;
          const height = Math.min(r.y + r.height, c.y + c.height) - y;
          return { x, y, width, height, label: (e.textContent ?? '').trim().slice(0, 40) };
        })
        .filter((b) => b.width > 0 && b.height > 0);
    },
    [selector, clipTo],
  );
}

export function overlaps(a: { x: number; y: number; width: number; height: number }, b: { x: number; y: number; width: number; height: number }): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}
