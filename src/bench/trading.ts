// Trading: the agents' actual work. Strategy latency is timed inside the agent (compute) and by the host (round
// trip); tasks are real backtests pulled from a host-side queue; consensus agreement is checked from every
// agent's answer, and a round without agreement is a failed sample, not a slow one.
import type { TopologyName } from '../swarm/topology.js'
import { makeMetric } from '../results/metric.js'
import type { Metric } from '../results/schema.js'
import { hashSeed } from '../stats/bootstrap.js'
import { loadBalanceEfficiency } from '../stats/describe.js'
import { backtests, marketWindow, nextRound, nsToMs, shareOf, stopwatch, timed } from './measure.js'
import { profileParams } from './profiles.js'
import { execute, executePairs, runTasksChecked } from './swarm-ops.js'
import type { Benchmark, Facts } from './types.js'

type Topo = TopologyName

/** Decisions (each followed by the reference decision) per execute call of the strategy benchmark. */
export const DECISIONS_PER_CALL = 3
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0)

export const strategyExecution: Benchmark<{
  topology: string
  agents: number
  executions: number
  throughputBatches: number
  bars: number
}> = {
  id: 'trading.strategy-execution',
  category: 'trading',
  title: 'Strategy execution latency and throughput',
  // Each head decision against the base's twin decision in the same agent on the same bars. Without a twin (hooks
  // deciding), compute_vs_floor stays gated and judged too.
  headlines: [/^compute_ms$/],
  borrows: p => [{ topology: p.topology as Topo, size: p.agents }],
  params: (profile, config) => ({
    topology: config.topologies[0],
    ...profileParams(profile).strategyExecution
  }),
  async run(ctx) {
    const { agents, executions, throughputBatches, bars } = ctx.params
    const swarm = await ctx.swarm({ topology: ctx.params.topology as Topo, size: agents })
    ctx.progress(
      `${executions} executions one at a time over ${agents} agents, ${DECISIONS_PER_CALL} decisions each`
    )
    const compute: number[] = []
    const relative: number[] = []
    const host: number[] = []
    const signals: Record<string, number> = {}
    // A duet's head agents decide with the head's strategy and the base's (their twin) on the same bars, pair by
    // pair: the base's decision times come from there, and the verdict judges each pair's ratio (src/duet/twin.ts).
    const twin = ctx.duet?.twin === true
    const pairsWithTwin = twin && ctx.duet?.side === 'head'
    const twinBase: number[] = []
    let headFirst = 0
    if (pairsWithTwin) await swarm.uploadTwin()
    for (let i = 0; i < executions; i++) {
      ctx.checkAbort()
      const window = marketWindow(1000 + i, bars)
      const agent = i % agents
      if (pairsWithTwin) {
        // The order of each pair is drawn from a seed of this run: a fixed seed would give every run the same
        // orders, so any imbalance between them would bias every run the same way.
        const opts = {
          pairs: DECISIONS_PER_CALL,
          seed: hashSeed(`${ctx.config.runTag}/${i}`),
          reference: true
        }
        const { value, ms } = await timed(() => executePairs(swarm, agent, window, opts))
        for (const [k, ns] of value.headNs.entries()) {
          compute.push(nsToMs(ns))
          twinBase.push(nsToMs(value.baseNs[k]))
          if (value.headFirst[k]) headFirst++
        }
        relative.push(sum(value.headNs) / sum(value.referenceNs!))
        host.push(ms)
        signals[value.signal] = (signals[value.signal] ?? 0) + 1
        continue
      }
      const { value, ms } = await timed(() =>
        execute(swarm, agent, window, { reference: true, repeat: DECISIONS_PER_CALL })
      )
      for (const ns of value.computeNsSamples) compute.push(nsToMs(ns))
      // One ratio per call, of sums: two µs timings divided one by one are too noisy to resolve 25 %.
      relative.push(sum(value.computeNsSamples) / sum(value.referenceNsSamples!))
      host.push(ms)
      signals[value.signal] = (signals[value.signal] ?? 0) + 1
    }
    // Throughput: every agent executes its share back to back, all agents at once; the host times each batch.
    ctx.progress(`${throughputBatches} throughput batches`)
    const perAgent = Math.max(1, Math.ceil(executions / throughputBatches / agents))
    const throughput: number[] = []
    for (let b = 0; b < throughputBatches; b++) {
      ctx.checkAbort()
      const elapsed = stopwatch()
      await Promise.all(
        Array.from({ length: agents }, async (_, a) => {
          for (let i = 0; i < perAgent; i++) await execute(swarm, a, marketWindow(2000 + b * 100 + i, bars))
        })
      )
      throughput.push((perAgent * agents) / (elapsed() / 1000))
    }
    await ctx.release(swarm)
    const labels = { agents }
    const metrics: Metric[] = [
      makeMetric({
        name: 'compute_ms',
        unit: 'ms',
        direction: 'lower',
        source: 'agent',
        samples: compute,
        labels,
        target: ctx.target('compute_ms'),
        // Gated as compute_vs_floor: on a shared runner this µs-scale time moved 2.5× between runs of one commit.
        // A duet judges it anyway (src/duet/headlines.ts): there each sample is paired with the base's, in the same
        // head agent on the same bars when the twin ran.
        gate: false,
        description: twin
          ? `head strategy decision on ${bars} bars, timed inside the head's agent, each paired with the base strategy's decision on the same bars in the same agent (random order per pair; ${DECISIONS_PER_CALL} pairs per call)`
          : `strategy decision on ${bars} bars, timed inside the agent (${DECISIONS_PER_CALL} per call on the same bars)`
      }),
      makeMetric({
        name: 'compute_vs_floor',
        unit: '× floor',
        direction: 'lower',
        source: 'agent',
        samples: relative,
        labels,
        // With the twin a duet needs no floor: it judges compute_ms pair by pair. This stays as context.
        ...(twin ? { gate: false } : {}),
        description:
          `strategy decision time ÷ a frozen reference decision (agent/swarm_agent/calibration.py) on the same bars ` +
          `right after it in the same request: what the strategy costs, whatever speed the machine gave at that moment`
      }),
      makeMetric({
        name: 'host_rtt_ms',
        unit: 'ms',
        direction: 'lower',
        source: 'host',
        samples: host,
        labels,
        gate: false,
        description: 'host → agent → host round trip of one execution (includes the control channel)'
      }),
      makeMetric({
        name: 'throughput_per_s',
        unit: 'executions/s',
        direction: 'higher',
        source: 'host',
        samples: throughput,
        headline: 'mean',
        labels,
        gate: false, // 5–6 batch timings per run cannot call a 25 % change at ≤ 1 % false alarms: context
        description: `executions per second with ${agents} agents working at once (${perAgent} each per batch)`
      })
    ]
    const facts: Facts = {}
    for (const [s, n] of Object.entries(signals)) facts[`signals.${s}`] = n
    if (twinBase.length === 0) return { metrics, facts }
    facts.strategyPairs = twinBase.length
    facts.strategyPairsHeadFirst = headFirst
    const baseMetrics = [
      makeMetric({
        name: 'compute_ms',
        unit: 'ms',
        direction: 'lower',
        source: 'agent',
        samples: twinBase,
        labels,
        target: ctx.target('compute_ms'),
        gate: false,
        description: `base strategy decision on ${bars} bars, timed inside the head's agent beside the head strategy on the same bars (its twin; random order per pair)`
      })
    ]
    return { metrics, facts, baseMetrics }
  }
}

