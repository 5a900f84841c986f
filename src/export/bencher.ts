// Bencher Metric Format (BMF) JSON, for `bencher run --adapter json`: benchmark → measure → {value, lower_value,
// upper_value}. BMF carries no units; they belong to the measure, so times go to Bencher's built-in `latency`
// (nanoseconds) and rates to `throughput` (ops/s), and every other unit to a measure named after it and its
// direction, created by Bencher on first use. Format: https://bencher.dev/docs/reference/bencher-metric-format/
import type { Direction, Metric, Results } from '../results/schema.js'
import { exportedMetrics } from './metrics.js'
import { identity, type Exporter } from './types.js'

export interface BmfMetric {
  value: number
  lower_value?: number
  upper_value?: number
}
export type Bmf = Record<string, Record<string, BmfMetric>>

const TO_NANOSECONDS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9 }

/** A slug Bencher keeps as it is (lowercase letters, digits, single hyphens), short enough for its 64-char cap. */
export function unitSlug(unit: string): string {
  const slug = unit
    .toLowerCase()
    .replace(/%/g, ' percent ')
    .replace(/\//g, ' per ')
    .replace(/×/g, ' x ')
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 40)
    .replace(/^-+|-+$/g, '')
  return slug || 'value'
}

/** The measure a metric goes to, and the factor its values are scaled by. */
export function bencherMeasure(unit: string, direction: Direction): { measure: string; scale: number } {
  const ns = TO_NANOSECONDS[unit]
  if (ns !== undefined && direction === 'lower') return { measure: 'latency', scale: ns }
  if (/\/s$/.test(unit) && direction === 'higher') return { measure: 'throughput', scale: 1 }
  // Bencher's thresholds are set per measure, so one measure must not mix directions.
  return { measure: `${unitSlug(unit)}-${direction}-is-better`, scale: 1 }
}

function bmfMetric(m: Metric, value: number, scale: number): BmfMetric {
  // Nanoseconds from milliseconds pick up float noise (12.3 × 1e6 = 12300000.000000002): a picosecond is plenty.
  // Unscaled values stay as measured (a cost per operation is ~1e-7).
  const at = (x: number): number => (scale === 1 ? x : Math.round(x * scale * 1000) / 1000)
  const ci = m.summary.ci
  return { value: at(value), lower_value: at(ci.low), upper_value: at(ci.high) }
}

/** Every measured metric (the head's side in a duet) as BMF; the interval is the headline's confidence interval. */
export function toBmf(results: Results, clean: (text: string) => string = identity): Bmf {
  const out: Bmf = {}
  for (const { key, metric, value } of exportedMetrics(results)) {
    const { measure, scale } = bencherMeasure(metric.unit, metric.direction)
    out[clean(key)] = { [measure]: bmfMetric(metric, value, scale) }
  }
  return out
}

export const bencherExporter: Exporter = {
  id: 'bencher',
  fileName: 'swarm-bench-bencher.json',
  output: 'bencher-path',
  render: ({ results, clean }) => {
    const bmf = toBmf(results, clean)
    return Object.keys(bmf).length > 0 ? JSON.stringify(bmf, null, 2) + '\n' : undefined
  }
}
