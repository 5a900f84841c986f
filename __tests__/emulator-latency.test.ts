// The emulator's latency distributions (support/e2b-emulator/latency.ts): the fit hits the quantiles it is given,
// many draws land on them, and a seed repeats its sequence.
import { describe, expect, it } from 'vitest'
import { mulberry32 as seededUniform } from '../src/stats/bootstrap.js'
import { normalQuantile } from '../src/stats/distributions.js'
import { describeLatency, latencyDraw, lognormalFromQuantiles } from './support/e2b-emulator/latency.js'

function quantileOf(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]
}

describe('lognormal fitted to two quantiles', () => {
  it("puts E2B's published creation p50 0.44 s and p95 0.85 s exactly where they belong", () => {
    const { mu, sigma } = lognormalFromQuantiles(0.5, 440, 0.95, 850)
    expect(Math.exp(mu)).toBeCloseTo(440, 6)
    expect(Math.exp(mu + sigma * normalQuantile(0.95))).toBeCloseTo(850, 6)
  })

  it('refuses quantiles in the wrong order', () => {
    expect(() => lognormalFromQuantiles(0.95, 440, 0.5, 850)).toThrow(RangeError)
    expect(() => lognormalFromQuantiles(0.5, 850, 0.95, 440)).toThrow(RangeError)
  })

  it('draws creation times whose p50 and p95 land on 440 and 850 ms', () => {
    const draw = latencyDraw(
      {
        kind: 'lognormal',
        q: [
          [0.5, 440],
          [0.95, 850]
        ]
      },
      7
    )
    const xs = Array.from({ length: 40_000 }, draw)
    expect(quantileOf(xs, 0.5)).toBeGreaterThan(440 * 0.97)
    expect(quantileOf(xs, 0.5)).toBeLessThan(440 * 1.03)
    expect(quantileOf(xs, 0.95)).toBeGreaterThan(850 * 0.95)
    expect(quantileOf(xs, 0.95)).toBeLessThan(850 * 1.05)
    expect(Math.min(...xs)).toBeGreaterThan(0)
  })

  it('draws round trips whose 5th and 95th percentiles land on 70 and 250 ms', () => {
    const draw = latencyDraw(
      {
        kind: 'lognormal',
        q: [
          [0.05, 70],
          [0.95, 250]
        ]
      },
      11
    )
    const xs = Array.from({ length: 40_000 }, draw)
    expect(quantileOf(xs, 0.05)).toBeGreaterThan(70 * 0.95)
    expect(quantileOf(xs, 0.05)).toBeLessThan(70 * 1.05)
    expect(quantileOf(xs, 0.5)).toBeGreaterThan(Math.sqrt(70 * 250) * 0.97)
    expect(quantileOf(xs, 0.5)).toBeLessThan(Math.sqrt(70 * 250) * 1.03)
    expect(quantileOf(xs, 0.95)).toBeGreaterThan(250 * 0.95)
    expect(quantileOf(xs, 0.95)).toBeLessThan(250 * 1.05)
  })
})

describe('seeding', () => {
  it('repeats a sequence for the same seed and changes it for another', () => {
    const spec = {
      kind: 'lognormal',
      q: [
        [0.5, 440],
        [0.95, 850]
      ]
    } as const
    const a = Array.from({ length: 5 }, latencyDraw(spec, 3))
    const b = Array.from({ length: 5 }, latencyDraw(spec, 3))
    const c = Array.from({ length: 5 }, latencyDraw(spec, 4))
    expect(a).toEqual(b)
    expect(a).not.toEqual(c)
  })

  it('gives uniform draws on [0, 1)', () => {
    const u = seededUniform(1)
    const xs = Array.from({ length: 20_000 }, u)
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...xs)).toBeLessThan(1)
    expect(quantileOf(xs, 0.5)).toBeGreaterThan(0.48)
    expect(quantileOf(xs, 0.5)).toBeLessThan(0.52)
  })

  it('keeps a fixed latency fixed and says which is which', () => {
    const draw = latencyDraw({ kind: 'fixed', ms: 30 }, 1)
    expect([draw(), draw()]).toEqual([30, 30])
    expect(describeLatency({ kind: 'fixed', ms: 30 })).toBe('30 ms')
    expect(
      describeLatency({
        kind: 'lognormal',
        q: [
          [0.5, 440],
          [0.95, 850]
        ]
      })
    ).toBe('lognormal p50 440 / p95 850 ms')
  })
})
