import { describe, expect, it } from 'vitest'
import { makeMetric } from '../src/results/metric.js'
import type { HistoryEntry, Results } from '../src/results/schema.js'
import { renderJobSummary, renderReport } from '../src/report/index.js'
import { sparkline, stepLines, trendSection } from '../src/report/trend.js'
import { mulberry32 } from '../src/stats/bootstrap.js'
import { compareResults } from '../src/stats/compare.js'
import { analyseTrend } from '../src/stats/trend.js'
import { benchOf, resultsOf } from './support/results.js'

const DECISION = 'trading.consensus/decision_ms'
const THROUGHPUT = 'communication.message-throughput/saturated_msg_per_s'
const CONTEXT = 'communication.message-throughput/batch_ms'

function current(decisionMs: number, msgPerS: number): Results {
  const metric = (name: string, v: number, direction: 'lower' | 'higher', gate: boolean) =>
    makeMetric({
      name,
      unit: direction === 'lower' ? 'ms' : 'msg/s',
      direction,
      source: 'agent',
      samples: [v, v, v],
      gate
    })
  const r = resultsOf([
    benchOf('trading.consensus', [metric('decision_ms', decisionMs, 'lower', true)], { category: 'trading' }),
    benchOf('communication.message-throughput', [
      metric('saturated_msg_per_s', msgPerS, 'higher', false),
      metric('batch_ms', 5, 'lower', false)
    ])
  ])
  return { ...r, run: { ...r.run, git: { runId: 'now', sha: 'f'.repeat(40) } } }
}

/**
 * `runs` earlier runs, stored newest first as the baseline keeps them; oldest-first index i is run `h<i>`. The
 * decision time is ×(1 + step) from run `at` on; throughput is flat; 3 % noise.
 */
function historyOf(runs: number, at: number, stepPct: number, seed = 1): HistoryEntry[] {
  const rand = mulberry32(seed)
  const noise = (): number => Math.exp(0.03 * (rand() + rand() + rand() - 1.5) * 2)
  return Array.from({ length: runs }, (_, i) => ({
    runId: `h${i}`,
    sha: `${String(i).padStart(4, '0')}${'a'.repeat(36)}`,
    startedAt: `2026-10-${String(1 + (i % 28)).padStart(2, '0')}T00:00:00Z`,
    values: {
      [DECISION]: 10 * (i >= at ? 1 + stepPct / 100 : 1) * noise(),
      [THROUGHPUT]: 1000 * noise(),
      [CONTEXT]: 5
    }
  })).reverse()
}

describe('analyseTrend', () => {
  it('puts the history oldest first, the current run last, and finds the injected step at its run', () => {
    const r = { ...current(12, 1000), history: historyOf(59, 40, 20) }
    const t = analyseTrend(r, { thresholdPct: 10 })
    expect(t.runs).toHaveLength(60)
    expect(t.runs[0].runId).toBe('h0')
    expect(t.runs[59]).toMatchObject({ runId: 'now', current: true })
    // Gated headlines and duet headlines only: batch_ms is context.
    expect(t.series.map(s => s.key).sort()).toEqual([THROUGHPUT, DECISION].sort())
    const d = t.series.find(s => s.key === DECISION)!
    expect(d.values[0]).toBeCloseTo(10, -1)
    expect(d.values[59]).toBe(12)
    expect(Math.abs(d.step!.runIndex - 40)).toBeLessThanOrEqual(1)
    expect(d.step!.run.runId).toBe(`h${d.step!.runIndex}`)
    expect(d.step!.changePct).toBeGreaterThan(15)
    expect(d.step!.worse).toBe(true)
    expect(d.step!.runsSince).toBe(60 - d.step!.runIndex)
    expect(t.series.find(s => s.key === THROUGHPUT)!.step).toBeUndefined()
    // Reproducible: the same history gives the same trend.
    expect(analyseTrend(r, { thresholdPct: 10 })).toEqual(t)
  })

  it('maps a step back to its run when some runs did not measure the metric', () => {
    const history = historyOf(59, 40, 25).map((h, i) =>
      i % 7 === 3 ? { ...h, values: { [THROUGHPUT]: 1000 } } : h
    )
    const t = analyseTrend({ ...current(12.5, 1000), history }, { thresholdPct: 10 })
    const d = t.series.find(s => s.key === DECISION)!
    expect(d.values.filter(v => v === null).length).toBe(8)
    expect(Math.abs(d.step!.runIndex - 40)).toBeLessThanOrEqual(1)
    expect(d.values[d.step!.runIndex]).not.toBeNull()
  })

  it('reports no step without one, and nothing to search in a short history', () => {
    const flat = analyseTrend({ ...current(10, 1000), history: historyOf(59, 99, 0) }, { thresholdPct: 10 })
    expect(flat.series.every(s => !s.step)).toBe(true)
    expect(stepLines(flat)[0]).toMatch(
      /^No step of 10 % or more that persists in 2 gated headline\(s\) over 60 run\(s\)/
    )
    const short = analyseTrend({ ...current(20, 1000), history: historyOf(4, 2, 50) }, { thresholdPct: 10 })
    expect(short.series.every(s => !s.step)).toBe(true)
    expect(stepLines(short)[0]).toMatch(/holds 5 run\(s\) with this one; steps are searched from 6/)
  })
})

