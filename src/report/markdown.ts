// SWARM_BENCHMARKS_REPORT.md: every section is computed from the run's Results (and Comparison); there is no
// fixed claim, figure or recommendation in here.
//
// Conventions the benchmarks follow so the report can group and derive (all optional):
//   labels.topology  mesh | hierarchical | ring | star   — groups a measure per topology (winners, bar charts)
//   labels.agents    number of agents                    — series over swarm size (line charts, fitted exponents)
//   labels.phase     string, e.g. create | upload | start  — kept as a fixed label of a series
//   labels.measure   what is measured, when the metric name alone does not say; otherwise the measure is the
//                    metric name before its first dot (`consensus_ms.mesh.8` → `consensus_ms`)
//   metric names are unique within a benchmark
//   unit `usd/op`    a cost per operation: shown under cost analysis and projected onto daily volumes
//   unit `x`         a ratio such as a speedup
//   facts            `scaling_exponent.<metric>` (number) with `scaling_exponent_ci_low|high.<metric>` (its 95 %
//                    interval), `sublinear.<metric>` (boolean), `winner.<measure>` (topology name),
//                    `speedup.<what>` (number); any other fact is listed with its benchmark
import type { BenchmarkResult, Metric, Results } from '../results/schema.js'
import type { Comparison } from '../stats/compare.js'
import { BENCHMARK_IDS, CATEGORIES } from '../bench/catalog.js'
import { averageAllocation, projectAlwaysOn, projectCost } from '../cost/pricing.js'
import { fitPowerLaw } from '../stats/describe.js'
import { findProviderPlugin } from '../sandbox/registry.js'
import { agentCharts, topologyCharts } from './charts.js'
import { hooksSection } from './hooks.js'
import {
  agentSeries,
  agentsOf,
  allMetrics,
  clearlyBetter,
  describeSeries,
  factsWithPrefix,
  targetMargin,
  targetRows,
  topologyGroups,
  type TopologyGroup
} from './data.js'
import { code, escapeMd } from './escape.js'
import { CATEGORY_TITLES, fmtDuration, fmtNum, fmtP, fmtPct, fmtUsd, fmtValue } from './format.js'
import { comparisonContext, sortVerdicts, verdictLine, VERDICT_ICON } from './verdicts.js'
import { stepLines, trendSection } from './trend.js'

export interface ReportOptions {
  /** Shown under "How to reproduce"; default `npx swarm-bench run` with the run's provider and profile. */
  reproduceCommand?: string
  /** Charts of each kind (series over size, per-topology) at most. Default 24. */
  maxCharts?: number
  /** Daily volumes the measured cost per operation is projected onto (scenarios). */
  projectionOpsPerDay?: number[]
  /** Recommendations at most. Default 40. */
  maxRecommendations?: number
}

const STATUS_ICON: Record<BenchmarkResult['status'], string> = {
  passed: '✅',
  failed: '❌',
  error: '💥',
  skipped: '⏭️'
}

const isUsdPerOp = (unit: string): boolean => /^(usd|\$)\s*(\/|per)\s*op/i.test(unit.trim())
const isUsd = (unit: string): boolean => /^(usd|\$)/i.test(unit.trim())

const levelText = (level: number): string => {
  const pct = level * 100
  return `${Number.isInteger(Math.round(pct * 10) / 10) ? pct.toFixed(0) : pct.toFixed(1)}%`
}

function ciCell(m: Metric): string {
  const ci = m.summary.ci
  if (m.summary.n < 2 || ci.level === 0) return '—'
  return `${fmtNum(ci.low)} … ${fmtNum(ci.high)} (${levelText(ci.level)}, ${m.summary.headline})`
}

function targetCell(m: Metric): string {
  if (!m.target) return '—'
  return `${m.target.stat} ${escapeMd(m.target.op)} ${fmtValue(m.target.value, escapeMd(m.unit, 20))}`
}

const metCell = (m: Metric): string => (m.target ? (m.targetMet ? '✅ met' : '❌ missed') : '—')

/** `95 % CI low … high` of a scaling fact's exponent (prefixed by `sep`), or empty when it has none. */
function ciText(f: { bench: BenchmarkResult; subject: string }, sep = ' '): string {
  const low = f.bench.facts?.[`scaling_exponent_ci_low.${f.subject}`]
  const high = f.bench.facts?.[`scaling_exponent_ci_high.${f.subject}`]
  if (typeof low !== 'number' || typeof high !== 'number') return ''
  const ci = `95 % CI ${low.toFixed(2)} … ${high.toFixed(2)}`
  return sep === ' ' ? ` (${ci})` : `${sep}${ci}`
}

