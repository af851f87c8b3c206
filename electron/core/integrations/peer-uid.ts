import { readFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';

/**
 * Who owns the other end of a loopback TCP connection, on Linux: the kernel lists every TCP socket
 * with its owner's uid in /proc/net/tcp (IPv4) and /proc/net/tcp6 (IPv6, and IPv4 mapped into it).
 * The client's socket is the row whose local address is the connection's remote one and whose
 * remote address is ours.
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

interface Query {
  pairs: Set<string>;
  resolve(uid: number | undefined): void;
}

/**
 * Looks peers up in batches: the kernel takes a while to print these tables (it walks its whole
 * connection hash table; ~1 ms on an idle desktop, 15 ms on a loaded machine), so one read serves
 * every connection that had started before it began. Resolves undefined when there is no such row.
 */
export function createPeerUidLookup(
  files: readonly string[] = ['/proc/net/tcp', '/proc/net/tcp6'],
): (client: Endpoint, server: Endpoint) => Promise<number | undefined> {
  let waiting: Query[] = [];
  let reading = false;

  async function pump(): Promise<void> {
    if (reading || waiting.length === 0) return;
    reading = true;
    let batch = waiting;
    waiting = [];
    try {
      for (const file of files) {
        if (batch.length === 0) break;
        const text = await readFile(file, 'latin1').catch(() => '');
        const uids = new Map<string, number>();
        for (const line of text.split('\n')) {
          // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
          const fields = line.trim().split(/\s+/);
          if (fields.length >= 8) uids.set(`${fields[1]} ${fields[2]}`, Number(fields[7]));
        }
        batch = batch.filter((q) => {
          for (const pair of q.pairs) {
            const uid = uids.get(pair);
            if (uid !== undefined && Number.isInteger(uid)) return (void q.resolve(uid), false);
          }
          return true;
        });
      }
      for (const q of batch) q.resolve(undefined);
    } finally {
      reading = false;
      void pump();
    }
  }

  return (client, server) =>
    new Promise((resolve) => {
      const pairs = new Set<string>();
      for (const c of rowKeys(client)) for (const s of rowKeys(server)) pairs.add(`${c} ${s}`);
      if (pairs.size === 0) return resolve(undefined);
      waiting.push({ pairs, resolve });
      void pump();
    });
}
