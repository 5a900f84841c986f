// Scalability: what grows with the swarm. Creation is timed on fresh deployments at each size; strategy time and
// resources are read from the agents; the scaling exponent is a power-law fit over the sizes, not a guess.
import { makeMetric } from '../results/metric.js'
import type { Metric } from '../results/schema.js'
import { predictConsensusMessages, type TopologyName } from '../swarm/topology.js'
import type { CounterTotals, Swarm } from '../swarm/swarm.js'
import { scalingFacts } from './creation.js'
import {
  backtests,
  COUNTED_ROUNDS,
  bestOf,
  bytesToMiB,
  farthestFrom,
  median,
  nextRound,
  nsToMs,
  sum,
  timed,
  timedDeploy
} from './measure.js'
import { profileParams } from './profiles.js'
import { readResources } from './swarm-ops.js'
import type { Benchmark, Facts } from './types.js'

type Topo = TopologyName

export const agentCount: Benchmark<{
  topology: string
  sizes: number[]
  deploysPerSize: number
  backtestsPerAgent: number
  bars: number
}> = {
  id: 'scalability.agent-count',
  category: 'scalability',
  title: 'Agent count scaling (creation and strategy time per agent)',
  headlines: [/^strategy_ms\./],
  params: (profile, config) => ({ topology: config.topologies[0], ...profileParams(profile).agentCount }),
  async run(ctx) {
    const { sizes, deploysPerSize, backtestsPerAgent, bars } = ctx.params
    const topology = ctx.params.topology as Topo
    const custom = ctx.config.strategyPath !== undefined
    const wall = new Map<number, number[]>(sizes.map(n => [n, []]))
    const perAgent = new Map<number, number[]>(sizes.map(n => [n, []]))
    const compute = new Map<number, number[]>(sizes.map(n => [n, []]))
    const host = new Map<number, number[]>(sizes.map(n => [n, []]))
    // One point per deployment for the fits: the deploy's wall time and its median backtest.
    const fitSizes: number[] = []
    const fitWall: number[] = []
    const fitCompute: number[] = []
    const decided: number[] = []
    // Sizes interleaved (1, 2, 4, 1, 2, 4, …) so a slow spell of the machine lands on every size, not on one.
    for (let r = 0; r < deploysPerSize; r++) {
      for (const n of sizes) {
        ctx.progress(
          `deploy ${r + 1}/${deploysPerSize} of ${n} agent(s), then ${backtestsPerAgent} backtests per agent`
        )
        const { value: swarm, ms } = await timedDeploy(() => ctx.deploy({ topology, size: n }))
        wall.get(n)!.push(ms)
        perAgent.get(n)!.push(...swarm.deployReport.agents.map(a => a.totalMs))
        const here: number[] = []
        await Promise.all(
          Array.from({ length: n }, async (_, agent) => {
            for (let i = 0; i < backtestsPerAgent; i++) {
              // A backtest decides on every bar of the window, so the work is the `bars` the text names.
              const [task] = backtests(1, 100 + r * 1000 + agent * 10 + i, bars, custom)
              const { value, ms: rtt } = await timed(() => swarm.runTask(agent, task))
              here.push(nsToMs(value.computeNs))
              host.get(n)!.push(rtt)
              decided.push(decisionCount(value.decisions))
            }
          })
        )
        compute.get(n)!.push(...here)
        fitSizes.push(n)
        fitWall.push(ms)
        fitCompute.push(median(here))
        // Only the last deploy of each size is handed on; the others would sit idle.
        await (r === deploysPerSize - 1 ? ctx.release(swarm) : ctx.discard(swarm))
      }
    }
    const metrics: Metric[] = []
    for (const n of sizes) {
      const labels = { topology, agents: n }
      metrics.push(
        makeMetric({
          name: `swarm_create_ms.n${n}`,
          unit: 'ms',
          direction: 'lower',
          source: 'host',
          samples: wall.get(n)!,
          labels,
          gate: false, // a few deploys per run: context (docs/performance.md §3)
          description: `host time to deploy and link ${n} agent(s), one sample per deployment`
        }),
        makeMetric({
          name: `create_ms_per_agent.n${n}`,
          unit: 'ms',
          direction: 'lower',
          source: 'host',
          samples: perAgent.get(n)!,
          labels,
          gate: false, // one sample per agent of a few deploys: context (docs/performance.md §3)
          description: 'per agent: sandbox creation until its first answer'
        }),
        makeMetric({
          name: `strategy_ms.n${n}`,
          unit: 'ms',
          direction: 'lower',
          source: 'agent',
          samples: compute.get(n)!,
          labels,
          gate: false, // too few samples per run to call a 25 % change at ≤ 1 % false alarms: context (docs/performance.md §3)
          description: `in-agent time of one backtest over ${bars} bars (a strategy decision on every bar) while all ${n} agent(s) backtest`
        }),
        makeMetric({
          name: `strategy_host_ms.n${n}`,
          unit: 'ms',
          direction: 'lower',
          source: 'host',
          samples: host.get(n)!,
          labels,
          gate: false,
          description: 'host round trip of each backtest'
        })
      )
    }
    const facts: Facts = { deploys: fitSizes.length }
    // How many bars each backtest decided on, as the agent counted them (absent for a user run_task hook).
    if (decided.every(d => d > 0)) facts['decisions_per_backtest'] = median(decided)
    scalingFacts('swarm_create_ms', fitSizes, fitWall, facts)
    scalingFacts('strategy_ms', fitSizes, fitCompute, facts)
    return { metrics, facts }
  }
}

