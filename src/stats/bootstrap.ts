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

function resampleStat(
  src: readonly number[],
  buf: Float64Array,
  rand: () => number,
  stat: 'median' | 'mean'
): number {
  const n = src.length
  if (stat === 'mean') {
    let sum = 0
    for (let i = 0; i < n; i++) sum += src[Math.floor(rand() * n)]
    return sum / n
  }
  for (let i = 0; i < n; i++) buf[i] = src[Math.floor(rand() * n)]
  buf.sort()
  const mid = n >> 1
  return n % 2 === 1 ? buf[mid] : (buf[mid - 1] + buf[mid]) / 2
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
  const bufB = new Float64Array(base.length)
  const bufH = new Float64Array(head.length)
  const ratios: number[] = []
  for (let i = 0; i < opts.iterations; i++) {
    const b = resampleStat(base, bufB, rand, stat)
    const h = resampleStat(head, bufH, rand, stat)
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
