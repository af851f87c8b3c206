import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from './support/seeded-random.js';

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
