/** Median of a non-empty list (mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** `value / reference`, or undefined when either is missing or the reference is not positive. */
export function ratio(value: number | undefined, reference: number | undefined): number | undefined {
  if (value === undefined || reference === undefined) return undefined
  if (!Number.isFinite(value) || !Number.isFinite(reference) || reference <= 0) return undefined
  return value / reference
}

/** Hit ratio from counters read before and after the measured runs; undefined when the cache saw nothing. */
export function hitRatio(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): number | undefined {
  const delta = (name: string): number => (after[name] ?? 0) - (before[name] ?? 0)
  const hits = delta('cache.hit') + delta('cache.stale')
  const lookups = hits + delta('cache.miss')
  return lookups > 0 ? hits / lookups : undefined
}
