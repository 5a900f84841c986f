// The runner's schedule with real agents: benchmarks that walk the same mesh, hierarchical and ring swarms run
// topology by topology (each swarm deployed once, alive only for its own phase, never two measuring at once),
// results stay in catalog order, and a swarm released by a creation benchmark goes straight to its borrower.
import { describe, expect, it } from 'vitest'
import { runBenchmarks } from '../src/bench/runner.js'
import { ForwardingProvider } from '../src/sandbox/forwarding.js'
import { LocalProvider } from '../src/sandbox/local/provider.js'
import type { CreateOptions, Sandbox } from '../src/sandbox/types.js'
import { benchConfig } from './support/bench-config.js'
import { newRunTag, waitForNoProcesses } from './support/processes.js'

/** A real local provider that records every creation and the most sandboxes alive at once. */
class CountingProvider extends ForwardingProvider {
  readonly labels: string[] = []
  /** Who held the turn when each creation was asked for (set by the test). */
  holder = ''
  readonly createdDuring: string[] = []
  peakLive = 0
  constructor(runTag: string) {
    super(new LocalProvider({ runTag }))
  }
  override async create(opts: CreateOptions): Promise<Sandbox> {
    this.createdDuring.push(`${this.holder} <- ${opts.label.split('/').slice(0, 2).join('/')}`)
    const s = await this.inner.create(opts)
    this.labels.push(opts.label)
    this.peakLive = Math.max(this.peakLive, this.inner.live().length)
    return s
  }
}

describe('schedule', () => {
  it('runs the benchmarks sharing three topologies phase by phase: each swarm once, one alive at a time', async () => {
    const tag = newRunTag('runner-schedule')
    const provider = new CountingProvider(tag)
    const ids = ['scalability.topology-compare', 'communication.state-sync', 'resources.cpu']
    const config = benchConfig({ provider: 'local', 'run-tag': tag, only: ids.join(',') })
    const turns: string[] = []
    let holding = 0
    let overlap = false
    const results = await runBenchmarks(config, {
      provider,
      onTurn: (id, h) => {
        if (h) {
          if (holding > 0) overlap = true
          holding++
          turns.push(id)
        } else holding--
      }
    })
    expect(results.benchmarks.map(b => [b.id, b.status])).toEqual(ids.map(id => [id, 'passed']))
    expect(overlap).toBe(false)
    // mesh, then hierarchical, then ring: all three benchmarks on each before the next swarm is deployed.
    expect(turns).toEqual([...ids, ...ids, ...ids])
    const size = Number(results.benchmarks[0].params.size)
    expect(provider.labels).toHaveLength(3 * size)
    expect(provider.labels.every(l => l.startsWith('scalability.topology-compare/'))).toBe(true)
    expect(provider.peakLive).toBe(size)
    for (const b of results.benchmarks.slice(1)) expect(b.params.swarmsReused).toBe(3)
    expect(provider.live()).toEqual([])
    expect(await waitForNoProcesses(tag, 5000)).toEqual([])
  }, 120_000)

  it('a swarm a creation benchmark released is borrowed next; one nobody waits for is torn down at once', async () => {
    const tag = newRunTag('runner-handover')
    const provider = new CountingProvider(tag)
    // swarm-init releases a mesh of 3 (strategy-execution borrows it); agent-deploy a mesh of 4 nobody borrows.
    const config = benchConfig({
      provider: 'local',
      'run-tag': tag,
      only: 'creation.swarm-init,creation.agent-deploy,trading.strategy-execution'
    })
    const turns: string[] = []
    const results = await runBenchmarks(config, {
      provider,
      onTurn: (id, h) => {
        if (h) turns.push(id)
      }
    })
    expect(results.benchmarks.map(b => b.id)).toEqual([
      'creation.swarm-init',
      'creation.agent-deploy',
      'trading.strategy-execution'
    ])
    for (const b of results.benchmarks) expect(b.status, `${b.id}: ${b.error ?? ''}`).not.toBe('error')
    expect(turns).toEqual(['creation.swarm-init', 'trading.strategy-execution', 'creation.agent-deploy'])
    const exec = results.benchmarks.find(b => b.id === 'trading.strategy-execution')!
    expect(exec.params).toMatchObject({ swarmsReused: 1, swarmsDeployed: 0 })
    expect(provider.labels.some(l => l.startsWith('trading.'))).toBe(false)
    // While agent-deploy ran, the borrowed mesh of 3 was already gone: at most one 4-agent swarm alive.
    expect(provider.peakLive).toBeLessThanOrEqual(4)
    expect(provider.live()).toEqual([])
    expect(await waitForNoProcesses(tag, 5000)).toEqual([])
  }, 120_000)

  it("deploys the next borrower's swarm while the last user of the current one measures (prefetch)", async () => {
    const tag = newRunTag('runner-prefetch')
    const provider = new CountingProvider(tag)
    const ids = ['scalability.topology-compare', 'communication.state-sync']
    const config = benchConfig({ provider: 'local', 'run-tag': tag, only: ids.join(',') })
    const results = await runBenchmarks(config, {
      provider,
      prefetch: true,
      onTurn: (id, h) => (provider.holder = h ? id : '')
    })
    expect(results.benchmarks.map(b => [b.id, b.status])).toEqual(ids.map(id => [id, 'passed']))
    const size = Number(results.benchmarks[0].params.size)
    const during = (holder: string, swarm: string) =>
      provider.createdDuring.filter(c => c === `${holder} <- ${swarm}`).length
    // state-sync is the mesh's last user: while it measures, topology-compare's next swarm is deployed.
    expect(
      during('communication.state-sync', `scalability.topology-compare/hierarchical:${size}:parallel`)
    ).toBe(size)
    expect(during('communication.state-sync', `scalability.topology-compare/ring:${size}:parallel`)).toBe(
      size
    )
    expect(provider.labels).toHaveLength(3 * size)
    // Never more than the swarm in use plus the one deployed ahead.
    expect(provider.peakLive).toBeLessThanOrEqual(2 * size)
    expect(provider.live()).toEqual([])
    expect(await waitForNoProcesses(tag, 5000)).toEqual([])
  }, 120_000)
})
