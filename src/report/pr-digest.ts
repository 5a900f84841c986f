// The part of the PR comment and the job summary a reviewer reads in ten seconds, rendered the same in both:
// one headline sentence, one line of status and impact, the cost, one table with a row per benchmark (changes
// first, the unchanged folded away), then evidence on demand: per regression the paired samples and one line of
// statistics, and every judged metric. Budgeted: never longer than `maxChars`, however many metrics there are.
import type { Results } from '../results/schema.js'
import { costRegressions, isCostVerdict, type Comparison, type MetricVerdict } from '../stats/compare.js'
import { mermaidChart } from './charts.js'
import {
  benchmarkRows,
  isTiming,
  judgedRows,
  mdeRange,
  rowsImpact,
  sufficiencyHint,
  type BenchRow
} from './digest.js'
import { targetRows } from './data.js'
import { code, escapeMd, safeUrl } from './escape.js'
import { geometricMean, worseRatio } from './impact.js'
import { fmtNum, fmtP, fmtPct, fmtUsd, fmtValue } from './format.js'
import { artifactContextLine, verdictLine, VERDICT_ICON } from './verdicts.js'
import { hooksLine } from './hooks.js'

/** Where the method is explained; a relative path when the caller knows no URL. */
export const METHOD_DOC = 'docs/regressions.md'

export interface DigestOptions {
  /** The pull request's number: the headline says "Merging #N". */
  prNumber?: number
  /** Link to docs/regressions.md of the action's own repository. */
  methodUrl?: string
  /** Characters the digest may take at most. */
  maxChars: number
  /** Markdown heading of the headline sentence (`###` in the comment, `##` in the summary). */
  heading: string
}

const ACCEPTED_ICON = '☑️'
const abs1 = (x: number): string => `${Math.abs(x).toFixed(1)}%`
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

function pPhrase(v: MetricVerdict): string {
  if (v.pAdjusted === undefined) return 'every sample identical on each side'
  return v.pAdjusted < 0.001 ? 'p < 0.001' : `p = ${fmtP(v.pAdjusted)}`
}

/** The one sentence: what merging does, or that nothing measurable changed, or why nothing was compared. */
export function headlineSentence(
  rows: readonly BenchRow[],
  comparison: Comparison | undefined,
  prNumber?: number
): string {
  const subject = prNumber ? `Merging #${prNumber}` : 'This change'
  if (!comparison || comparison.status !== 'compared') {
    const why = comparison ? escapeMd(comparison.reason, 200) : 'no comparison was made'
    return `Not compared (${why}): ${plural(rows.length, 'benchmark')} measured`
  }
  const changed = (status: 'regression' | 'improvement'): string | undefined => {
    const list = rows.filter(r => r.status === status)
    const top = list[0]?.decisive
    if (!top) return undefined
    const timing = isTiming(top.unit, top.direction)
    const verb = status === 'regression' ? (timing ? 'slow' : 'worsen') : timing ? 'speed up' : 'improve'
    const more = list.length > 1 ? ` and ${list.length - 1} more` : ''
    return `${subject} will ${verb} ${code(top.benchmarkId)} by ${abs1(top.worsePct ?? 0)} (${pPhrase(top)})${more}`
  }
  const regression = changed('regression')
  if (regression)
    return comparison.accepted
      ? `${regression}, accepted by label ${code(comparison.accepted.label, 60)}`
      : regression
  const improvement = changed('improvement')
  if (improvement) return improvement
  const judged = judgedRows(rows).length
  if (judged === 0) return `No benchmark could be judged (${plural(rows.length, 'benchmark')} measured)`
  const mde = mdeRange(rows)
  const detail = mde
    ? ` (smallest detectable change ${Math.round(mde.low)}–${Math.round(mde.high)}%)`
    : ` (beyond ${comparison.options.thresholdPct}% and the measured noise)`
  return `No measurable change across ${plural(judged, 'benchmark')}${detail}`
}

