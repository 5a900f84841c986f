// The sticky pull-request comment: verdict first, then the evidence of each regression and improvement, then
// every compared metric folded away. Always within GitHub's comment size limit, however many metrics there are.
import { hooksLine } from './hooks.js'
import type { Results } from '../results/schema.js'
import type { Comparison } from '../stats/compare.js'
import { headlineValue } from '../stats/summary.js'
import { targetRows } from './data.js'
import { code, escapeMd, safeUrl } from './escape.js'
import { fmtUsd, fmtValue } from './format.js'
import {
  artifactContextLine,
  comparisonContext,
  sortVerdicts,
  verdictLine,
  verdictRow,
  verdictRowShort,
  VERDICT_HEADER,
  VERDICT_HEADER_SHORT
} from './verdicts.js'

/** Hidden marker that identifies our comment among the pull request's comments. */
export const COMMENT_MARKER = '<!-- swarm-bench: sticky -->'

/** GitHub rejects comment bodies longer than this. */
export const MAX_COMMENT_CHARS = 65_536

export interface CommentOptions {
  /** Link to the report artifact or the run page, shown at the end. */
  reportUrl?: string
  runUrl?: string
  /** Hard cap on the body length; default GitHub's limit. */
  maxChars?: number
}

const omittedLine = (n: number): string =>
  `\n\n_${n} more row${n === 1 ? '' : 's'} omitted — see the report artifact._`

/** A table with as many rows as fit in `budget` characters, then a line saying how many were left out. */
function budgetTable(header: string, rows: string[], budget: number): string {
  let text = header
  let shown = 0
  for (const row of rows) {
    const left = rows.length - shown - 1
    const reserve = left > 0 ? omittedLine(left).length : 0
    if (text.length + 1 + row.length + reserve > budget) break
    text += '\n' + row
    shown++
  }
  if (shown < rows.length) {
    const tail = omittedLine(rows.length - shown)
    // Not even one row fits: the table is dropped and only the count remains.
    return shown === 0 ? tail.trimStart() : text + tail
  }
  return text
}

export function renderComment(results: Results, comparison?: Comparison, opts: CommentOptions = {}): string {
  const max = Math.min(opts.maxChars ?? MAX_COMMENT_CHARS, MAX_COMMENT_CHARS)
  const head: string[] = [COMMENT_MARKER, `### ${verdictLine(comparison)} — swarm benchmarks`, '']
  const run = results.run
  head.push(
    `<sub>Provider ${code(run.provider)}, profile ${code(run.profile)}${run.git?.sha ? `, commit ${code(run.git.sha.slice(0, 12))}` : ''}; ` +
      `cost ${fmtUsd(results.cost.usd)}${results.cost.estimated ? ' (estimated as if on E2B)' : ''}.</sub>`,
    ''
  )
  if (comparison?.status === 'compared') {
    head.push(comparisonContext(comparison), '')
    for (const w of comparison.warnings) head.push(`> ⚠️ ${escapeMd(w, 300)}`, '')
  }
  const artifactLine = comparison && artifactContextLine(comparison)
  if (artifactLine) head.push(`<sub>${artifactLine}</sub>`, '')
  const hooks = hooksLine(results)
  if (hooks) head.push(`<sub>${hooks}</sub>`, '')
  if (!run.complete) head.push('> ⚠️ This run was incomplete: some benchmarks did not finish.', '')
  const errored = results.benchmarks.filter(b => b.status === 'error')
  if (errored.length) {
    head.push(
      `💥 ${errored.length} benchmark(s) errored: ` +
        errored
          .slice(0, 10)
          .map(b => `${code(b.id)} (${escapeMd(b.error ?? 'no message', 120)})`)
          .join(', ') +
        (errored.length > 10 ? `, … ${errored.length - 10} more` : ''),
      ''
    )
  }
  const missed = targetRows(results).filter(t => !t.met)
  if (missed.length) {
    head.push(
      `🎯 ${missed.length} target(s) missed: ` +
        missed
          .slice(0, 10)
          .map(
            t =>
              `${escapeMd(t.metric.name, 80)} ${t.metric.target?.stat} ${fmtValue(t.measured, escapeMd(t.metric.unit, 20))} ` +
              `(target ${escapeMd(t.metric.target?.op)} ${fmtValue(t.metric.target?.value, escapeMd(t.metric.unit, 20))})`
          )
          .join(', ') +
        (missed.length > 10 ? `, … ${missed.length - 10} more` : ''),
      ''
    )
  }
  const links = [
    safeUrl(opts.reportUrl) ? `[full report](${safeUrl(opts.reportUrl)})` : undefined,
    safeUrl(opts.runUrl) ? `[workflow run](${safeUrl(opts.runUrl)})` : undefined
  ].filter(Boolean)
  const footer = `\n\n${links.length ? links.join(' · ') : 'The full report is in the run’s artifacts.'}\n`

  let body = head.join('\n')
  const room = (): number => max - body.length - footer.length
  if (comparison?.status === 'compared') {
    const sorted = sortVerdicts(comparison.verdicts)
    const sections: { title: string; header: string; rows: string[]; share: number }[] = [
      {
        title: '#### Regressions',
        header: VERDICT_HEADER_SHORT,
        rows: comparison.regressions.map(verdictRowShort),
        share: 0.6
      },
      {
        title: '#### Improvements',
        header: VERDICT_HEADER_SHORT,
        rows: comparison.improvements.map(verdictRowShort),
        share: 0.5
      }
    ]
    for (const s of sections) {
      if (!s.rows.length) continue
      const prefix = `\n${s.title}\n\n`
      const budget = Math.floor((room() - prefix.length) * s.share)
      if (budget <= 0) break
      body += prefix + budgetTable(s.header, s.rows, budget)
    }
    if (sorted.length) {
      const open = `\n\n<details><summary>All ${sorted.length} gated metric(s)</summary>\n\n`
      const close = '\n\n</details>'
      const budget = room() - open.length - close.length
      if (budget > 0) body += open + budgetTable(VERDICT_HEADER, sorted.map(verdictRow), budget) + close
    }
  } else {
    // Nothing to compare against: show what was measured, so the comment is still useful.
    const rows = results.benchmarks.flatMap(b =>
      b.metrics
        .filter(m => m.gate)
        .map(
          m =>
            `| ${code(b.id)} / ${escapeMd(m.name, 120)} | ${m.summary.n} | ${m.summary.n ? fmtValue(headlineValue(m.summary), escapeMd(m.unit, 20)) : '—'} (${m.summary.headline}) | ${m.summary.n ? fmtValue(m.summary.p95, escapeMd(m.unit, 20)) : '—'} |`
        )
    )
    if (rows.length) {
      const open = `\n\n<details><summary>${rows.length} measured gated metric(s)</summary>\n\n`
      const close = '\n\n</details>'
      const header = '| Metric | n | Headline | p95 |\n|---|---:|---:|---:|'
      const budget = room() - open.length - close.length
      if (budget > 0) body += open + budgetTable(header, rows, budget) + close
    }
  }
  body += footer
  // Belt and braces: the budgets above keep within the cap; never let a miscount reach GitHub.
  if (body.length > max) body = body.slice(0, max - 40) + '\n\n_(truncated to the comment limit)_\n'
  return body
}
