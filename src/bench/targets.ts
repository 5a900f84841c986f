// The seed's targets in one table, keyed `benchmarkId/metricName`, each tied to the statistic of THAT metric it is
// judged on. A run can override or drop any of them (RunOptions.targets); overrides are marked source `user`.
import type { Target } from '../results/schema.js'
import { seedTarget } from './measure.js'

export const SEED_TARGETS: Readonly<Record<string, Target>> = {
  'creation.swarm-init/init_ms': seedTarget('<', 5000),
  'creation.agent-deploy/total_ms': seedTarget('<', 3000),
  'creation.parallel-speedup/speedup': seedTarget('>', 1.5, 'mean'),
  'trading.strategy-execution/compute_ms': seedTarget('<', 100),
  'trading.consensus/decision_ms': seedTarget('<', 200),
  // No target on trading.consensus/agreement_pct: every agent waits for all n votes and tallies the same ones, so
  // agreement is 100 % unless the protocol is broken. It stays a checked correctness figure, not a target.
  'communication.inter-agent-latency/rtt_ms': seedTarget('<', 50),
  'communication.message-throughput/saturated_msg_per_s': seedTarget('>', 50, 'mean')
}

/** Per-run target overrides: a target replaces the seed's (as source `user`), null removes it. */
export type TargetOverrides = Record<string, Omit<Target, 'source'> | null>

export function targetFor(key: string, overrides: TargetOverrides = {}): Target | undefined {
  if (key in overrides) {
    const o = overrides[key]
    return o ? { ...o, source: 'user' } : undefined
  }
  const t = SEED_TARGETS[key]
  return t ? { ...t } : undefined
}
