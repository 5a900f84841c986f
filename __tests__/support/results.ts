// A valid results file for tests that need one built from metrics: one run of the local provider, quick profile.
import { costOf } from '../../src/cost/pricing.js'
import { E2B_DEFAULT_PRICING } from '../../src/sandbox/e2b/pricing.js'
import { benchmarkStatus } from '../../src/results/metric.js'
import { Results, SCHEMA_VERSION, type BenchmarkResult, type Metric } from '../../src/results/schema.js'

export function benchOf(
  id: string,
  metrics: Metric[],
  extra: Partial<BenchmarkResult> = {}
): BenchmarkResult {
  return {
    id,
    category: 'communication',
    title: id,
    status: benchmarkStatus(metrics),
    params: {},
    metrics,
    facts: {},
    durationMs: 1000,
    ...extra
  }
}

export function resultsOf(benchmarks: BenchmarkResult[], extra: Partial<Results> = {}): Results {
  return Results.parse({
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'swarm-bench', version: '0.1.0' },
    run: {
      provider: 'local',
      profile: 'quick',
      startedAt: '2026-01-01T00:00:00.000Z',
      endedAt: '2026-01-01T00:01:00.000Z',
      durationMs: 60_000,
      environment: {
        node: 'v20',
        platform: 'linux',
        arch: 'x64',
        cpus: 2,
        cpuModel: 'test',
        memoryTotalBytes: 4e9,
        providerDetails: {}
      },
      complete: true
    },
    benchmarks,
    cost: costOf(
      [{ label: 'a', allocation: { vcpu: 2, memoryMiB: 512 }, seconds: 10 }],
      E2B_DEFAULT_PRICING,
      true
    ),
    history: [],
    ...extra
  })
}
