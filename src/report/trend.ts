// The trend of the gated headlines over the baseline's history, and the steps found in it (src/stats/trend.ts):
// the "since <run> (<sha>), <metric> stepped +12 %" lines, one Mermaid line chart per benchmark category and a
// text table with the same runs for viewers that do not render Mermaid.
import { MIN_STEP_RUNS } from '../stats/change-points.js'
import type { Trend, TrendSeries, TrendStep } from '../stats/trend.js'
import { mermaidChart } from './charts.js'
import { code, escapeMd } from './escape.js'
import { CATEGORY_TITLES, fmtNum, fmtP, fmtValue } from './format.js'

export interface TrendRenderOptions {
  /** Newest runs drawn and tabled (the search reads all of them). Default 50. */
  maxPoints?: number
  /** Lines per chart (one chart per category). Default 6. */
  maxLines?: number
  /** Table rows at most. Default 40. */
  maxRows?: number
  /** Step lines at most. Default 10. */
  maxSteps?: number
  /** Heading level of the per-category charts. Default 3. */
  level?: number
}

// Colours named in the table, since xychart draws no legend.
const PALETTE: [name: string, hex: string][] = [
  ['blue', '#1f77b4'],
  ['orange', '#ff7f0e'],
  ['green', '#2ca02c'],
  ['red', '#d62728'],
  ['purple', '#9467bd'],
  ['brown', '#8c564b']
]
const BLOCKS = '▁▂▃▄▅▆▇█'

/** `+12 %`: whole percent from 10 up, one decimal below. */
export const stepPct = (pct: number): string => {
  const abs = Math.abs(pct)
  return `${pct >= 0 ? '+' : '−'}${abs >= 10 ? abs.toFixed(0) : abs.toFixed(1)} %`
}

function runText(step: TrendStep): string {
  const r = step.run
  const name = r.runId ? `run ${escapeMd(r.runId, 30)}` : `the run of ${escapeMd(r.startedAt, 40)}`
  const where = r.sha ? code(r.sha.slice(0, 7)) : escapeMd(r.startedAt.slice(0, 10), 12)
  return `${name} (${where})`
}

/** "since run 8123 (`abc1234`), `trading.consensus/decision_ms` stepped +12 % (worse; …)". */
export function stepLine(s: TrendSeries): string {
  const st = s.step!
  const unit = escapeMd(s.unit, 20)
  return (
    `${st.worse ? '📈' : '📉'} since ${runText(st)}, ${code(s.key)} stepped ${stepPct(st.changePct)} ` +
    `(${st.worse ? 'worse' : 'better'}: ${fmtValue(st.before, unit)} → ${fmtValue(st.after, unit)}, ` +
    `${st.runsSince} run(s) at the new level, change point p ${fmtP(st.pValue)})`
  )
}

/** Series with a step, worse ones first, then by size. */
export function seriesWithSteps(trend: Trend): TrendSeries[] {
  return trend.series
    .filter(s => s.step)
    .sort((a, b) =>
      a.step!.worse !== b.step!.worse
        ? a.step!.worse
          ? -1
          : 1
        : Math.abs(b.step!.changePct) - Math.abs(a.step!.changePct)
    )
}

/** The step lines as a Markdown list, or one line saying there is none. */
export function stepLines(trend: Trend, maxSteps = 10): string[] {
  const withSteps = seriesWithSteps(trend)
  if (trend.runs.length < MIN_STEP_RUNS) {
    return [
      `The history holds ${trend.runs.length} run(s) with this one; steps are searched from ${MIN_STEP_RUNS} (each default-branch run adds one).`
    ]
  }
  if (!withSteps.length) {
    return [
      `No step of ${stepPct(trend.thresholdPct).replace('+', '')} or more that persists in ${trend.series.length} gated headline(s) over ${trend.runs.length} run(s).`
    ]
  }
  const out = withSteps.slice(0, maxSteps).map(s => `- ${stepLine(s)}`)
  if (withSteps.length > maxSteps) out.push(`- … ${withSteps.length - maxSteps} more in the report`)
  return out
}

/** Each value as a share of the series' median over the shown runs (= 100), gaps carried from a neighbour. */
function indexed(values: (number | null)[]): number[] {
  const known = values.filter((v): v is number => v !== null).sort((a, b) => a - b)
  const median = known.length ? known[Math.floor((known.length - 1) / 2)] : 1
  const filled = [...values]
  const first = filled.find(v => v !== null) ?? median
  let prev = first
  return filled.map(v => {
    if (v !== null) prev = v
    return median > 0 ? (prev / median) * 100 : 100
  })
}

