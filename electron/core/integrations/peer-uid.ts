import { readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';

/**
 * Who owns the other end of a loopback TCP connection, on Linux: the kernel lists every TCP socket
 * with its owner's uid in /proc/net/tcp (IPv4) and /proc/net/tcp6 (IPv6, and IPv4 mapped into it).
 * The client's socket is the row whose local address is the connection's remote one and whose
 * remote address is ours. Returns undefined when there is no such row (or no /proc).
 */
export interface Endpoint {
  address: string;
  port: number;
}

/** /proc/net prints each 32-bit word of an address in host byte order (little-endian here). */
function hexV4(address: string): string {
  return address
    .split('.')
    .map((b) => Number(b).toString(16).padStart(2, '0'))
    .reverse()
    .join('')
    .toUpperCase();
}

function rowKeys(endpoint: Endpoint): string[] {
  const v4 = endpoint.address.replace(/^::ffff:/i, '');
  if (!isIPv4(v4)) return [];
  const port = endpoint.port.toString(16).toUpperCase().padStart(4, '0');
  // As an IPv4 row, and as an IPv4-mapped IPv6 row (::ffff:a.b.c.d) of an AF_INET6 socket.
  return [`${hexV4(v4)}:${port}`, `0000000000000000FFFF0000${hexV4(v4)}:${port}`];
}

export function peerUid(client: Endpoint, server: Endpoint, files: readonly string[] = ['/proc/net/tcp', '/proc/net/tcp6']): number | undefined {
  const clientKeys = new Set(rowKeys(client));
  const serverKeys = new Set(rowKeys(server));
  if (clientKeys.size === 0 || serverKeys.size === 0) return undefined;
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
      const fields = line.trim().split(/\s+/);
      if (fields.length < 8) continue;
      if (clientKeys.has(fields[1]!) && serverKeys.has(fields[2]!)) {
        const uid = Number(fields[7]);
        return Number.isInteger(uid) ? uid : undefined;
      }
    }
  }
  return undefined;
}
