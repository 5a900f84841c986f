// github-action-benchmark's custom tools: `customSmallerIsBetter` and `customBiggerIsBetter` each read a JSON array
// of {name, unit, value, range?, extra?} (its src/extract.ts), so there is one file per metric direction.
import type { Direction, Results } from '../results/schema.js'
import { pct, type Comparison } from '../stats/compare.js'
import { headlineValue } from '../stats/describe.js'
import { exportedMetrics, short } from './metrics.js'
import { identity, type Exporter } from './types.js'

/** One entry of the custom tools' input (github-action-benchmark's `BenchmarkResult`). */
export interface CustomBenchmarkEntry {
  name: string
  unit: string
  value: number
  range?: string
  extra?: string
}

/** The metrics of one direction; a duet's base side and every verdict go in `extra` (the chart's tooltip). */
export function customBenchmarkEntries(
  results: Results,
  comparison: Comparison | undefined,
  direction: Direction,
  clean: (text: string) => string = identity
): CustomBenchmarkEntry[] {
  const verdicts = new Map((comparison?.verdicts ?? []).map(v => [v.key, v]))
  const baseSide = new Map<string, number>()
  for (const b of results.duet?.benchmarks ?? []) {
    for (const m of b.metrics)
      if (m.summary.n > 0) baseSide.set(`${b.id}/${m.name}`, headlineValue(m.summary))
  }
  const out: CustomBenchmarkEntry[] = []
  for (const { key, metric: m, value } of exportedMetrics(results)) {
    if (m.direction !== direction) continue
    const unit = m.unit ? ` ${m.unit}` : ''
    const ci = m.summary.ci
    const level = `${Math.round(ci.level * 100)}%`
    const extra = [
      `${m.summary.headline} of ${m.summary.n} samples, ${level} CI ${short(ci.low)}–${short(ci.high)}${unit}; ` +
        `${m.direction} is better`
    ]
    const base = baseSide.get(key)
    if (results.duet && base !== undefined) {
      const sha = results.duet.base.sha ? ` ${results.duet.base.sha.slice(0, 12)}` : ''
      extra.push(`duet base (${results.duet.base.ref}${sha}): ${short(base)}${unit}`)
    }
    const v = verdicts.get(key)
    if (v) {
      const change = v.changePct !== undefined ? ` ${pct(v.changePct)}` : ''
      const p = v.pAdjusted ?? v.p
      extra.push(`verdict: ${v.verdict}${change}${p !== undefined ? `, p ${short(p)}` : ''}`)
    }
    out.push({
      name: clean(key),
      unit: clean(m.unit),
      value,
      // `± x` is the form the tool parses (and rescales with the unit); the wider side keeps it conservative.
      range: `± ${short(Math.max(ci.high - value, value - ci.low, 0))}`,
      extra: clean(extra.join('\n'))
    })
  }
  return out
}

const customExporter = (direction: Direction): Exporter => {
  const bigger = direction === 'higher'
  return {
    id: bigger ? 'bigger-is-better' : 'smaller-is-better',
    fileName: bigger ? 'swarm-bench-bigger-is-better.json' : 'swarm-bench-smaller-is-better.json',
    output: bigger ? 'bigger-is-better-path' : 'smaller-is-better-path',
    render: ({ results, comparison, clean }) => {
      const entries = customBenchmarkEntries(results, comparison, direction, clean)
      // The tool fails on an empty array ("No benchmark result was found"): no file, and an empty output, instead.
      return entries.length > 0 ? JSON.stringify(entries, null, 2) + '\n' : undefined
    }
  }
}

export const smallerIsBetterExporter = customExporter('lower')
export const biggerIsBetterExporter = customExporter('higher')
