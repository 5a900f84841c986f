// Distribution functions the summaries and the regression test need, with the precision p-values need.
// simple-statistics' normal CDF is a 4-digit table (useless for p-values after a multiple-testing correction) and it
// has no t or binomial quantiles, so these are the classic numerical recipes, built on its `gammaln`.
import { gammaln } from 'simple-statistics'

/** Complementary error function (Chebyshev fit, fractional error < 1.2e-7 everywhere, accurate in the tails). */
export function erfc(x: number): number {
  const z = Math.abs(x)
  const t = 1 / (1 + 0.5 * z)
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
    )
  return x >= 0 ? r : 2 - r
}

/** P(Z ≤ z) for a standard normal Z. */
export const normalCdf = (z: number): number => 0.5 * erfc(-z / Math.SQRT2)

/** P(Z > z): the upper tail, computed directly so tiny p-values keep their digits. */
export const normalSf = (z: number): number => 0.5 * erfc(z / Math.SQRT2)

/** Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity
    if (p === 1) return Infinity
    throw new RangeError(`normalQuantile: p must be in [0, 1], got ${p}`)
  }
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
  const pLow = 0.02425
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p))
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    )
  }
  if (p > 1 - pLow) return -normalQuantile(1 - p)
  const q = p - 0.5
  const r = q * q
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  )
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300
  let c = 1
  let d = 1 - ((a + b) * x) / (a + 1)
  if (Math.abs(d) < tiny) d = tiny
  d = 1 / d
  let h = d
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2))
    d = 1 + aa * d
    if (Math.abs(d) < tiny) d = tiny
    c = 1 + aa / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    h *= d * c
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1))
    d = 1 + aa * d
    if (Math.abs(d) < tiny) d = tiny
    c = 1 + aa / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    const del = d * c
    h *= del
    if (Math.abs(del - 1) < 1e-15) break
  }
  return h
}

/** Regularized incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0
  if (x >= 1) return 1
  const front = Math.exp(gammaln(a + b) - gammaln(a) - gammaln(b) + a * Math.log(x) + b * Math.log(1 - x))
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(a, b, x)) / a
    : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5)
  return t >= 0 ? 1 - tail : tail
}

/** Student's t quantile by bisection on the CDF (monotone, so bisection cannot fail). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: p must be in (0, 1), got ${p}`)
  if (!(df > 0)) throw new RangeError(`studentTQuantile: df must be positive, got ${df}`)
  if (p === 0.5) return 0
  if (p < 0.5) return -studentTQuantile(1 - p, df)
  let lo = 0
  let hi = 1
  while (studentTCdf(hi, df) < p && hi < 1e12) hi *= 2
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2
    if (studentTCdf(mid, df) < p) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}

/**
 * Order-statistic interval for the median: the largest `l` such that [x(l), x(n+1-l)] (1-based, sorted) covers the
 * population median with probability ≥ `level`, i.e. 2·P(Bin(n, ½) ≤ l−1) ≤ 1 − level. Distribution-free.
 * When n is too small for any interval to reach `level`, returns l = 1 (min..max) with the coverage it does reach.
 */
export function medianOrderStatisticRank(n: number, level: number): { l: number; coverage: number } {
  if (n < 1) return { l: 0, coverage: 0 }
  const halfAlpha = (1 - level) / 2
  // Log-space pmf recurrence: 2^-n underflows for n > 1074, the sums do not.
  let logPmf = -n * Math.LN2
  let cdf = 0
  let l = 0
  let cdfAtL = 0
  for (let k = 0; k <= Math.floor((n - 1) / 2); k++) {
    cdf += Math.exp(logPmf)
    if (cdf > halfAlpha) break
    l = k + 1
    cdfAtL = cdf
    logPmf += Math.log(n - k) - Math.log(k + 1)
  }
  if (l === 0) return { l: 1, coverage: Math.max(0, 1 - 2 * Math.exp(-n * Math.LN2)) }
  return { l, coverage: 1 - 2 * cdfAtL }
}
