import { describe, expect, it } from 'vitest'
import { wilcoxonRankSum } from 'simple-statistics'
import {
  medianOrderStatisticRank,
  normalCdf,
  normalQuantile,
  normalSf,
  studentTQuantile
} from '../src/stats/distributions.js'
import { bootstrapRatio, mulberry32 } from '../src/stats/bootstrap.js'
import { holmAdjust } from '../src/stats/multiple.js'
import { noiseBand } from '../src/stats/noise.js'
import { mannWhitneyU } from '../src/stats/rank-test.js'
import {
  fitPowerLaw,
  fitPowerLawInterval,
  loadBalanceEfficiency,
  speedup,
  summarize
} from '../src/stats/describe.js'

const oneToTen = [7, 3, 10, 1, 5, 9, 2, 8, 4, 6]

describe('summarize', () => {
  it('matches hand-computed figures (median headline, order-statistic CI)', () => {
    const s = summarize(oneToTen, 'median')
    expect(s.n).toBe(10)
    expect(s.mean).toBe(5.5)
    expect(s.median).toBe(5.5)
    expect(s.p50).toBe(5.5)
    expect(s.stddev).toBeCloseTo(3.0276503540974917, 12)
    expect(s.min).toBe(1)
    expect(s.max).toBe(10)
    // R type 7: h = 9·0.95 = 8.55 → 9 + 0.55·(10 − 9)
    expect(s.p95).toBeCloseTo(9.55, 12)
    expect(s.p99).toBeCloseTo(9.91, 12)
    // Bin(10, ½): P(B ≤ 1) = 11/1024 ≤ 0.025 < P(B ≤ 2) = 56/1024 → l = 2 → [x(2), x(9)]
    expect(s.ci).toEqual({ level: 0.95, low: 2, high: 9 })
    expect(s.ci.low).toBeLessThanOrEqual(s.median)
    expect(s.ci.high).toBeGreaterThanOrEqual(s.median)
  })

  it('gives a t-interval for the mean headline', () => {
    const s = summarize(oneToTen, 'mean')
    // t(0.975, 9) = 2.262157; half = 2.262157 · 3.02765 / √10 = 2.16585
    expect(s.ci.level).toBe(0.95)
    expect(s.ci.low).toBeCloseTo(5.5 - 2.16585, 4)
    expect(s.ci.high).toBeCloseTo(5.5 + 2.16585, 4)
  })

  it('reports the coverage actually reached when n is too small for 95 %', () => {
    const s = summarize([5, 1, 3, 2, 4])
    // Best possible with n = 5: [min, max], coverage 1 − 2/32
    expect(s.ci).toEqual({ level: 1 - 2 / 32, low: 1, high: 5 })
  })

  it('handles n = 0 and n = 1 without NaN', () => {
    for (const s of [summarize([]), summarize([42]), summarize([42], 'mean'), summarize([], 'mean')]) {
      for (const v of Object.values(s).concat(Object.values(s.ci))) {
        if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true)
      }
      expect(s.ci.level).toBe(0)
    }
    expect(summarize([42]).median).toBe(42)
    expect(summarize([42]).stddev).toBe(0)
  })

  it('rejects non-finite samples instead of hiding them', () => {
    expect(() => summarize([1, NaN])).toThrow(/sample 1/)
    expect(() => summarize([Infinity])).toThrow(/finite/)
  })

  it('keeps the median inside its CI for skewed data of many sizes', () => {
    const rand = mulberry32(7)
    for (const n of [6, 9, 20, 51, 200, 2000]) {
      const xs = Array.from({ length: n }, () => Math.exp(rand() * 3))
      const s = summarize(xs)
      expect(s.ci.low).toBeLessThanOrEqual(s.median)
      expect(s.ci.high).toBeGreaterThanOrEqual(s.median)
      expect(s.ci.level).toBe(0.95)
    }
  })

  it('order-statistic rank works for large n (no underflow)', () => {
    const { l, coverage } = medianOrderStatisticRank(100_000, 0.95)
    // Normal approximation: l ≈ n/2 − 1.96·√n/2 = 50000 − 309.9
    expect(Math.abs(l - (50_000 - 310))).toBeLessThan(3)
    expect(coverage).toBeGreaterThanOrEqual(0.95)
    expect(coverage).toBeLessThan(0.96)
  })
})

describe('distributions', () => {
  it('normal and t quantiles match tables', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5)
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6)
    expect(normalSf(6)).toBeGreaterThan(0)
    expect(normalSf(6)).toBeCloseTo(9.865876e-10, 15)
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.7062, 3)
    expect(studentTQuantile(0.975, 9)).toBeCloseTo(2.262157, 5)
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.042272, 5)
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.959966, 4)
  })
})