export const taskDistribution: Benchmark<{
  topology: string
  agents: number
  tasks: number
  repetitions: number
  bars: number
}> = {
  id: 'trading.task-distribution',
  category: 'trading',
  title: 'Task distribution over the swarm',
  headlines: [/^task_compute_ms$/, /^makespan_ms$/],
  borrows: p => [{ topology: p.topology as Topo, size: p.agents }],
  params: (profile, config, run) => ({
    topology: config.topologies[0],
    ...profileParams(profile, run).taskDistribution
  }),
  async run(ctx) {
    const { agents, tasks, repetitions, bars } = ctx.params
    const swarm = await ctx.swarm({ topology: ctx.params.topology as Topo, size: agents })
    const makespan: number[] = []
    const rate: number[] = []
    const efficiency: number[] = []
    const compute: number[] = []
    const facts: Facts = {}
    for (let r = 0; r < repetitions; r++) {
      ctx.checkAbort()
      ctx.progress(`repetition ${r + 1}/${repetitions}: ${tasks} backtests over ${agents} agents`)
      const list = backtests(tasks, 5000, bars, ctx.config.strategyPath !== undefined)
      const out = await runTasksChecked(swarm, list)
      makespan.push(out.makespanMs)
      rate.push(tasks / (out.makespanMs / 1000))
      const eff = loadBalanceEfficiency(out.perAgent.map(p => p.busyMs))
      if (eff !== undefined) efficiency.push(eff)
      for (const t of out.results) compute.push(nsToMs(t.result!.computeNs))
      if (r === 0) for (const p of out.perAgent) facts[`tasks_by_agent.${p.agentId}`] = p.tasks
    }
    await ctx.release(swarm)
    const labels = { agents }
    const metrics = [
      makeMetric({
        name: 'makespan_ms',
        unit: 'ms',
        direction: 'lower',
        source: 'host',
        samples: makespan,
        labels,
        gate: false,
        description: `host time from the first task handed out to the last result (${tasks} tasks)`
      }),
      makeMetric({
        name: 'tasks_per_s',
        unit: 'tasks/s',
        direction: 'higher',
        source: 'derived',
        samples: rate,
        headline: 'mean',
        labels,
        gate: false, // 5–6 batch timings per run cannot call a 25 % change at ≤ 1 % false alarms: context
        description: 'tasks ÷ makespan'
      }),
      makeMetric({
        name: 'load_balance_efficiency',
        unit: 'ratio',
        direction: 'higher',
        source: 'derived',
        samples: efficiency,
        headline: 'mean',
        labels,
        gate: false,
        description: 'mean ÷ max of the agents’ busy time (1 = perfectly even)'
      }),
      makeMetric({
        name: 'task_compute_ms',
        unit: 'ms',
        direction: 'lower',
        source: 'agent',
        samples: compute,
        labels,
        gate: false,
        description: `one backtest over ${bars} bars, timed inside the agent`
      })
    ]
    return { metrics, facts }
  }
}