function factValue(v: string | number | boolean): string {
  if (typeof v === 'boolean') return v ? 'yes' : 'no'
  if (typeof v === 'number') return fmtNum(v)
  return escapeMd(v, 200)
}

function paramsText(params: Record<string, unknown>): string {
  const parts = Object.entries(params ?? {}).map(([k, v]) => {
    let text: string
    try {
      text = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v))
    } catch {
      text = String(v)
    }
    return `${escapeMd(k, 40)}=${escapeMd(text, 80)}`
  })
  return parts.slice(0, 20).join(', ') + (parts.length > 20 ? `, … ${parts.length - 20} more` : '')
}

function section(title: string, body: string[]): string {
  return [`## ${title}`, '', ...body].join('\n').trimEnd()
}

// ---------------------------------------------------------------- sections

function executiveSummary(results: Results, comparison: Comparison | undefined): string {
  const run = results.run
  const counts = { passed: 0, failed: 0, error: 0, skipped: 0 }
  for (const b of results.benchmarks) counts[b.status]++
  const targets = targetRows(results)
  // What the provider says of its runs' targets (local: loopback cannot judge a network's latency).
  const notes = findProviderPlugin(run.provider)?.notes
  const met = targets.filter(t => t.met).length
  const out: string[] = []
  out.push(
    `Provider ${code(run.provider)}${results.cost.estimated ? ' (costs estimated as if on E2B)' : ''}, profile ${code(run.profile)}, ` +
      `started ${escapeMd(run.startedAt, 40)}, ran ${fmtDuration(run.durationMs)}` +
      `${run.git?.sha ? `, commit ${code(run.git.sha.slice(0, 12))}` : ''}${run.git?.ref ? ` on ${escapeMd(run.git.ref, 100)}` : ''}.`
  )
  if (!run.complete)
    out.push(
      '',
      '> ⚠️ **Partial run**: it was interrupted or stopped by a fatal error; missing figures were not measured.'
    )
  out.push(
    '',
    '| Benchmarks | ✅ passed | ❌ failed | 💥 error | ⏭️ skipped |',
    '|---:|---:|---:|---:|---:|',
    `| ${results.benchmarks.length} | ${counts.passed} | ${counts.failed} | ${counts.error} | ${counts.skipped} |`,
    ''
  )
  if (comparison) out.push(`**Regression check:** ${verdictLine(comparison)}`, '')
  if (comparison?.trend)
    out.push(
      `**Change points over the history** (see [Trend](#trend-over-the-history)):`,
      '',
      ...stepLines(comparison.trend),
      ''
    )
  out.push(
    `**Cost:** ${fmtUsd(results.cost.usd)}${results.cost.estimated ? ' (estimated as if on E2B)' : ''} for ` +
      `${results.cost.sandboxes} sandbox(es) alive ${fmtNum(results.cost.sandboxSeconds)} s in total.`,
    ''
  )
  if (targets.length === 0) {
    out.push('**Targets:** no metric of this run declares a target.')
  } else {
    out.push(
      `**Targets:** ${met} of ${targets.length} met.` + (notes?.targets ? ` ${notes.targets}` : ''),
      '',
      '| Benchmark | Metric | Target | Measured | Margin | Result |',
      '|---|---|---|---:|---:|---|',
      ...targets.map(t => {
        const margin = targetMargin(t.metric.target?.op, t.metric.target?.value, t.measured)
        return (
          `| ${code(t.bench.id)} | ${escapeMd(t.metric.name, 120)} | ${targetCell(t.metric)} (${t.metric.target?.source}) | ` +
          `${t.metric.summary.n > 0 ? `${t.metric.target?.stat} ${fmtValue(t.measured, escapeMd(t.metric.unit, 20))}` : 'not measured'} | ` +
          `${margin === undefined ? '—' : `${fmtNum(margin)}×`} | ${metCell(t.metric)} |`
        )
      })
    )
  }
  return section('Executive summary', out)
}

