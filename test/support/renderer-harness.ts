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
import type { Handlers } from '../../electron/app/handlers/index.js';
import type { ClipboardAdapter } from '../../electron/app/clipboard-guard.js';
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
}

export async function openApp(browser: Browser, origin: string, handlers: Handlers): Promise<AppPage> {
  const context = await browser.newContext({ viewport: { width: 1040, height: 700 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.exposeFunction('__tokentrayInvoke', (channel: string, args: unknown[]) => dispatch(handlers, channel, args));
  await page.addInitScript(({ channels, events }: { channels: Record<string, string>; events: Record<string, string> }) => {
    const w = globalThis as unknown as Record<string, unknown> & { __tokentrayInvoke(c: string, a: unknown[]): Promise<unknown> };
    const listeners: Record<string, Set<() => void>> = {};
    const subscribe = (event: string) => (cb: () => void) => {
      (listeners[event] ??= new Set()).add(cb);
      return () => void listeners[event]!.delete(cb);
    };
    const api: Record<string, unknown> = {};
    for (const [method, event] of Object.entries(events)) api[method] = subscribe(event);
    for (const [method, channel] of Object.entries(channels)) api[method] = (...args: unknown[]) => w.__tokentrayInvoke(channel, args);
    w.tokentray = Object.freeze(api);
    w.__tokentrayEmit = (event: string) => listeners[event]?.forEach((cb) => cb());
  }, { channels: API_CHANNELS as Record<string, string>, events: EVENTS as Record<string, string> });
  await page.goto(`${origin}/index.html`);
  return {
    page,
    context,
    consoleErrors,
    emit: (event) => page.evaluate((e) => (globalThis as unknown as { __tokentrayEmit(e: string): void }).__tokentrayEmit(e), event),
  };
}
