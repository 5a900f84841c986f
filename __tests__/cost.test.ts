import { describe, expect, it } from 'vitest'
import {
  averageAllocation,
  costOf,
  costPerOperation,
  projectAlwaysOn,
  projectCost,
  usdPerSecond
} from '../src/cost/pricing.js'
import { E2B_DEFAULT_ALLOCATION, E2B_DEFAULT_PRICING } from '../src/sandbox/e2b/pricing.js'
import { CostTotals } from '../src/results/schema.js'

describe('cost model', () => {
  it('bills allocation × seconds alive (hand-computed)', () => {
    const usage = [
      { label: 'a', allocation: { vcpu: 2, memoryMiB: 512 }, seconds: 100 },
      { label: 'b', allocation: { vcpu: 4, memoryMiB: 2048 }, seconds: 50 }
    ]
    const t = costOf(usage, E2B_DEFAULT_PRICING, false)
    // vCPU-s: 2·100 + 4·50 = 400; GiB-s: 0.5·100 + 2·50 = 150
    // USD: 400 · 0.000014 + 150 · 0.0000045 = 0.0056 + 0.000675 = 0.006275
    expect(t).toMatchObject({
      sandboxes: 2,
      sandboxSeconds: 150,
      vcpuSeconds: 400,
      gibSeconds: 150,
      estimated: false
    })
    expect(t.usd).toBeCloseTo(0.006275, 12)
    expect(CostTotals.safeParse(t).success).toBe(true)
    expect(costOf([], E2B_DEFAULT_PRICING, true)).toMatchObject({ usd: 0, sandboxes: 0, estimated: true })
  })

  it('the default sandbox (2 vCPU, 512 MiB) costs $0.00003025 per second alive', () => {
    // 2 · 0.000014 + 0.5 · 0.0000045 = 0.00003025 USD/s → 0.1089 USD/h
    expect(usdPerSecond(E2B_DEFAULT_ALLOCATION, E2B_DEFAULT_PRICING)).toBeCloseTo(0.00003025, 12)
  })

  it('refuses negative or non-finite usage', () => {
    expect(() =>
      costOf(
        [{ label: 'x', allocation: { vcpu: 2, memoryMiB: 512 }, seconds: -1 }],
        E2B_DEFAULT_PRICING,
        true
      )
    ).toThrow(/sandbox x: seconds/)
    expect(() =>
      costOf(
        [{ label: 'y', allocation: { vcpu: NaN, memoryMiB: 512 }, seconds: 1 }],
        E2B_DEFAULT_PRICING,
        true
      )
    ).toThrow(/vcpu/)
  })

  it('per operation and projections', () => {
    expect(costPerOperation(0.006, 300)).toBeCloseTo(0.00002, 15)
    expect(costPerOperation(0.006, 0)).toBeUndefined()
    const p = projectCost({ usdPerOp: 0.00002, opsPerDay: 100_000 })
    expect(p.usdPerDay).toBeCloseTo(2, 12)
    expect(p.usdPerMonth).toBeCloseTo(60, 10)
    expect(p.usdPerYear).toBeCloseTo(730, 9)
    // 10 default sandboxes all day: 10 · 0.00003025 · 86400 = 26.136 USD
    const on = projectAlwaysOn({
      sandboxes: 10,
      allocation: E2B_DEFAULT_ALLOCATION,
      pricing: E2B_DEFAULT_PRICING
    })
    expect(on.usdPerDay).toBeCloseTo(26.136, 9)
  })

  it('average allocation over sandbox-seconds', () => {
    const t = costOf(
      [
        { label: 'a', allocation: { vcpu: 2, memoryMiB: 512 }, seconds: 30 },
        { label: 'b', allocation: { vcpu: 8, memoryMiB: 1024 }, seconds: 10 }
      ],
      E2B_DEFAULT_PRICING,
      false
    )
    // vCPU: (60 + 80) / 40 = 3.5; MiB: (15 + 10) GiB-s / 40 s · 1024 = 640
    expect(averageAllocation(t)).toEqual({ vcpu: 3.5, memoryMiB: 640 })
    expect(averageAllocation(costOf([], E2B_DEFAULT_PRICING, true))).toBeUndefined()
  })
})
