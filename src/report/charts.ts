// Mermaid `xychart-beta` charts from measured series, each followed by a text table with the same numbers
// (GitHub renders Mermaid, but artifact viewers and screen readers may not; xychart has no legend either).
import type { Results } from '../results/schema.js'
import { fitPowerLaw } from '../stats/describe.js'
import { agentSeries, describeSeries, topologyGroups, type AgentSeries } from './data.js'
import { escapeMd, mermaidText } from './escape.js'
import { fmtNum, mermaidNumber } from './format.js'

export interface ChartSpec {
  title: string
  xLabel: string
  categories: string[]
  yLabel: string
  series: { kind: 'line' | 'bar'; values: number[] }[]
  /** Colours of the series in order (xychart has no legend: a table can then name each line by its colour). */
  palette?: string[]
}

export function mermaidChart(spec: ChartSpec): string {
  const cats = spec.categories.map(c => `"${mermaidText(c, 30)}"`).join(', ')
  const lines = [
    '```mermaid',
    ...(spec.palette?.length
      ? [`%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "${spec.palette.join(', ')}"}}}}%%`]
      : []),
    'xychart-beta',
    `  title "${mermaidText(spec.title, 80)}"`,
    `  x-axis "${mermaidText(spec.xLabel)}" [${cats}]`,
    `  y-axis "${mermaidText(spec.yLabel)}"`,
    ...spec.series.map(s => `  ${s.kind} [${s.values.map(mermaidNumber).join(', ')}]`),
    '```'
  ]
  return lines.join('\n')
}

/** Series over `labels.agents` that share benchmark, measure, unit and other labels: one chart, a line each. */
function groupForCharts(series: AgentSeries[]): AgentSeries[][] {
  const byKey = new Map<string, AgentSeries[]>()
  for (const s of series) {
    const key = JSON.stringify([s.bench.id, s.measure, s.unit, s.rest])
    const list = byKey.get(key) ?? []
    list.push(s)
    byKey.set(key, list)
  }
  const out: AgentSeries[][] = []
  for (const list of byKey.values()) {
    const xs = (s: AgentSeries): string => s.points.map(p => p.x).join(',')
    // xychart lines share one x axis: series measured at different sizes get their own chart.
    if (list.every(s => xs(s) === xs(list[0]))) out.push(list)
    else for (const s of list) out.push([s])
  }
  return out
}

export interface RenderedCharts {
  blocks: string[]
  omitted: number
}

/** Line charts over swarm size, with table fallbacks and the fitted scaling exponent of each line. */
export function agentCharts(results: Results, max: number): RenderedCharts {
  const groups = groupForCharts(agentSeries(results))
  const blocks: string[] = []
  for (const group of groups.slice(0, max)) {
    const first = group[0]
    const xs = first.points.map(p => p.x)
    const names = group.map(s => s.topology ?? first.measure)
    const title = `${first.measure}${first.rest ? ` (${first.rest})` : ''} by swarm size, ${first.bench.id}`
    const legend = group.length > 1 ? ` — lines in order: ${names.map(n => escapeMd(n, 40)).join(', ')}` : ''
    const header = `| agents | ${names.map(n => `${escapeMd(n, 40)} (${escapeMd(first.unit, 20)})`).join(' | ')} |`
    const sep = `|---:|${names.map(() => '---:').join('|')}|`
    const rows = xs.map((x, i) => `| ${x} | ${group.map(s => fmtNum(s.points[i].value)).join(' | ')} |`)
    const fits = group
      .map(s => {
        const fit = fitPowerLaw(
          s.points.map(p => p.x),
          s.points.map(p => p.value)
        )
        return fit
          ? `${escapeMd(s.topology ?? s.measure, 40)}: exponent ${fit.exponent.toFixed(2)} (R² ${fit.r2.toFixed(2)})`
          : undefined
      })
      .filter((t): t is string => t !== undefined)
    blocks.push(
      [
        `**${escapeMd(title, 160)}**${legend}`,
        '',
        mermaidChart({
          title,
          xLabel: 'agents',
          categories: xs.map(String),
          yLabel: first.unit,
          series: group.map(s => ({ kind: 'line', values: s.points.map(p => p.value) }))
        }),
        '',
        header,
        sep,
        ...rows,
        '',
        fits.length ? `Fitted y = a·agents^b on the headline values: ${fits.join('; ')}.` : ''
      ]
        .join('\n')
        .trimEnd()
    )
  }
  return { blocks, omitted: Math.max(0, groups.length - max) }
}

/** Bar charts of one measure per topology at one swarm size, with table fallbacks. */
export function topologyCharts(results: Results, max: number): RenderedCharts {
  // A measure already drawn as one line per topology over swarm size needs no bar chart per size as well.
  const drawn = new Set(
    groupForCharts(agentSeries(results))
      .filter(group => group.length > 1)
      .map(group => JSON.stringify([group[0].bench.id, group[0].measure, group[0].unit, group[0].rest]))
  )
  const groups = topologyGroups(results).filter(
    g => !drawn.has(JSON.stringify([g.bench.id, g.measure, g.unit, g.rest]))
  )
  const blocks: string[] = []
  for (const g of groups.slice(0, max)) {
    // Chart in a fixed (alphabetical) order so bars do not jump between runs; the table is best first.
    const ordered = [...g.entries].sort((a, b) =>
      a.topology < b.topology ? -1 : a.topology > b.topology ? 1 : 0
    )
    const title = `${describeSeries(g)} per topology, ${g.bench.id}`
    blocks.push(
      [
        `**${escapeMd(title, 160)}** (${g.direction} is better)`,
        '',
        mermaidChart({
          title,
          xLabel: 'topology',
          categories: ordered.map(e => e.topology),
          yLabel: g.unit,
          series: [{ kind: 'bar', values: ordered.map(e => e.value) }]
        }),
        '',
        `| topology | ${escapeMd(g.entries[0].metric.summary.headline)} (${escapeMd(g.unit, 20)}) | n |`,
        '|---|---:|---:|',
        ...g.entries.map(e => `| ${escapeMd(e.topology, 40)} | ${fmtNum(e.value)} | ${e.metric.summary.n} |`)
      ].join('\n')
    )
  }
  return { blocks, omitted: Math.max(0, groups.length - max) }
}
