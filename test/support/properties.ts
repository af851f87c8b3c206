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

// fc.webUrl(), rebuilt from fast-check's public parts with codePoint in place of its one binary
// unit (the percent-encoded character): the same tuple, mappers and size rules as fast-check
// 4's webUrl, so the same seed draws the same URL (test-generators.test.ts checks it).
const SIZES = ['xsmall', 'small', 'medium', 'large', 'xlarge'] as const;
const RELATIVE = ['-4', '-3', '-2', '-1', '=', '+1', '+2', '+3', '+4'] as const;
type Size = (typeof SIZES)[number];

function relativeSize(size: fc.SizeForArbitrary | undefined, base: Size): Size {
  if (size === undefined) return base;
  const offset = (RELATIVE as readonly string[]).indexOf(size);
  if (offset === -1) return size as Size;
  return SIZES[Math.min(Math.max(SIZES.indexOf(base) + offset - 4, 0), SIZES.length - 1)];
}
const resolveSize = (size: fc.SizeForArbitrary | undefined): Size => relativeSize(size, fc.readConfigureGlobal().baseSize ?? 'small');

/** One character outside the unreserved ones, percent-encoded (as encodeURIComponent would, or %XX). */
const percentChar = binaryString({ minLength: 1, maxLength: 1 }).map(
  (c) => {
    const encoded = encodeURIComponent(c);
    return c !== encoded ? encoded : `%${c.charCodeAt(0).toString(16)}`;
  },
  (value) => {
    if (typeof value !== 'string') throw new Error('Unsupported');
    return decodeURIComponent(value);
  },
);
const fromCode = (first: number, num: number) => ({ num, build: (v: number) => String.fromCharCode(v + first) });
const percentUnits = new Map<string, fc.Arbitrary<string>>();
/** Letters, digits and `others` (10 in 11), or a percent-encoded character. */
function alphaNumericPercent(others: string): fc.Arbitrary<string> {
  let unit = percentUnits.get(others);
  if (unit === undefined) {
    const plain = fc.mapToConstant(fromCode(97, 26), fromCode(65, 26), fromCode(48, 10), { num: others.length, build: (v) => others[v] });
    unit = fc.oneof({ weight: 10, arbitrary: plain }, { weight: 1, arbitrary: percentChar });
    percentUnits.set(others, unit);
  }
  return unit;
}

function webAuthority(c: fc.WebAuthorityConstraints & { size: Size }): fc.Arbitrary<string> {
  const hosts = [
    fc.domain({ size: c.size }),
    ...(c.withIPv4 === true ? [fc.ipV4()] : []),
    ...(c.withIPv6 === true
      ? [
          fc.ipV6().map(
            (s) => `[${s}]`,
            (v) => {
              if (typeof v !== 'string' || v[0] !== '[' || v[v.length - 1] !== ']') throw new Error('Unsupported');
              return v.substring(1, v.length - 1);
            },
          ),
        ]
      : []),
    ...(c.withIPv4Extended === true ? [fc.ipV4Extended()] : []),
  ];
  const userInfo = c.withUserInfo === true ? fc.option(fc.string({ unit: alphaNumericPercent("-._~!$&'()*+,;=:"), size: c.size })) : fc.constant(null);
  const port = c.withPort === true ? fc.option(fc.nat(65535)) : fc.constant(null);
  return fc.tuple(userInfo, fc.oneof(...hosts), port).map(
    ([u, h, p]) => (u === null ? '' : `${u}@`) + h + (p === null ? '' : `:${p}`),
    (value) => {
      if (typeof value !== 'string') throw new Error('Unsupported');
      const at = value.indexOf('@');
      const m = /:(\d+)$/.exec(value);
      const host = m !== null ? value.substring(at + 1, value.length - m[1].length - 1) : value.substring(at + 1);
      return [at !== -1 ? value.substring(0, at) : null, host, m !== null ? Number(m[1]) : null];
    },
  );
}

function webPath(size: Size): fc.Arbitrary<string> {
  const segments = (segmentSize: Size, count: Size) =>
    fc.array(fc.string({ unit: alphaNumericPercent("-._~!$&'()*+,;=:@"), size: segmentSize }), { size: count }).map(
      (parts) => parts.map((p) => `/${p}`).join(''),
      (value) => {
        if (typeof value !== 'string') throw new Error('Incompatible value received: type');
        if (value.length !== 0 && value[0] !== '/') throw new Error('Incompatible value received: start');
        return value.split('/').slice(1);
      },
    );
  const root: Record<Size, [Size, Size]> = {
    xsmall: ['xsmall', 'xsmall'],
    small: ['small', 'xsmall'],
    medium: ['small', 'small'],
    large: ['medium', 'small'],
    xlarge: ['medium', 'medium'],
  };
  const [segment, count] = root[size];
  return segment === count ? segments(segment, count) : fc.oneof(segments(segment, count), segments(count, segment));
}

const URL_PARTS = /^([[A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(\?[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*)?(#[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*)?$/;
/**
 * `fc.webUrl(constraints)`, value for value, without fast-check's one-off map of all code points
 * (see codePoint): schemes, authorities (domains; with the settings: userinfo, ports, IPv4, IPv6,
 * extended IPv4), paths, queries and fragments, with percent-encoded characters.
 */
export function webUrl(constraints: fc.WebUrlConstraints = {}): fc.Arbitrary<string> {
  const size = resolveSize(constraints.size);
  const authority = { ...constraints.authoritySettings, size: relativeSize(constraints.authoritySettings?.size, size) };
  const queryOrFragment = () => fc.option(fc.string({ unit: alphaNumericPercent("-._~!$&'()*+,;=:@/?"), size }));
  return fc
    .tuple(
      fc.constantFrom(...(constraints.validSchemes ?? ['http', 'https'])),
      webAuthority(authority),
      webPath(size),
      constraints.withQueryParameters === true ? queryOrFragment() : fc.constant(null),
      constraints.withFragments === true ? queryOrFragment() : fc.constant(null),
    )
    .map(
      ([scheme, auth, path, query, fragment]) => `${scheme}://${auth}${path}${query === null ? '' : `?${query}`}${fragment === null ? '' : `#${fragment}`}`,
      (value) => {
        if (typeof value !== 'string') throw new Error('Incompatible value received: type');
        const m = URL_PARTS.exec(value);
        if (m === null) throw new Error('Incompatible value received');
        return [m[1], m[2], m[3], m[4] !== undefined ? m[4].substring(1) : null, m[5] !== undefined ? m[5].substring(1) : null];
      },
    );
}
