// A compact plain-text summary for the CLI: one line per metric, aligned columns, no Markdown, no control chars.
import type { Results } from '../results/schema.js'
import type { Comparison } from '../stats/compare.js'
import { consoleText } from './escape.js'
import { fmtDuration, fmtNum, fmtP, fmtPct, fmtUsd } from './format.js'

export interface ConsoleOptions {
  /** Widest a text column may get. Default 40. */
  maxColumnWidth?: number
}

function table(rows: string[][], maxWidth: number): string {
  const cells = rows.map(r => r.map(c => consoleText(c, maxWidth)))
  const widths = cells[0].map((_, i) => Math.max(...cells.map(r => Array.from(r[i] ?? '').length)))
  return cells
    .map(r =>
      r
        .map((c, i) => c + ' '.repeat(widths[i] - Array.from(c).length))
        .join('  ')
        .trimEnd()
    )
    .join('\n')
}

export function renderConsoleSummary(
  results: Results,
  comparison?: Comparison,
  opts: ConsoleOptions = {}
): string {
  const w = opts.maxColumnWidth ?? 40
  const run = results.run
  const lines: string[] = [
    `swarm-bench ${consoleText(results.tool.version, 20)}: provider ${run.provider}, profile ${consoleText(run.profile, 40)}, ` +
      `${fmtDuration(run.durationMs)}${run.complete ? '' : ' (incomplete)'}, cost ${fmtUsd(results.cost.usd)}` +
      `${results.cost.estimated ? ' (estimated as if on E2B)' : ''}`,
    ''
  ]
  const verdicts = new Map((comparison?.verdicts ?? []).map(v => [v.key, v]))
  const rows: string[][] = [
    ['benchmark', 'status', 'metric', 'n', 'median', 'p95', 'unit', 'target', 'vs baseline']
  ]
  for (const b of results.benchmarks) {
    if (!b.metrics.length)
      rows.push([
        b.id,
        b.status,
        b.status === 'error' ? `error: ${b.error ?? ''}` : '-',
        '',
        '',
        '',
        '',
        '',
        ''
      ])
    for (const m of b.metrics) {
      const s = m.summary
      const target = m.target
        ? `${m.target.stat} ${m.target.op} ${fmtNum(m.target.value)} ${m.targetMet ? 'met' : 'MISSED'}`
        : ''
      const v = verdicts.get(`${b.id}/${m.name}`)
      const vs = v ? `${v.verdict}${v.changePct !== undefined ? ` ${fmtPct(v.changePct)}` : ''}` : ''
      rows.push([
        b.id,
        b.status,
        m.name,
        String(s.n),
        s.n ? fmtNum(s.median) : '-',
        s.n ? fmtNum(s.p95) : '-',
        m.unit,
        target,
        vs
      ])
    }
  }
  lines.push(table(rows, w), '')
  if (!comparison) lines.push('verdict: not compared')
  else if (comparison.status === 'no-baseline')
    lines.push(`verdict: no baseline (${consoleText(comparison.reason, 200)})`)
  else {
    const r = comparison.regressions
    lines.push(
      `verdict: ${r.length ? `${r.length} regression(s)` : 'no regression'}, ${comparison.improvements.length} improvement(s), ` +
        `${comparison.tested} metric(s) tested`
    )
    for (const v of r.slice(0, 20)) {
      lines.push(
        `  REGRESSION ${consoleText(v.key, 120)}: ${fmtNum(v.baseline)} -> ${fmtNum(v.head)} ${consoleText(v.unit, 20)} ` +
          `(${fmtPct(v.changePct)}, p ${fmtP(v.p)}, Holm ${fmtP(v.pAdjusted)})`
      )
    }
    if (r.length > 20) lines.push(`  … ${r.length - 20} more regression(s) in the report`)
    for (const warn of comparison.warnings) lines.push(`  warning: ${consoleText(warn, 300)}`)
  }
  return lines.join('\n') + '\n'
}
