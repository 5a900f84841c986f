// Run-wide drift: a slower or busier runner moves every timing of a run together, which no within-run test can
// see and which would otherwise swamp a 25 % change in one metric. The comparison estimates that common shift from
// the other timed metrics of the same two runs and judges each metric on what is left.
import { median } from 'simple-statistics'

/**
 * How a slower machine moves a metric: times and costs scale with it, rates scale inversely, counts (messages,
 * bytes, memory, ratios of two times) do not move.
 */
export type DriftClass = 'scales' | 'inverse' | 'none'

const TIME_UNITS = new Set(['ns', 'us', 'µs', 'ms', 's', 'usd', 'usd/op', 'ms/agent', 's/op'])

export function driftClass(unit: string): DriftClass {
  const u = unit.trim().toLowerCase()
  if (TIME_UNITS.has(u) || u.startsWith('usd') || /^(ns|us|µs|ms|s)(\/|$)/.test(u)) return 'scales'
  if (/\/s$/.test(u) || u.endsWith('per s') || u === 'hz') return 'inverse'
  return 'none'
}

/** +1 for times, −1 for rates, 0 for counts: ln(metric change) = sign × ln(runner slowdown). */
export const driftSign = (cls: DriftClass): number => (cls === 'scales' ? 1 : cls === 'inverse' ? -1 : 0)

/** MAD → σ for normally distributed data; median → its standard error factor √(π/2). */
const MAD_TO_SIGMA = 1.4826
const MEDIAN_SE = Math.sqrt(Math.PI / 2)

/**
 * Standard error of ln(headline) of one run from its own samples: how far the headline would move if the run
 * were repeated with no runner change. Median headline: from 20 samples the distribution-free McKean–Schrader
 * error (order statistics around the median of the log samples), below that √(π/2)·σ/√n with σ the MAD of the log
 * samples (robust to the long tail of timings); mean headline: sd/(√n·mean). Undefined with fewer than 2 positive
 * samples.
 */
export function headlineSeLog(samples: readonly number[], headline: 'median' | 'mean'): number | undefined {
  const xs = samples.filter(x => x > 0 && Number.isFinite(x))
  const n = xs.length
  if (n < 2) return undefined
  if (headline === 'mean') {
    const mean = xs.reduce((a, b) => a + b, 0) / n
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1))
    return sd / (Math.sqrt(n) * mean)
  }
  const logs = xs.map(Math.log)
  if (n >= 20) {
    // Distribution-free (McKean–Schrader): the spread of the order statistics around the median. Where samples
    // switch between modes the median sits between them and moves far more than the MAD formula says.
    const sorted = logs.sort((a, b) => a - b)
    const c = Math.max(1, Math.round((n + 1) / 2 - 1.96 * Math.sqrt(n / 4)))
    const orderSe = (sorted[n - c] - sorted[c - 1]) / (2 * 1.96)
    if (orderSe > 0) return orderSe
  }
  const m = median(logs)
  let sigma = MAD_TO_SIGMA * median(logs.map(l => Math.abs(l - m)))
  if (sigma === 0) {
    // More than half the samples are equal (coarse timer): fall back to the standard deviation.
    const mean = logs.reduce((a, b) => a + b, 0) / n
    sigma = Math.sqrt(logs.reduce((a, l) => a + (l - mean) ** 2, 0) / (n - 1))
  }
  return (MEDIAN_SE * sigma) / Math.sqrt(n)
}

/**
 * Weights capped at `maxShare` of their total, so no single very precise metric decides a shift alone: it could be
 * the one that regressed.
 */
export function capWeights(weights: readonly number[], maxShare = 0.25): number[] {
  const w = weights.map(x => (Number.isFinite(x) && x > 0 ? x : 0))
  if (w.every(x => x === 0)) return w.map(() => 1)
  if (w.length * maxShare < 1) return w
  // The cap x solves x = share × (uncapped sum + capped count × x); capping can push others over it, so repeat
  // until the capped set stops growing (at most n rounds).
  const capped = new Set<number>()
  let cap = Infinity
  for (let round = 0; round <= w.length; round++) {
    const free = w.reduce((a, x, i) => (capped.has(i) ? a : a + x), 0)
    const rest = 1 - maxShare * capped.size
    if (rest <= 0 || free === 0) break
    cap = (maxShare * free) / rest
    const over = w.map((x, i) => i).filter(i => !capped.has(i) && w[i] > cap)
    if (over.length === 0) break
    for (const i of over) capped.add(i)
  }
  return w.map((x, i) => (capped.has(i) ? cap : x))
}

