// The whole matrix on the local provider with real agents (quick profile): every benchmark runs and measures,
// the file validates, topologies differ as the graph predicts, two runs differ in their raw samples, and no
// agent process survives.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BENCHMARK_IDS } from '../src/bench/catalog.js'
import { runBenchmarks } from '../src/bench/runner.js'
import { SEED_TARGETS } from '../src/bench/targets.js'
import { DUET_HEADLINES, primaryHeadline } from '../src/duet/headlines.js'
import type { ProgressEvent } from '../src/bench/types.js'
import { readResults, writeResults } from '../src/results/io.js'
import { Results, type BenchmarkResult, type Metric } from '../src/results/schema.js'
import { buildTopology, predictConsensusMessages, predictStateSyncMessages } from '../src/swarm/topology.js'
import { benchConfig } from './support/bench-config.js'
import { newRunTag, processesWithTag, waitForNoProcesses } from './support/processes.js'

const tag = newRunTag('bench-matrix')

/** The target operators, written out again so the test does not reuse the code it checks. */
const OPS: Record<'<' | '<=' | '>' | '>=', (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b
}

/** Least-squares slope of ln y against ln x: the exponent b of y = a·x^b. */
function logLogSlope(xs: number[], ys: number[]): number {
  const lx = xs.map(Math.log)
  const ly = ys.map(Math.log)
  const mx = lx.reduce((a, v) => a + v, 0) / lx.length
  const my = ly.reduce((a, v) => a + v, 0) / ly.length
  let sxy = 0
  let sxx = 0
  for (let i = 0; i < lx.length; i++) {
    sxy += (lx[i] - mx) * (ly[i] - my)
    sxx += (lx[i] - mx) ** 2
  }
  return sxy / sxx
}
const out = mkdtempSync(join(tmpdir(), 'bench-matrix-'))
let results: Results
const events: ProgressEvent[] = []

const bench = (id: string): BenchmarkResult => {
  const b = results.benchmarks.find(x => x.id === id)
  if (!b) throw new Error(`no ${id}`)
  return b
}
const metric = (id: string, name: string): Metric => {
  const m = bench(id).metrics.find(x => x.name === name)
  if (!m)
    throw new Error(
      `no ${id}/${name}; have ${bench(id)
        .metrics.map(x => x.name)
        .join(', ')}`
    )
  return m
}

beforeAll(async () => {
  const config = benchConfig({ provider: 'local', profile: 'quick', 'run-tag': tag, out })
  results = await runBenchmarks(config, { onProgress: e => events.push(e) })
}, 180_000)

afterAll(() => rmSync(out, { recursive: true, force: true }))

