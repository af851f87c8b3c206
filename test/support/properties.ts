import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TokenTrayError } from '../../electron/core/shared/errors.js';

/** Cases per property: 1,000 unless PROPERTY_RUNS says otherwise. */
export const RUNS = Number(process.env.PROPERTY_RUNS ?? 1000);

/** Only our coded errors may escape a parser; anything else is a bug. */
export function onlyCoded(err: unknown): void {
  if (!(err instanceof TokenTrayError)) throw new Error(`not a coded error: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  assert.match(err.code, /^[A-Z_]+$/);
  assert.ok(err.message.length > 10);
}

const CONTROLS = [...Array.from({ length: 32 }, (_, i) => i), 0x7f, ...Array.from({ length: 32 }, (_, i) => 0x80 + i)].map((c) => String.fromCharCode(c));
/** A string with at least one control character (C0, DEL or C1) somewhere in it. */
export const withControl = fc
  .tuple(fc.string({ maxLength: 12 }), fc.constantFrom(...CONTROLS), fc.string({ maxLength: 12 }))
  .map(([a, c, b]) => `${a}${c}${b}`);
