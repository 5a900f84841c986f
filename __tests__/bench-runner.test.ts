// The runner's guarantees, with real agents: an erroring benchmark is recorded and the run goes on with its
// sandboxes killed; an abort stops the run with partial results; the pool lends, evicts and prunes swarms.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CATALOG, BENCHMARK_IDS, CATEGORIES } from '../src/bench/catalog.js'
import { SwarmPool } from '../src/bench/pool.js'
import { DUET_MINIMUMS, PROFILES, profileParams } from '../src/bench/profiles.js'
import { ALL_BENCHMARKS, BENCHMARKS } from '../src/bench/registry.js'
import { runBenchmarks } from '../src/bench/runner.js'
import { ForwardingProvider } from '../src/sandbox/forwarding.js'
import { LocalProvider } from '../src/sandbox/local/provider.js'
import type { CreateOptions, Sandbox } from '../src/sandbox/types.js'
import type { Swarm } from '../src/swarm/swarm.js'
import { benchConfig } from './support/bench-config.js'
import { newRunTag, waitForNoProcesses } from './support/processes.js'

/** A real local provider whose creations fail for labels matching `failOn` (a sandbox outage for one benchmark). */
class FlakyProvider extends ForwardingProvider {
  constructor(
    runTag: string,
    private readonly failOn: RegExp
  ) {
    super(new LocalProvider({ runTag }))
  }
  override async create(opts: CreateOptions): Promise<Sandbox> {
    if (this.failOn.test(opts.label)) throw new Error(`injected outage creating ${opts.label}`)
    return this.inner.create(opts)
  }
}

describe('registry and profiles', () => {
  it('derives the catalog from the benchmark objects: unique ids, each in its own category, and quick is never bigger than full', () => {
    expect([...BENCHMARKS.keys()].sort()).toEqual([...BENCHMARK_IDS].sort())
    expect(new Set(BENCHMARK_IDS).size).toBe(ALL_BENCHMARKS.length)
    for (const b of ALL_BENCHMARKS) {
      expect(b.id.split('.')[0]).toBe(b.category)
      expect(CATEGORIES).toContain(b.category)
      expect(b.title.length).toBeGreaterThan(10)
      expect(CATALOG.find(e => e.id === b.id)).toEqual({ id: b.id, category: b.category, title: b.title })
    }
    const config = benchConfig({ provider: 'local' })
    for (const e of CATALOG) {
      const b = BENCHMARKS.get(e.id)!
      for (const profile of ['quick', 'full'] as const) expect(() => b.params(profile, config)).not.toThrow()
    }
    const sizes = (p: typeof PROFILES.quick) => [
      ...p.agentCount.sizes,
      ...p.linear.sizes,
      ...p.costScaling.sizes,
      p.topologyCompare.size,
      p.consensus.agents
    ]
    expect(Math.max(...sizes(PROFILES.quick))).toBeLessThanOrEqual(Math.max(...sizes(PROFILES.full)))
    // The seed's parameters live in `full`.
    expect(PROFILES.full.agentCount.sizes).toEqual([1, 5, 10])
    expect(PROFILES.full.linear.sizes).toEqual([2, 4, 8, 12, 16, 20])
    expect(PROFILES.full.costScaling.sizes).toEqual([2, 5, 10, 15])
    expect(PROFILES.full.taskDistribution.tasks).toBe(100)
    expect(PROFILES.full.consensus).toMatchObject({ rounds: 20, agents: 6 })
    expect(PROFILES.full.strategyExecution.executions).toBe(50)
    expect(PROFILES.full.swarmInit).toEqual({ size: 3, runs: 5 })
  })

  it('in a duet, every benchmark reading a block of DUET_MINIMUMS takes at least those counts; a single run keeps its profile', () => {
    const config = benchConfig({ provider: 'local' })
    const blocks = Object.entries(DUET_MINIMUMS) as [keyof typeof PROFILES.quick, Record<string, number>][]
    expect(blocks.length).toBeGreaterThan(0)
    for (const profile of ['quick', 'full'] as const) {
      expect(profileParams(profile)).toBe(PROFILES[profile])
      const duet = profileParams(profile, { duet: true })
      for (const [block, mins] of blocks) {
        const own = PROFILES[profile][block] as unknown as Record<string, unknown>
        const raised = duet[block] as unknown as Record<string, unknown>
        for (const [k, min] of Object.entries(mins)) expect(raised[k]).toBe(Math.max(own[k] as number, min))
        // Everything else in the block is the profile's.
        for (const k of Object.keys(own)) if (!(k in mins)) expect(raised[k]).toEqual(own[k])
      }
    }
    let readers = 0
    for (const b of ALL_BENCHMARKS) {
      const single = b.params('quick', config) as Record<string, unknown>
      const duet = b.params('quick', config, { duet: true }) as Record<string, unknown>
      for (const [block, mins] of blocks) {
        const own = PROFILES.quick[block] as unknown as Record<string, unknown>
        const reads = Object.entries(own).every(([k, v]) => JSON.stringify(single[k]) === JSON.stringify(v))
        if (!reads) continue
        readers++
        for (const [k, min] of Object.entries(mins))
          expect(duet[k], `${b.id}: ${k} in a duet`).toBeGreaterThanOrEqual(min)
      }
    }
    expect(readers).toBe(blocks.length)
  })
})