export const linear: Benchmark<{ topology: string; sizes: number[] }> = {
  id: 'scalability.linear-2-20',
  category: 'scalability',
  title: 'Scaling from 2 to 20 agents (creation and resources per agent)',
  headlines: [/^create_ms_per_agent\./],
  params: (profile, config) => ({ topology: config.topologies[0], ...profileParams(profile).linear }),
  async run(ctx) {
    const { sizes } = ctx.params
    const topology = ctx.params.topology as Topo
    const metrics: Metric[] = []
    const wall: number[] = []
    const perAgent: number[] = []
    const totalRss: number[] = []
    for (const n of sizes) {
      ctx.progress(`${n} agents: deploy and read resources`)
      const { value: swarm, ms } = await timedDeploy(() => ctx.deploy({ topology, size: n }))
      wall.push(ms)
      perAgent.push(ms / n)
      const readings = await readResources(swarm)
      const rss = readings.map(r => bytesToMiB(r.rssBytes))
      totalRss.push(sum(rss))
      const labels = { topology, agents: n }
      metrics.push(
        ...deployMetrics(n, ms, swarm, labels),
        makeMetric({
          name: `rss_mib.n${n}`,
          unit: 'MiB',
          direction: 'lower',
          source: 'agent',
          samples: rss,
          labels,
          gate: false,
          description: 'resident memory of each agent process right after deployment'
        }),
        makeMetric({
          name: `cpu_s_deploy.n${n}`,
          unit: 's',
          direction: 'lower',
          source: 'agent',
          samples: readings.map(r => r.cpuS),
          labels,
          gate: false,
          description: 'CPU seconds (user + system) each agent used from start through init and linking'
        })
      )
      await ctx.release(swarm)
    }
    const facts: Facts = {}
    scalingFacts('swarm_create_ms', sizes, wall, facts)
    scalingFacts('total_rss_mib', sizes, totalRss, facts)
    facts['create_ms_per_agent.first'] = Number(perAgent[0].toFixed(2))
    facts['create_ms_per_agent.last'] = Number(perAgent[perAgent.length - 1].toFixed(2))
    return { metrics, facts }
  }
}