function statusLine(rows: readonly BenchRow[], comparison: Comparison | undefined): string {
  const parts = [`**${verdictLine(comparison)}**`]
  const impact = comparison?.status === 'compared' ? rowsImpact(rows) : undefined
  if (impact) {
    const word = impact.pct >= 0.05 ? 'worse; ' : impact.pct <= -0.05 ? 'better; ' : ''
    parts.push(
      `overall impact ${fmtPct(impact.pct)} (${word}geometric mean of ${impact.over} ${impact.changedOnly ? 'changed ' : ''}benchmark${impact.over === 1 ? '' : 's'})`
    )
  }
  return parts.join(' · ')
}

function methodLine(results: Results, comparison: Comparison | undefined, opts: DigestOptions): string {
  const run = results.run
  const where = `provider ${code(run.provider)}, profile ${code(run.profile)}${run.git?.sha ? `, commit ${code(run.git.sha.slice(0, 12))}` : ''}`
  const url = safeUrl(opts.methodUrl)
  const doc = url
    ? `[how a regression is decided](${url})`
    : `how a regression is decided: ${code(METHOD_DOC)}`
  if (!comparison || comparison.status !== 'compared') return `<sub>${where}.</sub>`
  const o = comparison.options
  const overrides = Object.keys(o.thresholds ?? {}).length
  const threshold = `threshold ${o.thresholdPct}%${overrides ? ` (${plural(overrides, 'override')})` : ''}`
  const b = comparison.baselineInfo
  if (comparison.mode === 'duet') {
    const base = b?.sha ? code(b.sha.slice(0, 12)) : escapeMd(b?.ref ?? 'the base', 60)
    return `<sub>Duet: base ${base} measured side by side with the head in this run, pair by pair; ${threshold}, Holm α ${o.alpha}; ${where}; ${doc}.</sub>`
  }
  const base = b
    ? `run ${b.sha ? code(b.sha.slice(0, 12)) : ''} of ${escapeMd(b.startedAt, 40)} with ${b.historyRuns} run(s) of history`
    : 'no baseline'
  const young =
    b && b.historyRuns < o.minHistoryRuns
      ? ` (until ${o.minHistoryRuns}, ${o.noHistoryNoisePct}% noise per run is assumed: only large changes are called)`
      : ''
  return `<sub>Against the baseline artifact: ${base}${young}; ${threshold}, Holm α ${o.alpha}; ${where}; ${doc}.</sub>`
}

/** This run's cost, and how the cost per operation moved (the geometric mean over the usd/op metrics judged). */
export function costLine(results: Results, comparison: Comparison | undefined): string {
  const c = results.cost
  const both = results.duet ? ', both sides of the duet' : ''
  const est = c.estimated ? ' (estimated as if on E2B' + both + ')' : both ? ` (${both.slice(2)})` : ''
  let text = `💰 This run cost ${fmtUsd(c.usd)}${est}`
  const perOp = (comparison?.status === 'compared' ? comparison.verdicts : []).filter(
    v => isCostVerdict(v) && v.changePct !== undefined
  )
  const g = geometricMean(perOp.map(v => worseRatio(v.changePct!, v.direction)))
  if (g !== undefined) {
    const one = perOp.length === 1 ? perOp[0] : undefined
    text +=
      ` · cost per operation ${fmtPct((g - 1) * 100)}` +
      (one
        ? ` (${escapeMd(one.metric, 60)}: ${fmtUsd(one.baseline)} → ${fmtUsd(one.head)})`
        : ` (geometric mean of ${perOp.length} usd/op metrics)`)
  } else {
    text += ' · cost per operation: not compared in this run'
  }
  const b = comparison?.budget
  if (b)
    text += b.exceeded
      ? ` · ❌ **over the budget**: ${fmtUsd(b.usd)} > max-cost-usd ${fmtUsd(b.maxUsd)}`
      : ` · within the budget (${fmtUsd(b.usd)} ≤ max-cost-usd ${fmtUsd(b.maxUsd)})`
  return text + '.'
}

