// The metrics an ecosystem export carries: every measured metric of the run (the head's side in a duet), keyed
// as in the comparison and the history (`benchmarkId/metric`), so a chart's series keeps its name across runs.
import { FLOOR_KEY, metricKey, type Metric, type Results } from '../results/schema.js'
import { headlineValue } from '../stats/describe.js'

export interface ExportedMetric {
  key: string
  metric: Metric
  /** The headline statistic (median for times, mean for rates): what the gate compares. */
  value: number
}

export function exportedMetrics(results: Results): ExportedMetric[] {
  const out: ExportedMetric[] = []
  for (const b of results.benchmarks) {
    // An errored or skipped benchmark's partial figures would chart as a step that never happened.
    if (b.status === 'error' || b.status === 'skipped') continue
    for (const m of b.metrics) {
      if (m.summary.n > 0)
        out.push({ key: metricKey(b.id, m.name), metric: m, value: headlineValue(m.summary) })
    }
  }
  const floor = results.run.floor
  // The runner floor moves with the machine only: charted beside the rest, it tells runner noise from code.
  if (floor && floor.summary.n > 0)
    out.push({ key: FLOOR_KEY, metric: floor, value: headlineValue(floor.summary) })
  return out
}

/** Four significant digits: enough for a tooltip, short enough to read. */
export const short = (x: number): string => String(Number(x.toPrecision(4)))
