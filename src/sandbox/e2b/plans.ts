// E2B's plans and the limits each one sets; the limiter that enforces them is provider-neutral (../limits.ts).
import type { PlanLimits } from '../limits.js'

export type PlanName = 'hobby' | 'pro'

/** E2B's published limits per plan; overridable because teams buy add-ons. */
export const PLAN_PRESETS: Readonly<Record<PlanName, Readonly<PlanLimits>>> = {
  hobby: { maxConcurrency: 20, createPerSecond: 1 },
  pro: { maxConcurrency: 100, createPerSecond: 5 }
}

export function resolvePlanLimits(plan: PlanName = 'hobby', overrides: Partial<PlanLimits> = {}): PlanLimits {
  const base = PLAN_PRESETS[plan]
  if (!base) throw new Error(`unknown plan '${String(plan)}' (expected hobby or pro)`)
  const limits = {
    maxConcurrency: overrides.maxConcurrency ?? base.maxConcurrency,
    createPerSecond: overrides.createPerSecond ?? base.createPerSecond
  }
  if (!Number.isInteger(limits.maxConcurrency) || limits.maxConcurrency < 1)
    throw new Error(`maxConcurrency must be a positive integer, got ${limits.maxConcurrency}`)
  if (!(limits.createPerSecond > 0) || !Number.isFinite(limits.createPerSecond))
    throw new Error(`createPerSecond must be a positive number, got ${limits.createPerSecond}`)
  return limits
}
