import { app, net, protocol, session } from 'electron';
import { pathToFileURL } from 'node:url';
import { APP_SCHEME, CONTENT_SECURITY_POLICY, isAllowedNavigation, mimeTypeFor, resolveAppFile } from '../app/window-policy.js';

/** Must run before `app.whenReady()`: our scheme behaves like https (secure context, standard URLs). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: false, corsEnabled: false } }]);
}

/** Serves the renderer's packaged files on app://tokentray/ with a strict CSP header. */
export function setupAppProtocol(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = resolveAppFile(rendererDir, request.url);
    if (!file || request.method !== 'GET') return new Response('Not found', { status: 404 });
    const res = await net.fetch(pathToFileURL(file).href).catch(() => undefined);
    if (!res?.ok) return new Response('Not found', { status: 404 });
    return new Response(res.body, {
      headers: { 'Content-Type': mimeTypeFor(file), 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' },
    });
  });
}

/** Deny every permission, refuse navigation, new windows and webviews, in every web contents. */
export function setupSecurity(): void {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  app.on('web-contents-created', (_event, contents) => {
    const refuse = (event: { preventDefault(): void }, url: string) => {
      if (!isAllowedNavigation(url)) event.preventDefault();
    };
    contents.on('will-navigate', refuse);
    contents.on('will-redirect', refuse);
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
}