export const topologyCompare: Benchmark<{
  topologies: string[]
  size: number
  consensusRounds: number
  pings: number
  sends: number
}> = {
  id: 'scalability.topology-compare',
  category: 'scalability',
  title: 'Topology comparison at equal size',
  headlines: [/^ping_rtt_ms\./, /^consensus_ms\./],
  borrows: p => p.topologies.map(t => ({ topology: t as Topo, size: p.size })),
  params: (profile, config, run) => ({
    topologies: config.topologies,
    ...profileParams(profile, run).topologyCompare
  }),
  async run(ctx) {
    const { size, consensusRounds, pings, sends } = ctx.params
    const metrics: Metric[] = []
    const facts: Facts = {}
    const byMeasure: Record<string, Record<string, number>> = {
      consensus_ms: {},
      ping_rtt_ms: {},
      farthest_send_ms: {},
      vote_messages: {},
      vote_bytes: {}
    }
    for (const t of ctx.params.topologies as Topo[]) {
      ctx.progress(`${t} of ${size}: ${consensusRounds} consensus rounds, pings, multi-hop sends`)
      const swarm = await ctx.swarm({ topology: t, size })
      const labels = { topology: t, agents: size }
      const consensusMs: number[] = []
      const messages: number[] = []
      const bytes: number[] = []
      let disagreements = 0
      // Each round starts from the settled totals the previous one ended on (nothing runs between them): the same
      // deltas without a counter read per round.
      let before: CounterTotals | undefined
      for (let i = 0; i < consensusRounds; i++) {
        ctx.checkAbort()
        // Vote messages and bytes are the swarm's counter deltas over the round (after floods went quiet).
        const counted = i < COUNTED_ROUNDS
        const round = await swarm.consensusRound(nextRound(swarm), { before, countMessages: counted })
        before = round.countersAfter
        if (!round.agreed) disagreements++
        else consensusMs.push(nsToMs(Math.max(...round.decisionNs)))
        if (counted) {
          messages.push(round.voteMessages)
          bytes.push(round.voteBytes)
        }
      }
      const ping = await swarm.ping({ count: pings })
      const rtt = ping.edges.flatMap(e => e.rttNs.map(nsToMs))
      const far = farthestFrom(swarm.topology.hops, 0)
      const sendMs: number[] = []
      if (far !== 0) {
        const s = await swarm.send(0, far, sends)
        sendMs.push(...s.latencyNs.map(nsToMs))
        facts[`farthest_hops.${t}`] = s.hops ?? swarm.topology.hops[0][far]
      }
      const predicted = predictConsensusMessages(swarm.topology)
      facts[`predicted_vote_messages.${t}`] = predicted
      facts[`measured_vote_messages.${t}`] = median(messages)
      facts[`vote_messages_match.${t}`] = messages.every(m => m === predicted)
      facts[`links.${t}`] = swarm.topology.edges.length
      facts[`diameter.${t}`] = swarm.topology.diameter
      facts[`disagreements.${t}`] = disagreements
      metrics.push(
        makeMetric({
          name: `consensus_ms.${t}`,
          unit: 'ms',
          direction: 'lower',
          source: 'agent',
          samples: consensusMs,
          labels,
          gate: false, // too few samples per run to call a 25 % change at ≤ 1 % false alarms: context (docs/performance.md §3)
          description: 'per round: time until the last agent held every vote and decided (inside the agents)'
        }),
        makeMetric({
          name: `ping_rtt_ms.${t}`,
          unit: 'ms',
          direction: 'lower',
          source: 'agent',
          samples: rtt,
          labels,
          gate: false,
          description: 'agent-to-agent round trip over every link'
        }),
        makeMetric({
          name: `vote_messages.${t}`,
          unit: 'messages',
          direction: 'lower',
          source: 'agent',
          samples: messages,
          labels,
          gate: false,
          description: `vote messages per round counted at the sockets (predicted ${predicted})`
        }),
        makeMetric({
          name: `vote_bytes.${t}`,
          unit: 'bytes',
          direction: 'lower',
          source: 'agent',
          samples: bytes,
          labels,
          gate: false,
          description: 'bytes written to sockets for votes per round (requests and responses)'
        })
      )
      if (sendMs.length > 0) {
        metrics.push(
          makeMetric({
            name: `farthest_send_ms.${t}`,
            unit: 'ms',
            direction: 'lower',
            source: 'agent',
            samples: sendMs,
            labels,
            gate: false,
            description: 'delivery time of a message from agent 0 to the agent farthest from it, hop by hop'
          })
        )
      }
      byMeasure.consensus_ms[t] = median(consensusMs)
      byMeasure.ping_rtt_ms[t] = median(rtt)
      byMeasure.farthest_send_ms[t] = median(sendMs)
      byMeasure.vote_messages[t] = median(messages)
      byMeasure.vote_bytes[t] = median(bytes)
      await ctx.release(swarm)
    }
    for (const [measure, values] of Object.entries(byMeasure)) {
      const w = bestOf(values, 'lower')
      if (w) facts[`winner.${measure}`] = w
    }
    return { metrics, facts }
  }
}

/** Buy + sell + hold decisions a backtest reported (0 when it reported none). */
function decisionCount(d: unknown): number {
  if (typeof d !== 'object' || d === null) return 0
  return sum(Object.values(d).map(v => (typeof v === 'number' ? v : 0)))
}

/** What deploying an `n`-agent swarm measured: the host's wall time and each agent's create-to-first-answer. */
function deployMetrics(
  n: number,
  ms: number,
  swarm: Swarm,
  labels: Record<string, string | number>
): Metric[] {
  return [
    makeMetric({
      name: `swarm_create_ms.n${n}`,
      unit: 'ms',
      direction: 'lower',
      source: 'host',
      samples: [ms],
      labels,
      gate: false,
      description: `host time to deploy and link ${n} agent(s)`
    }),
    makeMetric({
      name: `create_ms_per_agent.n${n}`,
      unit: 'ms',
      direction: 'lower',
      source: 'host',
      samples: swarm.deployReport.agents.map(a => a.totalMs),
      labels,
      gate: false, // one sample per agent of one deploy: context (docs/performance.md §3)
      description: 'per agent: sandbox creation until its first answer'
    })
  ]
}
