// Communication: messages that really cross sockets between agents. Round trips and delivery times are timed
// inside the agents; bytes and message counts come from the agents' socket counters.
import { makeMetric } from '../results/metric.js'
import type { Metric } from '../results/schema.js'
import type { CounterTotals } from '../swarm/swarm.js'
import { predictStateSyncMessages, type TopologyName } from '../swarm/topology.js'
import { COUNTED_ROUNDS, bestOf, farthestFrom, median, nextVersion, nsToMs, shareOf, sum } from './measure.js'
import { pipelineStreams, stepToSaturation, SATURATION_GAIN } from './saturation.js'
import { profileParams } from './profiles.js'
import type { Benchmark, Facts } from './types.js'

type Topo = TopologyName

export const interAgentLatency: Benchmark<{
  topology: string
  agents: number
  pingsPerEdge: number
  hopMessages: number
  payloadBytes: number
}> = {
  id: 'communication.inter-agent-latency',
  category: 'communication',
  title: 'Agent-to-agent round trip over real links',
  headlines: [/^rtt_ms$/, /^rtt_ms\.payload_1024b$/, /^multi_hop_ms$/],
  borrows: p => [{ topology: p.topology as Topo, size: p.agents }],
  params: (profile, config, run) => ({
    topology: config.topologies[0],
    ...profileParams(profile, run).interAgentLatency
  }),
  async run(ctx) {
    const { agents, pingsPerEdge, hopMessages, payloadBytes } = ctx.params
    const topology = ctx.params.topology as Topo
    const swarm = await ctx.swarm({ topology, size: agents })
    ctx.progress(`${pingsPerEdge} pings per link, empty and ${payloadBytes}-byte payloads`)
    const empty = await swarm.ping({ count: pingsPerEdge })
    ctx.checkAbort()
    const loaded = await swarm.ping({ count: pingsPerEdge, payloadBytes })
    ctx.checkAbort()
    const far = farthestFrom(swarm.topology.hops, 0)
    const hop = far !== 0 ? await swarm.send(0, far, hopMessages) : undefined
    await ctx.release(swarm)
    const labels = { topology, agents }
    const metrics: Metric[] = [
      makeMetric({
        name: 'rtt_ms',
        unit: 'ms',
        direction: 'lower',
        source: 'agent',
        samples: empty.edges.flatMap(e => e.rttNs.map(nsToMs)),
        labels,
        // Context: a µs-scale loopback round trip switches between modes run to run (29 µs vs 56-106 µs in 16 runs of
        // one commit: which agents share a CPU), so no history or noise floor makes a gate on it trustworthy.
        gate: false,
        target: ctx.target('rtt_ms'),
        description: 'agent-to-agent round trip (POST /ping) over every link, timed inside the sending agent'
      }),
      makeMetric({
        name: `rtt_ms.payload_${payloadBytes}b`,
        unit: 'ms',
        direction: 'lower',
        source: 'agent',
        samples: loaded.edges.flatMap(e => e.rttNs.map(nsToMs)),
        labels: { ...labels, payloadBytes },
        gate: false,
        description: `the same with a ${payloadBytes}-byte payload`
      })
    ]
    const facts: Facts = { links: empty.edges.length }
    if (hop) {
      metrics.push(
        makeMetric({
          name: 'multi_hop_ms',
          unit: 'ms',
          direction: 'lower',
          source: 'agent',
          samples: hop.latencyNs.map(nsToMs),
          labels: { ...labels, hops: hop.hops ?? swarm.topology.hops[0][far] },
          gate: false,
          description: `delivery from agent 0 to agent ${far}, forwarded hop by hop along the topology`
        })
      )
      facts['multi_hop.hops'] = hop.hops ?? swarm.topology.hops[0][far]
      facts['multi_hop.path'] = (hop.path ?? []).join('→')
    }
    return { metrics, facts }
  }
}