function benchmarkBlock(b: BenchmarkResult): string {
  const out: string[] = [`#### ${escapeMd(b.title || b.id, 200)} (${code(b.id)})`, '']
  out.push(`${STATUS_ICON[b.status]} ${b.status}, took ${fmtDuration(b.durationMs)}.`)
  const params = paramsText(b.params)
  if (params) out.push('', `Parameters: ${params}`)
  if (b.status === 'error')
    out.push('', `> 💥 **Error:** ${escapeMd(b.error ?? 'no error message was recorded', 1000)}`)
  else if (b.error) out.push('', `> ⚠️ ${escapeMd(b.error, 1000)}`)
  if (b.metrics.length) {
    out.push(
      '',
      '| Metric | Source | Unit | n | Median | p95 | p99 | CI | Target | Met |',
      '|---|---|---|---:|---:|---:|---:|---|---|---|',
      ...b.metrics.map(m => {
        const s = m.summary
        const v = (x: number): string => (s.n > 0 ? fmtNum(x) : '—')
        return (
          `| ${escapeMd(m.name, 120)}${m.gate ? '' : ' (context)'} | ${m.source} | ${escapeMd(m.unit, 20)} | ${s.n} | ` +
          `${v(s.median)} | ${v(s.p95)} | ${v(s.p99)} | ${ciCell(m)} | ${targetCell(m)} | ${metCell(m)} |`
        )
      })
    )
  } else if (b.status !== 'error') {
    out.push('', 'No metric was recorded.')
  }
  const facts = Object.entries(b.facts ?? {})
  if (facts.length) {
    out.push(
      '',
      'Facts measured:',
      '',
      ...facts.slice(0, 50).map(([k, v]) => `- ${escapeMd(k, 120)}: ${factValue(v)}`)
    )
    if (facts.length > 50) out.push(`- … ${facts.length - 50} more`)
  }
  return out.join('\n')
}

function performance(results: Results): string {
  const out: string[] = []
  const categories = [...CATEGORIES, ...new Set(results.benchmarks.map(b => b.category))].filter(
    (c, i, all) => all.indexOf(c) === i
  )
  for (const c of categories) {
    const benches = results.benchmarks.filter(b => b.category === c)
    if (!benches.length) continue
    out.push(`### ${CATEGORY_TITLES[c] ?? escapeMd(c)}`, '', ...benches.flatMap(b => [benchmarkBlock(b), '']))
  }
  if (!out.length) out.push('This run recorded no benchmark.')
  return section('Performance metrics', out)
}

function scalability(results: Results): string {
  const out: string[] = []
  const series = agentSeries(results)
  if (series.length) {
    out.push(
      'Headline values of every measure recorded at several swarm sizes, with y = a·agents^b fitted on log–log axes ' +
        '(b < 1: grows sub-linearly; b ≈ 1: linearly; b > 1: faster than linearly).',
      '',
      '| Benchmark | Series | Unit | Values by agents | Fitted b | R² |',
      '|---|---|---|---|---:|---:|'
    )
    for (const s of series) {
      const fit = fitPowerLaw(
        s.points.map(p => p.x),
        s.points.map(p => p.value)
      )
      out.push(
        `| ${code(s.bench.id)} | ${escapeMd(describeSeries(s), 160)} | ${escapeMd(s.unit, 20)} | ` +
          `${s.points.map(p => `${p.x}: ${fmtNum(p.value)}`).join(', ')} | ${fit ? fit.exponent.toFixed(2) : '—'} | ${fit ? fit.r2.toFixed(2) : '—'} |`
      )
    }
  } else {
    out.push('No metric of this run varies `labels.agents`, so there is no series over swarm size.')
  }
  const facts = [...factsWithPrefix(results, 'scaling_exponent'), ...factsWithPrefix(results, 'sublinear')]
  if (facts.length) {
    out.push(
      '',
      'Scaling facts reported by the benchmarks:',
      '',
      '| Benchmark | Fact | Value |',
      '|---|---|---:|',
      ...facts.map(
        f => `| ${code(f.bench.id)} | ${escapeMd(f.key, 160)} | ${factValue(f.value)}${ciText(f)} |`
      )
    )
  }
  return section('Scalability', out)
}

