import { describe, expect, it } from 'vitest'
import { mulberry32 } from '../src/stats/bootstrap.js'
import {
  capWeights,
  driftClass,
  driftSign,
  headlineSeLog,
  runScatter,
  runShift,
  weightedMedian
} from '../src/stats/drift.js'

describe('driftClass', () => {
  it('times and costs scale with a slower runner, rates inversely, counts not at all', () => {
    for (const u of ['ms', 's', 'µs', 'usd/op', 'ms/agent']) expect(driftClass(u)).toBe('scales')
    for (const u of ['msg/s', 'tasks/s', 'executions/s']) expect(driftClass(u)).toBe('inverse')
    for (const u of ['bytes', 'messages', 'MiB', '%', 'x']) expect(driftClass(u)).toBe('none')
    expect([driftSign('scales'), driftSign('inverse'), driftSign('none')]).toEqual([1, -1, 0])
  })
})

describe('weightedMedian and capWeights', () => {
  it('equal weights give the ordinary median', () => {
    expect(weightedMedian([5, 1, 3], [1, 1, 1])).toBe(3)
    expect(weightedMedian([4, 1, 3, 2], [1, 1, 1, 1])).toBe(2.5)
    expect(weightedMedian([], [])).toBeUndefined()
  })

  it('a heavy weight pulls the median to its value', () => {
    expect(weightedMedian([1, 2, 3, 100], [1, 1, 1, 10])).toBe(100)
  })

  it('capping keeps any one weight at most the given share of the total', () => {
    const w = capWeights([1, 1, 1, 1, 1000])
    const total = w.reduce((a, b) => a + b, 0)
    expect(Math.max(...w) / total).toBeLessThanOrEqual(0.25 + 1e-9)
    // The one very precise value no longer decides the median alone.
    expect(weightedMedian([1, 2, 3, 4, 100], w)).toBe(3)
    expect(capWeights([0, 0])).toEqual([1, 1])
  })
})

describe('headlineSeLog', () => {
  const lognormal = (n: number, sigma: number, seed: number): number[] => {
    const rand = mulberry32(seed)
    return Array.from({ length: n }, () => {
      const g = (rand() + rand() + rand() + rand() - 2) * Math.sqrt(3)
      return 10 * Math.exp(sigma * g)
    })
  }

  it('is about √(π/2)·σ/√n for a median of log-normal samples, and shrinks as 1/√n', () => {
    const se100 = headlineSeLog(lognormal(100, 0.2, 1), 'median')!
    const se400 = headlineSeLog(lognormal(400, 0.2, 2), 'median')!
    expect(se100).toBeGreaterThan(0.8 * ((1.2533 * 0.2) / 10))
    expect(se100).toBeLessThan(1.25 * ((1.2533 * 0.2) / 10))
    expect(se400 / se100).toBeGreaterThan(0.4)
    expect(se400 / se100).toBeLessThan(0.6)
  })

  it('reads a median between two modes as unsteady, as it is (order statistics, from 20 samples)', () => {
    // Half the samples near 30, half near 80 (a round trip switching CPU placement): the median sits in the gap and
    // jumps between modes from run to run. The MAD formula would call it 3 % steady.
    const bimodal = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? 30 : 80) * (1 + (i % 7) / 100))
    const se = headlineSeLog(bimodal, 'median')!
    expect(se).toBeGreaterThan(0.15)
    // Unimodal: close to √(π/2)·σ/√n.
    const rand = mulberry32(4)
    const logs = Array.from(
      { length: 400 },
      () => 0.1 * (rand() + rand() + rand() + rand() - 2) * Math.sqrt(3)
    )
    const uni = headlineSeLog(logs.map(Math.exp), 'median')!
    const expected = (Math.sqrt(Math.PI / 2) * 0.1) / Math.sqrt(400)
    expect(uni / expected).toBeGreaterThan(0.7)
    expect(uni / expected).toBeLessThan(1.4)
  })

  it('uses the standard error of the mean for mean headlines, and needs two samples', () => {
    expect(headlineSeLog([9, 11], 'mean')).toBeCloseTo(Math.SQRT2 / Math.sqrt(2) / 10, 9)
    expect(headlineSeLog([5], 'median')).toBeUndefined()
    // More than half the samples identical (a coarse clock): the standard deviation stands in for the MAD.
    expect(headlineSeLog([10, 10, 10, 10, 20], 'median')!).toBeGreaterThan(0)
  })
})

describe('runShift', () => {
  it('is the shift most timings agree on, leaving out the metric being judged', () => {
    const inputs = [0.2, 0.21, 0.19, 0.2, 0.6].map((logSlowdown, i) => ({
      key: `k${i}`,
      logSlowdown,
      seLog: 0.02
    }))
    const all = runShift(inputs)!
    expect(all.logShift).toBeCloseTo(0.2, 2)
    expect(all.metrics).toBe(5)
    // The outlier does not move it, and judging the outlier leaves it out entirely.
    const loo = runShift(inputs, 'k4')!
    expect(loo.metrics).toBe(4)
    expect(loo.logShift).toBeGreaterThanOrEqual(0.19)
    expect(loo.logShift).toBeLessThanOrEqual(0.21)
    expect(loo.seLog).toBeGreaterThan(0)
    expect(runShift([], 'x')).toBeUndefined()
  })
})

describe('runScatter', () => {
  const inputs = (logs: number[], se = 0.01) =>
    logs.map((logSlowdown, i) => ({ key: `k${i}`, logSlowdown, seLog: se }))

  it('is the spread of the timings around the shift beyond their sampling error', () => {
    // Timings that agree to within their sampling error: nothing beyond it.
    expect(runScatter(inputs([0.2, 0.205, 0.195, 0.2, 0.21, 0.19]), 0.2).logScatter).toBeLessThan(0.005)
    // Timings that stray ±10 % around the shift: about that much, whatever one outlier does.
    const { logScatter: tau, timings } = runScatter(inputs([0.3, 0.1, 0.32, 0.08, 0.2, 0.28, 0.12, 2]), 0.2)
    expect(timings).toBe(8)
    expect(tau).toBeGreaterThan(0.07)
    expect(tau).toBeLessThan(0.16)
    // Large sampling errors explain the spread: nothing is left over.
    expect(runScatter(inputs([0.3, 0.1, 0.32, 0.08, 0.2], 0.2), 0.2).logScatter).toBe(0)
  })

  it('needs enough timings to tell', () => {
    expect(runScatter(inputs([0.5, -0.5, 0.4, -0.4]), 0).logScatter).toBe(0)
    expect(runScatter(inputs([0.5, -0.5, 0.4, -0.4, 0.45]), 0).logScatter).toBeGreaterThan(0.3)
    // Timings with fewer than 30 samples a side do not inform it (their error formula reads low).
    const few = inputs([0.5, -0.5, 0.4, -0.4, 0.45]).map(i => ({ ...i, samples: 20 }))
    expect(runScatter(few, 0)).toEqual({ logScatter: 0, timings: 0 })
  })
})