/** The regressions of cost per operation, called out: the same work costs more. */
export function costRegressionLine(comparison: Comparison | undefined): string | undefined {
  const list = costRegressions(comparison)
  if (!list.length) return undefined
  const shown = list
    .slice(0, 5)
    .map(v => `${code(v.key)} ${v.changePct !== undefined ? fmtPct(v.changePct) : ''}`.trimEnd())
  const more = list.length > 5 ? `, … ${list.length - 5} more` : ''
  return `💸 ${plural(list.length, 'cost regression')}: the cost per operation rose beyond the threshold: ${shown.join(', ')}${more}.`
}

/** What the confirm runs (input `confirm-runs`) re-measured, cleared and kept. */
export function confirmLine(comparison: Comparison | undefined): string | undefined {
  const c = comparison?.confirm
  if (!c) return undefined
  const keys = (list: string[]): string =>
    list
      .slice(0, 5)
      .map(k => code(k))
      .join(', ') + (list.length > 5 ? `, … ${list.length - 5} more` : '')
  const parts = [
    `🔁 ${plural(c.runs, 'confirm run')} re-measured ${plural(c.stood.length + c.cleared.length, 'regression')}`
  ]
  if (c.cleared.length) parts.push(`cleared ${keys(c.cleared)} (not repeated: not counted)`)
  if (c.stood.length) parts.push(`stood ${keys(c.stood)}`)
  return `${parts.join('; ')} (${fmtUsd(c.usd)}).`
}

const TABLE_HEADER = '| Benchmark | Base | Head | Change | Verdict | MDE |\n|---|---:|---:|---:|---|---:|'
const ALL_HEADER =
  '| Benchmark · metric | Base | Head | Change | Interval | Holm p | Verdict | MDE / σ |\n|---|---:|---:|---:|---|---|---|---:|'

function verdictCell(v: MetricVerdict, comparison: Comparison): string {
  if (v.verdict === 'regression' && comparison.accepted) return `${ACCEPTED_ICON} accepted by label`
  if (v.verdict === 'insufficient-data') return `❔ ${sufficiencyHint(v, comparison)}`
  if (v.verdict === 'missing' || v.verdict === 'new')
    return `${VERDICT_ICON[v.verdict]} ${v.verdict}: ${escapeMd(v.reason, 80)}`
  return `${VERDICT_ICON[v.verdict]} ${v.verdict}`
}

const mdeCell = (v: MetricVerdict | undefined): string =>
  v?.mdePct !== undefined ? `${v.mdePct.toFixed(1)}%` : v?.noise ? `σ ±${fmtNum(v.noise.sigmaPct)}%` : '—'

function rowLine(r: BenchRow, comparison: Comparison | undefined): string {
  const unit = escapeMd(r.unit, 20)
  const name = `${code(r.benchmarkId)} · ${escapeMd(r.metric, 80)}`
  const p = r.primary
  if (!p || !comparison)
    return `| ${name} | — | ${fmtValue(r.head, unit)} | — | ${comparison?.status === 'compared' ? 'not gated here' : 'not compared'} | — |`
  let verdict = verdictCell(p, comparison)
  const d = r.decisive
  // Any verdict among the benchmark's other metrics shows on its row; the details have them all.
  const same = r.verdicts.filter(v => v !== p && d && v.verdict === d.verdict).length
  if (d && d !== p && d.verdict !== p.verdict) {
    verdict +=
      ` · ${d.verdict === 'regression' && comparison.accepted ? ACCEPTED_ICON : VERDICT_ICON[d.verdict]} ${escapeMd(d.metric, 60)} ${fmtPct(d.changePct)}` +
      (same > 1 ? ` (+${same - 1} more)` : '')
  } else if (d && (d.verdict === 'regression' || d.verdict === 'improvement') && same > 0) {
    verdict += ` (+${same} more metric${same === 1 ? '' : 's'})`
  }
  return `| ${name} | ${fmtValue(p.baseline, unit)} | ${fmtValue(p.head, unit)} | ${fmtPct(p.changePct)} | ${verdict} | ${mdeCell(p)} |`
}

