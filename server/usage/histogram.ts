// Latency histograms with fixed bounds: buckets add up across flushes, instances and hours, and
// percentiles are read back from them (interpolated within the bucket they fall in).

/** Upper bounds in milliseconds; one more slot counts everything slower than the last. */
export const LATENCY_BOUNDS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] as const;
export const HISTOGRAM_SLOTS = LATENCY_BOUNDS_MS.length + 1;

export const emptyHistogram = (): number[] => new Array<number>(HISTOGRAM_SLOTS).fill(0);

export function slotOf(latencyMs: number): number {
  for (let slot = 0; slot < LATENCY_BOUNDS_MS.length; slot++) {
    if (latencyMs <= (LATENCY_BOUNDS_MS[slot] as number)) return slot;
  }
  return LATENCY_BOUNDS_MS.length;
}

export function addInto(target: number[], source: readonly number[]): void {
  for (let slot = 0; slot < HISTOGRAM_SLOTS; slot++) target[slot] = (target[slot] ?? 0) + (source[slot] ?? 0);
}

/** The p-th percentile (0 < p ≤ 1) in milliseconds, one decimal; null for an empty histogram. */
export function percentile(histogram: readonly number[], p: number): number | null {
  const total = histogram.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = p * total;
  let seen = 0;
  for (let slot = 0; slot < HISTOGRAM_SLOTS; slot++) {
    const count = histogram[slot] ?? 0;
    if (count > 0 && seen + count >= rank) {
      const lower = slot === 0 ? 0 : (LATENCY_BOUNDS_MS[slot - 1] as number);
      // The open-ended last slot is read as reaching twice the last bound.
      const upper = slot < LATENCY_BOUNDS_MS.length ? (LATENCY_BOUNDS_MS[slot] as number) : lower * 2;
      const value = lower + ((rank - seen) / count) * (upper - lower);
      return Math.round(value * 10) / 10;
    }
    seen += count;
  }
  return null;
}
