// Creation: how long a swarm takes to exist. Every figure here needs a real deployment, so these benchmarks
// always deploy fresh swarms (timed on the host around deploySwarm, phases from the swarm's deploy report) and
// hand the last one to the pool for the benchmarks after them.
import { fitPowerLawInterval } from '../stats/describe.js'
import { makeMetric } from '../results/metric.js'
import type { Metric } from '../results/schema.js'
import { median, timedDeploy } from './measure.js'
import { profileParams } from './profiles.js'
import type { Benchmark, Facts } from './types.js'

/** Per-agent deploy phases in the order they happen, as the swarm's deploy report names them. */
export const DEPLOY_PHASES = ['createMs', 'uploadMs', 'startMs', 'readyMs', 'initMs'] as const
const PHASE_METRIC: Record<(typeof DEPLOY_PHASES)[number], string> = {
  createMs: 'create_ms',
  uploadMs: 'upload_ms',
  startMs: 'start_ms',
  readyMs: 'ready_ms',
  initMs: 'first_answer_ms'
}
const PHASE_TEXT: Record<(typeof DEPLOY_PHASES)[number], string> = {
  createMs: 'sandbox creation',
  uploadMs: 'agent files upload',
  startMs: 'process start (spawn)',
  readyMs: 'spawn until the agent reported ready',
  initMs: 'first answer (init round trip)'
}

export const swarmInit: Benchmark<{ topology: 'mesh'; size: number; runs: number; deploy: 'parallel' }> = {
  id: 'creation.swarm-init',
  category: 'creation',
  title: 'Swarm initialization (mesh of 3: created, linked, ready)',
  headlines: [/^init_ms$/, /^link_handshake_rtt_ms$/],
  params: profile => ({ topology: 'mesh', deploy: 'parallel', ...profileParams(profile).swarmInit }),
  async run(ctx) {
    const { size, runs } = ctx.params
    const wall: number[] = []
    const link: number[] = []
    const handshake: number[] = []
    for (let r = 0; r < runs; r++) {
      ctx.progress(`deploy ${r + 1}/${runs}: mesh of ${size}`)
      const { value: swarm, ms } = await timedDeploy(() =>
        ctx.deploy({ topology: 'mesh', size, deploy: 'parallel' })
      )
      wall.push(ms)
      link.push(swarm.deployReport.linkMs)
      for (const l of swarm.deployReport.links ?? []) handshake.push(l.rttNs / 1e6)
      // The last swarm stays for later benchmarks; the others are not needed any more.
      await (r === runs - 1 ? ctx.release(swarm) : ctx.discard(swarm))
    }
    const labels = { topology: 'mesh', agents: size }
    const metrics: Metric[] = [
      makeMetric({
        name: 'init_ms',
        unit: 'ms',
        direction: 'lower',
        source: 'host',
        samples: wall,
        labels,
        gate: false, // too few samples per run to call a 25 % change at ≤ 1 % false alarms: context (docs/performance.md §3)
        target: ctx.target('init_ms'),
        description: `host time for a mesh of ${size}: sandboxes created, agents started and ready, every link verified`
      }),
      makeMetric({
        name: 'link_ms',
        unit: 'ms',
        direction: 'lower',
        source: 'host',
        samples: link,
        labels,
        gate: false,
        description: 'host time to link every edge with a verified handshake'
      })
    ]
    if (handshake.length > 0) {
      metrics.push(
        makeMetric({
          name: 'link_handshake_rtt_ms',
          unit: 'ms',
          direction: 'lower',
          source: 'agent',
          samples: handshake,
          labels,
          gate: false,
          description: 'round trip of each POST /hello link handshake, timed inside the agents'
        })
      )
    }
    const facts: Facts = { links_per_swarm: (size * (size - 1)) / 2 }
    // Every deploy verifies all its links at once: the duet's test takes a deploy's handshakes as one unit.
    if (handshake.length > 0 && handshake.length % runs === 0)
      facts.handshakes_per_deploy = handshake.length / runs
    return { metrics, facts }
  }
}