export const consensus: Benchmark<{ topology: string; agents: number; rounds: number }> = {
  id: 'trading.consensus',
  category: 'trading',
  title: 'Consensus rounds: decision time and verified agreement',
  headlines: [/^decision_ms$/],
  borrows: p => [{ topology: p.topology as Topo, size: p.agents }],
  params: (profile, config) => ({ topology: config.topologies[0], ...profileParams(profile).consensus }),
  async run(ctx) {
    const { agents, rounds } = ctx.params
    const swarm = await ctx.swarm({ topology: ctx.params.topology as Topo, size: agents })
    ctx.progress(`${rounds} rounds on ${agents} agents`)
    const decision: number[] = []
    const skew: number[] = []
    const market: number[] = []
    const host: number[] = []
    const agreement: number[] = []
    const hook: number[] = []
    const decisions: Record<string, number> = {}
    const clocks = new Set<string>()
    for (let i = 0; i < rounds; i++) {
      ctx.checkAbort()
      // Back to back, without counting votes: the counters' read and quiet wait cost ~214 of a round's ~230 ms under
      // E2B latencies and this benchmark reads only decision times (message counts are resources.network's).
      const r = await swarm.consensusRound(nextRound(swarm), { countMessages: false })
      agreement.push(r.agreed ? 100 : 0)
      host.push(r.hostMs)
      // A round without agreement has no decision time: it is a failed sample, counted below.
      if (r.agreed) {
        // On one clock: from the last agent's start to the last decision; the host's dispatch skew kept apart.
        // An agent without the stamps (an older base in a duet) gives its own times, skew included.
        decision.push(nsToMs(r.timing?.decisionNs ?? Math.max(...r.decisionNs)))
        if (r.timing) {
          skew.push(nsToMs(r.timing.skewNs))
          clocks.add(r.timing.clock)
        }
        const marketNs = r.answers.flatMap(a => (a.marketNs === undefined ? [] : [a.marketNs]))
        if (marketNs.length > 0) market.push(nsToMs(Math.max(...marketNs)))
        const hookNs = r.answers.flatMap(a => (a.hookNs === undefined ? [] : [a.hookNs]))
        if (hookNs.length > 0) hook.push(nsToMs(Math.max(...hookNs)))
        decisions[r.decision ?? 'none'] = (decisions[r.decision ?? 'none'] ?? 0) + 1
      }
    }
    await ctx.release(swarm)
    const failed = agreement.filter(a => a === 0).length
    const labels = { agents, topology: ctx.params.topology }
    const metrics = [
      makeMetric({
        name: 'decision_ms',
        unit: 'ms',
        direction: 'lower',
        source: 'agent',
        samples: decision,
        labels,
        target: ctx.target('decision_ms'),
        description:
          'per agreed round: from the moment the last agent began its decision (market generated) until the last ' +
          'agent decided (proposal, vote flooding, tally), on one clock; dispatch skew and market generation apart'
      }),
      makeMetric({
        name: 'round_host_ms',
        unit: 'ms',
        direction: 'lower',
        source: 'host',
        samples: host,
        labels,
        gate: false,
        description: 'host time from sending `consensus` to all agents until every answer arrived'
      }),
      makeMetric({
        name: 'agreement_pct',
        unit: '%',
        direction: 'higher',
        source: 'derived',
        samples: agreement,
        headline: 'mean',
        labels,
        target: ctx.target('agreement_pct'),
        gate: false,
        description:
          'correctness check, not a measure of agreement under faults: rounds in which every agent reported the same ' +
          'decision (each waits for all votes, so anything below 100 % is a protocol bug)'
      })
    ]
    if (skew.length > 0) {
      metrics.push(
        makeMetric({
          name: 'dispatch_skew_ms',
          unit: 'ms',
          direction: 'lower',
          source: 'agent',
          samples: skew,
          labels,
          gate: false, // the host's pace reaching the agents, not the agents' code: context
          description:
            'per agreed round: latest minus earliest start of the agents’ decisions, not in decision_ms'
        })
      )
    }
    if (market.length > 0) {
      metrics.push(
        makeMetric({
          name: 'market_ms',
          unit: 'ms',
          direction: 'lower',
          source: 'agent',
          samples: market,
          labels,
          gate: false,
          description:
            'per round: the longest any agent spent generating the round’s market window, not in decision_ms'
        })
      )
    }
    if (hook.length > 0) metrics.push(userHookMetric(hook, decision, labels))
    const facts: Facts = { rounds, rounds_agreed: rounds - failed, rounds_failed: failed }
    if (clocks.size > 0) facts.clock = [...clocks].join(',')
    for (const [d, n] of Object.entries(decisions)) facts[`decisions.${d}`] = n
    return { metrics, facts }
  }
}

/** Of each round's decision time, the longest any agent spent inside the user's vote and tally hooks. */
function userHookMetric(hook: number[], decision: number[], labels: Record<string, string | number>): Metric {
  return makeMetric({
    name: 'user_hooks_ms',
    unit: 'ms',
    direction: 'lower',
    source: 'agent',
    samples: hook,
    labels,
    gate: false,
    description:
      `of decision_ms, the time inside your vote and tally hooks (median ${shareOf(hook, decision)} % of it); ` +
      "the rest is the agent's own flooding and waiting"
  })
}