function allLine(v: MetricVerdict, comparison: Comparison): string {
  const unit = escapeMd(v.unit, 20)
  const interval = v.interval ? `${fmtPct(v.interval.lowPct)} … ${fmtPct(v.interval.highPct)}` : '—'
  return (
    `| ${code(v.benchmarkId)} · ${escapeMd(v.metric, 120)} | ${fmtValue(v.baseline, unit)} | ${fmtValue(v.head, unit)} | ` +
    `${fmtPct(v.changePct)} | ${interval} | ${fmtP(v.pAdjusted)} | ${verdictCell(v, comparison)} | ${mdeCell(v)} |`
  )
}

/** Means of consecutive runs of `size` values: a long series as a chart of at most ~30 points. */
function chunkMeans(values: readonly number[], size: number): number[] {
  const out: number[] = []
  for (let i = 0; i < values.length; i += size) {
    const b = values.slice(i, i + size)
    out.push(b.reduce((a, x) => a + x, 0) / b.length)
  }
  return out
}

const MAX_POINTS = 30
const TEXT_POINTS = 10

/** The paired samples of a duet verdict, base and head, from the run's two sides. */
function pairedSamples(results: Results, v: MetricVerdict): { base: number[]; head: number[] } | undefined {
  const base = results.duet?.benchmarks
    .find(b => b.id === v.benchmarkId)
    ?.metrics.find(m => m.name === v.metric)
  const head = results.benchmarks.find(b => b.id === v.benchmarkId)?.metrics.find(m => m.name === v.metric)
  if (!base || !head) return undefined
  const n = Math.min(base.samples.length, head.samples.length)
  if (n < 2) return undefined
  return { base: base.samples.slice(0, n), head: head.samples.slice(0, n) }
}

/** The one line of statistics behind a verdict: change, interval, p, the test, and where the method is. */
export function evidenceLine(v: MetricVerdict, comparison: Comparison, methodUrl?: string): string {
  const url = safeUrl(methodUrl)
  const method = url ? `[method](${url})` : `method: ${code(METHOD_DOC)}`
  const interval = v.interval
    ? ` (${Math.round(v.interval.level * 100)}% interval ${fmtPct(v.interval.lowPct)} … ${fmtPct(v.interval.highPct)})`
    : ''
  const p =
    v.pAdjusted === undefined ? 'no test needed (every sample identical)' : `Holm p ${fmtP(v.pAdjusted)}`
  const threshold = `threshold ${v.thresholdPct ?? comparison.options.thresholdPct}%`
  if (v.test === 'paired')
    return `${v.pairs} pairs: paired change ${fmtPct(v.changePct)}${interval}, ${p}, ${threshold} — trimmed t on the paired log ratios, ${method}.`
  const shift = v.shiftPct !== undefined ? ` after removing the run-wide shift of ${fmtPct(v.shiftPct)}` : ''
  const test =
    v.test === 'rank' ? 'Mann–Whitney' : v.test === 't' ? 't-test' : v.test === 'z' ? 'z-test' : 'exact count'
  const sigma = v.noise ? `, noise σ ±${fmtNum(v.noise.sigmaPct)}% (${v.noise.source})` : ''
  return `Change ${fmtPct(v.adjustedPct ?? v.changePct)}${shift}${interval}, ${p}${sigma}, ${threshold} — ${test} against the baseline artifact, ${method}.`
}

