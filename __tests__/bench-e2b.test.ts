// The whole quick matrix on the e2b provider: the factory builds the real E2BProvider from the run config, the real
// SDK talks to the local E2B emulator, agent-to-agent traffic is routed by it, and nothing is left alive after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BENCHMARK_IDS } from '../src/bench/catalog.js'
import { runBenchmarks } from '../src/bench/runner.js'
import type { Results } from '../src/results/schema.js'
import { createProvider } from '../src/sandbox/factory.js'
import { ForwardingProvider } from '../src/sandbox/forwarding.js'
import type { CreateOptions, Provider, Sandbox } from '../src/sandbox/types.js'
import { benchConfig } from './support/bench-config.js'
import { startE2BEmulator, type E2BEmulator } from './support/e2b-emulator/index.js'
import { waitFor } from './support/e2b-emulator/fixtures.js'

const API_KEY = 'e2b_bench_matrix_key_31313131'
let emu: E2BEmulator
let results: Results
/** Run tags of the sandboxes alive while a benchmark was running, read from the emulator. */
const tagsSeen = new Set<string>()

/** Records, for every sandbox creation, which benchmark held the turn (measured) when it was asked for. */
class TurnWatchingProvider extends ForwardingProvider {
  holder = ''
  readonly creations: { holder: string; forBenchmark: string }[] = []
  constructor(inner: Provider) {
    super(inner)
  }
  override create(opts: CreateOptions): Promise<Sandbox> {
    this.creations.push({ holder: this.holder, forBenchmark: opts.label.split('/')[0] })
    return this.inner.create(opts)
  }
}
let watched: TurnWatchingProvider

beforeAll(async () => {
  emu = await startE2BEmulator({ apiKey: API_KEY })
  const config = benchConfig({
    provider: 'e2b',
    'e2b-api-key': API_KEY,
    'e2b-api-url': emu.url,
    'e2b-sandbox-url': emu.url,
    'e2b-plan': 'pro',
    'create-rate': '20',
    'max-concurrency': '100',
    'run-tag': 'bench-e2b-quick'
  })
  watched = new TurnWatchingProvider(createProvider(config))
  results = await runBenchmarks(config, {
    provider: watched,
    onTurn: (id, holding) => (watched.holder = holding ? id : ''),
    onProgress: e => {
      if (e.type !== 'step') return
      for (const id of emu.sandboxIds())
        tagsSeen.add(emu.sandbox(id)?.metadata['swarm-bench-run'] ?? '(none)')
    }
  })
}, 240_000)

afterAll(async () => {
  await emu.close()
})

describe('benchmarks on the e2b provider (emulator)', () => {
  it('produces the same 18 benchmark ids as the local provider, each measured', () => {
    expect(results.run.provider).toBe('e2b')
    expect(results.run.complete).toBe(true)
    expect(results.benchmarks.map(b => b.id)).toEqual([...BENCHMARK_IDS])
    for (const b of results.benchmarks) {
      expect(['passed', 'failed'], `${b.id}: ${b.error ?? ''}`).toContain(b.status)
      for (const m of b.metrics) expect(m.summary.n, `${b.id}/${m.name}`).toBeGreaterThan(0)
    }
    // The runner floor is sampled inside the sandboxes too.
    expect(results.run.floor!.samples.length).toBeGreaterThan(0)
  })

  it('never deploys a swarm while another benchmark measures (no deploy ahead during a timed phase)', () => {
    // Deploying the next borrower's swarm alongside (the old default on E2B) shows up here as a creation for one
    // benchmark asked for while another held the turn.
    expect(watched.creations.length).toBeGreaterThan(50)
    const foreign = watched.creations.filter(c => c.holder !== c.forBenchmark)
    expect(foreign).toEqual([])
  })

  it('agents talked through the emulator: peer traffic was proxied by it', () => {
    expect(emu.stats().peerRequests).toBeGreaterThan(0)
  })

  it('bills real allocation (not estimated) and records the provider details', () => {
    expect(results.cost.estimated).toBe(false)
    expect(results.cost.usd).toBeGreaterThan(0)
    const d = results.run.environment.providerDetails
    expect(d).toMatchObject({ name: 'e2b', template: 'base', plan: 'pro', nominalAllocation: false })
  })

  it('tags every sandbox with the run tag and kills them all', async () => {
    expect([...tagsSeen]).toEqual(['bench-e2b-quick'])
    expect(emu.stats().live).toBe(0)
    await waitFor(() => emu.livePids().length === 0 || undefined, 'every agent process to exit')
  })
})
