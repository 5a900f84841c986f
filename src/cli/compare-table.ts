// Plain-text table of a Comparison for `swarm-bench compare`: one row per gated metric, worst first.
import { formatP, type Comparison, type MetricVerdict } from '../stats/compare.js'

const ORDER: Record<MetricVerdict['verdict'], number> = {
  regression: 0,
  improvement: 1,
  'insufficient-data': 2,
  unchanged: 3,
  new: 4,
  missing: 5
}

const num = (x: number | undefined): string => {
  if (x === undefined || !Number.isFinite(x)) return '—'
  const a = Math.abs(x)
  if (a !== 0 && (a < 0.01 || a >= 1e6)) return x.toExponential(2)
  return x.toFixed(a < 10 ? 3 : a < 1000 ? 1 : 0)
}
const pct = (x: number | undefined): string =>
  x === undefined ? '—' : `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`

export function renderComparisonTable(c: Comparison): string {
  const lines: string[] = []
  if (c.status === 'no-baseline') return `no baseline: ${c.reason}\n`
  // Per-benchmark thresholds (--thresholds) are listed, so the reader knows which metrics were judged otherwise.
  const overrides = Object.entries(c.options.thresholds ?? {}).map(([k, v]) => `${k} ${v}%`)
  lines.push(
    `${c.regressions.length} regression(s), ${c.improvements.length} improvement(s), ${c.counts.unchanged} unchanged ` +
      `(${c.tested} metric(s) tested; threshold ${c.options.thresholdPct}%` +
      `${overrides.length ? ` except ${overrides.join(', ')}` : ''}, alpha ${c.options.alpha})`
  )
  for (const w of c.warnings) lines.push(`warning: ${w}`)
  const header = [
    'verdict',
    'metric',
    'unit',
    'baseline',
    'head',
    'change',
    'interval',
    'p (adj)',
    'noise ±1σ'
  ]
  const rows = [...c.verdicts]
    .sort((a, b) => ORDER[a.verdict] - ORDER[b.verdict] || a.key.localeCompare(b.key))
    .map(v => [
      v.verdict,
      v.key,
      v.unit,
      num(v.baseline),
      num(v.head),
      pct(v.changePct),
      v.interval ? `${pct(v.interval.lowPct)}..${pct(v.interval.highPct)}` : '—',
      v.p === undefined ? '—' : `${formatP(v.p)} (${v.pAdjusted === undefined ? '—' : formatP(v.pAdjusted)})`,
      v.noise ? `${pct(v.noise.lowPct)}..${pct(v.noise.highPct)}` : '—'
    ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)))
  const fmt = (r: string[]): string =>
    r
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd()
  lines.push('', fmt(header), widths.map(w => '-'.repeat(w)).join('  '))
  for (const r of rows) lines.push(fmt(r))
  return `${lines.join('\n')}\n`
}
