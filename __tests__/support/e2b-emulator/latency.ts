// Latency distributions for the E2B emulator: seeded, so a plan run can be repeated draw for draw.
//
// A latency is either a fixed number of milliseconds or a lognormal fitted to two quantiles (a network round trip
// or a sandbox creation is skewed to the right: most calls near the median, a tail of slow ones). The emulator
// adds one draw per request before serving it and answers at once, so a draw is the whole round trip the caller
// sees, not one way.

import { mulberry32 } from '../../../src/stats/bootstrap.js'
import { normalQuantile } from '../../../src/stats/distributions.js'

/** A fixed delay, or a lognormal given by two of its quantiles, e.g. p50 440 ms and p95 850 ms. */
export type LatencySpec =
  | { kind: 'fixed'; ms: number }
  | { kind: 'lognormal'; q: readonly [readonly [number, number], readonly [number, number]] }

/** A source of delays in ms (never negative). */
export type LatencyDraw = () => number

/** μ and σ of ln(X) for the lognormal X whose quantile p1 is x1 and p2 is x2 (p1 < p2, 0 < x1 < x2). */
export function lognormalFromQuantiles(
  p1: number,
  x1: number,
  p2: number,
  x2: number
): { mu: number; sigma: number } {
  if (!(p1 < p2 && x1 > 0 && x2 > x1))
    throw new RangeError('lognormalFromQuantiles: need p1 < p2 and 0 < x1 < x2')
  const z1 = normalQuantile(p1)
  const z2 = normalQuantile(p2)
  const sigma = (Math.log(x2) - Math.log(x1)) / (z2 - z1)
  return { mu: Math.log(x1) - sigma * z1, sigma }
}

/** Delays drawn from `spec`, seeded: the same seed gives the same sequence. */
export function latencyDraw(spec: LatencySpec, seed: number): LatencyDraw {
  if (spec.kind === 'fixed') return () => Math.max(0, spec.ms)
  const [[p1, x1], [p2, x2]] = spec.q
  const { mu, sigma } = lognormalFromQuantiles(p1, x1, p2, x2)
  const u = mulberry32(seed)
  return () => {
    // Box–Muller; 1 − u keeps the logarithm finite.
    const z = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u())
    return Math.exp(mu + sigma * z)
  }
}

/** One line for a report: "450 ms" or "lognormal p50 440 / p95 850 ms". */
export function describeLatency(spec: LatencySpec): string {
  if (spec.kind === 'fixed') return `${spec.ms} ms`
  const [[p1, x1], [p2, x2]] = spec.q
  return `lognormal p${Math.round(p1 * 100)} ${x1} / p${Math.round(p2 * 100)} ${x2} ms`
}
