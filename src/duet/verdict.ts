// The duet's verdicts: for every headline metric, the head's samples against the base's samples measured beside
// them, pair by pair. Nothing is removed as a run-wide shift: both sides shared the runner, so a slowdown of
// everything is the code's. Holm across every headline of every benchmark keeps the whole matrix's false-alarm
// rate at α. The result is a Comparison, so the report, the comment and the gate read it like any other.
import { metricKey, type BenchmarkResult, type Metric, type Results } from '../results/schema.js'
import { driftClass } from '../stats/drift.js'
import { holmAdjust } from '../stats/multiple.js'
import { pairedTest, type PairedResult } from '../stats/paired.js'
import { headlineValue } from '../stats/describe.js'
import {
  DEFAULT_COMPARE_OPTIONS,
  emptyCounts,
  formatP,
  noComparison,
  thresholdFor,
  pct,
  type CompareOptions,
  type Comparison,
  type MetricVerdict
} from '../stats/compare.js'
import { isDuetHeadline } from './headlines.js'
import { samplesPerRequest } from './blocks.js'

interface Candidate {
  bench: BenchmarkResult
  head?: Metric
  base?: Metric
  baseBench?: BenchmarkResult
}

function candidates(results: Results): Candidate[] {
  const out: Candidate[] = []
  const baseById = new Map((results.duet?.benchmarks ?? []).map(b => [b.id, b]))
  for (const bench of results.benchmarks) {
    const baseBench = baseById.get(bench.id)
    const names = new Set<string>()
    for (const m of [...bench.metrics, ...(baseBench?.metrics ?? [])])
      if (isDuetHeadline(bench.id, m)) names.add(m.name)
    for (const name of names) {
      out.push({
        bench,
        baseBench,
        head: bench.metrics.find(m => m.name === name),
        base: baseBench?.metrics.find(m => m.name === name)
      })
    }
  }
  return out
}

/**
 * Compares the two sides of a duet run; `status: 'no-baseline'` when the run was not a duet. `mdeFamily`: the
 * number of headlines each MDE's level counts (default: those tested here); bench:duet reads a run of one benchmark
 * at the whole matrix's level. It moves no verdict.
 */
export function compareDuet(
  results: Results,
  options: Partial<CompareOptions> = {},
  { mdeFamily }: { mdeFamily?: number } = {}
): Comparison {
  const opts: CompareOptions = { ...DEFAULT_COMPARE_OPTIONS, ...options }
  const duet = results.duet
  const warnings: string[] = []
  if (!duet) return { ...noComparison('this run was not a duet', opts), mode: 'duet' }
  if (!results.run.complete) warnings.push('this run was incomplete')
  for (const n of duet.base.notes) warnings.push(n)
  const list = candidates(results)
  const testable = list.filter(
    c => c.head && c.base && Math.min(c.head.samples.length, c.base.samples.length) >= 3
  )
  const alphaForMde = opts.alpha / Math.max(1, mdeFamily ?? testable.length)
  const tests = new Map<Candidate, PairedResult>()
  for (const c of testable) {
    const r = pairedTest(c.base!.samples, c.head!.samples, {
      thresholdPct: thresholdFor(opts, c.bench.id, c.head!.name),
      direction: c.head!.direction,
      exact: driftClass(c.head!.unit) === 'none',
      block: samplesPerRequest(c.bench.id, c.head!.name, c.bench.facts),
      alphaForMde
    })
    if (r) tests.set(c, r)
  }
  const tested = [...tests.keys()]
  const adjusted = holmAdjust(tested.map(c => twoSidedP(tests.get(c)!)))
  const pAdjusted = new Map(tested.map((c, i) => [c, adjusted[i]]))
  const verdicts = list.map(c => verdictOf(c, tests.get(c), pAdjusted.get(c), opts))
  const counts = emptyCounts()
  for (const v of verdicts) counts[v.verdict]++
  const regressions = verdicts.filter(v => v.verdict === 'regression')
  const improvements = verdicts.filter(v => v.verdict === 'improvement')
  const benchmarks = new Set(tested.map(c => c.bench.id)).size
  return {
    status: 'compared',
    mode: 'duet',
    pairing: duet.pairing ?? 'interleaved',
    reason:
      `duet against ${duet.base.sha ? duet.base.sha.slice(0, 12) : duet.base.ref}: ${tested.length} headline metric(s) ` +
      `of ${benchmarks} benchmark(s) judged pair by pair; ${regressions.length} regression(s), ${improvements.length} improvement(s)`,
    options: opts,
    baselineInfo: {
      sha: duet.base.sha,
      ref: duet.base.ref,
      startedAt: results.run.startedAt,
      provider: results.run.provider,
      profile: results.run.profile,
      historyRuns: 0
    },
    verdicts,
    regressions,
    improvements,
    counts,
    tested: tested.length,
    warnings
  }
}

/** The two one-sided p-values as one two-sided p (what Holm adjusts). */
const twoSidedP = (r: PairedResult): number => Math.min(1, 2 * Math.min(r.pWorse, r.pBetter))

function verdictOf(
  c: Candidate,
  r: PairedResult | undefined,
  pAdjusted: number | undefined,
  opts: CompareOptions
): MetricVerdict {
  const m = (c.head ?? c.base)!
  const v: MetricVerdict = {
    key: metricKey(c.bench.id, m.name),
    benchmarkId: c.bench.id,
    metric: m.name,
    unit: m.unit,
    direction: m.direction,
    headline: m.summary.headline,
    verdict: 'insufficient-data',
    baseline: c.base ? headlineValue(c.base.summary) : undefined,
    head: c.head ? headlineValue(c.head.summary) : undefined,
    nBaseline: c.base?.samples.length ?? 0,
    nHead: c.head?.samples.length ?? 0,
    reason: ''
  }
  if (!c.head || !c.base) {
    const side = !c.head ? 'head' : 'base'
    const bench = !c.head ? c.bench : c.baseBench
    v.verdict = !c.head ? 'missing' : 'new'
    v.reason =
      bench?.status === 'error'
        ? `the benchmark errored on the ${side} side: ${bench.error ?? 'error'}`
        : `not measured on the ${side} side`
    return v
  }
  if (!r || pAdjusted === undefined) {
    v.reason = `needs 3 pairs with positive values on both sides, had ${Math.min(v.nBaseline, v.nHead)}: raise the profile's sample count`
    return v
  }
  const worse = m.direction === 'lower' ? r.changePct : -r.changePct
  const threshold = thresholdFor(opts, c.bench.id, m.name)
  Object.assign(v, {
    thresholdPct: threshold,
    changePct: r.changePct,
    worsePct: worse,
    interval: r.interval,
    p: twoSidedP(r),
    pAdjusted,
    test: 'paired' as const,
    df: r.df,
    pairs: r.pairs,
    mdePct: r.mdePct
  })
  const significant = pAdjusted < opts.alpha
  v.verdict = significant ? (r.pWorse < r.pBetter ? 'regression' : 'improvement') : 'unchanged'
  const evidence = `${r.pairs} pairs, ${pct(r.changePct)} (${pct(r.interval.lowPct)} … ${pct(r.interval.highPct)}), Holm p ${formatP(pAdjusted)}`
  v.reason = significant
    ? `${v.verdict === 'regression' ? 'worse' : 'better'} by more than ${threshold}%: ${evidence}`
    : `within ${threshold}% or not resolved: ${evidence}; smallest detectable slowdown ${pct(r.mdePct)}`
  return v
}
