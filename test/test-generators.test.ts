import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { seededRandom } from './support/seeded-random.js';
import { binaryString, codePoint } from './support/properties.js';

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
