// The job summary ($GITHUB_STEP_SUMMARY): verdict, missed targets, cost and where the full report is.
import type { Results } from '../results/schema.js'
import type { Comparison } from '../stats/compare.js'
import { targetRows } from './data.js'
import { code, escapeMd, safeUrl } from './escape.js'
import { fmtDuration, fmtUsd, fmtValue } from './format.js'
import { trendSection } from './trend.js'
import {
  artifactContextLine,
  comparisonContext,
  verdictLine,
  verdictRowShort,
  VERDICT_HEADER_SHORT
} from './verdicts.js'

export interface JobSummaryOptions {
  /** Name of the uploaded report artifact. */
  artifactName?: string
  reportUrl?: string
  commentUrl?: string
  runUrl?: string
  /** Rows per table at most. Default 25. */
  maxRows?: number
}

export function renderJobSummary(
  results: Results,
  comparison?: Comparison,
  opts: JobSummaryOptions = {}
): string {
  const maxRows = opts.maxRows ?? 25
  const out: string[] = [`## Swarm benchmarks: ${verdictLine(comparison)}`, '']
  const counts = { passed: 0, failed: 0, error: 0, skipped: 0 }
  for (const b of results.benchmarks) counts[b.status]++
  out.push(
    `Provider ${code(results.run.provider)}, profile ${code(results.run.profile)}, ran ${fmtDuration(results.run.durationMs)}` +
      `${results.run.complete ? '' : ' (**incomplete**)'}.`,
    '',
    '| ✅ passed | ❌ failed | 💥 error | ⏭️ skipped |',
    '|---:|---:|---:|---:|',
    `| ${counts.passed} | ${counts.failed} | ${counts.error} | ${counts.skipped} |`,
    ''
  )
  const missed = targetRows(results).filter(t => !t.met)
  if (missed.length) {
    out.push(
      `### Targets missed (${missed.length})`,
      '',
      '| Benchmark | Metric | Measured | Target |',
      '|---|---|---:|---|',
      ...missed.slice(0, maxRows).map(t => {
        const unit = escapeMd(t.metric.unit, 20)
        const target = t.metric.target
        return (
          `| ${code(t.bench.id)} | ${escapeMd(t.metric.name, 120)} | ${t.metric.summary.n > 0 ? `${target?.stat} ${fmtValue(t.measured, unit)}` : 'not measured'} | ` +
          `${escapeMd(target?.op)} ${fmtValue(target?.value, unit)} |`
        )
      }),
      ...(missed.length > maxRows ? ['', `${missed.length - maxRows} more in the report.`] : []),
      ''
    )
  } else {
    out.push(`Targets: ${targetRows(results).length ? 'all met' : 'none declared'}.`, '')
  }
  for (const b of results.benchmarks.filter(x => x.status === 'error').slice(0, maxRows)) {
    out.push(`- 💥 ${code(b.id)}: ${escapeMd(b.error ?? 'no message', 300)}`)
  }
  if (counts.error) out.push('')
  if (comparison?.status === 'compared') {
    out.push(comparisonContext(comparison), '')
    for (const w of comparison.warnings) out.push(`> ⚠️ ${escapeMd(w, 300)}`, '')
    const artifactLine = artifactContextLine(comparison)
    if (artifactLine) out.push(artifactLine, '')
    for (const [title, list] of [
      ['Regressions', comparison.regressions],
      ['Improvements', comparison.improvements]
    ] as const) {
      if (!list.length) continue
      out.push(
        `### ${title} (${list.length})`,
        '',
        VERDICT_HEADER_SHORT,
        ...list.slice(0, maxRows).map(verdictRowShort)
      )
      if (list.length > maxRows) out.push('', `${list.length - maxRows} more in the report.`)
      out.push('')
    }
  }
  if (comparison?.trend) {
    out.push(
      '### Trend over the history',
      '',
      ...trendSection(comparison.trend, { maxPoints: 30, maxLines: 4, maxRows: 15, maxSteps: 5, level: 4 }),
      ''
    )
  }
  out.push(
    `**Cost:** ${fmtUsd(results.cost.usd)}${results.cost.estimated ? ' (estimated as if on E2B)' : ''} — ` +
      `${results.cost.sandboxes} sandbox(es), ${fmtDuration(results.cost.sandboxSeconds * 1000)} of sandbox time.`,
    ''
  )
  const links: string[] = []
  const report = safeUrl(opts.reportUrl)
  if (report) links.push(`[Full report](${report})`)
  else links.push(`Full report: artifact ${code(opts.artifactName ?? 'swarm-bench-report')} of this run`)
  if (safeUrl(opts.commentUrl)) links.push(`[PR comment](${safeUrl(opts.commentUrl)})`)
  if (safeUrl(opts.runUrl)) links.push(`[Workflow run](${safeUrl(opts.runUrl)})`)
  out.push(links.join(' · '))
  return out.join('\n') + '\n'
}
