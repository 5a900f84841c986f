// Views derived from Results that several renderers need: targets, series over swarm size, per-topology groups.
// Pure and deterministic (ordered by first appearance), so the report reads the same for the same results.
import type { BenchmarkResult, Metric, Results } from '../results/schema.js'
import { headlineValue } from '../stats/describe.js'

export interface MetricRef {
  bench: BenchmarkResult
  metric: Metric
  /** Headline statistic (median or mean), undefined when nothing was measured. */
  value: number | undefined
}

const ref = (bench: BenchmarkResult, metric: Metric): MetricRef => ({
  bench,
  metric,
  value: metric.summary.n > 0 ? headlineValue(metric.summary) : undefined
})

/** Every metric of the run, in benchmark order. */
export function allMetrics(results: Results): MetricRef[] {
  return results.benchmarks.flatMap(b => b.metrics.map(m => ref(b, m)))
}

/** What a metric measures, across its label variants: `labels.measure`, else the name before the first dot. */
export function measureOf(metric: Metric): string {
  const m = metric.labels?.measure
  if (typeof m === 'string' && m) return m
  return metric.name.split('.')[0]
}

/** `labels.agents` as a positive number, if present. */
export function agentsOf(metric: Metric): number | undefined {
  const a = metric.labels?.agents
  const n = typeof a === 'number' ? a : typeof a === 'string' && a.trim() !== '' ? Number(a) : NaN
  return Number.isFinite(n) && n > 0 ? n : undefined
}

export function topologyOf(metric: Metric): string | undefined {
  const t = metric.labels?.topology
  return typeof t === 'string' && t ? t : undefined
}

/** The labels other than the ones a view varies, as a stable `k=v` string. */
function restLabels(metric: Metric, drop: readonly string[]): string {
  return Object.entries(metric.labels ?? {})
    .filter(([k]) => !drop.includes(k) && k !== 'measure')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')
}

export interface TargetRow {
  bench: BenchmarkResult
  metric: Metric
  measured: number
  met: boolean
}

/**
 * How far the measured value is inside (> 1) or outside (< 1) its target, as a ratio: target ÷ measured for an
 * upper bound, measured ÷ target for a lower bound. Undefined when either is missing or not positive.
 */
export function targetMargin(
  op: string | undefined,
  target: number | undefined,
  measured: number | undefined
): number | undefined {
  if (op === undefined || target === undefined || measured === undefined) return undefined
  if (!(target > 0) || !(measured > 0)) return undefined
  return op.startsWith('<') ? target / measured : measured / target
}

export function targetRows(results: Results): TargetRow[] {
  const rows: TargetRow[] = []
  for (const b of results.benchmarks) {
    for (const m of b.metrics) {
      if (!m.target) continue
      rows.push({ bench: b, metric: m, measured: m.summary[m.target.stat], met: m.targetMet === true })
    }
  }
  return rows
}

export interface SeriesPoint {
  x: number
  value: number
  metric: Metric
}

/** One measure over swarm size (`labels.agents`), other labels fixed. */
export interface AgentSeries {
  bench: BenchmarkResult
  measure: string
  unit: string
  direction: Metric['direction']
  topology?: string
  /** Remaining labels, e.g. `phase=create`. */
  rest: string
  points: SeriesPoint[]
}

export function agentSeries(results: Results): AgentSeries[] {
  const groups = new Map<string, AgentSeries>()
  for (const { bench, metric, value } of allMetrics(results)) {
    const x = agentsOf(metric)
    if (x === undefined || value === undefined) continue
    const topology = topologyOf(metric)
    const rest = restLabels(metric, ['agents', 'topology'])
    const key = JSON.stringify([bench.id, measureOf(metric), metric.unit, topology ?? '', rest])
    let g = groups.get(key)
    if (!g) {
      g = {
        bench,
        measure: measureOf(metric),
        unit: metric.unit,
        direction: metric.direction,
        topology,
        rest,
        points: []
      }
      groups.set(key, g)
    }
    if (!g.points.some(p => p.x === x)) g.points.push({ x, value, metric })
  }
  const out = [...groups.values()].filter(g => g.points.length >= 2)
  for (const g of out) g.points.sort((a, b) => a.x - b.x)
  return out
}

export interface TopologyEntry {
  topology: string
  value: number
  metric: Metric
}

/** One measure per topology at one swarm size, other labels fixed; entries best first. */
export interface TopologyGroup {
  bench: BenchmarkResult
  measure: string
  unit: string
  direction: Metric['direction']
  agents?: number
  rest: string
  entries: TopologyEntry[]
}

export function topologyGroups(results: Results): TopologyGroup[] {
  const groups = new Map<string, TopologyGroup>()
  for (const { bench, metric, value } of allMetrics(results)) {
    const topology = topologyOf(metric)
    if (topology === undefined || value === undefined) continue
    const agents = agentsOf(metric)
    const rest = restLabels(metric, ['agents', 'topology'])
    const key = JSON.stringify([
      bench.id,
      measureOf(metric),
      metric.unit,
      metric.direction,
      agents ?? '',
      rest
    ])
    let g = groups.get(key)
    if (!g) {
      g = {
        bench,
        measure: measureOf(metric),
        unit: metric.unit,
        direction: metric.direction,
        agents,
        rest,
        entries: []
      }
      groups.set(key, g)
    }
    if (!g.entries.some(e => e.topology === topology)) g.entries.push({ topology, value, metric })
  }
  const out = [...groups.values()].filter(g => g.entries.length >= 2)
  for (const g of out) {
    g.entries.sort((a, b) => (g.direction === 'lower' ? a.value - b.value : b.value - a.value))
  }
  return out
}

/** Whether the winner's headline CI is clear of the runner-up's (both intervals exist). */
export function clearlyBetter(
  winner: Metric,
  runnerUp: Metric,
  direction: Metric['direction']
): boolean | undefined {
  if (winner.summary.ci.level === 0 || runnerUp.summary.ci.level === 0) return undefined
  return direction === 'lower'
    ? winner.summary.ci.high < runnerUp.summary.ci.low
    : winner.summary.ci.low > runnerUp.summary.ci.high
}

/** Facts of the run whose key starts with `prefix.`, with the part after it. */
export function factsWithPrefix(
  results: Results,
  prefix: string
): { bench: BenchmarkResult; key: string; subject: string; value: string | number | boolean }[] {
  const out: { bench: BenchmarkResult; key: string; subject: string; value: string | number | boolean }[] = []
  for (const bench of results.benchmarks) {
    for (const [key, value] of Object.entries(bench.facts ?? {})) {
      if (key === prefix || key.startsWith(`${prefix}.`)) {
        out.push({ bench, key, subject: key.slice(prefix.length + 1), value })
      }
    }
  }
  return out
}

/** Label of a series or group for headings and tables (raw: escape before rendering). */
export function describeSeries(g: {
  bench: BenchmarkResult
  measure: string
  topology?: string
  agents?: number
  rest: string
}): string {
  const parts = [g.measure]
  if (g.topology) parts.push(g.topology)
  if (g.agents !== undefined) parts.push(`${g.agents} agents`)
  if (g.rest) parts.push(g.rest)
  return parts.join(' · ')
}
