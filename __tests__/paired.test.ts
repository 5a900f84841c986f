import { describe, expect, it } from 'vitest'
import { mulberry32 } from '../src/stats/bootstrap.js'
import { blockMeans, logRatios, pairedTest, quantizationSe, trimmedStats } from '../src/stats/paired.js'

const opts = { thresholdPct: 10, direction: 'lower' as const, alphaForMde: 0.01 / 20 }

describe('trimmedStats (Yuen)', () => {
  it('matches a hand computation', () => {
    // n = 10, g = 2: kept 3..8 (mean 5.5); winsorized 3,3,3,4,5,6,7,8,8,8 (sd 2.2730...), h = 6
    const t = trimmedStats([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])!
    expect(t.mean).toBeCloseTo(5.5, 12)
    const w = [3, 3, 3, 4, 5, 6, 7, 8, 8, 8]
    const m = w.reduce((a, b) => a + b) / 10
    const sd = Math.sqrt(w.reduce((a, v) => a + (v - m) ** 2, 0) / 9)
    expect(t.se).toBeCloseTo(sd / (0.6 * Math.sqrt(10)), 12)
    expect(t.df).toBe(5)
  })
  it('is not moved by one wild pair', () => {
    const t = trimmedStats([0.01, -0.01, 0.02, 0, 0.01, -0.02, 0.01, 5])!
    expect(Math.abs(t.mean)).toBeLessThan(0.02)
  })
})

describe('pairedTest', () => {
  const rng = mulberry32(42)
  const noisy = (n: number, factor: number, sd = 0.05): [number[], number[]] => {
    const base: number[] = []
    const head: number[] = []
    for (let i = 0; i < n; i++) {
      // A drift both sides share (the machine), and independent noise per side.
      const machine = 1 + Math.sin(i / 5) * 0.5
      base.push(machine * Math.exp((rng() - 0.5) * 2 * sd))
      head.push(machine * factor * Math.exp((rng() - 0.5) * 2 * sd))
    }
    return [base, head]
  }
  it('flags a ×3 slowdown as worse beyond the threshold, and not better', () => {
    const r = pairedTest(...noisy(30, 3), opts)!
    expect(r.changePct).toBeGreaterThan(180)
    expect(r.pWorse).toBeLessThan(1e-6)
    expect(r.pBetter).toBeGreaterThan(0.99)
  })
  it('does not call a change below the threshold worse, however precise', () => {
    const r = pairedTest(...noisy(200, 1.05, 0.01), opts)!
    expect(r.interval.lowPct).toBeGreaterThan(3)
    expect(r.pWorse).toBeGreaterThan(0.5)
  })
  it('leaves an unchanged pair unflagged and reports a minimum detectable effect above the threshold', () => {
    const r = pairedTest(...noisy(100, 1), opts)!
    expect(r.pWorse).toBeGreaterThan(0.05)
    expect(r.pBetter).toBeGreaterThan(0.05)
    expect(r.mdePct).toBeGreaterThan(10)
    expect(r.mdePct).toBeLessThan(15)
  })
  it('reads a drop as worse for a higher-is-better metric', () => {
    const [b, h] = noisy(30, 1 / 3)
    const r = pairedTest(b, h, { ...opts, direction: 'higher' })!
    expect(r.pWorse).toBeLessThan(1e-6)
  })
  it('decides counted metrics (no spread) by the change alone', () => {
    const exact = { ...opts, exact: true }
    expect(pairedTest([5, 5, 5, 5], [8, 8, 8, 8], exact)!.pWorse).toBe(0)
    expect(pairedTest([5, 5, 5, 5], [5, 5, 5, 5], exact)!.pWorse).toBe(1)
  })
  it('needs 3 usable pairs and skips non-positive ones', () => {
    expect(pairedTest([1, 2], [1, 2], opts)).toBeUndefined()
    expect(logRatios([1, 0, 2, 3], [1, 1, -1, 3, 9])).toEqual([0, 0])
  })
})

describe('quantizationSe', () => {
  it('gives coarse readings (CPU ticks) the error of their step, so equal ticks are not certainty', () => {
    const r = pairedTest([0.04, 0.04, 0.04, 0.04, 0.04], [0.03, 0.03, 0.03, 0.03, 0.03], {
      ...opts,
      direction: 'lower'
    })!
    expect(r.seLog).toBeGreaterThan(0.03)
    expect(r.pBetter).toBeGreaterThan(1e-4)
  })
  it('adds nothing for exact counts or continuous timings', () => {
    expect(quantizationSe([505, 505, 505], [505, 505, 505], 3)).toBe(0)
    expect(quantizationSe([1.01, 1.02, 1.05, 0.99], [1.03, 1.0, 1.04, 0.98], 4)).toBe(0)
  })
})

describe('blockMeans (batch means for pairs that share a request)', () => {
  it('averages consecutive blocks, keeping a short last block', () => {
    expect(blockMeans([1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4], 5)).toEqual([1, 2, 3, 4])
    expect(blockMeans([1, 2, 3], 5)).toEqual([1, 2, 3])
  })
  it('a shift that hit one request is one unit of evidence, not one per sample', () => {
    // 30 pairs from 6 requests: one request of the head ran 50 % slow, every other pair is equal.
    const base = Array.from({ length: 30 }, () => 1)
    const head = base.map((_, i) => (i < 5 ? 1.5 : 1 + (i % 2 ? 0.01 : -0.01)))
    const pooled = pairedTest(base, head, { ...opts, thresholdPct: 0 })!
    const blocked = pairedTest(base, head, { ...opts, thresholdPct: 0, block: 5 })!
    expect(blocked.pWorse).toBeGreaterThan(pooled.pWorse)
    expect(blocked.pWorse).toBeGreaterThan(0.05)
  })
})
