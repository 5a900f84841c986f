// Whole-matrix runs for the PR comment's golden files: every benchmark of the catalog with metrics named as its
// duet headlines, a base side measured pair by pair beside the head, and head samples = base samples × a chosen
// factor per metric (× a little deterministic noise), so each scenario's verdicts are fixed.
import { CATALOG } from '../../src/bench/catalog.js'
import { makeMetric } from '../../src/results/metric.js'
import type { BenchmarkResult, Category, Metric, Results } from '../../src/results/schema.js'
import { mulberry32 } from '../../src/stats/bootstrap.js'
import { benchOf, resultsOf } from './results.js'

interface Spec {
  name: string
  unit: string
  center: number
  direction?: 'lower' | 'higher'
  /** Samples per side (default 40); a count is exact (every sample equal). */
  n?: number
  exact?: boolean
  gate?: boolean
}

/** Per benchmark: its metrics, the primary headline first. */
export const MATRIX: Record<string, Spec[]> = {
  'creation.swarm-init': [
    { name: 'init_ms', unit: 'ms', center: 420 },
    { name: 'link_handshake_rtt_ms', unit: 'ms', center: 1.2 }
  ],
  'creation.agent-deploy': [
    { name: 'total_ms', unit: 'ms', center: 310 },
    { name: 'ready_ms', unit: 'ms', center: 120 }
  ],
  'creation.parallel-speedup': [{ name: 'deploy_ms.parallel', unit: 'ms', center: 640 }],
  'scalability.agent-count': [
    { name: 'strategy_ms.5', unit: 'ms', center: 0.9 },
    { name: 'strategy_ms.10', unit: 'ms', center: 1.1 }
  ],
  'scalability.linear-2-20': [{ name: 'create_ms_per_agent.10', unit: 'ms', center: 35 }],
  'scalability.topology-compare': [
    { name: 'ping_rtt_ms.mesh', unit: 'ms', center: 0.12 },
    { name: 'consensus_ms.mesh', unit: 'ms', center: 3.4 }
  ],
  'trading.strategy-execution': [
    { name: 'compute_ms', unit: 'ms', center: 0.015 },
    { name: 'compute_vs_floor', unit: 'x', center: 1.6, gate: true }
  ],
  'trading.task-distribution': [
    { name: 'task_compute_ms', unit: 'ms', center: 2.2 },
    { name: 'makespan_ms', unit: 'ms', center: 180 }
  ],
  'trading.consensus': [{ name: 'decision_ms', unit: 'ms', center: 2.9, gate: true }],
  'communication.inter-agent-latency': [
    { name: 'rtt_ms', unit: 'ms', center: 0.116 },
    { name: 'rtt_ms.payload_1024b', unit: 'ms', center: 0.13 },
    { name: 'multi_hop_ms', unit: 'ms', center: 0.089 }
  ],
  'communication.state-sync': [{ name: 'sync_ms.mesh', unit: 'ms', center: 4.1 }],
  'communication.message-throughput': [
    { name: 'saturated_msg_per_s', unit: 'msg/s', center: 80000, direction: 'higher' },
    { name: 'loaded_latency_ms', unit: 'ms', center: 2.3 },
    { name: 'message_ms', unit: 'ms', center: 0.07 }
  ],
  'resources.memory': [{ name: 'rss_mib.agent', unit: 'MiB', center: 21, gate: true }],
  'resources.cpu': [{ name: 'cpu_s.agent', unit: 's', center: 0.4, n: 2 }],
  'resources.network': [
    { name: 'bytes_per_op.consensus', unit: 'bytes', center: 1840, exact: true, gate: true }
  ],
  'costs.per-operation': [{ name: 'cost_per_decision', unit: 'usd/op', center: 0.0000021 }],
  'costs.by-topology': [{ name: 'workload_s.mesh', unit: 's', center: 12 }],
  'costs.scaling': [{ name: 'cost_per_round.4', unit: 'usd', center: 0.00042 }]
}

/** `benchmark/metric` → head ÷ base factor (1 when absent). */
export type Factors = Record<string, number>

function sides(spec: Spec, factor: number, seed: number): { base: number[]; head: number[] } {
  const n = spec.n ?? 40
  if (spec.exact) return { base: Array(n).fill(spec.center), head: Array(n).fill(spec.center * factor) }
  const rand = mulberry32(seed)
  const base: number[] = []
  const head: number[] = []
  for (let i = 0; i < n; i++) {
    const b = spec.center * (1 + 0.03 * (rand() * 2 - 1))
    base.push(b)
    head.push(b * factor * (1 + 0.01 * (rand() * 2 - 1)))
  }
  return { base, head }
}

const metricOf = (spec: Spec, samples: number[]): Metric =>
  makeMetric({
    name: spec.name,
    unit: spec.unit,
    direction: spec.direction ?? 'lower',
    source: 'agent',
    samples,
    gate: spec.gate ?? false
  })

function benches(factors: Factors): { base: BenchmarkResult[]; head: BenchmarkResult[] } {
  const base: BenchmarkResult[] = []
  const head: BenchmarkResult[] = []
  CATALOG.forEach((entry, i) => {
    const specs = MATRIX[entry.id] ?? []
    const b: Metric[] = []
    const h: Metric[] = []
    specs.forEach((spec, j) => {
      const s = sides(spec, factors[`${entry.id}/${spec.name}`] ?? 1, 1000 + i * 10 + j)
      b.push(metricOf(spec, s.base))
      h.push(metricOf(spec, s.head))
    })
    const category = entry.id.split('.')[0] as Category
    base.push(benchOf(entry.id, b, { category, title: entry.id }))
    head.push(benchOf(entry.id, h, { category, title: entry.id }))
  })
  return { base, head }
}

export const BASE_SHA = 'b'.repeat(40)
export const HEAD_SHA = 'a'.repeat(40)

/** A duet run of the whole matrix. */
export function duetRun(factors: Factors = {}): Results {
  const { base, head } = benches(factors)
  return resultsOf(head, {
    run: { ...resultsOf([]).run, git: { sha: HEAD_SHA, ref: 'refs/pull/5/merge' } },
    duet: { base: { ref: 'main', sha: BASE_SHA, changed: ['agent'], notes: [] }, benchmarks: base }
  })
}

/** The same two sides as two separate runs (no duet): a baseline artifact and the head. */
export function artifactRuns(factors: Factors = {}): { baseline: Results; head: Results } {
  const { base, head } = benches(factors)
  const run = resultsOf([]).run
  return {
    baseline: resultsOf(base, {
      run: { ...run, git: { sha: BASE_SHA, ref: 'refs/heads/main', runId: '41' } }
    }),
    head: resultsOf(head, { run: { ...run, git: { sha: HEAD_SHA, ref: 'refs/pull/5/merge' } } })
  }
}