function resources(results: Results): string {
  const out: string[] = []
  const rows = allMetrics(results).filter(r => r.bench.category === 'resources')
  if (rows.length) {
    out.push(
      '| Benchmark | Metric | Unit | n | Median | p95 | Max |',
      '|---|---|---|---:|---:|---:|---:|',
      ...rows.map(({ bench, metric: m }) => {
        const v = (x: number): string => (m.summary.n > 0 ? fmtNum(x) : '—')
        return `| ${code(bench.id)} | ${escapeMd(m.name, 120)} | ${escapeMd(m.unit, 20)} | ${m.summary.n} | ${v(m.summary.median)} | ${v(m.summary.p95)} | ${v(m.summary.max)} |`
      })
    )
  } else {
    out.push('No resource benchmark recorded metrics in this run.')
  }
  const groups = topologyGroups(results).filter(g => g.bench.category === 'resources')
  if (groups.length) {
    out.push('', 'Per topology (best first):', '')
    for (const g of groups) {
      out.push(
        `- ${escapeMd(describeSeries(g), 160)} (${code(g.bench.id)}): ` +
          g.entries
            .map(e => `${escapeMd(e.topology, 40)} ${fmtValue(e.value, escapeMd(g.unit, 20))}`)
            .join(', ')
      )
    }
  }
  const c = results.cost
  const alloc = averageAllocation(c)
  out.push(
    '',
    'Billable sandbox usage of the whole run:',
    '',
    '| Sandboxes | Sandbox-seconds | vCPU-seconds | GiB-seconds | Mean allocation |',
    '|---:|---:|---:|---:|---|',
    `| ${c.sandboxes} | ${fmtNum(c.sandboxSeconds)} | ${fmtNum(c.vcpuSeconds)} | ${fmtNum(c.gibSeconds)} | ` +
      `${alloc ? `${fmtNum(alloc.vcpu)} vCPU, ${fmtNum(alloc.memoryMiB)} MiB${c.estimated ? ' (nominal)' : ''}` : '—'} |`
  )
  return section('Resource analysis', out)
}