/** Eight-level blocks over the series' own range; `·` where a run did not measure it; this run in brackets. */
export function sparkline(values: (number | null)[]): string {
  const known = values.filter((v): v is number => v !== null)
  const lo = Math.min(...known)
  const hi = Math.max(...known)
  const chars = values.map(v =>
    v === null ? '·' : BLOCKS[hi > lo ? Math.min(7, Math.floor(((v - lo) / (hi - lo)) * 8)) : 3]
  )
  return `${chars.slice(0, -1).join('')}[${chars[chars.length - 1]}]`
}

/** Series to draw first in a chart: with a step (worse first), then gated in every comparison, then the rest. */
const rank = (s: TrendSeries): number => (s.step ? (s.step.worse ? 0 : 1) : s.gate ? 2 : 3)

/** The trend: step lines, a chart per category and the table. Empty when there is no history yet. */
export function trendSection(trend: Trend, opts: TrendRenderOptions = {}): string[] {
  const maxPoints = opts.maxPoints ?? 50
  const maxLines = Math.min(opts.maxLines ?? 6, PALETTE.length)
  const maxRows = opts.maxRows ?? 40
  const h = '#'.repeat(opts.level ?? 3)
  const shown = trend.runs.slice(-maxPoints)
  const from = trend.runs.length - shown.length
  const out: string[] = [
    `${trend.series.length} gated headline(s) over the last ${trend.runs.length} default-branch run(s), this run last. ` +
      `Steps are found by E-divisive means with a permutation test over the whole history, and reported when they ` +
      `are at least the regression threshold (${stepPct(trend.thresholdPct).replace('+', '')}) and persist to this ` +
      `run (docs/regressions.md).`,
    '',
    ...stepLines(trend, opts.maxSteps),
    ''
  ]
  if (trend.runs.length < 2) return out
  const colour = new Map<string, string>()
  const labels = shown.map((r, i) => (r.current ? 'this run' : String(i - shown.length + 1)))
  const categories = [...new Set(trend.series.map(s => s.category))]
  for (const c of categories) {
    const list = trend.series
      .filter(s => s.category === c)
      .map((s, i) => ({ s, i }))
      .sort((a, b) => rank(a.s) - rank(b.s) || a.i - b.i)
      .map(x => x.s)
    const drawn = list.slice(0, maxLines)
    drawn.forEach((s, i) => colour.set(s.key, PALETTE[i][0]))
    out.push(
      `${h} ${CATEGORY_TITLES[c]}`,
      '',
      mermaidChart({
        title: `${CATEGORY_TITLES[c]}: each headline as % of its median over these runs`,
        xLabel: 'runs before this one',
        categories: labels,
        yLabel: '% of median',
        series: drawn.map(s => ({ kind: 'line' as const, values: indexed(s.values.slice(from)) })),
        palette: drawn.map((_, i) => PALETTE[i][1])
      }),
      ''
    )
    if (list.length > drawn.length)
      out.push(`${list.length - drawn.length} more headline(s) of this category are in the table only.`, '')
  }
  const rows = [...trend.series].sort((a, b) => rank(a) - rank(b))
  out.push(
    `Last ${shown.length} run(s) (\`·\`: not measured in that run):`,
    '',
    '| Headline | Line | This run | Median | Min … max | Trend (oldest → [this run]) | Step |',
    '|---|---|---:|---:|---|---|---|',
    ...rows.slice(0, maxRows).map(s => {
      const v = s.values.slice(from)
      const known = v.filter((x): x is number => x !== null).sort((a, b) => a - b)
      const unit = escapeMd(s.unit, 20)
      const step = s.step
        ? `${stepPct(s.step.changePct)} since ${runText(s.step)}${s.step.worse ? ' ⚠️' : ''}`
        : '—'
      return (
        `| ${code(s.key)} | ${colour.get(s.key) ?? '—'} | ${fmtValue(v[v.length - 1], unit)} | ` +
        `${fmtValue(known[Math.floor((known.length - 1) / 2)], unit)} | ${fmtNum(known[0])} … ${fmtNum(known[known.length - 1])} | ` +
        `${sparkline(v)} | ${step} |`
      )
    })
  )
  if (rows.length > maxRows) out.push('', `${rows.length - maxRows} more headline(s) not shown.`)
  return out
}
