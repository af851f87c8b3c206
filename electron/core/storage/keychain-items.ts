import { randomBytes } from 'node:crypto';
import type { SecretStore } from './secret-store.js';

/**
 * No keychain item TokenTray writes is over this many bytes of UTF-8, on any OS. Windows'
 * Credential Manager refuses a secret over 2,560 bytes (CRED_MAX_CREDENTIAL_BLOB_SIZE); one
 * rule everywhere means the Linux tests prove the Windows behaviour.
 */
export const MAX_ITEM_BYTES = 2000;

const HEADER = 'tokentray-chunks:1';

function splitUtf8(text: string, firstMax: number, restMax: number): string[] {
  const pieces: string[] = [];
  let current = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > (pieces.length === 0 ? firstMax : restMax)) {
      pieces.push(current);
      current = '';
      bytes = 0;
    }
    current += ch;
    bytes += n;
  }
  pieces.push(current);
  return pieces;
}

interface Header {
  /** Pieces that hold this value (the first is in the item itself). */
  parts: number;
  /** Piece items that exist (≥ parts): surplus ones are kept, emptied, never deleted. */
  allocated: number;
  generation: string;
  first: string;
}

function parseHeader(text: string): Header | undefined {
  const m = /^tokentray-chunks:1 (\d+) (\d+) ([0-9a-f]+)\n/.exec(text);
  if (!m) return undefined;
  return { parts: Number(m[1]), allocated: Number(m[2]), generation: m[3]!, first: text.slice(m[0].length) };
}

const pieceKey = (key: string, i: number) => `${key}#${i}`;

/**
 * Values of any size in items of at most MAX_ITEM_BYTES. A value that fits is stored as is (so
 * items written before this layout read unchanged). A larger one is split: the item `KEY` holds a
 * header and the first piece, `KEY#1`, `KEY#2`… the rest, each tagged with the header's random
 * generation so that a reader never joins pieces of two writes (it reads again instead).
 *
 * macOS asks the user once per item when another program (the CLI vs the signed app) first reads
 * it, and an item deleted and re-created asks again. So items are overwritten in place, and piece
 * items a shorter value no longer needs are emptied rather than deleted.
 */
export class KeychainItems {
  constructor(readonly store: SecretStore) {}

  /**
   * The value, or `undefined` if there is none. A split value whose pieces are missing, or stay
   * from another write (a writer killed between its pieces and its header), reads as '' (which no
   * caller parses: a damaged item).
   */
  async read(key: string): Promise<string | undefined> {
    for (let attempt = 0; attempt < 6; attempt++) {
      const text = await this.store.get(key);
      if (text === undefined) return undefined;
      const header = parseHeader(text);
      if (!header) return text;
      const rest = await Promise.all(Array.from({ length: header.parts - 1 }, (_, i) => this.store.get(pieceKey(key, i + 1))));
      if (rest.some((p) => p === undefined)) return '';
      const tag = `${header.generation}\n`;
      if (rest.every((p) => p!.startsWith(tag))) return header.first + rest.map((p) => p!.slice(tag.length)).join('');
      // A writer is replacing the pieces (it holds the account's lock, briefly): read again.
      await new Promise((r) => setTimeout(r, 10 * 2 ** attempt));
    }
    return '';
  }

  async write(key: string, value: string): Promise<void> {
    const old = parseHeader((await this.store.get(key)) ?? '');
    const allocatedBefore = old?.allocated ?? 1;
    if (Buffer.byteLength(value, 'utf8') <= MAX_ITEM_BYTES && allocatedBefore <= 1) {
      await this.store.set(key, value);
      return;
    }
    const generation = randomBytes(6).toString('hex');
    const headerLen = `${HEADER} 999 999 ${generation}\n`.length;
    const pieces = splitUtf8(value, MAX_ITEM_BYTES - headerLen, MAX_ITEM_BYTES - generation.length - 1);
    const allocated = Math.max(pieces.length, allocatedBefore);
    // Pieces first, the header last: a reader sees the old value or the new, never a mix.
    for (let i = 1; i < allocated; i++) await this.store.set(pieceKey(key, i), `${generation}\n${pieces[i] ?? ''}`);
    await this.store.set(key, `${HEADER} ${pieces.length} ${allocated} ${generation}\n${pieces[0]}`);
  }

  async delete(key: string): Promise<void> {
    const header = parseHeader((await this.store.get(key).catch(() => undefined)) ?? '');
    for (let i = 1; i < (header?.allocated ?? 1); i++) await this.store.delete(pieceKey(key, i));
    await this.store.delete(key);
  }
}