/** A regression's collapsible: the paired samples as a chart and as text, then the line of statistics. */
export function evidenceBlock(
  results: Results,
  v: MetricVerdict,
  comparison: Comparison,
  methodUrl?: string
): string {
  const icon = comparison.accepted ? ACCEPTED_ICON : VERDICT_ICON[v.verdict]
  const out = [
    `<details><summary>${icon} ${escapeMd(v.benchmarkId, 60)} · ${escapeMd(v.metric, 80)}: ${fmtPct(v.changePct)} — evidence</summary>`,
    ''
  ]
  const pairs = comparison.mode === 'duet' ? pairedSamples(results, v) : undefined
  if (pairs) {
    const k = Math.max(1, Math.ceil(pairs.base.length / MAX_POINTS))
    const base = chunkMeans(pairs.base, k)
    const head = chunkMeans(pairs.head, k)
    const unit = v.unit || 'value'
    out.push(
      mermaidChart({
        title: `${v.metric}: base (first line) vs head`,
        xLabel: k > 1 ? `pairs, ${k} per point` : 'pair',
        categories: base.map((_, i) => String(i * k + 1)),
        yLabel: unit,
        series: [
          { kind: 'line', values: base },
          { kind: 'line', values: head }
        ]
      }),
      '',
      `Base → head${k > 1 ? `, means of ${k} consecutive pairs` : ''} (${escapeMd(unit, 20)}): ` +
        base
          .slice(0, TEXT_POINTS)
          .map((b, i) => `${fmtNum(b)} → ${fmtNum(head[i])}`)
          .join(', ') +
        (base.length > TEXT_POINTS ? `, … ${base.length - TEXT_POINTS} more` : '') +
        '.',
      ''
    )
  }
  out.push(evidenceLine(v, comparison, methodUrl), '', '</details>')
  return out.join('\n')
}

const omitted = (n: number, what: string): string => `_${n} more ${what} omitted — see the report artifact._`

/** A table with as many rows as fit in `budget`, then how many were left out; '' when not even one fits. */
export function budgetTable(header: string, rows: readonly string[], budget: number): string {
  let text = header
  let shown = 0
  for (const row of rows) {
    const left = rows.length - shown - 1
    const reserve = left > 0 ? omitted(left, 'rows').length + 2 : 0
    if (text.length + 1 + row.length + reserve > budget) break
    text += '\n' + row
    shown++
  }
  if (shown === rows.length) return text
  const tail = omitted(rows.length - shown, rows.length - shown === 1 ? 'row' : 'rows')
  return shown === 0 ? (tail.length <= budget ? tail : '') : `${text}\n\n${tail}`
}

