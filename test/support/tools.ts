import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a real tool and collects what it prints. */
export function runTool(command: string, args: string[], env: Record<string, string>, input?: string): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** An https server on 127.0.0.1 with a throw-away self-signed certificate made under `dir`. */
export async function startHttps(dir: string, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ port: number; close(): Promise<void> }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-days',
      '1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const server = createHttpsServer({ key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) }, handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/**
 * A stand-in image registry over https: a Basic challenge, then `team/app:v1` (an empty image)
 * only for a user and secret `accept` approves (it returns who they are).
 */
export function startRegistry(
  dir: string,
  accept: (user: string, secret: string) => Promise<string | undefined>,
): Promise<{ port: number; close(): Promise<void> }> {
  const imageConfig = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: {} });
  const configDigest = `sha256:${createHash('sha256').update(imageConfig).digest('hex')}`;
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: Buffer.byteLength(imageConfig), digest: configDigest },
    layers: [],
  });
  return startHttps(dir, (req, res) => {
    void (async () => {
      const basic = /^Basic (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      const [user, secret] = basic ? Buffer.from(basic, 'base64').toString().split(/:(.*)/s) : [];
      const who = basic ? await accept(user ?? '', secret ?? '') : undefined;
      if (!who)
        return res
          .writeHead(401, { 'WWW-Authenticate': 'Basic realm="stand-in"', 'Content-Type': 'application/json' })
          .end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      if (req.url === '/v2/') return res.writeHead(200, { 'Docker-Distribution-API-Version': 'registry/2.0' }).end('{}');
      if (req.url === `/v2/team/app/blobs/${configDigest}`)
        return res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Docker-Content-Digest': configDigest }).end(imageConfig);
      if (req.url === '/v2/team/app/manifests/v1') {
        const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
        return res
          .writeHead(200, {
            'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json',
            'Docker-Content-Digest': digest,
            'Content-Length': Buffer.byteLength(manifest),
          })
          .end(req.method === 'HEAD' ? undefined : manifest);
      }
      return res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
    })();
  });
}