export const stateSync: Benchmark<{ topologies: string[]; size: number; syncs: number; stateBytes: number }> =
  {
    id: 'communication.state-sync',
    category: 'communication',
    title: 'State synchronization flooded to all agents',
    headlines: [/^sync_ms\./],
    borrows: p => p.topologies.map(t => ({ topology: t as Topo, size: p.size })),
    params: (profile, config, run) => ({
      topologies: config.topologies,
      ...profileParams(profile, run).stateSync
    }),
    async run(ctx) {
      const { size, syncs, stateBytes } = ctx.params
      const metrics: Metric[] = []
      const facts: Facts = {}
      const syncByTopology: Record<string, number> = {}
      const bytesByTopology: Record<string, number> = {}
      for (const t of ctx.params.topologies as Topo[]) {
        ctx.progress(`${t} of ${size}: ${syncs} syncs of ${stateBytes} bytes`)
        const swarm = await ctx.swarm({ topology: t, size })
        const syncMs: number[] = []
        const hostMs: number[] = []
        const bytes: number[] = []
        const messages: number[] = []
        // Each sync starts from the settled totals the previous one ended on: nothing runs between them, so a
        // counter read per sync (a round trip to every agent) is saved and the deltas are the same.
        let before: CounterTotals | undefined
        for (let i = 0; i < syncs; i++) {
          ctx.checkAbort()
          const counted = i < COUNTED_ROUNDS
          const r = await swarm.stateSync(0, nextVersion(swarm), stateBytes, {
            before,
            countMessages: counted
          })
          before = r.countersAfter
          if (r.acks !== size - 1) throw new Error(`${t}: state sync got ${r.acks} of ${size - 1} acks`)
          syncMs.push(nsToMs(r.syncNs))
          hostMs.push(r.hostMs)
          if (counted) {
            bytes.push(r.bytes)
            messages.push(r.messages)
          }
        }
        const predicted = predictStateSyncMessages(swarm.topology, 0)
        facts[`predicted_messages.${t}`] = predicted.state + predicted.ack
        facts[`measured_messages.${t}`] = median(messages)
        await ctx.release(swarm)
        const labels = { topology: t, agents: size }
        metrics.push(
          makeMetric({
            name: `sync_ms.${t}`,
            unit: 'ms',
            direction: 'lower',
            source: 'agent',
            samples: syncMs,
            labels,
            gate: false, // a few syncs per topology cannot call a 25 % change at ≤ 1 % false alarms: context
            description: `origin's time from flooding a ${stateBytes}-byte state until every agent acknowledged it`
          }),
          makeMetric({
            name: `sync_host_ms.${t}`,
            unit: 'ms',
            direction: 'lower',
            source: 'host',
            samples: hostMs,
            labels,
            gate: false,
            description: 'host round trip of the whole sync'
          }),
          makeMetric({
            name: `bytes_per_sync.${t}`,
            unit: 'bytes',
            direction: 'lower',
            source: 'agent',
            samples: bytes,
            labels,
            gate: false,
            description: 'bytes written to sockets by all agents for one sync (state flood + acks)'
          }),
          makeMetric({
            name: `messages_per_sync.${t}`,
            unit: 'messages',
            direction: 'lower',
            source: 'agent',
            samples: messages,
            labels,
            gate: false,
            description: `messages sent for one sync (predicted ${predicted.state} state + ${predicted.ack} ack)`
          })
        )
        syncByTopology[t] = median(syncMs)
        bytesByTopology[t] = median(bytes)
      }
      const w1 = bestOf(syncByTopology, 'lower')
      const w2 = bestOf(bytesByTopology, 'lower')
      if (w1) facts['winner.sync_ms'] = w1
      if (w2) facts['winner.bytes_per_sync'] = w2
      return { metrics, facts }
    }
  }

/** Latency samples each agent returns per pipelined window (means of consecutive chunks of its messages). */
export const LATENCY_CHUNKS = 8