describe('rendering the trend', () => {
  const r = { ...current(12, 1000), history: historyOf(59, 40, 20) }
  const comparison = { ...compareResults(undefined, r), trend: analyseTrend(r, { thresholdPct: 10 }) }
  const d = comparison.trend.series.find(s => s.key === DECISION)!
  const at = d.step!.runIndex
  const sha7 = `${String(at).padStart(4, '0')}aaa`
  const line = new RegExp(
    `since run h${at} \\(\`${sha7}\`\\), \`trading\\.consensus/decision_ms\` stepped \\+(1[5-9]|2[0-5]) % \\(worse: .* change point p 0\\.001\\)`
  )

  it('the report shows the step line, a chart per category with the current run marked, and the table', () => {
    const md = renderReport(r, comparison)
    expect(md).toMatch(line)
    expect(md).toContain('## Trend over the history')
    // Executive summary too, before the trend section.
    expect(md.indexOf('**Change points over the history**')).toBeLessThan(
      md.indexOf('## Trend over the history')
    )
    const charts = md.match(
      /```mermaid\n%%\{init: \{"themeVariables": \{"xyChart": \{"plotColorPalette": "#1f77b4[^\n]*\nxychart-beta\n[^`]*```/g
    )!
    expect(charts).toHaveLength(2) // trading and communication
    // 50 newest runs drawn, the last labelled as this run.
    expect(charts[0]).toMatch(/x-axis "runs before this one" \["-49", "-48", [^\]]*"-1", "this run"\]/)
    expect(charts[0].match(/\n {2}line \[/g)).toHaveLength(1)
    // Text fallback: the same runs, the current in brackets, the step and the line's colour.
    const row = md.split('\n').find(l => l.startsWith('| `trading.consensus/decision_ms`'))!
    expect(row).toMatch(/\| blue \| 12 ms \|/)
    expect(row).toMatch(/\[[▁▂▃▄▅▆▇█]\] \|/)
    expect(row).toMatch(new RegExp(`since run h${at} .*⚠️`))
    expect(md).not.toContain('batch_ms')
  })

  it('the job summary shows the step line and a smaller trend', () => {
    const s = renderJobSummary(r, comparison)
    expect(s).toMatch(line)
    expect(s).toContain('### Trend over the history')
    expect(s).toMatch(/x-axis "runs before this one" \["-29", [^\]]*"this run"\]/)
  })

  it('no trend, no section: pull request runs do not search the history', () => {
    const plain = compareResults(undefined, r)
    expect(renderReport(r, plain)).not.toContain('Trend over the history')
    expect(renderJobSummary(r, plain)).not.toContain('Trend over the history')
  })

  it('keeps a chart to its line cap and says how many are in the table only', () => {
    const twin = { ...d, key: 'trading.consensus/vote_ms', metric: 'vote_ms' }
    const trend = { ...comparison.trend, series: [...comparison.trend.series, twin] }
    const out = trendSection(trend, { maxLines: 1 }).join('\n')
    expect(out).toContain('1 more headline(s) of this category are in the table only.')
  })

  it('sparkline: eight levels over the own range, gaps dotted, the current run in brackets', () => {
    expect(sparkline([1, null, 2, 3, 5])).toBe('▁·▃▅[█]')
    expect(sparkline([4, 4, 4])).toBe('▄▄[▄]')
  })
})
