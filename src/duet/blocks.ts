// How many consecutive samples of a metric one agent request produced: they share that request's moment, so the
// duet's test averages them into one unit of evidence (batch means). Samples from separate requests are each
// their own unit; blocking them too would throw evidence away (4 blocks of 20 syncs leave a t-test 3 df).
import { LATENCY_CHUNKS } from '../bench/communication.js'
import { DECISIONS_PER_CALL } from '../bench/trading.js'
import type { Facts } from '../bench/types.js'
import { DUET_CHUNK } from './paired-swarm.js'

/** Metrics whose samples come from chunked pings and sends (see paired-swarm.ts), from multi-decision calls, and
 * from pipelined windows (each agent's request returns LATENCY_CHUNKS chunk means). */
const PER_REQUEST: readonly [RegExp, number][] = [
  [/^communication\.inter-agent-latency\/(rtt_ms|multi_hop_ms)/, DUET_CHUNK],
  [/^communication\.message-throughput\/message_ms$/, DUET_CHUNK],
  [/^communication\.message-throughput\/loaded_latency_ms$/, LATENCY_CHUNKS],
  [/^scalability\.topology-compare\/ping_rtt_ms\./, DUET_CHUNK],
  [/^trading\.strategy-execution\/compute_ms$/, DECISIONS_PER_CALL]
]

/**
 * Metrics whose samples are the link handshakes of one deploy, all verified at once (creation.ts: the fact
 * `handshakes_per_deploy`): one deploy is one moment. Judged as separate pairs, the 30 handshakes of 5 deploys
 * flagged a +78 % "regression" in one of 24 A/A duets once the sides' deploys were made alike.
 */
const PER_DEPLOY = /^creation\.swarm-init\/link_handshake_rtt_ms$/

/** Metrics the head's agents measure pair by pair against the base's twin (trading.ts: facts.strategyPairs). */
const TWINNED = /^trading\.strategy-execution\/compute_ms$/

/**
 * Samples per request for `benchmarkId/metric` (1 when each sample is a request of its own), read with the
 * benchmark's facts. When the head's agents twinned the strategy (`strategyPairs`), the samples are their in-agent
 * pairs with the base's strategy (src/duet/twin.ts); each pair is its own unit, as a pair's two decisions share
 * their moment and it cancels in the ratio (bench:duet A/A duets: the variance of per-request means of 3 pairs was
 * 1.04× a third of the pairs' variance, median of 30; docs/performance.md §3b).
 */
export function samplesPerRequest(benchmarkId: string, metric: string, facts: Facts = {}): number {
  const key = `${benchmarkId}/${metric}`
  if (facts.strategyPairs !== undefined && TWINNED.test(key)) return 1
  const perDeploy = facts.handshakes_per_deploy
  if (PER_DEPLOY.test(key) && typeof perDeploy === 'number' && perDeploy >= 1) return perDeploy
  return PER_REQUEST.find(([re]) => re.test(key))?.[1] ?? 1
}
