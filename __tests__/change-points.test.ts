import { describe, expect, it } from 'vitest'
import { mulberry32 } from '../src/stats/bootstrap.js'
import { bestSplit, eDivisive, findStep } from '../src/stats/change-points.js'

/** Standard normal by Box–Muller from a seeded generator. */
function gauss(rand: () => number): number {
  let u = 0
  while (u === 0) u = rand()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand())
}

/** A history of `n` runs around 100 × level(i), with log-normal run-to-run noise σ (0.05 ≈ 5 %). */
function history(seed: number, n: number, sigma: number, level: (i: number) => number = () => 1): number[] {
  const rand = mulberry32(seed)
  return Array.from({ length: n }, (_, i) => 100 * level(i) * Math.exp(sigma * gauss(rand)))
}

const stepAt =
  (at: number, pct: number) =>
  (i: number): number =>
    i >= at ? 1 + pct / 100 : 1

/** q̂ of one split straight from its definition (Matteson & James, α = 1). */
function qhatByDefinition(x: number[], s: number, t: number, k: number): number {
  const X = x.slice(s, t)
  const Y = x.slice(t, k)
  const n = X.length
  const m = Y.length
  let xy = 0
  let xx = 0
  let yy = 0
  for (const a of X) for (const b of Y) xy += Math.abs(a - b)
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) xx += Math.abs(X[i] - X[j])
  for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) yy += Math.abs(Y[i] - Y[j])
  return (2 / (n + m)) * xy - ((2 * m) / ((n + m) * (n - 1))) * xx - ((2 * n) / ((n + m) * (m - 1))) * yy
}

describe('bestSplit', () => {
  it('finds the split of largest q̂, as computed from the definition over every (τ, κ)', () => {
    for (const seed of [1, 2, 3]) {
      const x = history(seed, 23, 0.2, stepAt(9 + seed, 30))
      for (const [s, e] of [
        [0, 23],
        [4, 19]
      ]) {
        let best = { index: -1, qhat: -Infinity }
        for (let t = s + 3; t <= e - 3; t++)
          for (let k = t + 3; k <= e; k++) {
            const q = qhatByDefinition(x, s, t, k)
            if (q > best.qhat) best = { index: t, qhat: q }
          }
        const got = bestSplit(x, s, e, 3)!
        expect(got.index).toBe(best.index)
        expect(got.qhat).toBeCloseTo(best.qhat, 9)
      }
    }
  })

  it('needs minSize points on each side', () => {
    expect(bestSplit([1, 2, 3, 4, 5], 0, 5, 3)).toBeUndefined()
    expect(bestSplit([1, 1, 1, 5, 5, 5], 0, 6, 3)).toEqual({ index: 3, qhat: expect.any(Number) })
  })
})

describe('eDivisive', () => {
  it('finds two clean steps exactly, and is reproducible for a seed', () => {
    const x = history(7, 60, 0.01, i => (i >= 40 ? 1.5 : i >= 20 ? 1.2 : 1)).map(Math.log)
    const cps = eDivisive(x, { seed: 3 })
    expect(cps.map(c => c.index)).toEqual([20, 40])
    expect(cps.every(c => c.pValue <= 0.001)).toBe(true)
    expect(eDivisive(x, { seed: 3 })).toEqual(cps)
  })

  it('holds its level: on flat series a first change point is found in α of them, not more', () => {
    // 19 shuffles at α = 0.05: significant only when no shuffle reached q̂, which happens 1 time in 20 on noise
    // (counting p as shuffles / (P + 1), as Otava does, would let 1 in 10 through).
    let found = 0
    for (let seed = 1; seed <= 1000; seed++) {
      if (eDivisive(history(seed, 20, 0.1).map(Math.log), { permutations: 19, alpha: 0.05, seed }).length)
        found++
    }
    expect(found / 1000).toBeGreaterThan(0.03)
    expect(found / 1000).toBeLessThan(0.075)
  })

  it('finds nothing in pure noise', () => {
    expect(eDivisive(history(11, 80, 0.05).map(Math.log))).toEqual([])
  })
})

