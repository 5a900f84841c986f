// How many consecutive samples of a metric one agent request produced: they share that request's moment, so the
// duet's test averages them into one unit of evidence (batch means). Samples from separate requests are each
// their own unit; blocking them too would throw evidence away (4 blocks of 20 syncs leave a t-test 3 df).
import { LATENCY_CHUNKS } from '../bench/communication.js'
import { DECISIONS_PER_CALL } from '../bench/trading.js'
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

/** Metrics the head's agents measure pair by pair against the base's twin (trading.ts: facts.strategyPairs). */
const TWINNED = /^trading\.strategy-execution\/compute_ms$/

/**
 * Samples per request for `benchmarkId/metric` (1 when each sample is a request of its own). `twinned`: the
 * samples are the head's in-agent pairs with the base's strategy twin (src/duet/twin.ts); each pair is its own unit,
 * as a pair's two decisions share their moment and it cancels in the ratio (bench:duet A/A duets: the variance of
 * per-request means of 3 pairs was 1.04× a third of the pairs' variance, median of 30; docs/performance.md §3b).
 */
export function samplesPerRequest(benchmarkId: string, metric: string, twinned = false): number {
  const key = `${benchmarkId}/${metric}`
  if (twinned && TWINNED.test(key)) return 1
  return PER_REQUEST.find(([re]) => re.test(key))?.[1] ?? 1
}