describe('quick matrix on the local provider', () => {
  it('runs every benchmark, reported in catalog order, each passed or failed with measured samples', () => {
    expect(results.benchmarks.map(b => b.id)).toEqual([...BENCHMARK_IDS])
    for (const b of results.benchmarks) {
      expect(['passed', 'failed'], `${b.id}: ${b.status} ${b.error ?? ''}`).toContain(b.status)
      expect(b.metrics.length, b.id).toBeGreaterThan(0)
      for (const m of b.metrics) {
        expect(m.summary.n, `${b.id}/${m.name}`).toBeGreaterThan(0)
        expect(m.samples.length, `${b.id}/${m.name}`).toBeGreaterThan(0)
      }
      expect(new Set(b.metrics.map(m => m.name)).size, `${b.id}: metric names unique`).toBe(b.metrics.length)
    }
    expect(results.run.complete).toBe(true)
  })

  it('holds each seed target against the metric it names', () => {
    for (const [key, target] of Object.entries(SEED_TARGETS)) {
      const [id, name] = key.split('/')
      const m = metric(id, name)
      expect(m.target, key).toEqual(target)
      // Judged again here from the metric's own summary: a verdict that ignored the figure would differ.
      expect(m.targetMet, key).toBe(OPS[target.op](m.summary[target.stat], target.value))
    }
    // A missed target fails its benchmark; a benchmark whose targets are all met passes.
    for (const b of results.benchmarks) {
      const missed = b.metrics.some(m => m.target !== undefined && m.targetMet === false)
      expect(b.status, b.id).toBe(missed ? 'failed' : 'passed')
    }
    const withTargets = results.benchmarks.flatMap(b =>
      b.metrics.filter(m => m.target).map(m => `${b.id}/${m.name}`)
    )
    expect(withTargets.sort()).toEqual(Object.keys(SEED_TARGETS).sort())
  })

  it('samples the runner floor inside the agents each time a benchmark took a swarm', () => {
    const floor = results.run.floor!
    expect(floor, 'run.floor').toBeDefined()
    expect(floor.name).toBe('cpu_floor_ms')
    expect(floor.gate).toBe(false)
    // 10 timings per swarm taken; quick has a dozen borrowing benchmarks, several taking more than one swarm.
    expect(floor.samples.length).toBeGreaterThanOrEqual(100)
    expect(floor.samples.length % 10).toBe(0)
    expect(floor.summary.median).toBeGreaterThan(0.001)
    expect(floor.summary.median).toBeLessThan(50)
    expect(floor.description).not.toMatch(/failed/)
  })

  it('gates the strategy time as a ratio to the floor work timed right after it, keeping the raw time as context', () => {
    const rel = metric('trading.strategy-execution', 'compute_vs_floor')
    const raw = metric('trading.strategy-execution', 'compute_ms')
    expect(rel.gate).toBe(true)
    expect(raw.gate).toBe(false)
    // One ratio per call (3 decisions and 3 reference decisions, summed); every decision is a raw sample.
    expect(raw.samples.length).toBe(3 * rel.samples.length)
    expect(rel.summary.median).toBeGreaterThan(0.01)
    expect(rel.summary.median).toBeLessThan(10)
  })

  it('writes a results file that validates on write and on read', () => {
    expect(() => Results.parse(results)).not.toThrow()
    const path = writeResults(out, results)
    const back = readResults(path)
    expect(back.ok, back.ok ? '' : back.reason).toBe(true)
  })

  it('measures the environment and costs of this run', () => {
    const env = results.run.environment
    expect(env.python).toMatch(/^3\.\d+/)
    expect(env.node).toBe(process.version)
    expect(env.cpus).toBeGreaterThan(0)
    expect(env.providerDetails.name).toBe('local')
    // The pool lent swarms to later benchmarks instead of deploying them again.
    expect(Number(env.providerDetails.swarmsReused)).toBeGreaterThan(0)
    expect(results.cost.estimated).toBe(true)
    expect(results.cost.usd).toBeGreaterThan(0)
    expect(results.cost.sandboxes).toBeGreaterThan(0)
  })

  it('reports progress per benchmark and within long ones', () => {
    // Benchmarks run in the order the scheduler picks (by the swarms they share); each starts once.
    const starts = events.filter(e => e.type === 'start').map(e => (e as { id: string }).id)
    const dones = events.filter(e => e.type === 'done')
    expect([...starts].sort()).toEqual([...BENCHMARK_IDS].sort())
    expect(dones).toHaveLength(BENCHMARK_IDS.length)
    expect(events.some(e => e.type === 'step' && e.id === 'scalability.topology-compare')).toBe(true)
  })

  it('topology-compare: vote messages and bytes come from the sockets and differ as the graph predicts', () => {
    const size = bench('scalability.topology-compare').params.size as number
    const facts = bench('scalability.topology-compare').facts
    for (const t of ['mesh', 'hierarchical', 'ring'] as const) {
      const predicted = predictConsensusMessages(buildTopology(t, size))
      expect(facts[`predicted_vote_messages.${t}`]).toBe(predicted)
      expect(
        metric('scalability.topology-compare', `vote_messages.${t}`).samples.every(s => s === predicted)
      ).toBe(true)
    }
    // ring n(n+1) > mesh n(n-1): more messages and more bytes on the wire.
    const mesh = metric('scalability.topology-compare', 'vote_bytes.mesh').summary.median
    const ring = metric('scalability.topology-compare', 'vote_bytes.ring').summary.median
    expect(ring).toBeGreaterThan(mesh * 1.2)
    expect(metric('scalability.topology-compare', 'vote_messages.ring').summary.median).toBe(
      size * (size + 1)
    )
    expect(metric('scalability.topology-compare', 'vote_messages.mesh').summary.median).toBe(
      size * (size - 1)
    )
  })

  it('state-sync: messages per sync follow the flood + routed acks prediction per topology', () => {
    const size = bench('communication.state-sync').params.size as number
    const seen = new Set<number>()
    for (const t of ['mesh', 'hierarchical', 'ring'] as const) {
      const p = predictStateSyncMessages(buildTopology(t, size), 0)
      const m = metric('communication.state-sync', `messages_per_sync.${t}`)
      expect(
        m.samples.every(s => s === p.state + p.ack),
        t
      ).toBe(true)
      seen.add(m.summary.median)
    }
    expect(seen.size).toBe(3)
  })

  it('consensus agreement is checked and reported as a correctness check, not a target it cannot miss', () => {
    const c = bench('trading.consensus')
    expect(c.facts.rounds_agreed).toBe(c.params.rounds)
    const agreement = c.metrics.find(m => m.name === 'agreement_pct')!
    expect(agreement.samples.every(v => v === 100)).toBe(true)
    expect(agreement.target).toBeUndefined()
    expect(agreement.description).toMatch(/^correctness check, not a measure of agreement/)
  })

  it('message-throughput: pipelined messages on every edge at once beat the sequential rate by far', () => {
    const t = bench('communication.message-throughput')
    const saturated = metric('communication.message-throughput', 'saturated_msg_per_s').summary.mean
    const sequential = metric('communication.message-throughput', 'sequential_msg_per_s').summary.mean
    // Gross margin: ~2.5× measured on 2 shared cores; a sender that awaited each message would stay near 1×.
    expect(saturated, JSON.stringify(t.facts)).toBeGreaterThan(1.5 * sequential)
    // Every stream really had the saturation depth in flight at once, and that depth is past 1.
    expect(t.facts.saturation_depth).toBeGreaterThan(1)
    expect(t.facts.max_in_flight).toBeGreaterThanOrEqual(t.facts.saturation_depth as number)
    // The rate at each depth tried is a fact; the loaded latency is many chunked samples, not one per window.
    expect(Object.keys(t.facts).filter(k => k.startsWith('msg_per_s.depth_')).length).toBeGreaterThanOrEqual(
      2
    )
    expect(metric('communication.message-throughput', 'loaded_latency_ms').samples.length).toBeGreaterThan(8)
  })

  it('task-distribution ran every task and measured load balance', () => {
    const t = bench('trading.task-distribution')
    const perAgent = Object.entries(t.facts).filter(([k]) => k.startsWith('tasks_by_agent.'))
    expect(perAgent.reduce((a, [, v]) => a + Number(v), 0)).toBe(t.params.tasks)
    // The work queue keeps all 4 agents busy (measured ~0.96); sending every task to one agent would give 1/4.
    const eff = metric('trading.task-distribution', 'load_balance_efficiency').summary
    expect(eff.median).toBeGreaterThan(0.5)
  })

  it('resources.cpu: one sample per agent per block, read on the ns clock, not in 10 ms ticks', () => {
    const b = bench('resources.cpu')
    const { size, blocks, topologies } = b.params as { size: number; blocks: number; topologies: string[] }
    expect(blocks).toBeGreaterThan(1)
    for (const t of topologies) {
      const s = metric('resources.cpu', `cpu_s.${t}`).samples
      expect(s).toHaveLength(size * blocks)
      expect(s.every(x => x > 0)).toBe(true)
      // os.times() alone would give every delta as a whole number of 10 ms ticks.
      expect(s.some(x => Math.abs(x * 100 - Math.round(x * 100)) > 1e-3)).toBe(true)
    }
  })

  it('resources.network: messages per vote and per state sync equal the prediction', () => {
    const f = bench('resources.network').facts
    expect(f['measured_messages.vote']).toBe(f['predicted_messages.vote'])
    expect(f['measured_messages.state']).toBe(f['predicted_messages.state'])
    expect(metric('resources.network', 'bytes_per_op.state').summary.median).toBeGreaterThan(10 * 1024)
  })

  it('parallel-speedup compares the same topology and size in both modes', () => {
    const par = metric('creation.parallel-speedup', 'deploy_ms.parallel').labels
    const seq = metric('creation.parallel-speedup', 'deploy_ms.sequential').labels
    expect(par?.topology).toBe(seq?.topology)
    expect(par?.agents).toBe(seq?.agents)
  })

  it('scaling exponents are the log-log fit of every repeat the run reports, with an interval', () => {
    // Refitted here from the reported samples (every deployment or batch, not one median per size), so an
    // exponent that is not the slope of those figures (wrong series, sizes or fit) fails.
    const refit = (id: string, series: string): number => {
      const sizes = bench(id).params.sizes as number[]
      expect(sizes.length, id).toBeGreaterThanOrEqual(3)
      const xs = sizes.flatMap(n => metric(id, `${series}.n${n}`).samples.map(() => n))
      const ys = sizes.flatMap(n => metric(id, `${series}.n${n}`).samples)
      const slope = logLogSlope(xs, ys)
      const f = bench(id).facts
      expect(f[`scaling_exponent.${series}`], `${id} ${series}`).toBeCloseTo(slope, 3)
      expect(f[`scaling_points.${series}`]).toBe(xs.length)
      // Sub-linear is claimed only when the whole interval is below 1.
      const low = f[`scaling_exponent_ci_low.${series}`] as number
      const high = f[`scaling_exponent_ci_high.${series}`] as number
      expect(low).toBeLessThanOrEqual(slope + 1e-4)
      expect(high).toBeGreaterThanOrEqual(slope - 1e-4)
      expect(f[`sublinear.${series}`]).toBe(high < 1)
      return slope
    }
    const count = bench('scalability.agent-count')
    const perSize = count.params.deploysPerSize as number
    expect(perSize).toBeGreaterThanOrEqual(3)
    for (const n of count.params.sizes as number[])
      expect(metric('scalability.agent-count', `swarm_create_ms.n${n}`).samples).toHaveLength(perSize)
    refit('scalability.agent-count', 'swarm_create_ms')
    refit('scalability.linear-2-20', 'swarm_create_ms')
    refit('costs.scaling', 'cost_per_task')
    refit('costs.scaling', 'cost_per_round')
  })

  it('agent-count: every backtest decides on the bars its description names', () => {
    const b = bench('scalability.agent-count')
    const bars = b.params.bars as number
    // Momentum needs its 21-bar lookback before the first decision, then decides on every further bar.
    expect(b.facts.decisions_per_backtest).toBeGreaterThan(bars - 25)
    expect(b.facts.decisions_per_backtest).toBeLessThanOrEqual(bars)
    expect(metric('scalability.agent-count', 'strategy_ms.n1').description).toContain(`${bars} bars`)
  })

  it('resources.memory: the headline is read on a swarm deployed for it; the pooled read is labelled context', () => {
    const b = bench('resources.memory')
    const sizes = b.params.sizes as number[]
    for (const n of sizes) {
      expect(b.facts[`fresh_deployed_for.n${n}`]).toBe('resources.memory')
      const rss = metric('resources.memory', `rss_mib.n${n}`)
      expect(rss.labels?.swarm).toBe('fresh')
      expect(rss.samples).toHaveLength(n)
      const from = b.facts[`pooled_deployed_for.n${n}`]
      if (from !== undefined) {
        expect(from).not.toBe('resources.memory')
        const pooled = metric('resources.memory', `pooled_rss_mib.n${n}`)
        expect(pooled.labels?.swarm).toBe('pooled')
        expect(pooled.gate).toBe(false)
      }
    }
    // Every fresh agent's reading once, in size order, so a duet pairs agent with agent across the sizes.
    const every = metric('resources.memory', 'rss_mib.every_agent')
    expect(every.samples).toEqual(sizes.flatMap(n => metric('resources.memory', `rss_mib.n${n}`).samples))
    expect(every.gate).not.toBe(false)
    expect(
      primaryHeadline(
        'resources.memory',
        b.metrics.map(m => m.name)
      )
    ).toBe('rss_mib.every_agent')
    // agent-count hands its last swarms on, so the pool had some of these sizes: both reads were taken.
    expect(sizes.some(n => b.facts[`pooled_deployed_for.n${n}`] !== undefined)).toBe(true)
    expect(b.params.swarmsDeployed).toBe(sizes.length)
  })

  it('docs/benchmarks.md names exactly the metrics each comparison judges', () => {
    // The table's `*` patterns against this run's metric names: the gated column must select exactly the metrics
    // with gate: true, the headline column exactly what src/duet/headlines.ts selects.
    const doc = readFileSync(join(import.meta.dirname, '..', 'docs', 'benchmarks.md'), 'utf8')
    const section = doc.slice(doc.indexOf('## What each comparison judges'))
    const patterns = (cell: string): RegExp[] =>
      [...cell.matchAll(/`([^`]+)`/g)].map(
        m => new RegExp(`^${m[1].replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`)
      )
    const rows = new Map<string, { gated: RegExp[]; headlines: RegExp[] }>()
    for (const line of section.split('\n')) {
      const cells = line.split('|').map(c => c.trim())
      const id = /^`([a-z]+\.[a-z0-9-]+)`$/.exec(cells[1] ?? '')?.[1]
      if (id) rows.set(id, { gated: patterns(cells[2]), headlines: patterns(cells[3]) })
    }
    expect([...rows.keys()]).toEqual([...BENCHMARK_IDS])
    for (const b of results.benchmarks) {
      const names = b.metrics.map(m => m.name)
      const pick = (res: readonly RegExp[]) => names.filter(n => res.some(re => re.test(n)))
      const row = rows.get(b.id)!
      expect(pick(row.gated), `${b.id}: gated`).toEqual(b.metrics.filter(m => m.gate).map(m => m.name))
      expect(pick(row.headlines), `${b.id}: headlines`).toEqual(pick(DUET_HEADLINES[b.id] ?? []))
      expect(pick(row.headlines).length, `${b.id}: a duet judges something`).toBeGreaterThan(0)
    }
  })

  it('a second run gives different raw samples with the same structure', async () => {
    const only = 'creation.swarm-init,trading.strategy-execution,communication.inter-agent-latency'
    const again = await runBenchmarks(
      benchConfig({ provider: 'local', profile: 'quick', 'run-tag': tag, only })
    )
    for (const b of again.benchmarks) {
      const first = bench(b.id)
      expect(b.metrics.map(m => m.name)).toEqual(first.metrics.map(m => m.name))
      for (const m of b.metrics) {
        const before = first.metrics.find(x => x.name === m.name)!
        if (m.unit === 'ms') expect(m.samples, `${b.id}/${m.name}`).not.toEqual(before.samples)
      }
    }
  }, 60_000)

  it('leaves no agent process behind', async () => {
    expect(await waitForNoProcesses(tag, 5000)).toEqual([])
    expect(processesWithTag(tag)).toEqual([])
  })
})
