import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { seededRandom } from './support/seeded-random.js';
import { binaryString, codePoint, webUrl } from './support/properties.js';
import { rsaKeyPem } from './support/service-account-key.js';
import { RSA_2048_POOL } from './support/fixed-test-keys.js';

describe('rsaKeyPem: fixed keys, each handed out once per process', () => {
  it('never gives one process the same key twice, past the end of the pool too', () => {
    const keys = Array.from({ length: RSA_2048_POOL.length + 1 }, () => rsaKeyPem());
    assert.equal(new Set(keys).size, keys.length);
    assert.ok(keys.every((k) => k.startsWith('-----BEGIN PRIVATE KEY-----\n')));
  });
});

describe('seeded random of the fault tests', () => {
  it('TOKENTRAY_TEST_SEED replays the same choices; without it each run picks (and prints) its own seed', () => {
    const draw = (env: Record<string, string | undefined>) => {
      const random = seededRandom('replay check', env);
      return { seed: random.seed, values: Array.from({ length: 20 }, () => random.next()) };
    };
    const first = draw({});
    const replay = draw({ TOKENTRAY_TEST_SEED: String(first.seed) });
    assert.deepEqual(replay, first);
    for (const v of first.values) assert.ok(v >= 0 && v < 1);
    assert.ok(new Set(first.values).size > 15, 'spread, not constant');
    assert.notDeepEqual(draw({ TOKENTRAY_TEST_SEED: String((first.seed + 1) >>> 0) }).values, first.values);
    assert.throws(() => seededRandom('bad', { TOKENTRAY_TEST_SEED: 'abc' }), /whole number/);
  });
});

describe("codePoint and binaryString: fast-check's binary unit without its one-off map", () => {
  it("generates, for each seed, exactly what fc.string({ unit: 'binary' }) does, dangerous strings included", () => {
    for (const seed of [1, 42, 2026]) {
      const options = { seed, numRuns: 300 };
      assert.deepEqual(fc.sample(binaryString({ maxLength: 30 }), options), fc.sample(fc.string({ unit: 'binary', maxLength: 30 }), options));
    }
    const astral = fc.sample(codePoint, { seed: 7, numRuns: 2000 });
    assert.ok(
      astral.some((c) => c.length === 2),
      'code points past the BMP',
    );
    assert.ok(
      astral.some((c) => c.codePointAt(0)! >= 0xe000 && c.length === 1),
      'code points past the surrogates',
    );
  });

  it('reads back every kind of code point, and refuses what is not one', () => {
    for (const c of ['\u0000', 'a', '\ud7ff', '\ue000', '\uffff', '\u{10000}', '\u{10ffff}'])
      assert.ok(codePoint.canShrinkWithoutContext(c), JSON.stringify(c));
    for (const bad of ['', 'ab', '\ud800', '\udfff', '\udc00\ud800', 'a\u{10000}', 1, undefined])
      assert.equal(codePoint.canShrinkWithoutContext(bad), false, JSON.stringify(bad));
  });
});

describe("webUrl: fast-check's webUrl without its one-off map", () => {
  const everyKind: fc.WebUrlConstraints = {
    validSchemes: ['http', 'https', 'ftp', 'svn+ssh'],
    authoritySettings: { withIPv4: true, withIPv6: true, withIPv4Extended: true, withUserInfo: true, withPort: true },
    withQueryParameters: true,
    withFragments: true,
  };
  const variants: fc.WebUrlConstraints[] = [
    {},
    everyKind,
    { ...everyKind, size: 'medium' },
    { size: 'xsmall', authoritySettings: { size: '+1', withPort: true } },
  ];

  it('generates, for each seed and set of constraints, exactly what fc.webUrl does, dangerous strings included', () => {
    for (const constraints of variants)
      for (const seed of [1, 42, 2026]) {
        const options = { seed, numRuns: 300 };
        assert.deepEqual(fc.sample(webUrl(constraints), options), fc.sample(fc.webUrl(constraints), options), JSON.stringify({ constraints, seed }));
      }
    // fast-check slips names such as __proto__ or toString into its strings (here: queries and
    // fragments); the same seeds draw the same, so these come too.
    const tails = fc.sample(webUrl(everyKind), { seed: 3, numRuns: 2000 }).map((u) => /[?#].*$/.exec(u)?.[0] ?? '');
    assert.ok(
      tails.some((t) => /[?#](__proto__|constructor|toString|valueOf|__defineGetter__|hasOwnProperty)([?#]|$)/.test(t)),
      'dangerous names as whole queries or fragments',
    );
  });

  it('draws every kind of URL: schemes, userinfo, ports, IPv4, IPv6, domains, paths, queries, fragments, percent-encoding', () => {
    const urls = fc.sample(webUrl(everyKind), { seed: 11, numRuns: 2000 });
    const parts = urls.map((u) => /^([a-z+]+):\/\/(?:([^@/?#]*)@)?(\[[^\]]*\]|[^:/?#]*)(?::(\d+))?([^?#]*)(\?[^#]*)?(#.*)?$/.exec(u));
    assert.ok(
      parts.every((m) => m !== null),
      'every draw is scheme://authority path ?query #fragment',
    );
    const seen = (test: (m: RegExpExecArray) => boolean) => parts.some((m) => test(m));
    for (const scheme of everyKind.validSchemes!)
      assert.ok(
        seen((m) => m[1] === scheme),
        scheme,
      );
    assert.ok(
      seen((m) => m[2] !== undefined && m[2].length > 0),
      'userinfo',
    );
    assert.ok(
      seen((m) => m[4] !== undefined),
      'port',
    );
    assert.ok(
      seen((m) => /^\d+\.\d+\.\d+\.\d+$/.test(m[3])),
      'IPv4',
    );
    assert.ok(
      seen((m) => m[3].startsWith('[') && m[3].includes(':')),
      'IPv6',
    );
    assert.ok(
      seen((m) => /^(0x[0-9a-f]+|\d+)(\.(0x[0-9a-f]+|\d+)){0,2}$/i.test(m[3]) && !/^\d+\.\d+\.\d+\.\d+$/.test(m[3])),
      'extended IPv4',
    );
    assert.ok(
      seen((m) => /[a-z]\.[a-z]{2,}$/.test(m[3])),
      'domain',
    );
    assert.ok(
      seen((m) => m[5].split('/').length > 2),
      'path of several segments',
    );
    assert.ok(
      seen((m) => m[6] !== undefined && m[6].length > 1),
      'query',
    );
    assert.ok(
      seen((m) => m[7] !== undefined && m[7].length > 1),
      'fragment',
    );
    for (const part of [2, 5, 6, 7])
      assert.ok(
        seen((m) => /%[0-9A-Fa-f]{2}/.test(m[part] ?? '')),
        `percent-encoding in part ${part}`,
      );
    assert.ok(
      urls.some((u) => /%F[0-4]%[89AB]/.test(u)),
      'percent-encoded code points past the BMP',
    );
    assert.ok(
      fc.sample(webUrl(), { seed: 5, numRuns: 200 }).every((u) => /^https?:\/\/[^@:/?#]+(\/[^?#]*)?$/.test(u)),
      'by default: http(s), a domain and a path only, as fc.webUrl()',
    );
  });

  it('reads back what it draws (for shrinking), and refuses what is not a URL', () => {
    const urls = webUrl(everyKind);
    for (const u of fc.sample(urls, { seed: 9, numRuns: 300 })) assert.ok(urls.canShrinkWithoutContext(u), u);
    for (const bad of ['not a url', 'http//x', 1, undefined]) assert.equal(urls.canShrinkWithoutContext(bad), false, String(bad));
  });
});
