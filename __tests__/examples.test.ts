// The two example swarms of examples/, run as a user runs them: the whole quick matrix on the local provider and on
// the e2b provider (real SDK, local E2B emulator). Their hooks are named as the user's and their time is reported
// apart.
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BENCHMARK_IDS } from '../src/bench/catalog.js'
import { runBenchmarks } from '../src/bench/runner.js'
import type { Results } from '../src/results/schema.js'
import { benchConfig } from './support/bench-config.js'
import { ROOT } from './support/action-runner.js'
import { startE2BEmulator, type E2BEmulator } from './support/e2b-emulator/index.js'

const EXAMPLES = {
  'signal-momentum': {
    config: '{"lookback": 20, "neighbour_weight": 0.5}',
    user: ['setup', 'decide', 'on_message'],
    hookMetric: ['communication.message-throughput', 'message_hook_ms']
  },
  'risk-committee': {
    config: '{"veto_vol": 0.015, "officer_every": 4}',
    user: ['setup', 'vote', 'tally', 'merge_state', 'run_task'],
    hookMetric: ['trading.consensus', 'user_hooks_ms']
  }
} as const
type Example = keyof typeof EXAMPLES

const inputs = (name: Example): Record<string, string> => ({
  'agent-hooks': join(ROOT, 'examples', name, 'hooks.py'),
  'hooks-config': EXAMPLES[name].config
})

function expectMeasured(results: Results, name: Example, ids: readonly string[]): void {
  expect(results.benchmarks.map(b => b.id)).toEqual([...ids])
  for (const b of results.benchmarks)
    expect(['passed', 'failed'], `${b.id}: ${b.error ?? ''}`).toContain(b.status)
  expect(results.run.environment.hooks).toEqual({ module: 'hooks.py', user: EXAMPLES[name].user })
  const [id, metric] = EXAMPLES[name].hookMetric
  const m = results.benchmarks.find(b => b.id === id)?.metrics.find(x => x.name === metric)
  expect(m?.samples.length, `${id}/${metric}`).toBeGreaterThan(0)
  expect(m!.summary.median).toBeGreaterThan(0)
}

describe('the example swarms run the whole quick matrix locally', () => {
  for (const name of Object.keys(EXAMPLES) as Example[]) {
    it(
      name,
      async () => {
        const results = await runBenchmarks(benchConfig({ provider: 'local', ...inputs(name) }))
        expectMeasured(results, name, BENCHMARK_IDS)
      },
      300_000
    )
  }
})

describe('the example swarms run the whole quick matrix on the e2b provider (emulator)', () => {
  const API_KEY = 'e2b_examples_key_41414141'
  let emu: E2BEmulator
  beforeAll(async () => {
    emu = await startE2BEmulator({ apiKey: API_KEY })
  })
  afterAll(async () => {
    await emu.close()
  })
  for (const name of Object.keys(EXAMPLES) as Example[]) {
    it(`${name}: the whole quick matrix`, async () => {
      const config = benchConfig({
        provider: 'e2b',
        'e2b-api-key': API_KEY,
        'e2b-api-url': emu.url,
        'e2b-sandbox-url': emu.url,
        'e2b-plan': 'pro',
        'create-rate': '20',
        'run-tag': `examples-${name}`,
        ...inputs(name)
      })
      const results = await runBenchmarks(config)
      expectMeasured(results, name, BENCHMARK_IDS)
      expect(emu.stats().peerRequests).toBeGreaterThan(0)
    }, 300_000)
  }
})
