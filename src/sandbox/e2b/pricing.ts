// E2B's prices and default sandbox size: the cost model's figures for e2b, and for local's "as if on E2B" estimate.
import type { Pricing } from '../../results/schema.js'
import type { Allocation } from '../types.js'

/** E2B's published prices per second of allocated size; overridable inputs since prices change. */
export const E2B_DEFAULT_PRICING: Pricing = { usdPerVcpuSecond: 0.000014, usdPerGibSecond: 0.0000045 }

/** E2B's default sandbox size. */
export const E2B_DEFAULT_ALLOCATION: Allocation = { vcpu: 2, memoryMiB: 512 }
