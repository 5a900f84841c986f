// What a reviewer reads first, as data: one row per benchmark (its primary headline, and the verdict of whichever
// of its metrics matters most), the headline sentence and the overall impact. Pure; the comment and the job
// summary render it (src/report/pr-digest.ts).
import type { Results } from '../results/schema.js'
import type { Comparison, MetricVerdict, VerdictKind } from '../stats/compare.js'
import { primaryHeadline } from '../duet/headlines.js'
import { headlineValue } from '../stats/describe.js'
import { overallImpact, worseRatio } from './impact.js'

export type RowStatus = VerdictKind | 'not-compared'

export interface BenchRow {
  benchmarkId: string
  /** The metric the row shows: the benchmark's primary headline (or its first judged metric). */
  metric: string
  unit: string
  /** The verdict of `metric`, when it was judged. */
  primary?: MetricVerdict
  /** The verdict that gives the row its status: the most severe among the benchmark's verdicts. */
  decisive?: MetricVerdict
  status: RowStatus
  /** Every verdict of the benchmark, primary first. */
  verdicts: MetricVerdict[]
  /** Head value of `metric` when nothing was compared. */
  head?: number
}

const SEVERITY: Record<RowStatus, number> = {
  regression: 0,
  improvement: 1,
  missing: 2,
  new: 3,
  'insufficient-data': 4,
  unchanged: 5,
  'not-compared': 6
}

const worse = (v: MetricVerdict | undefined): number => v?.worsePct ?? 0

/** The most severe verdict; among equals the largest change, and the primary before the others. */
function decisiveOf(verdicts: readonly MetricVerdict[]): MetricVerdict | undefined {
  let best: MetricVerdict | undefined
  for (const v of verdicts) {
    if (!best) best = v
    else if (SEVERITY[v.verdict] < SEVERITY[best.verdict]) best = v
    else if (
      SEVERITY[v.verdict] === SEVERITY[best.verdict] &&
      (v.verdict === 'regression' || v.verdict === 'improvement') &&
      Math.abs(worse(v)) > Math.abs(worse(best))
    )
      best = v
  }
  return best
}

/** One row per benchmark of the run (and per benchmark only a verdict names), most severe first. */
export function benchmarkRows(results: Results, comparison: Comparison | undefined): BenchRow[] {
  const compared = comparison?.status === 'compared' ? comparison.verdicts : []
  const byBench = new Map<string, MetricVerdict[]>()
  for (const v of compared) byBench.set(v.benchmarkId, [...(byBench.get(v.benchmarkId) ?? []), v])
  const ids = [...results.benchmarks.map(b => b.id), ...byBench.keys()].filter(
    (id, i, all) => all.indexOf(id) === i
  )
  const rows: BenchRow[] = []
  for (const id of ids) {
    const verdicts = byBench.get(id) ?? []
    const bench = results.benchmarks.find(b => b.id === id)
    // The run-wide shift of an artifact comparison is a row only when it says something.
    if (!bench && verdicts.every(v => v.verdict === 'unchanged')) continue
    if (verdicts.length) {
      const name =
        primaryHeadline(
          id,
          verdicts.map(v => v.metric)
        ) ?? verdicts[0].metric
      const primary = verdicts.find(v => v.metric === name)!
      const decisive = decisiveOf([primary, ...verdicts.filter(v => v !== primary)])!
      rows.push({
        benchmarkId: id,
        metric: name,
        unit: primary.unit,
        primary,
        decisive,
        status: decisive.verdict,
        verdicts: [primary, ...verdicts.filter(v => v !== primary)]
      })
      continue
    }
    const measured = bench?.metrics.filter(m => m.summary.n > 0) ?? []
    const name =
      primaryHeadline(
        id,
        measured.map(m => m.name)
      ) ?? measured.find(m => m.gate)?.name
    const m = measured.find(x => x.name === name) ?? measured[0]
    rows.push({
      benchmarkId: id,
      metric: m?.name ?? '',
      unit: m?.unit ?? '',
      status: 'not-compared',
      verdicts: [],
      head: m ? headlineValue(m.summary) : undefined
    })
  }
  const order = new Map(ids.map((id, i) => [id, i]))
  return rows.sort(
    (a, b) =>
      SEVERITY[a.status] - SEVERITY[b.status] ||
      (a.status === 'regression' ? worse(b.decisive) - worse(a.decisive) : 0) ||
      (a.status === 'improvement' ? worse(a.decisive) - worse(b.decisive) : 0) ||
      order.get(a.benchmarkId)! - order.get(b.benchmarkId)!
  )
}

/** The overall impact over the rows' decisive changes (CodSpeed's definition, src/report/impact.ts). */
export function rowsImpact(rows: readonly BenchRow[]): ReturnType<typeof overallImpact> {
  const items = rows.flatMap(r => {
    const v = r.status === 'regression' || r.status === 'improvement' ? r.decisive : r.primary
    if (!v || v.changePct === undefined || v.benchmarkId === 'run') return []
    return [
      {
        ratio: worseRatio(v.changePct, v.direction),
        changed: v.verdict === 'regression' || v.verdict === 'improvement'
      }
    ]
  })
  return overallImpact(items)
}

/** Rows whose benchmark was judged (a test or a count decided it): what "across N benchmarks" counts. */
export const judgedRows = (rows: readonly BenchRow[]): BenchRow[] =>
  rows.filter(r =>
    r.verdicts.some(
      v => v.verdict === 'unchanged' || v.verdict === 'regression' || v.verdict === 'improvement'
    )
  )

/** The smallest and largest minimum detectable effect over the primary headlines judged in a duet. */
export function mdeRange(rows: readonly BenchRow[]): { low: number; high: number } | undefined {
  const mdes = rows.flatMap(r => (r.primary?.mdePct !== undefined ? [r.primary.mdePct] : []))
  if (!mdes.length) return undefined
  return { low: Math.min(...mdes), high: Math.max(...mdes) }
}

/** What would turn an insufficient-data verdict into a judged one, in a few words. */
export function sufficiencyHint(v: MetricVerdict, comparison: Comparison): string {
  const n = Math.min(v.nBaseline, v.nHead)
  if (comparison.mode === 'duet') return `needs ≥ 3 pairs, had ${n}: raise the profile's samples`
  const o = comparison.options
  if (v.reason.startsWith('not comparable')) return 'unit or direction changed: re-record the baseline'
  return `needs ${o.minSamples} samples a side (had ${v.nBaseline}/${v.nHead}) or ${o.minHistoryRuns} runs of history`
}

/** Time-like units read as "slow"; anything else (bytes, MiB, dollars) as "worsen". */
export const isTiming = (unit: string, direction: 'lower' | 'higher'): boolean =>
  /^(ns|us|µs|ms|s|min)$/i.test(unit.trim()) || (direction === 'higher' && /\/\s*s$/i.test(unit.trim()))