describe('fitPowerLaw', () => {
  it('recovers y = 3·x^0.5', () => {
    const xs = [1, 2, 4, 8, 16, 32]
    const fit = fitPowerLaw(
      xs,
      xs.map(x => 3 * Math.sqrt(x))
    )!
    expect(fit.exponent).toBeCloseTo(0.5, 10)
    expect(fit.coefficient).toBeCloseTo(3, 10)
    expect(fit.r2).toBeCloseTo(1, 10)
    expect(fit.points).toBe(6)
  })

  it('drops non-positive points and refuses a fit from one x', () => {
    expect(fitPowerLaw([0, 2, 4], [1, 2, 4])!.points).toBe(2)
    expect(fitPowerLaw([2, 2], [1, 5])).toBeUndefined()
    expect(fitPowerLaw([], [])).toBeUndefined()
    expect(fitPowerLaw([1, 2, 3], [5, 5, 5])).toEqual({ exponent: 0, coefficient: 5, r2: 1, points: 3 })
  })
})

describe('fitPowerLawInterval', () => {
  it('gives the least-squares slope interval, hand-computed', () => {
    // log x = 0,0,1,1,2,2 and log y = x ± 0.1: slope 1, residuals ±0.1 → SSres 0.06, Sxx 4, df 4,
    // SE = √(0.06/4/4) = 0.0612372, t(0.975, 4) = 2.776445 → half-width 0.170021.
    const lx = [0, 0, 1, 1, 2, 2]
    const ly = [0.1, -0.1, 1.1, 0.9, 2.1, 1.9]
    const fit = fitPowerLawInterval(lx.map(Math.exp), ly.map(Math.exp))!
    expect(fit.exponent).toBeCloseTo(1, 12)
    expect(fit.points).toBe(6)
    expect(fit.ci!.level).toBe(0.95)
    expect(fit.ci!.low).toBeCloseTo(1 - 0.170021, 5)
    expect(fit.ci!.high).toBeCloseTo(1 + 0.170021, 5)
  })

  it('narrows to the exponent on exact data and has no interval from two points', () => {
    const xs = [1, 2, 4, 1, 2, 4]
    const fit = fitPowerLawInterval(
      xs,
      xs.map(x => 2 * x ** 0.7)
    )!
    expect(fit.ci!.low).toBeCloseTo(0.7, 9)
    expect(fit.ci!.high).toBeCloseTo(0.7, 9)
    expect(fitPowerLawInterval([1, 4], [3, 6])!.ci).toBeUndefined()
    expect(fitPowerLawInterval([2, 2, 2], [1, 2, 3])).toBeUndefined()
  })

  it('covers the true exponent about 95 % of the time (3 repeats at 3 sizes, 20 % noise)', () => {
    const rand = mulberry32(7)
    const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())
    const xs = [1, 2, 4, 1, 2, 4, 1, 2, 4]
    let covered = 0
    const trials = 2000
    for (let t = 0; t < trials; t++) {
      const ci = fitPowerLawInterval(
        xs,
        xs.map(x => 5 * x ** 0.8 * Math.exp(0.2 * gauss()))
      )!.ci!
      if (ci.low <= 0.8 && 0.8 <= ci.high) covered++
    }
    expect(covered / trials).toBeGreaterThan(0.93)
    expect(covered / trials).toBeLessThan(0.97)
  })
})

describe('speedup and load balance', () => {
  it('computes ratios and refuses meaningless input', () => {
    expect(speedup(900, 300)).toBe(3)
    expect(speedup(900, 0)).toBeUndefined()
    expect(loadBalanceEfficiency([2, 2, 2])).toBe(1)
    expect(loadBalanceEfficiency([4, 0, 0, 0])).toBe(0.25)
    expect(loadBalanceEfficiency([1, 2, 3])).toBeCloseTo(2 / 3, 12)
    expect(loadBalanceEfficiency([])).toBeUndefined()
    expect(loadBalanceEfficiency([0, 0])).toBeUndefined()
  })
})

