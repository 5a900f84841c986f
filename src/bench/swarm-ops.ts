// Typed views of swarm readings the benchmarks need: counter snapshots and their deltas, the agents' resource
// readings with missing values reported (never silently turned into 0), and execution results.
import type { AgentMetrics, CounterTotals, RunTasksResult, Swarm, Task } from '../swarm/swarm.js'

export type CounterSnapshot = CounterTotals

/** Peer message kinds the agents count; used to wait until floods have gone quiet. */
export const PEER_KINDS = ['hello', 'ping', 'msg', 'vote', 'state', 'ack'] as const

export const readCounters = (swarm: Swarm): Promise<CounterSnapshot> => swarm.counters()

/** Counters once every message of every kind that was sent has also been received (floods finish async). */
export async function readSettledCounters(swarm: Swarm): Promise<CounterSnapshot> {
  return (await swarm.settledCounters([...PEER_KINDS])).totals
}

export interface CounterDelta {
  messagesSent: number
  bytesSent: number
  byKind: Record<string, { sent: number; bytesSent: number }>
}

export function counterDelta(before: CounterSnapshot, after: CounterSnapshot): CounterDelta {
  const byKind: CounterDelta['byKind'] = {}
  for (const [kind, a] of Object.entries(after.byKind)) {
    const b = before.byKind[kind]
    byKind[kind] = { sent: a.sent - (b?.sent ?? 0), bytesSent: a.bytesSent - (b?.bytesSent ?? 0) }
  }
  return {
    messagesSent: after.messagesSent - before.messagesSent,
    bytesSent: after.bytesSent - before.bytesSent,
    byKind
  }
}

export interface Resources {
  agentId: number
  rssBytes: number
  peakRssBytes: number
  cpuS: number
  provider?: AgentMetrics['provider']
}

/** The readings every resource figure needs; an agent that could not read one is an error naming it. */
export async function readResources(swarm: Swarm): Promise<Resources[]> {
  const all = await swarm.metrics()
  return all.map(m => {
    const a = m.agent
    const missing = (['rssBytes', 'peakRssBytes', 'cpuUserS', 'cpuSysS'] as const).filter(
      k => typeof a[k] !== 'number' || !Number.isFinite(a[k])
    )
    if (missing.length > 0) {
      throw new Error(`agent ${m.agentId} (${m.label}) reported no ${missing.join(', ')}`)
    }
    return {
      agentId: m.agentId,
      rssBytes: a.rssBytes!,
      peakRssBytes: a.peakRssBytes!,
      // ns where the agent reports it: the 10 ms ticks of user + system cannot resolve a small workload's delta.
      cpuS:
        typeof a.cpuNs === 'number' && Number.isFinite(a.cpuNs) ? a.cpuNs / 1e9 : a.cpuUserS! + a.cpuSysS!,
      provider: m.provider
    }
  })
}

export interface Execution {
  signal: string
  /** The last decision's time. */
  computeNs: number
  /** Every decision's time (`repeat` of them, on the same bars). */
  computeNsSamples: number[]
  /** The frozen reference decision timed right after each decision, when asked for. */
  referenceNsSamples?: number[]
}

const positiveNumbers = (xs: unknown, n: number): xs is number[] =>
  Array.isArray(xs) && xs.length === n && xs.every(x => typeof x === 'number' && x > 0)

export async function execute(
  swarm: Swarm,
  agentId: number,
  window: { seed: number; length: number },
  opts: { reference?: boolean; repeat?: number } = {}
): Promise<Execution> {
  const repeat = opts.repeat ?? 1
  const r = await swarm.executeStrategy(agentId, window, {
    ...(repeat > 1 ? { repeat } : {}),
    ...(opts.reference ? { reference: true } : {})
  })
  if (typeof r.computeNs !== 'number' || typeof r.signal !== 'string') {
    throw new Error(`agent ${agentId}: execute_strategy answered without computeNs/signal`)
  }
  const computeNsSamples = repeat > 1 ? r.computeNsSamples : [r.computeNs]
  if (!positiveNumbers(computeNsSamples, repeat)) {
    throw new Error(`agent ${agentId}: execute_strategy answered without ${repeat} computeNsSamples`)
  }
  const out: Execution = { signal: r.signal, computeNs: r.computeNs, computeNsSamples }
  if (opts.reference) {
    const refs = repeat > 1 ? r.referenceNsSamples : [r.referenceNs]
    if (!positiveNumbers(refs, repeat)) {
      throw new Error(`agent ${agentId}: execute_strategy answered without ${repeat} reference timings`)
    }
    out.referenceNsSamples = refs
  }
  return out
}

export interface StrategyPairs {
  signal: string
  /** Per pair: the head strategy's decision time and the base's (its twin's), ns, on the same bars. */
  headNs: number[]
  baseNs: number[]
  /** Per pair: whether the head decided first. */
  headFirst: boolean[]
  /** The frozen reference decision timed after each pair, when asked for. */
  referenceNs?: number[]
}

/** `pairs` decisions of the head's strategy and of the base's in one head agent (a duet's strategy twin). */
export async function executePairs(
  swarm: Swarm,
  agentId: number,
  window: { seed: number; length: number },
  opts: { pairs: number; seed: number; reference?: boolean }
): Promise<StrategyPairs> {
  const r = await swarm.strategyPairs(agentId, window, opts)
  const what = `agent ${agentId}: strategy_pairs answered without`
  if (typeof r.signal !== 'string') throw new Error(`${what} a signal`)
  if (!positiveNumbers(r.headNs, opts.pairs) || !positiveNumbers(r.baseNs, opts.pairs))
    throw new Error(`${what} ${opts.pairs} headNs and baseNs`)
  const order = r.headFirst
  if (!Array.isArray(order) || order.length !== opts.pairs || !order.every(x => typeof x === 'boolean'))
    throw new Error(`${what} ${opts.pairs} headFirst`)
  const out: StrategyPairs = { signal: r.signal, headNs: r.headNs, baseNs: r.baseNs, headFirst: order }
  if (opts.reference) {
    if (!positiveNumbers(r.referenceNs, opts.pairs)) throw new Error(`${what} ${opts.pairs} referenceNs`)
    out.referenceNs = r.referenceNs
  }
  return out
}

/** Runs tasks over the swarm's work queue; any task that failed makes the whole batch an error naming it. */
export async function runTasksChecked(
  swarm: Swarm,
  tasks: Task[],
  opts: { agents?: number[] } = {}
): Promise<RunTasksResult> {
  const out = await swarm.runTasks(tasks, opts)
  const failed = out.results.filter(t => t.error !== undefined || !t.result)
  if (failed.length > 0) {
    throw new Error(
      `${failed.length} of ${tasks.length} tasks failed; first: task ${failed[0].taskId}: ${failed[0].error ?? 'no result'}`
    )
  }
  return out
}
