// Resources: what each agent costs the machine, read by the agents themselves (/proc, resource) and, where the
// provider measures its sandboxes (E2B), by the provider too. CPU is a delta over a host-timed window.
import { makeMetric } from '../results/metric.js'
import type { Metric } from '../results/schema.js'
import { predictConsensusMessages, predictStateSyncMessages, type TopologyName } from '../swarm/topology.js'
import { scalingFacts } from './creation.js'
import {
  backtests,
  bestOf,
  bytesToMiB,
  farthestFrom,
  marketWindow,
  median,
  nextRound,
  nextVersion,
  stopwatch,
  sum
} from './measure.js'
import { profileParams } from './profiles.js'
import {
  counterDelta,
  execute,
  readCounters,
  readResources,
  readSettledCounters,
  runTasksChecked
} from './swarm-ops.js'
import type { Swarm } from '../swarm/swarm.js'
import type { BenchContext, Benchmark, Facts } from './types.js'

type Topo = TopologyName

/** The benchmark a swarm was deployed for (its sandboxes are labelled `<benchmark id>/<shape>/agent-<i>`). */
export const deployedFor = (swarm: Swarm): string => swarm.sandboxes[0]?.label.split('/')[0] ?? 'unknown'

const MEMORY_ID = 'resources.memory'

export const memory: Benchmark<{ topology: string; sizes: number[] }> = {
  id: MEMORY_ID,
  category: 'resources',
  title: 'Memory per agent',
  // Every agent's pair together first: each pair's ratio is judged on its own, so sizes pool, and 7 pairs resolve
  // what the 4 of the largest size alone cannot (docs/performance.md §3b).
  headlines: [/^rss_mib\.every_agent$/, /^rss_mib\./],
  borrows: p => p.sizes.map(n => ({ topology: p.topology as Topo, size: n })),
  params: (profile, config) => ({ topology: config.topologies[0], ...profileParams(profile).memory }),
  async run(ctx) {
    const topology = ctx.params.topology as Topo
    const metrics: Metric[] = []
    const totals: number[] = []
    const everyAgent: number[] = []
    const facts: Facts = {}
    for (const n of ctx.params.sizes) {
      // The pooled swarm's memory depends on what ran on it before: read it, labelled, as context only.
      ctx.progress(`${n} agent(s): read memory on the pooled swarm, then on a fresh one`)
      const borrowed = await ctx.swarm({ topology, size: n })
      const borrowedReadings = await readResources(borrowed)
      // The pool had none, so this one was deployed for this read just now: it is the fresh swarm.
      const wasFresh = deployedFor(borrowed) === MEMORY_ID
      const pooledReadings = wasFresh ? undefined : borrowedReadings
      if (!wasFresh) {
        facts[`pooled_deployed_for.n${n}`] = deployedFor(borrowed)
        await ctx.discard(borrowed)
      }
      // The headline: a swarm deployed for this read and read before anything else runs on it.
      const fresh = wasFresh ? borrowed : await ctx.deploy({ topology, size: n })
      const readings = wasFresh ? borrowedReadings : await readResources(fresh)
      facts[`fresh_deployed_for.n${n}`] = deployedFor(fresh)
      await ctx.release(fresh)
      const labels = { topology, agents: n }
      const rss = readings.map(r => bytesToMiB(r.rssBytes))
      totals.push(sum(rss))
      everyAgent.push(...rss)
      metrics.push(
        makeMetric({
          name: `rss_mib.n${n}`,
          unit: 'MiB',
          direction: 'lower',
          source: 'agent',
          samples: rss,
          labels: { ...labels, swarm: 'fresh' },
          description:
            'resident memory of each agent process of a freshly deployed swarm (started, linked, nothing run)'
        }),
        makeMetric({
          name: `peak_rss_mib.n${n}`,
          unit: 'MiB',
          direction: 'lower',
          source: 'agent',
          samples: readings.map(r => bytesToMiB(r.peakRssBytes)),
          labels: { ...labels, swarm: 'fresh' },
          gate: false,
          description: 'peak resident memory of each agent process of the fresh swarm since it started'
        })
      )
      if (pooledReadings) {
        metrics.push(
          makeMetric({
            name: `pooled_rss_mib.n${n}`,
            unit: 'MiB',
            direction: 'lower',
            source: 'agent',
            samples: pooledReadings.map(r => bytesToMiB(r.rssBytes)),
            labels: { ...labels, swarm: 'pooled' },
            gate: false, // depends on what ran on the swarm before (fact pooled_deployed_for): context
            description:
              'resident memory of each agent of the swarm the pool lent, after whatever ran on it before'
          })
        )
      }
      const sandboxMem = readings.flatMap(r =>
        r.provider?.memUsedBytes !== undefined ? [r.provider.memUsedBytes] : []
      )
      if (sandboxMem.length > 0) {
        metrics.push(
          makeMetric({
            name: `sandbox_mem_mib.n${n}`,
            unit: 'MiB',
            direction: 'lower',
            source: 'provider',
            samples: sandboxMem.map(bytesToMiB),
            labels: { ...labels, swarm: 'fresh' },
            gate: false,
            description: 'memory used in each sandbox of the fresh swarm as the provider measures it'
          })
        )
      }
      facts[`total_rss_mib.n${n}`] = Number(sum(rss).toFixed(2))
    }
    scalingFacts('total_rss_mib', ctx.params.sizes, totals, facts)
    metrics.unshift(
      makeMetric({
        name: 'rss_mib.every_agent',
        unit: 'MiB',
        direction: 'lower',
        source: 'agent',
        samples: everyAgent,
        labels: { topology, swarm: 'fresh', sizes: ctx.params.sizes.join('+') },
        description: `resident memory of every agent of the fresh swarms of ${ctx.params.sizes.join(', ')} agents, all together (the same readings as rss_mib.n*)`
      })
    )
    return { metrics, facts }
  }
}

