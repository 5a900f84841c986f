// The trend of every gated headline over the baseline's history, and the step each one made that still holds:
// what a default-branch or scheduled run shows about the runs before it. Pairwise gates compare one pull request
// with its base and never see ten merges of +2 % each; the history does.
import { isDuetHeadline } from '../duet/headlines.js'
import { condense } from '../results/io.js'
import type { Category, Direction, Results } from '../results/schema.js'
import { hashSeed } from './bootstrap.js'
import { findStep, type EDivisiveOptions, type Step } from './change-points.js'

export interface TrendRun {
  runId?: string
  sha?: string
  startedAt: string
  /** The run being reported (the newest point). */
  current: boolean
}

export interface TrendStep extends Step {
  /** Index into `Trend.runs` of the first run at the new level, and that run. */
  runIndex: number
  run: TrendRun
  /** Runs at the new level, this one included. */
  runsSince: number
}

export interface TrendSeries {
  key: string
  benchmarkId: string
  category: Category
  metric: string
  unit: string
  direction: Direction
  /** Gated in the artifact comparison (else a duet headline only). */
  gate: boolean
  /** One value per run of `Trend.runs` (its headline statistic), null where that run did not measure it. */
  values: (number | null)[]
  step?: TrendStep
}

export interface Trend {
  /** Oldest first; the last one is the current run. */
  runs: TrendRun[]
  series: TrendSeries[]
  thresholdPct: number
}

export interface TrendOptions {
  /** Smallest step worth reporting, percent: the regression threshold. */
  thresholdPct: number
  /** Overrides of the change-point search (seed, permutations, alpha, minSize). */
  changePoints?: Partial<EDivisiveOptions>
}

/**
 * The current run after its history (the baseline's history, stored newest first, plus the baseline itself, as
 * `appendHistory` carries them), every gated headline of the current run as a series, and its step if any. Pure
 * and reproducible: each metric's permutations are seeded from its key.
 */
export function analyseTrend(results: Results, opts: TrendOptions): Trend {
  const entries = [...results.history].reverse()
  const current = condense(results)
  const runs: TrendRun[] = [
    ...entries.map(e => ({ runId: e.runId, sha: e.sha, startedAt: e.startedAt, current: false })),
    { runId: current.runId, sha: current.sha, startedAt: current.startedAt, current: true }
  ]
  const all = [...entries.map(e => e.values), current.values]
  const series: TrendSeries[] = []
  for (const b of results.benchmarks) {
    for (const m of b.metrics) {
      const key = `${b.id}/${m.name}`
      if (!isDuetHeadline(b.id, m) || current.values[key] === undefined) continue
      const values = all.map(v => (v[key] !== undefined && Number.isFinite(v[key]) ? v[key] : null))
      const s: TrendSeries = {
        key,
        benchmarkId: b.id,
        category: b.category,
        metric: m.name,
        unit: m.unit,
        direction: m.direction,
        gate: m.gate,
        values
      }
      // Runs that did not measure the metric are left out of its search; indices map back to runs.
      const at = values.flatMap((v, i) => (v === null ? [] : [i]))
      const step = findStep(
        at.map(i => values[i]!),
        {
          ...opts.changePoints,
          thresholdPct: opts.thresholdPct,
          direction: m.direction,
          seed: (hashSeed(key) ^ (opts.changePoints?.seed ?? 0)) >>> 0
        }
      )
      if (step) {
        const runIndex = at[step.index]
        s.step = { ...step, runIndex, run: runs[runIndex], runsSince: runs.length - runIndex }
      }
      series.push(s)
    }
  }
  return { runs, series, thresholdPct: opts.thresholdPct }
}
