import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface ConnectProxy {
  /** http://127.0.0.1:PORT (add credentials yourself). */
  url: string;
  port: number;
  /** Every CONNECT seen: its target and its Proxy-Authorization header. */
  connects: Array<{ target: string; authorization: string | undefined }>;
  close(): Promise<void>;
}

/**
 * A CONNECT proxy on 127.0.0.1 (a corporate proxy's stand-in). Host names in `hosts` are mapped to
 * 127.0.0.1 (they resolve nowhere else); 127.0.0.1 itself is passed through; anything else is
 * refused with 502, so no test reaches off the machine. With `credentials`, a CONNECT without them
 * gets 407.
 */
export async function startConnectProxy(options: { hosts?: string[]; credentials?: { user: string; password: string } } = {}): Promise<ConnectProxy> {
  const sockets = new Set<Socket>();
  const connects: ConnectProxy['connects'] = [];
  const expected = options.credentials ? `Basic ${Buffer.from(`${options.credentials.user}:${options.credentials.password}`).toString('base64')}` : undefined;
  const server = createServer((_req, res) => {
    res.writeHead(405).end('CONNECT only');
  });
  server.on('connect', (req: IncomingMessage, client: Socket) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    const target = req.url ?? '';
    connects.push({ target, authorization: req.headers['proxy-authorization'] });
    if (expected && req.headers['proxy-authorization'] !== expected) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const m = /^([^:]+):(\d+)$/.exec(target);
    const host = m?.[1];
    if (!m || !(host === '127.0.0.1' || options.hosts?.includes(host!))) {
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const upstream = connect(Number(m[2]), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connects,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A self-signed certificate for `hostname` (openssl), as PEM text; nothing is left on disk. */
export async function selfSignedCertificate(hostname: string): Promise<{ key: string; cert: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'tokentray-cert-'));
  try {
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${hostname}`,
      '-addext',
      `subjectAltName=DNS:${hostname}`,
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    return { key: await readFile(join(dir, 'key.pem'), 'utf8'), cert: await readFile(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