describe('mannWhitneyU', () => {
  it('is exact for small samples without ties', () => {
    const r = mannWhitneyU([1, 2, 3], [4, 5, 6])
    expect(r.method).toBe('exact')
    expect(r.u).toBe(0)
    // only 1 of C(6,3) = 20 orderings is this extreme, doubled
    expect(r.p).toBeCloseTo(2 / 20, 12)
    expect(mannWhitneyU([4, 5, 6, 7, 8], [1, 2, 3, 0, -1]).p).toBeCloseTo(2 / 252, 12)
  })

  it('agrees with simple-statistics rank sums', () => {
    const a = [3.1, 4.2, 1.5, 9.9, 2.2]
    const b = [5.5, 6.1, 0.3, 7.7]
    expect(mannWhitneyU(a, b).u).toBe(wilcoxonRankSum(a, b) - (5 * 6) / 2)
  })

  it('uses the tie-corrected normal approximation with ties (hand-computed)', () => {
    const r = mannWhitneyU([1, 2, 2, 3], [2, 3, 4, 5])
    expect(r.method).toBe('normal')
    expect(r.u).toBe(2.5)
    expect(r.p).toBeCloseTo(0.13665824773814753, 6)
  })

  it('gives p = 1 when every value is tied, and symmetric p-values', () => {
    expect(mannWhitneyU([1, 1, 1], [1, 1]).p).toBe(1)
    const a = [1, 5, 7, 9, 12, 13]
    const b = [2, 3, 4, 6, 8]
    expect(mannWhitneyU(a, b).p).toBeCloseTo(mannWhitneyU(b, a).p, 12)
  })
})

describe('holmAdjust', () => {
  it('adjusts in input order, monotone and capped', () => {
    const adj = holmAdjust([0.01, 0.04, 0.03, 0.005])
    expect(adj[0]).toBeCloseTo(0.03, 12)
    expect(adj[1]).toBeCloseTo(0.06, 12)
    expect(adj[2]).toBeCloseTo(0.06, 12)
    expect(adj[3]).toBeCloseTo(0.02, 12)
    expect(holmAdjust([0.5, 0.6])).toEqual([1, 1])
    expect(holmAdjust([])).toEqual([])
  })
})

describe('noiseBand', () => {
  const opts = { minNoisePct: 3, noiseSigmas: 3, minHistoryRuns: 3 }
  it('falls back to the floor with too little history', () => {
    const b = noiseBand([100, 150], opts)
    expect(b.source).toBe('floor')
    expect(b.highPct).toBeCloseTo(3, 10)
    expect(b.runs).toBe(2)
  })

  it('widens with run-to-run spread and is robust to one outlier run', () => {
    const tight = noiseBand([100, 101, 99, 100.5, 99.5], opts)
    const wide = noiseBand([100, 130, 75, 120, 85], opts)
    const outlier = noiseBand([100, 101, 99, 100.5, 99.5, 400], opts)
    expect(wide.highPct).toBeGreaterThan(tight.highPct * 5)
    expect(wide.source).toBe('history')
    expect(outlier.highPct).toBeLessThan(tight.highPct * 2)
  })
})

describe('bootstrapRatio', () => {
  it('counting-based resample medians equal sorting each resample (odd and even n)', () => {
    const naive = (base: number[], head: number[], iterations: number, seed: number) => {
      const rand = mulberry32(seed)
      const med = (src: number[]) => {
        const sorted = [...src].sort((x, y) => x - y)
        const res = sorted.map(() => sorted[Math.floor(rand() * sorted.length)]).sort((x, y) => x - y)
        const n = res.length
        return n % 2 ? res[(n - 1) / 2] : (res[n / 2 - 1] + res[n / 2]) / 2
      }
      const ratios: number[] = []
      for (let i = 0; i < iterations; i++) {
        const b = med(base)
        ratios.push(med(head) / b)
      }
      ratios.sort((x, y) => x - y)
      return { low: ratios[Math.floor(0.025 * iterations)], high: ratios[Math.floor(0.975 * iterations)] }
    }
    const base = [5, 1, 9, 3, 7, 2, 8]
    const head = [6, 2, 10, 4, 8, 3, 9, 11]
    const fast = bootstrapRatio(base, head, 'median', { iterations: 400, level: 0.95, seed: 3 })!
    const slow = naive(base, head, 400, 3)
    expect(fast.low).toBe(slow.low)
    expect(fast.high).toBe(slow.high)
  })

  it('is reproducible and brackets the true ratio', () => {
    const rand = mulberry32(1)
    const base = Array.from({ length: 40 }, () => 100 + rand() * 10)
    const head = base.map(x => x * 1.3)
    const a = bootstrapRatio(base, head, 'median', { iterations: 500, level: 0.95, seed: 9 })!
    const b = bootstrapRatio(base, head, 'median', { iterations: 500, level: 0.95, seed: 9 })!
    expect(a).toEqual(b)
    expect(a.low).toBeLessThanOrEqual(1.3)
    expect(a.high).toBeGreaterThanOrEqual(1.3)
    expect(a.low).toBeGreaterThan(1.1)
    expect(
      bootstrapRatio([0, 0, 0], [1, 2, 3], 'median', { iterations: 100, level: 0.95, seed: 1 })
    ).toBeUndefined()
  })
})