function costs(results: Results, opts: ReportOptions): string {
  const c = results.cost
  const out: string[] = []
  if (c.estimated) {
    out.push(
      '> **Estimated as if on E2B.** This run used the local provider, whose sandbox size is nominal: the figures are ' +
        'what E2B would bill for the same sandbox lifetimes at the prices below.',
      ''
    )
  }
  out.push(
    `Pricing: ${fmtUsd(c.pricing.usdPerVcpuSecond)} per vCPU-second and ${fmtUsd(c.pricing.usdPerGibSecond)} per ` +
      'GiB-second of allocated size, billed for every second a sandbox is alive.',
    '',
    '**Billed:** the total below is every sandbox of this run, priced for its whole lifetime from the create request ' +
      'to the kill, as E2B bills.',
    '',
    '| Sandboxes | Sandbox-seconds | vCPU-seconds | GiB-seconds | Total |',
    '|---:|---:|---:|---:|---:|',
    `| ${c.sandboxes} | ${fmtNum(c.sandboxSeconds)} | ${fmtNum(c.vcpuSeconds)} | ${fmtNum(c.gibSeconds)} | ${fmtUsd(c.usd)} |`
  )
  if (c.sandboxSeconds > 0) {
    out.push('', `Billed rate of this run: ${fmtUsd((c.usd / c.sandboxSeconds) * 3600)} per sandbox-hour.`)
  }

  const perOp = allMetrics(results).filter(r => isUsdPerOp(r.metric.unit) && r.value !== undefined)
  out.push('', '### Cost per operation', '')
  if (perOp.length) {
    out.push(
      "**Modelled, not billed:** the busy seconds of an operation × the swarm's sandboxes × the price. They " +
        'leave out idle and creation time, so they do not add up to the billed total.',
      ''
    )
    out.push(
      '| Benchmark | Metric | n | Median | Mean | p95 |',
      '|---|---|---:|---:|---:|---:|',
      ...perOp.map(
        ({ bench, metric: m }) =>
          `| ${code(bench.id)} | ${escapeMd(m.name, 120)} | ${m.summary.n} | ${fmtUsd(m.summary.median)} | ${fmtUsd(m.summary.mean)} | ${fmtUsd(m.summary.p95)} |`
      )
    )
  } else {
    out.push('No metric with unit `usd/op` was recorded in this run.')
  }

  const byTopology = topologyGroups(results).filter(g => isUsd(g.unit))
  out.push('', '### Cost per topology', '')
  if (byTopology.length) {
    out.push('Modelled from busy time, as above.', '')
    for (const g of byTopology) {
      out.push(
        `- ${escapeMd(describeSeries(g), 160)} (${code(g.bench.id)}), cheapest first: ` +
          g.entries.map(e => `${escapeMd(e.topology, 40)} ${fmtUsd(e.value)}`).join(', ')
      )
    }
  } else {
    out.push('No cost metric labelled with a topology was recorded in this run.')
  }

  const scaling = agentSeries(results).filter(s => isUsd(s.unit))
  if (scaling.length) {
    out.push('', '### Cost as the swarm grows', '', 'Modelled from busy time, as above.', '')
    for (const s of scaling) {
      const fit = fitPowerLaw(
        s.points.map(p => p.x),
        s.points.map(p => p.value)
      )
      out.push(
        `- ${escapeMd(describeSeries(s), 160)} (${code(s.bench.id)}): ` +
          s.points.map(p => `${p.x} agents ${fmtUsd(p.value)}`).join(', ') +
          (fit ? `; fitted exponent ${fit.exponent.toFixed(2)} (R² ${fit.r2.toFixed(2)})` : '')
      )
    }
  }

  out.push('', '### Projections', '')
  const volumes = (opts.projectionOpsPerDay ?? [1_000, 100_000, 1_000_000]).filter(
    v => v > 0 && Number.isFinite(v)
  )
  if (perOp.length && volumes.length) {
    out.push(
      'Measured cost per operation (median) × a daily volume. The volumes are scenarios, not measurements.',
      '',
      `| Metric | Measured | ${volumes.map(v => `${fmtNum(v)} ops/day`).join(' | ')} |`,
      `|---|---:|${volumes.map(() => '---:').join('|')}|`,
      ...perOp.slice(0, 10).map(({ bench, metric: m }) => {
        const cells = volumes.map(v => {
          const p = projectCost({ usdPerOp: m.summary.median, opsPerDay: v })
          return `${fmtUsd(p.usdPerDay)}/day (${fmtUsd(p.usdPerMonth)}/month)`
        })
        return `| ${code(bench.id)} / ${escapeMd(m.name, 100)} | ${fmtUsd(m.summary.median)} | ${cells.join(' | ')} |`
      })
    )
  }
  const alloc = averageAllocation(c)
  if (alloc) {
    const sizes = [
      ...new Set(
        allMetrics(results)
          .map(r => agentsOf(r.metric))
          .filter((a): a is number => a !== undefined)
      )
    ]
      .sort((a, b) => a - b)
      .slice(-5)
    const swarmSizes = sizes.length ? sizes : [c.sandboxes]
    out.push(
      '',
      `Keeping a swarm alive around the clock at this run's mean allocation (${fmtNum(alloc.vcpu)} vCPU, ` +
        `${fmtNum(alloc.memoryMiB)} MiB per sandbox) and pricing:`,
      '',
      '| Agents | Per day | Per 30 days |',
      '|---:|---:|---:|',
      ...swarmSizes.map(n => {
        const p = projectAlwaysOn({ sandboxes: n, allocation: alloc, pricing: c.pricing })
        return `| ${n} | ${fmtUsd(p.usdPerDay)} | ${fmtUsd(p.usdPerMonth)} |`
      })
    )
  } else if (!perOp.length) {
    out.push('Nothing to project: no sandbox time and no cost per operation was measured.')
  }
  return section('Cost analysis', out)
}

