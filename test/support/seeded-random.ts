/**
 * A seeded random for tests that pick faults at random (kill times, operations): the seed is
 * printed, and TOKENTRAY_TEST_SEED=<seed> replays the same choices.
 */
export interface SeededRandom {
  readonly seed: number;
  /** In [0, 1), like Math.random. */
  next(): number;
}

export function seededRandom(label: string, env: Readonly<Record<string, string | undefined>> = process.env): SeededRandom {
  const given = env.TOKENTRAY_TEST_SEED;
  if (given !== undefined && !/^\d+$/.test(given)) throw new TypeError(`TOKENTRAY_TEST_SEED is a whole number, not ${given}`);
  const seed = given !== undefined ? Number(given) >>> 0 : Math.floor(Math.random() * 2 ** 32);
  console.log(`${label}: random seed ${seed} (replay with TOKENTRAY_TEST_SEED=${seed})`);
  // mulberry32: small, fast, good enough to spread kill times.
  let state = seed;
  return {
    seed,
    next() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    },
  };
}
