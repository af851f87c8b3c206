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

const SURROGATES = 0xe000 - 0xd800;
/**
 * One code point, surrogates excluded: fast-check's `unit: 'binary'`, value for value (the same
 * index drawn, the same code point built from it). fast-check's own unit reads a value back
 * through a map of all 1.1 million code points, built on first use: about a second of CPU in
 * every test process. This one reads it back by arithmetic.
 */
export const codePoint: fc.Arbitrary<string> = fc.nat({ max: 0x10ffff - SURROGATES }).map(
  (i) => String.fromCodePoint(i < 0xd800 ? i : i + SURROGATES),
  (value) => {
    const cp = typeof value === 'string' && value.length <= 2 ? value.codePointAt(0) : undefined;
    if (cp === undefined || String.fromCodePoint(cp) !== value || (cp >= 0xd800 && cp < 0xe000)) throw new Error('not one code point');
    return cp < 0xd800 ? cp : cp - SURROGATES;
  },
);

/** `fc.string({ unit: 'binary', ...constraints })`, without its one-off map (see codePoint). */
export function binaryString(constraints: Omit<fc.StringConstraints, 'unit'> = {}): fc.Arbitrary<string> {
  return fc.string({ ...constraints, unit: codePoint });
}
