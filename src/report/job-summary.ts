// The job summary ($GITHUB_STEP_SUMMARY): the same digest as the PR comment (headline, status, cost, one row per
// benchmark, evidence on demand), then the benchmarks' statuses, missed targets and where the full report is. On
// a fork's pull request, where no comment can be posted, it is the whole report a reviewer gets.
import type { Results } from '../results/schema.js'
import type { Comparison } from '../stats/compare.js'
import { targetRows } from './data.js'
import { code, escapeMd, safeUrl } from './escape.js'
import { fmtDuration, fmtValue } from './format.js'
import { renderDigest } from './pr-digest.js'
import { trendSection } from './trend.js'

export interface JobSummaryOptions {
  /** Name of the uploaded report artifact. */
  artifactName?: string
  reportUrl?: string
  commentUrl?: string
  runUrl?: string
  /** Rows of the missed-targets table at most. Default 25. */
  maxRows?: number
  prNumber?: number
  methodUrl?: string
  /** A pull request from a fork: the token is read-only, no comment is posted, this summary is the report. */
  fork?: boolean
}

/** GitHub accepts a job summary of up to 1 MiB; the digest keeps well inside it. */
const SUMMARY_DIGEST_CHARS = 200_000

export function renderJobSummary(
  results: Results,
  comparison?: Comparison,
  opts: JobSummaryOptions = {}
): string {
  const maxRows = opts.maxRows ?? 25
  const out: string[] = [
    renderDigest(results, comparison, {
      heading: '##',
      prNumber: opts.prNumber,
      methodUrl: opts.methodUrl,
      maxChars: SUMMARY_DIGEST_CHARS
    }),
    ''
  ]
  if (opts.fork)
    out.push(
      '> ℹ️ A pull request from a fork: its token is read-only, so no PR comment was posted. This summary is the report.',
      ''
    )
  const counts = { passed: 0, failed: 0, error: 0, skipped: 0 }
  for (const b of results.benchmarks) counts[b.status]++
  out.push(
    `### Run`,
    '',
    `Ran ${fmtDuration(results.run.durationMs)}${results.run.complete ? '' : ' (**incomplete**)'}; ` +
      `${results.cost.sandboxes} sandbox(es), ${fmtDuration(results.cost.sandboxSeconds * 1000)} of sandbox time.`,
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
  if (comparison?.trend) {
    out.push(
      '### Trend over the history',
      '',
      ...trendSection(comparison.trend, { maxPoints: 30, maxLines: 4, maxRows: 15, maxSteps: 5, level: 4 }),
      ''
    )
  }
  const links: string[] = []
  const report = safeUrl(opts.reportUrl)
  if (report) links.push(`[Full report](${report})`)
  else links.push(`Full report: artifact ${code(opts.artifactName ?? 'swarm-bench-report')} of this run`)
  if (safeUrl(opts.commentUrl)) links.push(`[PR comment](${safeUrl(opts.commentUrl)})`)
  if (safeUrl(opts.runUrl)) links.push(`[Workflow run](${safeUrl(opts.runUrl)})`)
  out.push(links.join(' · '))
  return out.join('\n') + '\n'
}