function recommendations(results: Results, comparison: Comparison | undefined, max: number): string {
  const recs: string[] = []
  for (const b of results.benchmarks) {
    if (b.status === 'error') {
      recs.push(
        `Fix ${code(b.id)}: it errored (${escapeMd(b.error ?? 'no message', 300)}), so its figures are missing.`
      )
    }
  }
  if (comparison?.status === 'compared') {
    for (const v of comparison.regressions) {
      recs.push(
        `Investigate ${code(v.benchmarkId)} / ${escapeMd(v.metric, 120)}: ${fmtPct(v.worsePct)} worse than the baseline ` +
          `(${fmtValue(v.baseline, escapeMd(v.unit, 20))} → ${fmtValue(v.head, escapeMd(v.unit, 20))}).`
      )
    }
  }
  for (const t of targetRows(results)) {
    if (t.met) continue
    const m = t.metric
    recs.push(
      `${code(t.bench.id)} / ${escapeMd(m.name, 120)} missed its target: ` +
        (m.summary.n > 0
          ? `measured ${m.target?.stat} ${fmtValue(t.measured, escapeMd(m.unit, 20))}`
          : 'nothing was measured') +
        ` against ${targetCell(m)}.`
    )
  }
  recs.push(...topologyWinners(results))
  // A benchmark's own winner fact is repeated only when it disagrees with the winner derived above.
  const derived = new Map(
    topologyGroups(results).map(g => [`${g.bench.id}/${g.measure}`, g.entries[0].topology])
  )
  for (const f of factsWithPrefix(results, 'winner')) {
    const mine = derived.get(`${f.bench.id}/${f.subject}`)
    if (mine !== undefined && mine === f.value) continue
    recs.push(
      `${code(f.bench.id)} reports ${factValue(f.value)} as the winner for ${escapeMd(f.subject || f.key, 120)}` +
        (mine !== undefined
          ? ` (by its own criterion; the headline values above favour ${escapeMd(mine, 40)}).`
          : '.')
    )
  }
  for (const f of factsWithPrefix(results, 'speedup')) {
    if (typeof f.value === 'number') {
      recs.push(
        `${code(f.bench.id)} measured a speedup${f.subject ? ` for ${escapeMd(f.subject, 120)}` : ''} of ${fmtNum(f.value)}×` +
          (f.value > 1 ? '.' : ': no gain, keep the simpler path.')
      )
    }
  }
  for (const r of allMetrics(results)) {
    if (
      r.metric.unit.trim().toLowerCase() === 'x' &&
      r.value !== undefined &&
      !Object.keys(r.bench.facts ?? {}).some(k => k.startsWith('speedup.'))
    ) {
      recs.push(`${code(r.bench.id)} / ${escapeMd(r.metric.name, 120)} measured ${fmtNum(r.value)}×.`)
    }
  }
  for (const f of factsWithPrefix(results, 'sublinear')) {
    if (typeof f.value !== 'boolean') continue
    const exp = f.bench.facts?.[`scaling_exponent.${f.subject}`]
    const low = f.bench.facts?.[`scaling_exponent_ci_low.${f.subject}`]
    const expText = typeof exp === 'number' ? ` (exponent ${exp.toFixed(2)}${ciText(f, ', ')})` : ''
    const subject = `${escapeMd(f.subject, 120)}`
    recs.push(
      f.value
        ? `${subject} scales sub-linearly with the swarm${expText} in ${code(f.bench.id)}.`
        : typeof low === 'number' && low < 1
          ? `${subject} is not shown to scale sub-linearly${expText} in ${code(f.bench.id)}: the interval reaches 1, so the run cannot tell.`
          : `${subject} does not scale sub-linearly${expText} in ${code(f.bench.id)}: budget for it growing at least in proportion to the swarm.`
    )
  }
  for (const s of agentSeries(results)) {
    const fit = fitPowerLaw(
      s.points.map(p => p.x),
      s.points.map(p => p.value)
    )
    if (fit && s.direction === 'lower' && fit.exponent > 1.2 && fit.r2 >= 0.8 && s.points.length >= 3) {
      recs.push(
        `${escapeMd(describeSeries(s), 160)} (${code(s.bench.id)}) grows faster than linearly with the swarm ` +
          `(fitted exponent ${fit.exponent.toFixed(2)}, R² ${fit.r2.toFixed(2)}): it limits how far the swarm can grow.`
      )
    }
  }
  const out = recs.length
    ? [
        'Derived from this run’s measurements:',
        '',
        ...recs.slice(0, max).map(r => `- ${r}`),
        ...(recs.length > max ? [`- … ${recs.length - max} more (see the sections above)`] : [])
      ]
    : [
        'No recommendation could be derived: no target was missed, no benchmark errored, and no topology or scaling comparison was measured.'
      ]
  return section('Recommendations', out)
}