interface CpuParams {
  topologies: string[]
  size: number
  blocks: number
  consensusRounds: number
  executionsPerAgent: number
  tasksPerAgent: number
  pings: number
  bars: number
}

export const cpu: Benchmark<CpuParams> = {
  id: 'resources.cpu',
  category: 'resources',
  title: 'CPU per agent for a fixed workload, per topology',
  headlines: [/^cpu_s\./],
  borrows: p => p.topologies.map(t => ({ topology: t as Topo, size: p.size })),
  params: (profile, config) => ({ topologies: config.topologies, ...profileParams(profile).cpu }),
  async run(ctx) {
    const { size, blocks, consensusRounds, executionsPerAgent, tasksPerAgent } = ctx.params
    const metrics: Metric[] = []
    const facts: Facts = {}
    const cpuByTopology: Record<string, number> = {}
    for (const t of ctx.params.topologies as Topo[]) {
      ctx.progress(
        `${t} of ${size}: ${blocks} blocks of a fixed workload (${consensusRounds} round(s), ${executionsPerAgent} executions and ${tasksPerAgent} backtests per agent, pings)`
      )
      const swarm = await ctx.swarm({ topology: t, size })
      // One sample per agent per block: each agent's CPU over one block of the same work. Blocks give a duet
      // pairs enough to resolve a change (5 agents alone left its t-test 2 df); every agent's share is fixed.
      const cpuS: number[] = []
      const cpuPct: number[] = []
      let windowS = 0
      // Each block's CPU is the difference between the readings either side of it.
      let reading = await readResources(swarm)
      for (let b = 0; b < blocks; b++) {
        const elapsed = stopwatch()
        await cpuBlock(swarm, b, ctx)
        const blockS = elapsed() / 1000
        const after = await readResources(swarm)
        for (const [i, m] of after.entries()) {
          const used = m.cpuS - reading[i].cpuS
          cpuS.push(used)
          cpuPct.push((used / blockS) * 100)
        }
        windowS += blockS
        reading = after
      }
      await ctx.release(swarm)
      const labels = { topology: t, agents: size, blocks }
      metrics.push(
        makeMetric({
          name: `cpu_s.${t}`,
          unit: 's',
          direction: 'lower',
          source: 'agent',
          samples: cpuS,
          labels,
          gate: false, // too few samples per run to call a 25 % change at ≤ 1 % false alarms: context (docs/performance.md §3)
          description: `CPU seconds (user + system, ns clock) each agent spent on one block of the fixed workload; ${blocks} blocks, each agent's samples in block order`
        }),
        makeMetric({
          name: `cpu_pct.${t}`,
          unit: '%',
          direction: 'lower',
          source: 'agent',
          samples: cpuPct,
          labels,
          gate: false,
          description:
            'each agent’s CPU seconds over the host-timed window of one block, as a percent of one core'
        })
      )
      const providerCpu = reading.flatMap(m =>
        m.provider?.cpuUsedPct !== undefined ? [m.provider.cpuUsedPct] : []
      )
      if (providerCpu.length > 0) {
        metrics.push(
          makeMetric({
            name: `sandbox_cpu_pct.${t}`,
            unit: '%',
            direction: 'lower',
            source: 'provider',
            samples: providerCpu,
            labels,
            gate: false,
            description: 'sandbox CPU use as the provider reports it right after the workload'
          })
        )
      }
      facts[`window_s.${t}`] = Number(windowS.toFixed(3))
      cpuByTopology[t] = sum(cpuS)
    }
    const w = bestOf(cpuByTopology, 'lower')
    if (w) facts['winner.cpu_s'] = w
    return { metrics, facts }
  }
}

/**
 * One block of resources.cpu's workload. Each agent runs its own backtests (agent a the tasks a, a + n, …), not a
 * shared queue's: a queue hands an agent a different share each time, and its CPU would follow the share. Where the
 * agents share the runner's CPUs they work one at a time, as an agent's CPU time for the same work rose with what
 * ran beside it (docs/performance.md §3b); on their own machines (E2B) they work at once.
 */