export const agentDeploy: Benchmark<{ topology: 'mesh'; size: number; runs: number; deploy: 'sequential' }> =
  {
    id: 'creation.agent-deploy',
    category: 'creation',
    title: 'Agent deployment phases (create, upload, start, first answer)',
    headlines: [/^total_ms$/, /^ready_ms$/],
    // One agent at a time, so each agent's phases are its own and not queueing behind its siblings.
    params: profile => ({ topology: 'mesh', deploy: 'sequential', ...profileParams(profile).agentDeploy }),
    async run(ctx) {
      const { size, runs } = ctx.params
      const phases = new Map<string, number[]>(DEPLOY_PHASES.map(p => [p, []]))
      const total: number[] = []
      for (let r = 0; r < runs; r++) {
        ctx.progress(`deploy ${r + 1}/${runs}: ${size} agents one at a time`)
        const swarm = await ctx.deploy({ topology: 'mesh', size, deploy: 'sequential' })
        for (const a of swarm.deployReport.agents) {
          for (const p of DEPLOY_PHASES) phases.get(p)!.push(a[p])
          total.push(a.totalMs)
        }
        await (r === runs - 1 ? ctx.release(swarm) : ctx.discard(swarm))
      }
      const metrics: Metric[] = DEPLOY_PHASES.map(p =>
        makeMetric({
          name: PHASE_METRIC[p],
          unit: 'ms',
          direction: 'lower',
          source: 'host',
          samples: phases.get(p)!,
          labels: { phase: PHASE_METRIC[p].replace(/_ms$/, '') },
          gate: false,
          description: `per agent: ${PHASE_TEXT[p]}`
        })
      )
      metrics.push(
        makeMetric({
          name: 'total_ms',
          unit: 'ms',
          direction: 'lower',
          source: 'host',
          samples: total,
          labels: { phase: 'total' },
          gate: false, // too few samples per run to call a 25 % change at ≤ 1 % false alarms: context (docs/performance.md §3)
          target: ctx.target('total_ms'),
          description: 'per agent: sandbox creation until its first answer'
        })
      )
      const facts: Facts = {}
      const medians = DEPLOY_PHASES.map(p => [PHASE_METRIC[p], median(phases.get(p)!)] as const)
      const slowest = medians.reduce((a, b) => (b[1] > a[1] ? b : a))
      facts['slowest_phase'] = slowest[0]
      return { metrics, facts }
    }
  }

export const parallelSpeedup: Benchmark<{ topology: string; size: number; runs: number }> = {
  id: 'creation.parallel-speedup',
  category: 'creation',
  title: 'Parallel vs sequential deployment of the same swarm',
  headlines: [/^deploy_ms\.parallel$/],
  params: (profile, config) => ({
    topology: config.topologies[0],
    ...profileParams(profile).parallelSpeedup
  }),
  async run(ctx) {
    const { size, runs } = ctx.params
    const topology = ctx.params.topology as 'mesh'
    const par: number[] = []
    const seq: number[] = []
    const ratio: number[] = []
    for (let r = 0; r < runs; r++) {
      // The SAME topology and size in both modes; alternate which goes first so warm caches favour neither.
      const order: ('parallel' | 'sequential')[] =
        r % 2 === 0 ? ['parallel', 'sequential'] : ['sequential', 'parallel']
      const times: Record<string, number> = {}
      for (const mode of order) {
        ctx.progress(`run ${r + 1}/${runs}: ${topology} of ${size}, ${mode}`)
        const { value: swarm, ms } = await timedDeploy(() => ctx.deploy({ topology, size, deploy: mode }))
        times[mode] = ms
        // Only the very last swarm is handed on (borrowers take either mode): one released earlier would sit
        // idle, billed, while the other mode deploys.
        await (r === runs - 1 && mode === order[1] ? ctx.release(swarm) : ctx.discard(swarm))
      }
      par.push(times.parallel)
      seq.push(times.sequential)
      ratio.push(times.sequential / times.parallel)
    }
    const labels = { topology, agents: size }
    const metrics = [
      makeMetric({
        name: 'deploy_ms.parallel',
        unit: 'ms',
        direction: 'lower',
        source: 'host',
        samples: par,
        labels: { ...labels, deploy: 'parallel' },
        gate: false, // too few samples per run to call a 25 % change at ≤ 1 % false alarms: context (docs/performance.md §3)
        description: `host time to deploy and link a ${topology} of ${size} with agents created in parallel`
      }),
      makeMetric({
        name: 'deploy_ms.sequential',
        unit: 'ms',
        direction: 'lower',
        source: 'host',
        samples: seq,
        labels: { ...labels, deploy: 'sequential' },
        gate: false,
        description: `the same ${topology} of ${size} with agents created one at a time`
      }),
      makeMetric({
        name: 'speedup',
        unit: 'x',
        direction: 'higher',
        source: 'derived',
        samples: ratio,
        headline: 'mean',
        labels,
        gate: false, // too few samples per run to call a 25 % change at ≤ 1 % false alarms: context (docs/performance.md §3)
        target: ctx.target('speedup'),
        description: 'sequential ÷ parallel deploy time, per paired run'
      })
    ]
    return { metrics, facts: { [`speedup.${topology}.${size}`]: Number(median(ratio).toFixed(4)) } }
  }
}

/**
 * Power-law facts for a series measured at several swarm sizes: the exponent, its 95 % interval and R². Pass every
 * repeat (`sizes[i]` is the size `values[i]` was measured at), not one median per size, so the interval carries
 * the scatter between repeats. `sublinear` is claimed only when the whole interval lies below 1, so a linear or
 * super-linear series can never pass; it is left out when there are too few points for an interval.
 */
export function scalingFacts(name: string, sizes: number[], values: number[], facts: Facts): void {
  const fit = fitPowerLawInterval(sizes, values)
  if (!fit) return
  facts[`scaling_exponent.${name}`] = round(fit.exponent, 4)
  facts[`scaling_r2.${name}`] = round(fit.r2, 4)
  facts[`scaling_points.${name}`] = fit.points
  if (!fit.ci) return
  facts[`scaling_exponent_ci_low.${name}`] = round(fit.ci.low, 4)
  facts[`scaling_exponent_ci_high.${name}`] = round(fit.ci.high, 4)
  facts[`sublinear.${name}`] = fit.ci.high < 1
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits))
