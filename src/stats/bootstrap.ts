// Percentile bootstrap interval of the ratio head ÷ baseline of a headline statistic. Seeded, so the same inputs
// always give the same interval (a verdict must not flip between two renders of one run).

/** Small fast PRNG (mulberry32): reproducible, and good enough for resampling indices. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** FNV-1a hash of a string, as a seed. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/**
 * Statistic of one bootstrap resample. For the median no resample is sorted: `sorted` is the sorted source, and
 * since sorting is monotone the resample's k-th value is sorted[i] where i is the k-th smallest drawn index —
 * found by counting the drawn indices (O(n), ~10× faster than sorting each resample).
 */
function resampleStat(
  sorted: Float64Array,
  counts: Uint32Array,
  rand: () => number,
  stat: 'median' | 'mean'
): number {
  const n = sorted.length
  if (stat === 'mean') {
    let sum = 0
    for (let i = 0; i < n; i++) sum += sorted[Math.floor(rand() * n)]
    return sum / n
  }
  counts.fill(0)
  for (let i = 0; i < n; i++) counts[Math.floor(rand() * n)]++
  const lo = (n - 1) >> 1
  const hi = n >> 1
  let seen = 0
  let low = NaN
  for (let j = 0; j < n; j++) {
    const c = counts[j]
    if (c === 0) continue
    if (seen + c > lo && Number.isNaN(low)) low = sorted[j]
    if (seen + c > hi) return (low + sorted[j]) / 2
    seen += c
  }
  return low
}

export interface RatioInterval {
  level: number
  low: number
  high: number
}

/**
 * Percentile bootstrap of stat(head) ÷ stat(base). Undefined when the ratio is undefined in more than 10 % of
 * resamples (a baseline statistic of 0) — an interval built from the rest would be biased.
 */
export function bootstrapRatio(
  base: readonly number[],
  head: readonly number[],
  stat: 'median' | 'mean',
  opts: { iterations: number; level: number; seed: number }
): RatioInterval | undefined {
  if (base.length === 0 || head.length === 0 || opts.iterations < 10) return undefined
  const rand = mulberry32(opts.seed)
  const sortedB = Float64Array.from(base).sort()
  const sortedH = Float64Array.from(head).sort()
  const countsB = new Uint32Array(base.length)
  const countsH = new Uint32Array(head.length)
  const ratios: number[] = []
  for (let i = 0; i < opts.iterations; i++) {
    const b = resampleStat(sortedB, countsB, rand, stat)
    const h = resampleStat(sortedH, countsH, rand, stat)
    const r = h / b
    if (Number.isFinite(r)) ratios.push(r)
  }
  if (ratios.length < opts.iterations * 0.9) return undefined
  ratios.sort((x, y) => x - y)
  const tail = (1 - opts.level) / 2
  const at = (q: number): number =>
    ratios[Math.min(ratios.length - 1, Math.max(0, Math.floor(q * ratios.length)))]
  return { level: opts.level, low: at(tail), high: at(1 - tail) }
}