/** The digest, at most `opts.maxChars` characters. */
export function renderDigest(
  results: Results,
  comparison: Comparison | undefined,
  opts: DigestOptions
): string {
  const rows = benchmarkRows(results, comparison)
  const compared = comparison?.status === 'compared' ? comparison : undefined
  const head: string[] = [
    `${opts.heading} ${headlineSentence(rows, comparison, opts.prNumber)}`,
    '',
    statusLine(rows, comparison),
    ''
  ]
  if (compared?.accepted) {
    const by = compared.accepted.by ? ` (applied by ${escapeMd(`@${compared.accepted.by}`, 60)})` : ''
    head.push(
      `> ${ACCEPTED_ICON} **Accepted by label** ${code(compared.accepted.label, 60)}${by}: ` +
        `the ${plural(compared.regressions.length, 'regression')} below stay listed but do not fail the gate.`,
      ''
    )
  }
  head.push(costLine(results, comparison), '')
  const hooks = hooksLine(results)
  if (hooks) head.push(`🧩 ${hooks}`, '')
  for (const line of [costRegressionLine(compared), confirmLine(compared)]) if (line) head.push(line, '')
  if (!results.run.complete) head.push('> ⚠️ This run was incomplete: some benchmarks did not finish.', '')
  const errored = results.benchmarks.filter(b => b.status === 'error')
  if (errored.length)
    head.push(
      `💥 ${plural(errored.length, 'benchmark')} errored: ` +
        errored
          .slice(0, 5)
          .map(b => `${code(b.id)} (${escapeMd(b.error ?? 'no message', 100)})`)
          .join(', ') +
        (errored.length > 5 ? `, … ${errored.length - 5} more` : ''),
      ''
    )
  const missed = targetRows(results).filter(t => !t.met)
  if (missed.length)
    head.push(
      `🎯 ${missed.length} target(s) missed: ` +
        missed
          .slice(0, 5)
          .map(t => `${code(t.bench.id)} · ${escapeMd(t.metric.name, 60)}`)
          .join(', ') +
        (missed.length > 5 ? `, … ${missed.length - 5} more` : ''),
      ''
    )
  const warnings = compared?.warnings ?? []
  for (const w of warnings.slice(0, 3)) head.push(`> ⚠️ ${escapeMd(w, 240)}`, '')
  if (warnings.length > 3) head.push(`> ⚠️ … ${warnings.length - 3} more warning(s) in the report.`, '')

  const tail: string[] = [methodLine(results, comparison, opts)]
  const artifact = compared && artifactContextLine(compared)
  if (artifact) tail.push(`<sub>${artifact}</sub>`)
  const tailText = `\n\n${tail.join('\n\n')}`

  let body = head.join('\n').trimEnd()
  const room = (): number => opts.maxChars - body.length - tailText.length - 2
  const add = (text: string): void => {
    if (text && text.length + 2 <= room()) body += `\n\n${text}`
  }
  const shown = rows.filter(r => r.status !== 'unchanged' && r.status !== 'not-compared')
  const folded = rows.filter(r => r.status === 'unchanged' || r.status === 'not-compared')
  if (shown.length)
    add(
      budgetTable(
        TABLE_HEADER,
        shown.map(r => rowLine(r, comparison)),
        Math.floor(room() * 0.5)
      )
    )
  if (folded.length) {
    const unchanged = folded.filter(r => r.status === 'unchanged').length
    const other = folded.length - unchanged
    const word = !compared
      ? `${plural(folded.length, 'benchmark')} measured, not compared`
      : [
          unchanged ? `${VERDICT_ICON.unchanged} ${plural(unchanged, 'unchanged benchmark')}` : '',
          other ? `${plural(other, 'benchmark')} with no gated metric in this comparison` : ''
        ]
          .filter(Boolean)
          .join(', ')
    const open = `<details><summary>${word}</summary>\n\n`
    const close = '\n\n</details>'
    const table = budgetTable(
      TABLE_HEADER,
      folded.map(r => rowLine(r, comparison)),
      Math.floor(room() * 0.5) - open.length - close.length
    )
    if (table) add(open + table + close)
  }
  if (compared) {
    // Evidence on demand, regressions first by how much worse; what does not fit is counted.
    const regressions = [...compared.regressions].sort((a, b) => (b.worsePct ?? 0) - (a.worsePct ?? 0))
    if (regressions.length) {
      const budget = Math.floor(room() * 0.6)
      let used = 0
      let n = 0
      const blocks: string[] = []
      for (const v of regressions) {
        const block = evidenceBlock(results, v, compared, opts.methodUrl)
        if (used + block.length + 200 > budget) break
        blocks.push(block)
        used += block.length + 1
        n++
      }
      if (n < regressions.length) blocks.push(omitted(regressions.length - n, "regressions' evidence"))
      add(blocks.join('\n\n'))
    }
    const all = rows.flatMap(r => r.verdicts)
    if (all.length) {
      const open = `<details><summary>Every judged metric (${all.length}), by benchmark</summary>\n\n`
      const close = '\n\n</details>'
      const table = budgetTable(
        ALL_HEADER,
        all.map(v => allLine(v, compared)),
        room() - open.length - close.length
      )
      if (table) add(open + table + close)
    }
  }
  return body + tailText
}
