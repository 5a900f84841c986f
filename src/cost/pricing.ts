// The billing model: price × ALLOCATED vCPU and memory × seconds a sandbox is alive — not what the process used.
// The prices themselves are a provider's (src/sandbox/<name>/); on a nominal allocation the figures are estimates.
import type { Allocation, SandboxUsage } from '../sandbox/types.js'
import type { CostTotals, Pricing } from '../results/schema.js'

export const SECONDS_PER_DAY = 86_400
export const DAYS_PER_MONTH = 30

/** USD per second a sandbox of this allocation costs while alive. */
export function usdPerSecond(allocation: Allocation, pricing: Pricing): number {
  return allocation.vcpu * pricing.usdPerVcpuSecond + (allocation.memoryMiB / 1024) * pricing.usdPerGibSecond
}

/** Totals over every sandbox's billable lifetime. Throws on a negative or non-finite figure (a provider bug). */
export function costOf(usage: readonly SandboxUsage[], pricing: Pricing, estimated: boolean): CostTotals {
  let sandboxSeconds = 0
  let vcpuSeconds = 0
  let gibSeconds = 0
  for (const u of usage) {
    const { vcpu, memoryMiB } = u.allocation
    for (const [what, v] of [
      ['seconds', u.seconds],
      ['vcpu', vcpu],
      ['memoryMiB', memoryMiB]
    ] as const) {
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`sandbox ${u.label}: ${what} is ${v}`)
    }
    sandboxSeconds += u.seconds
    vcpuSeconds += vcpu * u.seconds
    gibSeconds += (memoryMiB / 1024) * u.seconds
  }
  return {
    pricing: { ...pricing },
    sandboxes: usage.length,
    sandboxSeconds,
    vcpuSeconds,
    gibSeconds,
    usd: vcpuSeconds * pricing.usdPerVcpuSecond + gibSeconds * pricing.usdPerGibSecond,
    estimated
  }
}

/** USD per operation; undefined when no operation was completed. */
export function costPerOperation(usd: number, operations: number): number | undefined {
  if (!(operations > 0) || !Number.isFinite(usd) || !Number.isFinite(operations)) return undefined
  return usd / operations
}

export interface CostProjection {
  opsPerDay: number
  usdPerDay: number
  usdPerMonth: number
  usdPerYear: number
}

/** Projects a measured cost per operation onto a daily volume (a scenario, not a measurement: label it so). */
export function projectCost(p: { usdPerOp: number; opsPerDay: number }): CostProjection {
  const usdPerDay = p.usdPerOp * p.opsPerDay
  return {
    opsPerDay: p.opsPerDay,
    usdPerDay,
    usdPerMonth: usdPerDay * DAYS_PER_MONTH,
    usdPerYear: usdPerDay * 365
  }
}

/** What keeping `sandboxes` of this allocation alive around the clock costs per day. */
export function projectAlwaysOn(p: {
  sandboxes: number
  allocation: Allocation
  pricing: Pricing
}): CostProjection {
  const usdPerDay = p.sandboxes * usdPerSecond(p.allocation, p.pricing) * SECONDS_PER_DAY
  return { opsPerDay: 0, usdPerDay, usdPerMonth: usdPerDay * DAYS_PER_MONTH, usdPerYear: usdPerDay * 365 }
}

/** Mean allocation over a run's sandbox-seconds, from its totals (what the run was billed for, on average). */
export function averageAllocation(totals: CostTotals): Allocation | undefined {
  if (!(totals.sandboxSeconds > 0)) return undefined
  return {
    vcpu: totals.vcpuSeconds / totals.sandboxSeconds,
    memoryMiB: (totals.gibSeconds / totals.sandboxSeconds) * 1024
  }
}
