const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** A year: longer is a typo. */
const MAX_MS = 366 * UNITS.d;

/** `90s`, `45m`, `8h`, `1h30m`, `2d` or a bare number of seconds, in ms; `0` is 0. Undefined if malformed. */
export function parseDuration(text: string): number | undefined {
  const value = text.trim();
  if (/^\d{1,9}$/.test(value)) return Number(value) * 1_000 <= MAX_MS ? Number(value) * 1_000 : undefined;
  if (!/^(\d{1,6}[smhd])+$/.test(value)) return undefined;
  let ms = 0;
  for (const [, n, unit] of value.matchAll(/(\d+)([smhd])/g)) ms += Number(n) * UNITS[unit];
  return ms <= MAX_MS ? ms : undefined;
}

/** A duration for people: `7h 59m`, `42s`. */
export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return m % 60 === 0 ? `${m / 60}h` : `${Math.floor(m / 60)}h ${m % 60}m`;
}
