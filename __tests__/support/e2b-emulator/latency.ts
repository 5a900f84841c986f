// Latency distributions for the E2B emulator: seeded, so a plan run can be repeated draw for draw.
//
// A latency is either a fixed number of milliseconds or a lognormal fitted to two quantiles (a network round trip
// or a sandbox creation is skewed to the right: most calls near the median, a tail of slow ones). The emulator
// adds one draw per request before serving it and answers at once, so a draw is the whole round trip the caller
// sees, not one way.

/** A fixed delay, or a lognormal given by two of its quantiles, e.g. p50 440 ms and p95 850 ms. */
export type LatencySpec =
  | { kind: 'fixed'; ms: number }
  | { kind: 'lognormal'; q: readonly [readonly [number, number], readonly [number, number]] }

/** A source of delays in ms (never negative). */
export type LatencyDraw = () => number

/** mulberry32: a small seeded PRNG, uniform on [0, 1). */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`)
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239
  ]
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572]
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783
  ]
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416]
  const lo = 0.02425
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p))
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    )
  }
  if (p > 1 - lo) return -normalQuantile(1 - p)
  const q = p - 0.5
  const r = q * q
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  )
}

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
  const u = seededUniform(seed)
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
