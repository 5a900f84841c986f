// The duet's test: paired samples (base_i, head_i) measured back to back, judged on their log ratios. A change
// counts only beyond a minimum effect θ (`regression-threshold`): the test asks whether the typical log ratio
// exceeds log(1 + θ), not merely 0, so a tiny real difference measured very precisely is not a regression.
// Yuen's trimmed-mean t (20 % trimmed, winsorized variance) keeps the test valid for a few outlier pairs and
// still works with 4 pairs, where a signed-rank test cannot reach a small p. See docs/regressions.md.
import { studentTCdf, studentTQuantile } from './distributions.js'

export const TRIM = 0.2

export interface TrimmedStats {
  n: number
  /** Trimmed mean. */
  mean: number
  /** Its standard error (winsorized SD ÷ ((1 − 2γ)·√n)). */
  se: number
  df: number
}

/** Yuen's trimmed mean and its standard error; undefined with fewer than 3 values. */
export function trimmedStats(values: readonly number[], trim = TRIM): TrimmedStats | undefined {
  const n = values.length
  if (n < 3) return undefined
  const s = [...values].sort((a, b) => a - b)
  const g = Math.floor(trim * n)
  const kept = s.slice(g, n - g)
  const mean = kept.reduce((a, b) => a + b, 0) / kept.length
  const w = s.map(v => Math.min(Math.max(v, s[g]), s[n - g - 1]))
  const wMean = w.reduce((a, b) => a + b, 0) / n
  const wVar = w.reduce((a, v) => a + (v - wMean) ** 2, 0) / (n - 1)
  const h = n - 2 * g
  return { n, mean, se: Math.sqrt(wVar) / ((h / n) * Math.sqrt(n)), df: h - 1 }
}

export interface PairedOptions {
  /** Minimum effect, percent in the worse direction. */
  thresholdPct: number
  /** Direction of the metric: for 'higher' a drop is worse. */
  direction: 'lower' | 'higher'
  /** Level the minimum detectable effect is computed for (the Holm family's smallest, α ÷ m). */
  alphaForMde: number
  /** Power the minimum detectable effect is computed for. */
  power?: number
  level?: number
  /** An exact count (bytes, messages): no reading error, identical pairs are certain. */
  exact?: boolean
  /**
   * Consecutive pairs that came from one request (and so share its moment): the test runs on the means of such
   * blocks (batch means), so a disturbance that hit one request counts once, not once per sample.
   */
  block?: number
}

export interface PairedResult {
  pairs: number
  /** exp(trimmed mean of log(head ÷ base)) − 1, percent. */
  changePct: number
  interval: { level: number; lowPct: number; highPct: number }
  /** One-sided p that head is worse than base by more than the threshold, and better by more than it. */
  pWorse: number
  pBetter: number
  /** Smallest true slowdown (percent, threshold included) found with `power` at `alphaForMde`. */
  mdePct: number
  df: number
  /** SE of the trimmed mean log ratio. */
  seLog: number
}

const toPct = (logRatio: number): number => (Math.exp(logRatio) - 1) * 100

/** Pairs (base_i, head_i) by index over the shorter side, keeping those with both values positive. */
export function logRatios(base: readonly number[], head: readonly number[]): number[] {
  const n = Math.min(base.length, head.length)
  const out: number[] = []
  for (let i = 0; i < n; i++) if (base[i] > 0 && head[i] > 0) out.push(Math.log(head[i] / base[i]))
  return out
}

/** Means of consecutive blocks of `size` (the last may be shorter); the values themselves when too few. */
export function blockMeans(values: readonly number[], size: number): number[] {
  if (size <= 1 || values.length < 3 * size) return [...values]
  const out: number[] = []
  for (let i = 0; i < values.length; i += size) {
    const b = values.slice(i, i + size)
    out.push(b.reduce((a, x) => a + x, 0) / b.length)
  }
  return out
}

/**
 * The error a metric's resolution alone puts on a mean log ratio: a reading in steps of q (CPU ticks of 10 ms)
 * is off by up to ±q/2, so pairs of identical readings do not mean no noise. 0 for exact counts (no step seen).
 */
export function quantizationSe(base: readonly number[], head: readonly number[], pairs: number): number {
  const values = [...new Set([...base, ...head].filter(v => v > 0))].sort((a, b) => a - b)
  if (values.length < 2 || pairs < 1) return 0
  let q = Infinity
  for (let i = 1; i < values.length; i++) q = Math.min(q, values[i] - values[i - 1])
  const mid = values[Math.floor(values.length / 2)]
  // Only a coarse step matters (a few distinct readings); continuous timings have steps far below their noise.
  if (values.length > Math.max(base.length, head.length) / 2) return 0
  return (Math.sqrt(2 / 12) * Math.log1p(q / mid)) / Math.sqrt(pairs)
}

/** The paired verdict's numbers; undefined when fewer than 3 usable pairs exist. */
export function pairedTest(
  base: readonly number[],
  head: readonly number[],
  o: PairedOptions
): PairedResult | undefined {
  const lr = logRatios(base, head)
  const trimmed = trimmedStats(blockMeans(lr, o.block ?? 1))
  if (!trimmed) return undefined
  const floor = o.exact ? 0 : quantizationSe(base, head, lr.length)
  const t = { ...trimmed, n: lr.length, se: Math.max(trimmed.se, floor) }
  const level = o.level ?? 0.95
  const sign = o.direction === 'lower' ? 1 : -1
  const worse = sign * t.mean
  const margin = Math.log(1 + o.thresholdPct / 100)
  const p = (excess: number): number => {
    if (t.se === 0) return excess > 0 ? 0 : 1
    return 1 - studentTCdf(excess / t.se, t.df)
  }
  const q = studentTQuantile(1 - (1 - level) / 2, t.df)
  const zAlpha = studentTQuantile(1 - o.alphaForMde, t.df)
  const zPower = studentTQuantile(o.power ?? 0.95, t.df)
  return {
    pairs: t.n,
    changePct: toPct(t.mean),
    interval: { level, lowPct: toPct(t.mean - q * t.se), highPct: toPct(t.mean + q * t.se) },
    pWorse: p(worse - margin),
    pBetter: p(-worse - margin),
    mdePct: toPct(margin + (zAlpha + zPower) * t.se),
    df: t.df,
    seLog: t.se
  }
}
