// Summaries of raw samples and small helpers for derived figures (scaling exponents, speedups, balance).
// Pure functions: the same samples always give the same numbers, and nothing here returns NaN.
import { linearRegression, mean, quantileSorted, sampleStandardDeviation } from 'simple-statistics'
import type { Summary } from '../results/schema.js'
import { medianOrderStatisticRank, studentTQuantile } from './distributions.js'

export type Headline = 'median' | 'mean'

function assertFinite(samples: readonly number[], what: string): void {
  for (let i = 0; i < samples.length; i++) {
    if (!Number.isFinite(samples[i]))
      throw new RangeError(`${what}: sample ${i} is ${samples[i]}, not a finite number`)
  }
}

/**
 * n, mean, median, sample stddev, min, max, p50/p95/p99 (linear interpolation, R type 7) and a confidence interval
 * of the headline statistic: for the median the distribution-free order-statistic interval, for the mean a t-interval.
 * `ci.level` is the coverage actually achieved when n is too small to reach `level` (0 means "no interval": n ≤ 1).
 * n = 0 gives an all-zero summary; renderers show n and must not present its figures as measurements.
 */
export function summarize(samples: readonly number[], headline: Headline = 'median', level = 0.95): Summary {
  if (!(level > 0 && level < 1)) throw new RangeError(`summarize: level must be in (0, 1), got ${level}`)
  assertFinite(samples, 'summarize')
  const n = samples.length
  if (n === 0) {
    return {
      n: 0,
      mean: 0,
      median: 0,
      stddev: 0,
      min: 0,
      max: 0,
      p50: 0,
      p95: 0,
      p99: 0,
      headline,
      ci: { level: 0, low: 0, high: 0 }
    }
  }
  const sorted = Float64Array.from(samples).sort()
  const arr = Array.from(sorted)
  const avg = mean(arr)
  const med = quantileSorted(arr, 0.5)
  const sd = n > 1 ? sampleStandardDeviation(arr) : 0
  return {
    n,
    mean: avg,
    median: med,
    stddev: sd,
    min: arr[0],
    max: arr[n - 1],
    p50: med,
    p95: quantileSorted(arr, 0.95),
    p99: quantileSorted(arr, 0.99),
    headline,
    ci: headline === 'median' ? medianInterval(arr, level) : meanInterval(avg, sd, n, level)
  }
}

/** Order-statistic interval of the median of sorted samples. */
export function medianInterval(sorted: readonly number[], level: number): Summary['ci'] {
  const n = sorted.length
  if (n === 0) return { level: 0, low: 0, high: 0 }
  const { l, coverage } = medianOrderStatisticRank(n, level)
  // Report the nominal level when it is reached (the true coverage is a little higher), else what was reached.
  return { level: coverage >= level ? level : coverage, low: sorted[l - 1], high: sorted[n - l] }
}

/** Student-t interval of the mean. */
export function meanInterval(avg: number, sd: number, n: number, level: number): Summary['ci'] {
  if (n < 2) return { level: 0, low: avg, high: avg }
  const half = studentTQuantile((1 + level) / 2, n - 1) * (sd / Math.sqrt(n))
  return { level, low: avg - half, high: avg + half }
}

/** The headline statistic of a summary (its median or mean). */
export const headlineValue = (s: Summary): number => (s.headline === 'mean' ? s.mean : s.median)

export interface PowerLawFit {
  /** b in y = a·x^b: 1 is linear, < 1 sub-linear. */
  exponent: number
  /** a in y = a·x^b. */
  coefficient: number
  /** Coefficient of determination of the log–log fit. */
  r2: number
  /** Points used (only x > 0 and y > 0 can be fitted on a log scale). */
  points: number
}

/**
 * Least-squares fit of y = a·x^b on log–log axes. Undefined when fewer than two distinct positive x remain,
 * since no exponent can be fitted from them.
 */
export function fitPowerLaw(xs: readonly number[], ys: readonly number[]): PowerLawFit | undefined {
  if (xs.length !== ys.length) throw new RangeError(`fitPowerLaw: ${xs.length} xs but ${ys.length} ys`)
  const data: number[][] = []
  for (let i = 0; i < xs.length; i++) {
    if (xs[i] > 0 && ys[i] > 0 && Number.isFinite(xs[i]) && Number.isFinite(ys[i])) {
      data.push([Math.log(xs[i]), Math.log(ys[i])])
    }
  }
  if (new Set(data.map(d => d[0])).size < 2) return undefined
  const { m, b } = linearRegression(data)
  const yMean = mean(data.map(d => d[1]))
  let ssTot = 0
  let ssRes = 0
  for (const [x, y] of data) {
    ssTot += (y - yMean) ** 2
    ssRes += (y - (m * x + b)) ** 2
  }
  // All y equal: a flat line fits exactly (simple-statistics' rSquared would give 0/0 here).
  const r2 = ssTot === 0 ? 1 : 1 - ssRes / ssTot
  return { exponent: m, coefficient: Math.exp(b), r2, points: data.length }
}

export interface PowerLawInterval extends PowerLawFit {
  /** Student-t interval of the exponent (the log–log slope); undefined with fewer than 3 points. */
  ci?: { level: number; low: number; high: number }
}

/**
 * The power-law fit with a confidence interval of its exponent: the ordinary least-squares slope interval
 * b ± t(df = points − 2) · SE(b) on log–log axes. Feed it every repeated measurement (not per-size medians), so
 * the interval carries the scatter between repeats; a claim such as "sub-linear" should hold for the whole interval.
 */
export function fitPowerLawInterval(
  xs: readonly number[],
  ys: readonly number[],
  level = 0.95
): PowerLawInterval | undefined {
  if (!(level > 0 && level < 1))
    throw new RangeError(`fitPowerLawInterval: level must be in (0, 1), got ${level}`)
  const fit = fitPowerLaw(xs, ys)
  if (!fit || fit.points < 3) return fit
  const lx: number[] = []
  const ly: number[] = []
  for (let i = 0; i < xs.length; i++) {
    if (xs[i] > 0 && ys[i] > 0 && Number.isFinite(xs[i]) && Number.isFinite(ys[i])) {
      lx.push(Math.log(xs[i]))
      ly.push(Math.log(ys[i]))
    }
  }
  const xMean = mean(lx)
  const a = Math.log(fit.coefficient)
  let sxx = 0
  let ssRes = 0
  for (let i = 0; i < lx.length; i++) {
    sxx += (lx[i] - xMean) ** 2
    ssRes += (ly[i] - (a + fit.exponent * lx[i])) ** 2
  }
  const df = lx.length - 2
  const half = studentTQuantile((1 + level) / 2, df) * Math.sqrt(ssRes / df / sxx)
  return { ...fit, ci: { level, low: fit.exponent - half, high: fit.exponent + half } }
}

/** How many times faster `improved` is than `reference` (e.g. sequential ÷ parallel time). */
export function speedup(reference: number, improved: number): number | undefined {
  if (!(improved > 0) || !(reference >= 0) || !Number.isFinite(reference) || !Number.isFinite(improved))
    return undefined
  return reference / improved
}

/**
 * Load-balance efficiency of per-worker busy times: mean ÷ max (1 = perfectly even, 1/k = one of k did everything).
 * Undefined when there is no work to judge.
 */
export function loadBalanceEfficiency(busy: readonly number[]): number | undefined {
  if (busy.length === 0 || busy.some(b => !Number.isFinite(b) || b < 0)) return undefined
  const max = Math.max(...busy)
  if (max === 0) return undefined
  return mean([...busy]) / max
}