/** Weighted median: the value where the cumulative weight of the sorted values reaches half the total. */
export function weightedMedian(values: readonly number[], weights: readonly number[]): number | undefined {
  if (values.length === 0) return undefined
  const order = values.map((v, i) => ({ v, w: weights[i] })).sort((a, b) => a.v - b.v)
  const half = order.reduce((a, b) => a + b.w, 0) / 2
  let acc = 0
  for (let i = 0; i < order.length; i++) {
    acc += order[i].w
    if (acc > half) return order[i].v
    // Exactly half: the midpoint of the two values that straddle it, as for an unweighted median of even count.
    if (acc === half && i + 1 < order.length) return (order[i].v + order[i + 1].v) / 2
  }
  return order[order.length - 1].v
}

/** One timed metric's evidence of the runner's speed: its log change, sign-adjusted to "ln slowdown". */
export interface ShiftInput {
  key: string
  /** The benchmark it came from: its other metrics time the same code, so judging one leaves them all out. */
  group?: string
  /** ln(slowdown) this metric shows: sign × ln(head ÷ base). */
  logSlowdown: number
  /** Standard error of that value (both runs' sampling). */
  seLog: number
  /** Fewest samples on either side (undefined: unknown). */
  samples?: number
}

export interface RunShift {
  /** ln of the estimated runner slowdown (positive: the head run's machine was slower). */
  logShift: number
  /** Its standard error (weighted median ≈ √(π/2) / √Σw). */
  seLog: number
  /** Metrics it was estimated from. */
  metrics: number
}

/** Below this a metric's standard error is not trusted as a weight (a perfectly quiet timing is a coarse timer). */
const MIN_SE_LOG = 0.005

/**
 * How far one timing strays from its run's common shift beyond its sampling error (its own code path meets the
 * contention differently): ln 1.1. Measured over 16 quick runs of one commit on a shared 2-core VM, the robust
 * (MAD) scatter of 32 timings around their run's shift was 3–10 % in quiet runs and 12–19 % in busy ones. It keeps a
 * timing with thousands of samples from outweighing the others: precision within a run is not agreement across runs.
 */
export const METRIC_SCATTER_LOG = Math.log(1.1)

/** The run-wide shift from the given metrics, leaving out `exclude` (a metric key or a whole benchmark's group). */
export function runShift(inputs: readonly ShiftInput[], exclude?: string): RunShift | undefined {
  const used = inputs.filter(
    i => i.key !== exclude && (exclude === undefined || i.group !== exclude) && Number.isFinite(i.logSlowdown)
  )
  if (used.length === 0) return undefined
  const weights = capWeights(
    used.map(i => 1 / (Math.max(MIN_SE_LOG, i.seLog) ** 2 + METRIC_SCATTER_LOG ** 2))
  )
  const logShift = weightedMedian(
    used.map(i => i.logSlowdown),
    weights
  )!
  const total = weights.reduce((a, b) => a + b, 0)
  return { logShift, seLog: MEDIAN_SE / Math.sqrt(total), metrics: used.length }
}

/** Fewest samples per side for a timing to inform the scatter. */
export const SCATTER_MIN_SAMPLES = 30

/** |z| at the median of a standard normal: the MAD of standardized residuals that are only sampling error. */
const HALF_NORMAL_MEDIAN = 0.6745

/**
 * How far single timings stray between these two runs beyond their sampling error: the τ that makes the timings'
 * changes around the run-wide shift, each divided by √(its sampling error² + τ²), as spread as sampling error
 * alone would be (median |z| = 0.6745). Robust to a few timings that moved on their own (a regression among them).
 * Quiet pairs of runs here showed 3–10 %, pairs with a busy run 12–19 %: a timing that moved that much alone did
 * nothing unusual for this pair. 0 with fewer than `minInputs` timings to tell, or none beyond sampling.
 */
export interface RunScatter {
  /** τ on the log scale. */
  logScatter: number
  /** Timings it was estimated from (its degrees of freedom are one fewer). */
  timings: number
}

export function runScatter(inputs: readonly ShiftInput[], logShift: number, minInputs = 5): RunScatter {
  // Only timings whose sampling error the MAD formula estimates well; with 8–20 samples it reads low, and the
  // shortfall would pass for scatter (measured: 1.7 % median "scatter" between runs drawn from one pool).
  const used = inputs.filter(
    i =>
      Number.isFinite(i.logSlowdown) &&
      Number.isFinite(i.seLog) &&
      (i.samples ?? Infinity) >= SCATTER_MIN_SAMPLES
  )
  const none = { logScatter: 0, timings: used.length }
  if (used.length < minInputs) return none
  const spread = (tau: number): number =>
    median(
      used.map(
        i => Math.abs(i.logSlowdown - logShift) / Math.sqrt(Math.max(MIN_SE_LOG, i.seLog) ** 2 + tau ** 2)
      )
    )
  if (spread(0) <= HALF_NORMAL_MEDIAN) return none
  let lo = 0
  let hi = 4
  for (let k = 0; k < 50; k++) {
    const mid = (lo + hi) / 2
    if (spread(mid) > HALF_NORMAL_MEDIAN) lo = mid
    else hi = mid
  }
  return { logScatter: hi, timings: used.length }
}