/** One line per measure compared across topologies: the winner at each swarm size, and by how much. */
function topologyWinners(results: Results): string[] {
  const byMeasure = new Map<string, TopologyGroup[]>()
  for (const g of topologyGroups(results)) {
    const key = JSON.stringify([g.bench.id, g.measure, g.unit, g.rest])
    byMeasure.set(key, [...(byMeasure.get(key) ?? []), g])
  }
  const lines: string[] = []
  for (const groups of byMeasure.values()) {
    groups.sort((a, b) => (a.agents ?? 0) - (b.agents ?? 0))
    const first = groups[0]
    const unit = escapeMd(first.unit, 20)
    let clear = 0
    let judged = 0
    const leaders = groups.map(g => {
      const best = g.entries[0]
      // Equal headline values are a tie, not a win by 0 %.
      const tied = g.entries.filter(e => e.value === best.value)
      const next = g.entries.find(e => e.value !== best.value)
      return { g, best, tied, next, label: tied.map(e => e.topology).join(' = ') }
    })
    const labels = new Set(leaders.map(l => l.label))
    const atSizes = leaders.map(({ g, best, tied, next }) => {
      const size = g.agents !== undefined ? `at ${g.agents} agents ` : ''
      const who =
        labels.size > 1 || tied.length > 1
          ? `**${escapeMd(tied.map(e => e.topology).join(' = '), 80)}** `
          : ''
      if (!next) return `${size}${who}all at ${fmtValue(best.value, unit)}`
      const c = clearlyBetter(best.metric, next.metric, g.direction)
      if (c !== undefined) judged++
      if (c) clear++
      const gap =
        next.value !== 0
          ? `${(Math.abs(best.value / next.value - 1) * 100).toFixed(1)}% ${g.direction === 'lower' ? 'below' : 'above'} `
          : 'vs '
      return `${size}${who}${fmtValue(best.value, unit)}, ${gap}${escapeMd(next.topology, 40)} (${fmtValue(next.value, unit)})`
    })
    const subject = `${escapeMd(first.measure, 120)}${first.rest ? ` (${escapeMd(first.rest, 120)})` : ''} in ${code(first.bench.id)}`
    const only = [...labels][0]
    const lead =
      labels.size > 1
        ? `${subject}: the best topology depends on swarm size (${g1(first.direction)})`
        : only.includes(' = ')
          ? `${subject}: ${escapeMd(only, 80)} tie${groups.length > 1 ? ' at every swarm size measured' : ''} (${g1(first.direction)})`
          : `${subject}: **${escapeMd(only, 40)}** is best${groups.length > 1 ? ' at every swarm size measured' : ''} (${g1(first.direction)})`
    const noise =
      judged === 0
        ? ''
        : clear === judged
          ? ` Its confidence interval is clear of the runner-up’s${judged > 1 ? ' each time' : ''}.`
          : ` The confidence intervals overlap at ${judged - clear} of ${judged} comparison(s): there the lead is within this run’s noise.`
    lines.push(`${lead}: ${atSizes.join('; ')}.${noise}`)
  }
  return lines
}

const g1 = (direction: Metric['direction']): string => `${direction} is better`

function charts(results: Results, max: number): string {
  const a = agentCharts(results, max)
  const t = topologyCharts(results, max)
  const out: string[] = []
  if (a.blocks.length) out.push('### Over swarm size', '', ...a.blocks.flatMap(b => [b, '']))
  if (a.omitted) out.push(`${a.omitted} more series over swarm size are in the tables above.`, '')
  if (t.blocks.length) out.push('### Per topology', '', ...t.blocks.flatMap(b => [b, '']))
  if (t.omitted) out.push(`${t.omitted} more per-topology comparisons are in the tables above.`, '')
  if (!out.length)
    out.push('Nothing to chart: no metric varies `labels.agents` or `labels.topology` in this run.')
  return section('Charts', out)
}