async function cpuBlock(swarm: Swarm, block: number, ctx: BenchContext<CpuParams>): Promise<void> {
  const w = ctx.params
  const size = swarm.size
  for (let i = 0; i < w.consensusRounds; i++) {
    ctx.checkAbort()
    // Uncounted: the vote counting's counter reads and quiet waits are harness work, not the workload, and
    // were billed to the agents' CPU seconds and to the window.
    await swarm.consensusRound(nextRound(swarm), { countMessages: false })
  }
  const offset = block * 100
  const tasks = backtests(
    size * w.tasksPerAgent,
    3500 + offset,
    w.bars,
    ctx.config.strategyPath !== undefined
  )
  const work = async (a: number): Promise<void> => {
    for (let i = 0; i < w.executionsPerAgent; i++)
      await execute(swarm, a, marketWindow(3000 + offset + i, w.bars))
    await runTasksChecked(
      swarm,
      tasks.filter((_, i) => i % size === a),
      { agents: [a] }
    )
  }
  const agents = Array.from({ length: size }, (_, a) => a)
  if (ctx.agentsShareCpus) for (const a of agents) await work(a)
  else await Promise.all(agents.map(work))
  await swarm.ping({ count: w.pings })
}

type NetOp = 'ping' | 'send' | 'vote' | 'state'

export const network: Benchmark<{
  topology: string
  size: number
  batches: number
  opsPerBatch: number
  stateBytes: number
  payloadBytes: number
}> = {
  id: 'resources.network',
  category: 'resources',
  title: 'Bytes and messages per operation',
  headlines: [/^bytes_per_op\./],
  borrows: p => [{ topology: p.topology as Topo, size: p.size }],
  params: (profile, config) => ({ topology: config.topologies[0], ...profileParams(profile).network }),
  async run(ctx) {
    const { size, batches, opsPerBatch, stateBytes, payloadBytes } = ctx.params
    const topology = ctx.params.topology as Topo
    const swarm = await ctx.swarm({ topology, size })
    const far = farthestFrom(swarm.topology.hops, 0)
    const neighbours = swarm.topology.adjacency[0]
    // Each operation, and how many of it one batch performs.
    const ops: Record<NetOp, () => Promise<number>> = {
      ping: async () => {
        await swarm.ping({ count: opsPerBatch, payloadBytes, agents: [0] })
        return opsPerBatch * neighbours.length
      },
      send: async () => {
        await swarm.send(0, far, opsPerBatch, payloadBytes)
        return opsPerBatch
      },
      // The batch counts its messages around all of its operations (below), so each round and sync skips its own
      // counting: the same floods, without a counter read and a quiet wait per operation nobody reads.
      vote: async () => {
        for (let i = 0; i < opsPerBatch; i++)
          await swarm.consensusRound(nextRound(swarm), { countMessages: false })
        return opsPerBatch
      },
      state: async () => {
        for (let i = 0; i < opsPerBatch; i++)
          await swarm.stateSync(0, nextVersion(swarm), stateBytes, { countMessages: false })
        return opsPerBatch
      }
    }
    const bytes: Record<NetOp, number[]> = { ping: [], send: [], vote: [], state: [] }
    const messages: Record<NetOp, number[]> = { ping: [], send: [], vote: [], state: [] }
    for (const op of Object.keys(ops) as NetOp[]) {
      ctx.progress(`${op}: ${batches} batches of ${opsPerBatch}`)
      for (let b = 0; b < batches; b++) {
        ctx.checkAbort()
        const before = await readCounters(swarm)
        const count = await ops[op]()
        const d = counterDelta(before, await readSettledCounters(swarm))
        bytes[op].push(d.bytesSent / count)
        messages[op].push(d.messagesSent / count)
      }
    }
    await ctx.release(swarm)
    const describe: Record<NetOp, string> = {
      ping: `one ping (${payloadBytes}-byte payload) on one link and its answer`,
      send: `one ${payloadBytes}-byte message from agent 0 to agent ${far} (${swarm.topology.hops[0][far]} hop(s)) with its delivery answer`,
      vote: 'one consensus round: every agent floods its vote',
      state: `one ${stateBytes}-byte state flooded from agent 0, with every ack routed back`
    }
    const labels = { topology, agents: size }
    const metrics: Metric[] = []
    for (const op of Object.keys(ops) as NetOp[]) {
      metrics.push(
        makeMetric({
          name: `bytes_per_op.${op}`,
          unit: 'bytes',
          direction: 'lower',
          source: 'agent',
          samples: bytes[op],
          labels: { ...labels, operation: op },
          description: `bytes written to sockets by all agents for ${describe[op]}`
        }),
        makeMetric({
          name: `messages_per_op.${op}`,
          unit: 'messages',
          direction: 'lower',
          source: 'agent',
          samples: messages[op],
          labels: { ...labels, operation: op },
          gate: false,
          description: `peer requests sent by all agents for ${describe[op]}`
        })
      )
    }
    const sync = predictStateSyncMessages(swarm.topology, 0)
    const facts: Facts = {
      'predicted_messages.vote': predictConsensusMessages(swarm.topology),
      'measured_messages.vote': median(messages.vote),
      'predicted_messages.state': sync.state + sync.ack,
      'measured_messages.state': median(messages.state),
      'predicted_messages.send': swarm.topology.hops[0][far],
      'measured_messages.send': median(messages.send)
    }
    return { metrics, facts }
  }
}