describe('runner isolation', () => {
  it('records an erroring benchmark with its message, runs the next one, and kills its sandboxes', async () => {
    const tag = newRunTag('runner-iso')
    const provider = new FlakyProvider(tag, /^trading\.consensus\//)
    const config = benchConfig({
      provider: 'local',
      'run-tag': tag,
      only: 'trading.strategy-execution,trading.consensus,communication.inter-agent-latency'
    })
    const results = await runBenchmarks(config, { provider })
    const status = Object.fromEntries(results.benchmarks.map(b => [b.id, b.status]))
    expect(status).toEqual({
      'trading.strategy-execution': 'passed',
      'trading.consensus': 'error',
      'communication.inter-agent-latency': 'passed'
    })
    const failed = results.benchmarks.find(b => b.id === 'trading.consensus')!
    expect(failed.error).toContain('injected outage')
    expect(failed.metrics).toEqual([])
    expect(results.run.complete).toBe(true)
    expect(provider.live()).toEqual([])
    expect(await waitForNoProcesses(tag, 5000)).toEqual([])
  }, 60_000)

  it('an abort stops the run: the current benchmark is interrupted, the rest skipped, every agent killed', async () => {
    const tag = newRunTag('runner-abort')
    const provider = new LocalProvider({ runTag: tag })
    const controller = new AbortController()
    const config = benchConfig({
      provider: 'local',
      'run-tag': tag,
      only: 'creation.swarm-init,creation.parallel-speedup,scalability.agent-count,trading.consensus'
    })
    const results = await runBenchmarks(config, {
      provider,
      signal: controller.signal,
      onProgress: e => {
        // Stop in the middle of the second benchmark.
        if (e.type === 'step' && e.id === 'creation.parallel-speedup') controller.abort('SIGINT')
      }
    })
    expect(results.run.complete).toBe(false)
    const byId = Object.fromEntries(results.benchmarks.map(b => [b.id, b]))
    expect(byId['creation.swarm-init'].status).toBe('passed')
    expect(byId['creation.parallel-speedup'].status).toBe('error')
    expect(byId['creation.parallel-speedup'].error).toMatch(/interrupted \(SIGINT\)/)
    expect(byId['scalability.agent-count'].status).toBe('skipped')
    expect(byId['trading.consensus'].status).toBe('skipped')
    expect(provider.live()).toEqual([])
    expect(await waitForNoProcesses(tag, 5000)).toEqual([])
  }, 60_000)
})

describe('user strategy', () => {
  it('--strategy-path drives every agent: consensus and backtests run the user module', async () => {
    const tag = newRunTag('runner-strategy')
    const dir = mkdtempSync(join(tmpdir(), 'user-strategy-'))
    const path = join(dir, 'always_buy.py')
    writeFileSync(path, 'def decide(bars, state):\n    return {"signal": "buy", "confidence": 1.0}\n')
    try {
      const config = benchConfig({
        provider: 'local',
        'run-tag': tag,
        'strategy-path': path,
        only: 'trading.task-distribution,trading.consensus'
      })
      const results = await runBenchmarks(config)
      for (const b of results.benchmarks) {
        expect(b.status, `${b.id}: ${b.error ?? ''}`).toBe('passed')
        expect(b.params.strategy).toBe('custom (always_buy.py)')
      }
      const consensus = results.benchmarks.find(b => b.id === 'trading.consensus')!
      expect(consensus.facts['decisions.buy']).toBe(consensus.params.rounds)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    expect(await waitForNoProcesses(tag, 5000)).toEqual([])
  }, 60_000)
})

describe('targets', () => {
  it('a run can override a seed target: the verdict is judged on that metric and marks the benchmark failed', async () => {
    const tag = newRunTag('runner-target')
    const config = benchConfig({
      provider: 'local',
      'run-tag': tag,
      only: 'communication.inter-agent-latency'
    })
    const results = await runBenchmarks(config, {
      targets: { 'communication.inter-agent-latency/rtt_ms': { op: '<', value: 1e-9, stat: 'median' } }
    })
    const b = results.benchmarks[0]
    expect(b.status).toBe('failed')
    const rtt = b.metrics.find(m => m.name === 'rtt_ms')!
    expect(rtt.target).toEqual({ op: '<', value: 1e-9, stat: 'median', source: 'user' })
    expect(rtt.targetMet).toBe(false)
    // The other metrics of the benchmark carry no target of their own.
    expect(b.metrics.filter(m => m.target).map(m => m.name)).toEqual(['rtt_ms'])
    expect(await waitForNoProcesses(tag, 5000)).toEqual([])
  }, 60_000)
})

describe('swarm pool', () => {
  // Plain objects with the fields the pool reads; the pool never calls into a swarm except teardown.
  const fakeSwarm = (topology: string, size: number, torn: string[]): Swarm => {
    const sandboxes = Array.from({ length: size }, () => ({ alive: true }) as Sandbox)
    return {
      topology: { name: topology },
      size,
      sandboxes,
      teardown: async () => {
        torn.push(`${topology}:${size}`)
        for (const s of sandboxes) (s as { alive: boolean }).alive = false
      }
    } as unknown as Swarm
  }

  it('lends a released swarm once, keeps one per key, and evicts the least recently used for room', async () => {
    const torn: string[] = []
    const pool = new SwarmPool({ maxAgents: 10 })
    const a = fakeSwarm('mesh', 4, torn)
    pool.track(a, { topology: 'mesh', size: 4, deploy: 'parallel' })
    await pool.release(a)
    expect(await pool.take({ topology: 'mesh', size: 4, deploy: 'sequential' })).toBeUndefined()
    expect(await pool.take({ topology: 'mesh', size: 4, deploy: 'parallel' })).toBe(a)
    expect(await pool.take({ topology: 'mesh', size: 4, deploy: 'parallel' })).toBeUndefined()
    // A second idle swarm of the same key is not kept.
    const dup = fakeSwarm('mesh', 4, torn)
    pool.track(dup, { topology: 'mesh', size: 4, deploy: 'parallel' })
    await pool.release(a)
    await pool.release(dup)
    expect(torn).toEqual(['mesh:4'])
    const ring = fakeSwarm('ring', 5, torn)
    pool.track(ring, { topology: 'ring', size: 5, deploy: 'parallel' })
    await pool.release(ring)
    expect(pool.agentsAlive()).toBe(9)
    await pool.makeRoom(3) // 9 + 3 > 10: the older idle swarm (mesh) goes
    expect(torn).toEqual(['mesh:4', 'mesh:4'])
    expect(pool.idleKeys()).toEqual(['ring:5:parallel'])
  })

  it("leaves room for a deploy under way: two making room at once (a duet's sides) evict for both", async () => {
    const torn: string[] = []
    const pool = new SwarmPool({ maxAgents: 40 })
    const idle = fakeSwarm('ring', 10, torn)
    pool.track(idle, { topology: 'ring', size: 10, deploy: 'parallel' })
    await pool.release(idle)
    // Each side alone fits beside the idle ring (10 + 20 <= 40); both together do not (10 + 40 > 40).
    const [head, base] = await Promise.all([pool.reserve(20), pool.reserve(20)])
    expect(torn).toEqual(['ring:10'])
    // Once both deploys are tracked, their reservations go: room is counted once, not twice.
    const h = fakeSwarm('linear', 20, torn)
    pool.track(h, { topology: 'linear', size: 20, deploy: 'parallel', side: 'head' })
    head()
    head()
    base()
    expect(pool.agentsAlive()).toBe(20)
    const late = fakeSwarm('star', 20, torn)
    pool.track(late, { topology: 'star', size: 20, deploy: 'parallel' })
    await pool.release(late)
    expect(pool.idleKeys()).toEqual(['star:20:parallel'])
  })

  it('prunes idle swarms no later benchmark borrows and skips dead ones', async () => {
    const torn: string[] = []
    const pool = new SwarmPool({ maxAgents: 100 })
    const keep = fakeSwarm('mesh', 3, torn)
    const drop = fakeSwarm('star', 3, torn)
    for (const s of [keep, drop]) {
      pool.track(s, { topology: s.topology.name, size: 3, deploy: 'parallel' })
      await pool.release(s)
    }
    await pool.prune(new Set(['mesh:3']))
    expect(torn).toEqual(['star:3'])
    ;(keep.sandboxes[0] as { alive: boolean }).alive = false
    expect(await pool.take({ topology: 'mesh', size: 3, deploy: 'parallel' })).toBeUndefined()
    expect(torn).toEqual(['star:3', 'mesh:3'])
  })
})
