// Building a Metric from raw samples: the summary is taken from every sample, then the stored samples are
// thinned to MAX_SAMPLES, and a target is judged against the declared statistic of THIS metric's summary.
import { summarize, type Headline } from '../stats/describe.js'
import {
  MAX_SAMPLES,
  type BenchmarkStatus,
  type Direction,
  type Metric,
  type Summary,
  type Target
} from './schema.js'

export interface MetricInput {
  name: string
  unit: string
  direction: Direction
  source: Metric['source']
  samples: readonly number[]
  /** Statistic the CI is about and the comparison uses; default median (times). Use mean for rates. */
  headline?: Headline
  target?: Target
  labels?: Record<string, string | number>
  description?: string
  /** Whether the metric takes part in regression gating; default true. */
  gate?: boolean
}

/** Keeps `max` samples at an even stride (first sample kept, order preserved) so the shape survives thinning. */
export function subsample(samples: readonly number[], max = MAX_SAMPLES): number[] {
  if (samples.length <= max) return [...samples]
  const out = new Array<number>(max)
  for (let i = 0; i < max; i++) out[i] = samples[Math.floor((i * samples.length) / max)]
  return out
}

/** Whether `summary` meets `target` on the statistic the target names. False when nothing was measured. */
export function meetsTarget(summary: Summary, target: Target): boolean {
  if (summary.n === 0) return false
  const value = summary[target.stat]
  switch (target.op) {
    case '<':
      return value < target.value
    case '<=':
      return value <= target.value
    case '>':
      return value > target.value
    case '>=':
      return value >= target.value
  }
}

/** Throws (naming the metric) on a non-finite sample: a benchmark bug must surface, not become a 0. */
export function makeMetric(input: MetricInput): Metric {
  const bad = input.samples.findIndex(s => !Number.isFinite(s))
  if (bad >= 0) {
    throw new RangeError(`metric ${input.name}: sample ${bad} is ${input.samples[bad]}, not a finite number`)
  }
  const summary = summarize(input.samples, input.headline ?? 'median')
  const metric: Metric = {
    name: input.name,
    unit: input.unit,
    direction: input.direction,
    source: input.source,
    samples: subsample(input.samples),
    summary,
    gate: input.gate ?? true
  }
  if (input.description !== undefined) metric.description = input.description
  if (input.labels !== undefined) metric.labels = { ...input.labels }
  if (input.target) {
    metric.target = { ...input.target }
    metric.targetMet = meetsTarget(summary, input.target)
  }
  return metric
}

/** `error` when the benchmark failed to run, `failed` when a target was missed, else `passed`. */
export function benchmarkStatus(metrics: readonly Metric[], error?: unknown): BenchmarkStatus {
  if (error) return 'error'
  return metrics.some(m => m.target !== undefined && m.targetMet === false) ? 'failed' : 'passed'
}