function environment(results: Results): string {
  const e = results.run.environment
  const rows: [string, string][] = [
    ['Provider', code(results.run.provider)],
    ['Profile', code(results.run.profile)],
    ['Node.js', escapeMd(e.node, 60)],
    ['Python', e.python ? escapeMd(e.python, 60) : 'not recorded'],
    ['Platform', `${escapeMd(e.platform, 40)} / ${escapeMd(e.arch, 40)}`],
    ['CPUs', `${e.cpus} × ${escapeMd(e.cpuModel, 120)}`],
    ['Memory', `${fmtNum(e.memoryTotalBytes / 1024 ** 3)} GiB`],
    ['Started', escapeMd(results.run.startedAt, 40)],
    ['Ended', escapeMd(results.run.endedAt, 40)],
    ['Duration', fmtDuration(results.run.durationMs)],
    ['Tool', `${escapeMd(results.tool.name, 40)} ${escapeMd(results.tool.version, 40)}`]
  ]
  for (const [k, v] of Object.entries(e.providerDetails ?? {}).slice(0, 40))
    rows.push([escapeMd(k, 80), factValue(v)])
  return section('Environment', [
    'As recorded by this run (the host that drove the benchmarks).',
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`)
  ])
}

/** Keeps only characters a shell word can hold without quoting. */
const shellWord = (s: string): string => s.replace(/[^A-Za-z0-9_.,-]/g, '')

export function defaultReproduceCommand(results: Results): string {
  const parts = ['npx swarm-bench run', `--provider ${shellWord(results.run.provider)}`]
  const profile = shellWord(results.run.profile)
  if (profile) parts.push(`--profile ${profile}`)
  const ids = results.benchmarks.map(b => b.id).filter(id => BENCHMARK_IDS.includes(id))
  if (ids.length && ids.length < BENCHMARK_IDS.length) parts.push(`--only ${shellWord(ids.join(','))}`)
  return parts.join(' ')
}

function reproduce(results: Results, opts: ReportOptions): string {
  const command = (opts.reproduceCommand ?? defaultReproduceCommand(results))
    .replace(/`/g, "'")
    .replace(/[\r\n]+/g, ' ')
  return section('How to reproduce', [
    '```sh',
    command,
    '```',
    '',
    // A results file from a build with another provider: nothing said of what it needs.
    findProviderPlugin(results.run.provider)?.notes.reproduce ?? ''
  ])
}

function comparisonSection(comparison: Comparison): string {
  const out: string[] = [`**${verdictLine(comparison)}**`, '']
  if (comparison.status === 'no-baseline') {
    out.push('Nothing was compared.')
    return section('Comparison with baseline', out)
  }
  out.push(comparisonContext(comparison), '')
  for (const w of comparison.warnings) out.push(`> ⚠️ ${escapeMd(w, 300)}`, '')
  out.push(
    '| ' +
      Object.keys(comparison.counts)
        .map(k => `${VERDICT_ICON[k as keyof typeof VERDICT_ICON]} ${k}`)
        .join(' | ') +
      ' |',
    '|' +
      Object.keys(comparison.counts)
        .map(() => '---:')
        .join('|') +
      '|',
    '| ' + Object.values(comparison.counts).join(' | ') + ' |',
    ''
  )
  if (comparison.verdicts.length) {
    out.push(
      '| Metric | Baseline | Head | Change | Interval | p / Holm p | Noise ±1σ | Verdict | Why |',
      '|---|---:|---:|---:|---|---|---|---|---|',
      ...sortVerdicts(comparison.verdicts).map(v => {
        const unit = escapeMd(v.unit, 20)
        return (
          `| ${code(v.benchmarkId)} / ${escapeMd(v.metric, 120)} | ${fmtValue(v.baseline, unit)} | ${fmtValue(v.head, unit)} | ` +
          `${fmtPct(v.changePct)} | ${v.interval ? `${fmtPct(v.interval.lowPct)} … ${fmtPct(v.interval.highPct)}` : '—'} | ` +
          `${v.p === undefined ? '—' : `${fmtP(v.p)} / ${fmtP(v.pAdjusted)}`} | ` +
          `${v.mdePct !== undefined ? `MDE ${fmtPct(v.mdePct)}` : v.noise ? `${fmtPct(v.noise.lowPct)} … ${fmtPct(v.noise.highPct)}` : '—'} | ${VERDICT_ICON[v.verdict]} ${v.verdict} | ${escapeMd(v.reason, 400)} |`
        )
      })
    )
  } else {
    out.push('No gated metric on either side.')
  }
  const title = comparison.mode === 'duet' ? 'Comparison with the base (duet)' : 'Comparison with baseline'
  const sections = [section(title, out)]
  // In a duet the artifact comparison is shown too, as context: the trend and the platform over days.
  if (comparison.artifact)
    sections.push(
      comparisonSection(comparison.artifact).replace(
        '## Comparison with baseline',
        '## Comparison with the baseline artifact (context, not gated)'
      )
    )
  return sections.join('\n')
}

/** The full report. Pure: the same inputs give the same text. */
export function renderReport(results: Results, comparison?: Comparison, opts: ReportOptions = {}): string {
  const maxCharts = opts.maxCharts ?? 24
  const parts = [
    '# Swarm Benchmarks Report',
    '',
    `Run of ${escapeMd(results.run.startedAt, 40)}. Every figure below was measured in this run or computed from its measurements; projections are labelled as scenarios.`,
    '',
    executiveSummary(results, comparison),
    hooksSection(results) ?? '',
    performance(results),
    scalability(results),
    resources(results),
    costs(results, opts),
    recommendations(results, comparison, opts.maxRecommendations ?? 40),
    charts(results, maxCharts),
    environment(results),
    reproduce(results, opts)
  ]
  if (comparison?.trend) parts.push(section('Trend over the history', trendSection(comparison.trend)))
  if (comparison) parts.push(comparisonSection(comparison))
  return parts.join('\n\n').replace(/\n{3,}/g, '\n\n') + '\n'
}
