/**
 * An electron-updater generic-provider feed on 127.0.0.1: `latest-linux.yml` naming one .deb with
 * its sha512 and size, and the file itself. `damaged: true` serves other bytes than the yml's
 * checksum describes (same size), as a corrupted mirror or a tampered download would.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions, type Server } from 'node:http';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DebUpdater } from 'electron-updater';
import { configureRequestOptions, configureRequestUrl, HttpExecutor, type DownloadOptions } from 'builder-util-runtime';
import type { AppAdapter } from 'electron-updater/out/AppAdapter.js';

export interface UpdateFeed {
  url: string;
  fileName: string;
  /** Paths the feed was asked for, in order. */
  requests: string[];
  close(): Promise<void>;
}

export async function startUpdateFeed(version: string, options: { damaged?: boolean } = {}): Promise<UpdateFeed> {
  const fileName = `TokenTray-${version}.deb`;
  const published = randomBytes(64 * 1024);
  const served = options.damaged ? Buffer.from(published.map((b, i) => (i === 100 ? b ^ 0xff : b))) : published;
  const sha512 = createHash('sha512').update(published).digest('base64');
  const yml = [
    `version: ${version}`,
    'files:',
    `  - url: ${fileName}`,
    `    sha512: ${sha512}`,
    `    size: ${published.length}`,
    `path: ${fileName}`,
    `sha512: ${sha512}`,
    `releaseDate: '2026-12-01T00:00:00.000Z'`,
    '',
  ].join('\n');
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    requests.push(path);
    // The channel file of each OS (Windows, macOS, Linux); the real-Electron smoke test runs on all three.
    if (path === '/latest-linux.yml' || path === '/latest-mac.yml' || path === '/latest.yml') {
      res.writeHead(200, { 'content-type': 'text/yaml' }).end(yml);
    } else if (path === `/${fileName}`) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': served.length }).end(served);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    fileName,
    requests,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/**
 * electron-updater's AppUpdater needs Electron only for its app adapter and its HTTP client (Electron's
 * `net`): with these two stand-ins its real classes (feed parsing, version comparison, download and
 * sha512 verification) run in Node. The adapter is a packaged app at `version`, its cache under `cacheDir`.
 */

export class NodeHttpExecutor extends HttpExecutor<ClientRequest> {
  override createRequest(options: RequestOptions, callback: (response: IncomingMessage) => void): ClientRequest {
    return httpRequest(options, callback);
  }

  /** What ElectronHttpExecutor.download does, over Node's http: the base class streams and verifies. */
  download(url: URL, destination: string, options: DownloadOptions): Promise<string> {
    return options.cancellationToken.createPromise<string>((resolve, reject, onCancel) => {
      const requestOptions: RequestOptions = { headers: options.headers ?? undefined };
      configureRequestUrl(url, requestOptions);
      configureRequestOptions(requestOptions);
      this.doDownload(
        requestOptions,
        { destination, options, onCancel, callback: (error) => (error == null ? resolve(destination) : reject(error)), responseHandler: null },
        0,
      );
    });
  }
}

export function packagedApp(version: string, cacheDir: string, appUpdateConfigPath: string): AppAdapter & { quits: number } {
  const adapter = {
    version,
    name: 'TokenTray',
    isPackaged: true,
    appUpdateConfigPath,
    userDataPath: cacheDir,
    baseCachePath: cacheDir,
    quits: 0,
    whenReady: () => Promise.resolve(),
    relaunch: () => undefined,
    quit: () => void adapter.quits++,
    onQuit: () => undefined,
  };
  return adapter;
}

/**
 * The real electron-updater class a .deb install uses (DebUpdater), at `version`, reading `feed`,
 * with its config and download cache under `dir`: what the app's autoUpdater does, minus Electron.
 */
export async function debUpdaterFor(feed: UpdateFeed, version: string, dir: string): Promise<{ updater: DebUpdater; app: ReturnType<typeof packagedApp> }> {
  const config = join(dir, 'app-update.yml');
  await writeFile(config, `provider: generic\nurl: ${feed.url}\nupdaterCacheDirName: tokentray-updater\n`, { mode: 0o600 });
  const app = packagedApp(version, dir, config);
  const updater = new DebUpdater(null, app);
  updater.logger = null;
  (updater as unknown as { httpExecutor: NodeHttpExecutor }).httpExecutor = new NodeHttpExecutor();
  return { updater, app };
}
