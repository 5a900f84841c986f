// Rendering comparison verdicts: the verdict line and table rows shared by the PR comment, the job summary and
// the report, so all three say the same thing in the same words.
import type { Comparison, MetricVerdict, VerdictKind } from '../stats/compare.js'
import { code, escapeMd } from './escape.js'
import { fmtNum, fmtP, fmtPct } from './format.js'

export const VERDICT_ICON: Record<VerdictKind, string> = {
  regression: '❌',
  improvement: '🚀',
  unchanged: '✅',
  'insufficient-data': '❔',
  new: '🆕',
  missing: '⚠️'
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

/** The headline line: `❌ 2 regressions`, `✅ no regression`, `⚠️ no baseline: <reason>`. */
export function verdictLine(comparison: Comparison | undefined): string {
  if (!comparison) return '⚠️ no baseline: no comparison was made'
  if (comparison.status === 'no-baseline') return `⚠️ no baseline: ${escapeMd(comparison.reason, 300)}`
  if (comparison.tested === 0 && comparison.regressions.length === 0) {
    const c = comparison.counts
    return `⚠️ no metric could be compared (${c.new} new, ${c.missing} missing, ${c['insufficient-data']} with insufficient data)`
  }
  const r = comparison.regressions.length
  const i = comparison.improvements.length
  if (r > 0) return `❌ ${plural(r, 'regression')}${i ? `, ${plural(i, 'improvement')}` : ''}`
  return `✅ no regression${i ? ` (${plural(i, 'improvement')})` : ''}`
}

/** The shift in this comparison, and how much of it the runner floor (the machine) accounts for. */
function shiftText(shift: Comparison['shift']): string {
  if (!shift) return ''
  const floor =
    shift.floorPct === undefined
      ? ''
      : `; the runner floor, which no code change moves, ${fmtPct(shift.floorPct)}`
  const scatter =
    shift.scatterPct > 0 ? `; single timings strayed ±${fmtNum(shift.scatterPct)}% around it` : ''
  return ` (${fmtPct(shift.pct)} in this comparison${scatter}${floor})`
}

/** How a duet was judged, in two sentences (the method is in docs/regressions.md). */
function duetContext(comparison: Comparison): string {
  const o = comparison.options
  const b = comparison.baselineInfo
  const base = b?.sha ? code(b.sha.slice(0, 12)) : escapeMd(b?.ref ?? 'the base', 60)
  const paired =
    comparison.pairing === 'concurrent'
      ? 'run at the same time as its twin, in the same sandboxes'
      : 'paired with its twin in a random order on the same CPU'
  return (
    `Duet: base ${base} measured side by side with the head in this run, every agent request ${paired}; ` +
    `${comparison.tested} headline metric(s) judged on the paired ratios. ` +
    `A regression needs the paired change beyond ${o.thresholdPct}% with a Holm p below ${o.alpha}; nothing is ` +
    `removed as a runner shift, since both sides shared the runner. MDE: the smallest slowdown each metric detects.`
  )
}

/** Which metrics were compared against what, and with which settings. */
export function comparisonContext(comparison: Comparison): string {
  if (comparison.mode === 'duet') return duetContext(comparison)
  const o = comparison.options
  const b = comparison.baselineInfo
  const base = b
    ? `baseline ${b.sha ? code(b.sha.slice(0, 12)) : 'run'}${b.runId ? ` (run ${escapeMd(b.runId, 30)})` : ''} of ${escapeMd(b.startedAt, 40)}, ${b.historyRuns} earlier run(s) of history`
    : 'no baseline'
  return (
    `${comparison.tested} metric(s) tested against ${base}. A regression needs a change beyond ${o.thresholdPct}% ` +
    `once the run-wide shift of all timings is removed${shiftText(comparison.shift)}, ` +
    `standing out from the metric's noise σ (its samples' error plus how far single timings strayed in this pair of runs, ` +
    `or its scatter over the history runs, whichever is larger) ` +
    `with a p below ${o.alpha} after Holm correction.` +
    (b && b.historyRuns < o.minHistoryRuns
      ? ` The baseline carries ${b.historyRuns} of the ${o.minHistoryRuns} runs of history the noise is measured from: ` +
        `until then ${o.noHistoryNoisePct}% run-to-run noise per run is assumed, so only large changes are called.`
      : '')
  )
}

/** The comparison with the baseline artifact that a duet shows as context: one line and why it is context. */
export function artifactContextLine(comparison: Comparison): string | undefined {
  const a = comparison.artifact
  if (!a) return undefined
  return (
    `Against the baseline artifact (context, not gated): ${verdictLine(a)}` +
    (a.status === 'compared' ? ` — ${a.tested} metric(s) tested against a run of the default branch.` : '')
  )
}

export const VERDICT_HEADER =
  '| Metric | Baseline | Head | Change | Interval | p / Holm p | Noise ±1σ | Verdict |\n|---|---:|---:|---:|---|---|---|---|'

export const VERDICT_HEADER_SHORT =
  '| Metric | Baseline | Head | Change | Interval | p / Holm p | Noise ±1σ |\n|---|---:|---:|---:|---|---|---|'

const NOISE_SOURCE: Record<NonNullable<MetricVerdict['noise']>['source'], (runs: number) => string> = {
  history: runs => `σ of ${runs} history runs`,
  samples: () => 'σ of the samples',
  floor: () => 'σ floor'
}

function cells(v: MetricVerdict): string[] {
  const unit = escapeMd(v.unit, 20)
  const val = (x: number | undefined): string =>
    x === undefined ? '—' : `${fmtNum(x)}${unit ? ` ${unit}` : ''}`
  const interval = v.interval ? `${fmtPct(v.interval.lowPct)} … ${fmtPct(v.interval.highPct)}` : '—'
  const p = v.p === undefined ? '—' : `${fmtP(v.p)} / ${fmtP(v.pAdjusted)}`
  const noise =
    v.mdePct !== undefined
      ? `MDE ${fmtPct(v.mdePct)} (${v.pairs} pairs)`
      : v.noise
        ? `${fmtPct(v.noise.lowPct)} … ${fmtPct(v.noise.highPct)} (${NOISE_SOURCE[v.noise.source](v.noise.runs)})`
        : '—'
  return [
    `${escapeMd(v.benchmarkId, 60)} / ${escapeMd(v.metric, 120)} (${v.headline})`,
    val(v.baseline),
    val(v.head),
    fmtPct(v.changePct),
    interval,
    p,
    noise
  ]
}

export function verdictRow(v: MetricVerdict): string {
  return `| ${[...cells(v), `${VERDICT_ICON[v.verdict]} ${v.verdict}`].join(' | ')} |`
}

export function verdictRowShort(v: MetricVerdict): string {
  return `| ${cells(v).join(' | ')} |`
}

const ORDER: Record<VerdictKind, number> = {
  regression: 0,
  improvement: 1,
  missing: 2,
  new: 3,
  'insufficient-data': 4,
  unchanged: 5
}

/** Regressions first (largest first), then improvements, missing, new, insufficient, unchanged. */
export function sortVerdicts(verdicts: readonly MetricVerdict[]): MetricVerdict[] {
  return [...verdicts].sort(
    (a, b) => ORDER[a.verdict] - ORDER[b.verdict] || Math.abs(b.worsePct ?? 0) - Math.abs(a.worsePct ?? 0)
  )
}