export const messageThroughput: Benchmark<{
  topology: string
  agents: number
  batches: number
  messagesPerBatch: number
  payloadBytes: number
  depths: number[]
  windowMs: number
  repeats: number
}> = {
  id: 'communication.message-throughput',
  category: 'communication',
  title: 'Message throughput over real links',
  // The latency under load first: it stands for the benchmark in the PR comment (the saturated rate, a few depth
  // steps per run, resolves far less in a duet; docs/performance.md §3b).
  headlines: [/^loaded_latency_ms$/, /^message_ms$/, /^saturated_msg_per_s$/],
  borrows: p => [{ topology: p.topology as Topo, size: p.agents }],
  params: (profile, config, run) => ({
    topology: config.topologies[0],
    ...profileParams(profile, run).messageThroughput
  }),
  async run(ctx) {
    const { agents, batches, messagesPerBatch, payloadBytes, depths, windowMs, repeats } = ctx.params
    const topology = ctx.params.topology as Topo
    const swarm = await ctx.swarm({ topology, size: agents })
    const neighbour = swarm.topology.adjacency[0][0]
    const single: number[] = []
    const latency: number[] = []
    const hook: number[] = []
    for (let b = 0; b < batches; b++) {
      ctx.checkAbort()
      ctx.progress(`batch ${b + 1}/${batches}: ${messagesPerBatch} messages on one link, each awaited`)
      const one = await swarm.send(0, neighbour, messagesPerBatch, payloadBytes)
      if (one.delivered !== messagesPerBatch) {
        throw new Error(`${one.delivered} of ${messagesPerBatch} messages were delivered`)
      }
      single.push(one.delivered / (one.elapsedNs / 1e9))
      latency.push(...one.latencyNs.map(nsToMs))
      hook.push(...(one.hookNs ?? []).map(nsToMs))
    }
    // Every agent at once, a stream per edge, `depth` messages in flight on each: deeper until the rate stops rising.
    const streams = pipelineStreams(swarm.topology)
    const window = async (depth: number) => {
      const results = await Promise.all(
        streams.map((to, a) =>
          swarm.pipeline(a, { to, depth, durationMs: windowMs, payloadBytes, latencyChunks: LATENCY_CHUNKS })
        )
      )
      for (const [a, r] of results.entries()) {
        if (r.delivered !== r.messages)
          throw new Error(
            `agent ${a} at depth ${depth}: ${r.delivered} of ${r.messages} messages were delivered`
          )
      }
      return { rate: sum(results.map(r => r.delivered / (r.elapsedNs / 1e9))), results }
    }
    // In a duet both sides step by the geometric mean of their rates: a side that chose its own saturation depth
    // measured its loaded latency at another load than its partner (A/A duets then differed by ×3).
    const duet = ctx.duet
    const sat = await stepToSaturation(
      depths,
      async depth => {
        ctx.checkAbort()
        ctx.progress(`depth ${depth}: ${streams.flat().length} streams at once for ${windowMs} ms`)
        const w = await window(depth)
        return { rate: w.rate, window: w }
      },
      duet ? rate => duet.agree('throughput-rate', rate, (b, h) => Math.sqrt(b * h)) : undefined
    )
    const { depth, windows } = sat
    const loaded = [windows[sat.index]]
    for (let r = 0; r < repeats; r++) {
      ctx.checkAbort()
      ctx.progress(`depth ${depth} again (${r + 1}/${repeats})`)
      loaded.push(await window(depth))
    }
    await ctx.release(swarm)
    const labels = { topology, agents, payloadBytes }
    const sequentialRate = median(single)
    const metrics = [
      makeMetric({
        name: 'saturated_msg_per_s',
        unit: 'msg/s',
        direction: 'higher',
        source: 'agent',
        samples: loaded.map(w => w.rate),
        headline: 'mean',
        labels: { ...labels, depth },
        target: ctx.target('saturated_msg_per_s'),
        gate: false, // a few windows per run cannot call a 25 % change at ≤ 1 % false alarms: the duet judges it
        description:
          `messages per second delivered by all ${agents} agents at once, ${depth} in flight on every stream ` +
          `(one per edge, forwarded hop by hop), the depth past which the rate rose < ${SATURATION_GAIN * 100} %; ` +
          'summed over agents, each timed in its agent'
      }),
      makeMetric({
        name: 'loaded_latency_ms',
        unit: 'ms',
        direction: 'lower',
        source: 'agent',
        samples: loaded.flatMap(w => w.results.flatMap(r => r.latencyNs.map(nsToMs))),
        labels: { ...labels, depth },
        gate: false,
        description: `delivery time of a message under that load (means of ${LATENCY_CHUNKS} chunks per agent and window)`
      }),
      makeMetric({
        name: 'sequential_msg_per_s',
        unit: 'msg/s',
        direction: 'higher',
        source: 'agent',
        samples: single,
        headline: 'mean',
        labels,
        gate: false, // one value per batch; message_ms is the same figure per message
        description: `1 ÷ sequential latency: messages per second from agent 0 to neighbour ${neighbour}, each awaited`
      }),
      makeMetric({
        name: 'message_ms',
        unit: 'ms',
        direction: 'lower',
        source: 'agent',
        samples: latency,
        labels,
        // Context, like rtt_ms: a µs-scale loopback time that jumps between runs of one commit (medians of 80
        // recorded quick runs: 35–41 µs in 73, 43–56 µs in 6, 83 µs in 1); one run cannot resolve 25 %.
        gate: false,
        description: 'delivery time of each message on that link, sent one at a time'
      })
    ]
    if (hook.length > 0) {
      metrics.push(
        makeMetric({
          name: 'message_hook_ms',
          unit: 'ms',
          direction: 'lower',
          source: 'agent',
          samples: hook,
          labels,
          gate: false,
          description:
            `of message_ms, the time inside your on_message hook at the destination (median ` +
            `${shareOf(hook, latency)} % of it); the rest is transport`
        })
      )
    }
    const facts: Facts = {
      link: `0→${neighbour}`,
      streams: streams.flat().length,
      saturation_depth: depth,
      saturated: sat.saturated,
      // the least any stream reached at the saturation depth: a sender that waited for each answer would show 1
      max_in_flight: Math.min(...loaded.flatMap(w => w.results.flatMap(r => r.maxInFlight))),
      longest_stream_hops: Math.max(...streams.flatMap((to, a) => to.map(d => swarm.topology.hops[a][d]))),
      saturated_vs_sequential: Math.round((median(loaded.map(w => w.rate)) / sequentialRate) * 100) / 100
    }
    for (const s of sat.own) facts[`msg_per_s.depth_${s.depth}`] = Math.round(s.rate)
    return { metrics, facts }
  }
}