describe('findStep on synthetic histories with a known step', () => {
  // 5 % run-to-run noise: the gated headlines' scatter between recorded runs of one commit (0.04–0.05 on the log
  // scale for compute_vs_floor, docs/performance.md §3).
  it('detects a +20 % step anywhere in 100 runs and locates it within ±1 run (40 seeds)', () => {
    let within = 0
    for (let seed = 1; seed <= 40; seed++) {
      const at = 6 + ((seed * 37) % 88)
      const step = findStep(history(seed, 100, 0.05, stepAt(at, 20)), {
        thresholdPct: 10,
        direction: 'lower',
        seed
      })
      expect(step, `seed ${seed}, step at ${at}`).toBeDefined()
      expect(step!.worse).toBe(true)
      expect(step!.changePct).toBeGreaterThan(14)
      expect(step!.changePct).toBeLessThan(26)
      if (Math.abs(step!.index - at) <= 1) within++
    }
    expect(within).toBeGreaterThanOrEqual(38)
  })

  it('reports no step on flat noisy histories (300 seeds, 5 % noise, and 200 with 15 % noise and outliers)', () => {
    const found: number[] = []
    for (let seed = 1; seed <= 300; seed++) {
      if (findStep(history(seed, 100, 0.05), { thresholdPct: 10, direction: 'lower', seed })) found.push(seed)
    }
    for (let seed = 1001; seed <= 1200; seed++) {
      // One run in 20 on a busy runner: twice as slow.
      const x = history(seed, 100, 0.15).map((v, i) => ((seed + i) % 20 === 0 ? 2 * v : v))
      if (findStep(x, { thresholdPct: 10, direction: 'lower', seed })) found.push(seed)
    }
    expect(found).toEqual([])
  })

  it('detects a creep of five +3 % steps (each far under the 10 % threshold) once they sum past it', () => {
    const creep = (i: number): number => 1.03 ** [20, 35, 50, 65, 80].filter(a => i >= a).length
    let detected = 0
    for (let seed = 1; seed <= 20; seed++) {
      const step = findStep(history(seed, 100, 0.02, creep), { thresholdPct: 10, direction: 'lower', seed })
      if (step && step.worse && step.changePct >= 10) detected++
      // A creep has no single start: the split lands among its first steps, early enough for the rise since to
      // pass the threshold (at least four of the five +3 % steps lie after it).
      if (step) expect(step.index).toBeGreaterThanOrEqual(15)
      if (step) expect(step.index).toBeLessThanOrEqual(52)
    }
    expect(detected).toBeGreaterThanOrEqual(19)
    // Stopped after two steps (+6 %), the same creep is not reported.
    const partial = (i: number): number => 1.03 ** [20, 35].filter(a => i >= a).length
    expect(findStep(history(5, 100, 0.02, partial), { thresholdPct: 10, direction: 'lower' })).toBeUndefined()
  })

  it('does not report a slowdown that was undone (only its undoing), nor a step under the threshold', () => {
    const undone = history(3, 100, 0.03, i => (i >= 30 && i < 60 ? 1.25 : 1))
    const back = findStep(undone, { thresholdPct: 10, direction: 'lower' })!
    expect(back.worse).toBe(false)
    expect(back.index).toBe(60)
    expect(back.changePct).toBeCloseTo(-20, -1)
    const small = history(4, 100, 0.01, stepAt(50, 6))
    expect(findStep(small, { thresholdPct: 10, direction: 'lower' })).toBeUndefined()
    // The same +6 % is reported under a 5 % threshold.
    expect(findStep(small, { thresholdPct: 5, direction: 'lower' })?.index).toBe(50)
  })

  it('needs the step to persist: minSize runs after it', () => {
    const late = history(8, 100, 0.02, stepAt(98, 40))
    expect(findStep(late, { thresholdPct: 10, direction: 'lower' })).toBeUndefined()
    const held = history(8, 100, 0.02, stepAt(97, 40))
    expect(findStep(held, { thresholdPct: 10, direction: 'lower' })?.index).toBe(97)
  })

  it('reads direction: lost throughput is worse, a faster time is better', () => {
    const drop = history(9, 80, 0.03, stepAt(50, -20))
    const tp = findStep(drop, { thresholdPct: 10, direction: 'higher' })!
    expect(tp.worse).toBe(true)
    expect(tp.changePct).toBeLessThan(-15)
    expect(findStep(drop, { thresholdPct: 10, direction: 'lower' })!.worse).toBe(false)
  })

  it('after a dip and a recovery, measures the later slowdown from the recovered level', () => {
    const x = history(12, 100, 0.02, i => (i >= 75 ? 1.15 : i >= 25 && i < 50 ? 0.8 : 1))
    const step = findStep(x, { thresholdPct: 10, direction: 'lower' })!
    expect(step.index).toBeGreaterThanOrEqual(74)
    expect(step.index).toBeLessThanOrEqual(76)
    expect(step.changePct).toBeGreaterThan(10)
    expect(step.changePct).toBeLessThan(20)
  })

  it('gives no relative step for a series with a value ≤ 0', () => {
    const y = history(13, 60, 0.02, stepAt(30, 30))
    expect(findStep(y, { thresholdPct: 10, direction: 'lower' })?.index).toBe(30)
    expect(findStep([0, ...y.slice(1)], { thresholdPct: 10, direction: 'lower' })).toBeUndefined()
  })
})
