import { randomBytes } from 'node:crypto';
import type { SecretStore } from './secret-store.js';

/**
 * No keychain item TokenTray writes is over this many bytes of UTF-8, on any OS. Windows'
 * Credential Manager refuses a secret over 2,560 bytes (CRED_MAX_CREDENTIAL_BLOB_SIZE); one
 * rule everywhere means the Linux tests prove the Windows behaviour.
 */
export const MAX_ITEM_BYTES = 2000;

const HEADER = 'tokentray-chunks:2';

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

type Slot = 'a' | 'b';

interface Header {
  /** Pieces that hold this value (the first is in the item itself). */
  parts: number;
  /** Which set of piece items holds the rest: the other set is the one the next write fills. */
  slot: Slot;
  /** Piece items that exist in each set (kept, emptied, never deleted). */
  allocated: Record<Slot, number>;
  generation: string;
  first: string;
}

function parseHeader(text: string): Header | undefined {
  const v2 = /^tokentray-chunks:2 (\d+) ([ab]) (\d+) (\d+) ([0-9a-f]+)\n/.exec(text);
  if (v2)
    return { parts: Number(v2[1]), slot: v2[2] as Slot, allocated: { a: Number(v2[3]), b: Number(v2[4]) }, generation: v2[5], first: text.slice(v2[0].length) };
  // Written before the two sets: its pieces are set a (`KEY#1`…), `allocated` counted the item itself.
  const v1 = /^tokentray-chunks:1 (\d+) (\d+) ([0-9a-f]+)\n/.exec(text);
  if (v1) return { parts: Number(v1[1]), slot: 'a', allocated: { a: Number(v1[2]) - 1, b: 0 }, generation: v1[3], first: text.slice(v1[0].length) };
  return undefined;
}

const formatHeader = (h: Omit<Header, 'first'>) => `${HEADER} ${h.parts} ${h.slot} ${h.allocated.a} ${h.allocated.b} ${h.generation}\n`;

/** Set a keeps the names of the first layout (`KEY#1`), so its items read unchanged. */
const pieceKey = (key: string, slot: Slot, i: number) => (slot === 'a' ? `${key}#${i}` : `${key}#b${i}`);

/**
 * Values of any size in items of at most MAX_ITEM_BYTES. A value that fits is stored as is (so
 * items written before this layout read unchanged). A larger one is split: the item `KEY` holds a
 * header and the first piece; the rest are in one of two sets of piece items, `KEY#1`, `KEY#2`…
 * (set a) or `KEY#b1`, `KEY#b2`… (set b), each tagged with the header's random generation so that
 * a reader never joins pieces of two writes (it reads again instead).
 *
 * A write fills the set the header does not name, then rewrites the header (the one write that
 * switches from the old value to the new), then empties the superseded set. A writer killed at any
 * point leaves a header whose pieces are whole: the old value or the new, never neither.
 *
 * Why two fixed sets and not new item names per write: macOS asks the user once per item when
 * another program (the CLI vs the signed app) first reads it, and an item deleted and re-created
 * asks again. So items are overwritten in place, and piece items no longer needed are emptied
 * rather than deleted; what a killed writer leaves behind is the next write's set, overwritten then.
 */
export class KeychainItems {
  constructor(readonly store: SecretStore) {}

  /**
   * The value, or `undefined` if there is none. A split value whose pieces are missing reads as ''
   * (which no caller parses: a damaged item).
   */
  async read(key: string): Promise<string | undefined> {
    for (let attempt = 0; attempt < 6; attempt++) {
      const text = await this.store.get(key);
      if (text === undefined) return undefined;
      const header = parseHeader(text);
      if (!header) return text;
      const rest = await Promise.all(Array.from({ length: header.parts - 1 }, (_, i) => this.store.get(pieceKey(key, header.slot, i + 1))));
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
    if (Buffer.byteLength(value, 'utf8') <= MAX_ITEM_BYTES && !old) {
      await this.store.set(key, value);
      return;
    }
    const generation = randomBytes(6).toString('hex');
    const headerLen = formatHeader({ parts: 999, slot: 'a', allocated: { a: 999, b: 999 }, generation }).length;
    const pieces = splitUtf8(value, MAX_ITEM_BYTES - headerLen, MAX_ITEM_BYTES - generation.length - 1);
    const slot: Slot = old?.slot === 'a' ? 'b' : 'a';
    const allocated = { a: old?.allocated.a ?? 0, b: old?.allocated.b ?? 0 };
    allocated[slot] = Math.max(allocated[slot], pieces.length - 1);
    // The free set first (surplus items emptied), the header last: it switches to the new value.
    for (let i = 1; i <= allocated[slot]; i++) await this.store.set(pieceKey(key, slot, i), `${generation}\n${pieces[i] ?? ''}`);
    await this.store.set(key, formatHeader({ parts: pieces.length, slot, allocated, generation }) + pieces[0]);
    // The superseded value is not kept: its pieces are emptied (a writer killed here leaves them to the next write).
    if (old) for (let i = 1; i < old.parts; i++) await this.store.set(pieceKey(key, old.slot, i), `${generation}\n`);
  }

  /**
   * Deletes the pieces, then the header: a delete killed midway is found and finished from the
   * header. Pieces past the header's count (a write killed before its header, a first one above
   * all) are found by reading on until one is missing.
   */
  async delete(key: string): Promise<void> {
    const header = parseHeader((await this.store.get(key).catch(() => undefined)) ?? '');
    for (const slot of ['a', 'b'] as const) {
      for (let i = 1; ; i++) {
        const named = i <= (header?.allocated[slot] ?? 0);
        if (!named && (await this.store.get(pieceKey(key, slot, i)).catch(() => undefined)) === undefined) break;
        await this.store.delete(pieceKey(key, slot, i));
      }
    }
    await this.store.delete(key);
  }
}
