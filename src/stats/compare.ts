// The regression verdict: head run vs the baseline run of the default branch, metric by metric.
//
// A gated metric is a regression only when all three hold:
//   1. effect: its headline statistic got worse by more than `thresholdPct`;
//   2. between-run noise: the change lies outside the noise band estimated from the baseline's history
//      (a slower CI runner moves every sample of a run together, which no within-run test can see);
//   3. within-run evidence: a Mann–Whitney U test of head vs baseline samples, in the same direction, has a
//      Holm–Bonferroni adjusted p below `alpha` across all tested metrics.
// `improvement` is the mirror image. Every verdict carries the evidence it was decided on.
import { metricKey, type BenchmarkResult, type Metric, type Results } from '../results/schema.js'
import { bootstrapRatio, hashSeed } from './bootstrap.js'
import { holmAdjust } from './multiple.js'
import { noiseBand, type NoiseBand } from './noise.js'
import { mannWhitneyU } from './rank-test.js'

export type VerdictKind = 'regression' | 'improvement' | 'unchanged' | 'insufficient-data' | 'new' | 'missing'
export const VERDICT_KINDS: readonly VerdictKind[] = [
  'regression',
  'improvement',
  'unchanged',
  'insufficient-data',
  'new',
  'missing'
]

export interface CompareOptions {
  /** Smallest change, percent in the worse direction, that can count as a regression. */
  thresholdPct: number
  /** Family-wise error rate for the Holm-corrected rank tests. */
  alpha: number
  /** Floor of the noise band half-width, percent. */
  minNoisePct: number
  /** Noise band half-width in σ of the run-to-run difference. */
  noiseSigmas: number
  /** Fewest runs (baseline + history) to estimate the noise from; fewer and the floor applies. */
  minHistoryRuns: number
  /** Fewest samples on each side for a test. */
  minSamples: number
  /** Bootstrap resamples for the interval on the change. */
  bootstrapIterations: number
  /** Why there is no baseline, when `baseline` is undefined. */
  noBaselineReason?: string
}

export const DEFAULT_COMPARE_OPTIONS: CompareOptions = {
  thresholdPct: 10,
  alpha: 0.05,
  minNoisePct: 3,
  noiseSigmas: 3,
  minHistoryRuns: 3,
  // With 4 + 4 samples the smallest exact two-sided p is 0.029: fewer can never be significant at 0.05.
  minSamples: 4,
  bootstrapIterations: 1000
}

export interface MetricVerdict {
  /** `benchmarkId/metricName`. */
  key: string
  benchmarkId: string
  metric: string
  unit: string
  direction: 'lower' | 'higher'
  headline: 'median' | 'mean'
  verdict: VerdictKind
  baseline?: number
  head?: number
  nBaseline: number
  nHead: number
  /** (head ÷ baseline − 1) × 100; undefined when the baseline value is not positive. */
  changePct?: number
  /** The change in the worse direction: positive is worse (slower, or less throughput). */
  worsePct?: number
  /** Bootstrap interval of the change, percent. */
  interval?: { level: number; lowPct: number; highPct: number }
  /** Two-sided Mann–Whitney p-value, raw and Holm-adjusted. */
  p?: number
  pAdjusted?: number
  test?: 'exact' | 'normal'
  noise?: NoiseBand
  /** One line: what decided the verdict. */
  reason: string
}

export interface BaselineInfo {
  runId?: string
  sha?: string
  ref?: string
  startedAt: string
  provider: string
  profile: string
  historyRuns: number
}

export interface Comparison {
  status: 'compared' | 'no-baseline'
  /** For `no-baseline`, why; else a one-line summary. */
  reason: string
  options: CompareOptions
  baselineInfo?: BaselineInfo
  verdicts: MetricVerdict[]
  regressions: MetricVerdict[]
  improvements: MetricVerdict[]
  counts: Record<VerdictKind, number>
  /** Metrics in the Holm family (tested with enough samples on both sides). */
  tested: number
  /** Things that make the comparison less trustworthy (different provider, partial runs). */
  warnings: string[]
}

const emptyCounts = (): Record<VerdictKind, number> =>
  Object.fromEntries(VERDICT_KINDS.map(k => [k, 0])) as Record<VerdictKind, number>

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`
export const formatP = (p: number): string => (p < 0.001 ? p.toExponential(1) : p.toFixed(3))

const statOf = (m: Metric, headline: 'median' | 'mean'): number =>
  headline === 'mean' ? m.summary.mean : m.summary.median

interface Entry {
  bench: BenchmarkResult
  metric: Metric
}

function index(results: Results): Map<string, Entry> {
  const map = new Map<string, Entry>()
  for (const bench of results.benchmarks) {
    for (const metric of bench.metrics) map.set(metricKey(bench.id, metric.name), { bench, metric })
  }
  return map
}

function absentReason(results: Results, benchmarkId: string, side: 'baseline' | 'head'): string {
  const bench = results.benchmarks.find(b => b.id === benchmarkId)
  if (!bench) return `benchmark not run in the ${side}`
  if (bench.status === 'error') return `benchmark errored in the ${side}`
  if (bench.status === 'skipped') return `benchmark skipped in the ${side}`
  return `metric not reported by the ${side}`
}

export function compareResults(
  baseline: Results | undefined,
  head: Results,
  options: Partial<CompareOptions> = {}
): Comparison {
  const opts: CompareOptions = { ...DEFAULT_COMPARE_OPTIONS, ...options }
  if (!baseline) {
    return {
      status: 'no-baseline',
      reason: opts.noBaselineReason ?? 'no baseline results were given',
      options: opts,
      verdicts: [],
      regressions: [],
      improvements: [],
      counts: emptyCounts(),
      tested: 0,
      warnings: []
    }
  }

  const warnings: string[] = []
  if (baseline.run.provider !== head.run.provider) {
    warnings.push(
      `baseline ran on provider ${baseline.run.provider}, this run on ${head.run.provider}: figures are not comparable`
    )
  }
  if (baseline.run.profile !== head.run.profile) {
    warnings.push(`baseline used profile ${baseline.run.profile}, this run ${head.run.profile}`)
  }
  if (!baseline.run.complete) warnings.push('the baseline run was incomplete')
  if (!head.run.complete) warnings.push('this run was incomplete')

  const baseIndex = index(baseline)
  const headIndex = index(head)
  const verdicts: MetricVerdict[] = []
  const tested: { v: MetricVerdict; superiority: number; logRatio?: number }[] = []

  for (const [key, { bench, metric }] of headIndex) {
    if (!metric.gate) continue
    const headline = metric.summary.headline
    const v: MetricVerdict = {
      key,
      benchmarkId: bench.id,
      metric: metric.name,
      unit: metric.unit,
      direction: metric.direction,
      headline,
      verdict: 'unchanged',
      nBaseline: 0,
      nHead: metric.samples.length,
      reason: ''
    }
    if (metric.summary.n > 0) v.head = statOf(metric, headline)
    verdicts.push(v)
    const base = baseIndex.get(key)
    if (!base) {
      v.verdict = 'new'
      v.reason = absentReason(baseline, bench.id, 'baseline')
      continue
    }
    v.nBaseline = base.metric.samples.length
    if (base.metric.summary.n > 0) v.baseline = statOf(base.metric, headline)
    if (base.metric.unit !== metric.unit || base.metric.direction !== metric.direction) {
      v.verdict = 'insufficient-data'
      v.reason = `not comparable: baseline unit ${base.metric.unit} (${base.metric.direction} is better), now ${metric.unit} (${metric.direction} is better)`
      continue
    }
    if (v.baseline !== undefined && v.head !== undefined && v.baseline > 0 && v.head > 0) {
      v.changePct = (v.head / v.baseline - 1) * 100
      v.worsePct = metric.direction === 'lower' ? v.changePct : -v.changePct
    }
    if (isConstant(base.metric.samples) && isConstant(metric.samples)) {
      // Counted, not timed (bytes and messages per operation): every sample is the same on each side, so there is
      // no sampling noise to test against and no p-value to spend a share of the Holm correction on.
      v.noise = noiseBand([v.baseline ?? NaN, ...baseline.history.map(h => h.values[key] ?? NaN)], opts)
      decideExact(v, opts)
      continue
    }
    if (v.nBaseline < opts.minSamples || v.nHead < opts.minSamples) {
      v.verdict = 'insufficient-data'
      v.reason = `${v.nBaseline} baseline and ${v.nHead} head samples; a test needs at least ${opts.minSamples} on each side`
      continue
    }
    const history = [v.baseline ?? NaN, ...baseline.history.map(h => h.values[key] ?? NaN)]
    v.noise = noiseBand(history, opts)
    const test = mannWhitneyU(metric.samples, base.metric.samples)
    v.p = test.p
    v.test = test.method
    const ratio = bootstrapRatio(base.metric.samples, metric.samples, headline, {
      iterations: opts.bootstrapIterations,
      level: 1 - opts.alpha,
      seed: hashSeed(key)
    })
    if (ratio)
      v.interval = { level: ratio.level, lowPct: (ratio.low - 1) * 100, highPct: (ratio.high - 1) * 100 }
    tested.push({
      v,
      superiority: test.superiority,
      logRatio: v.changePct !== undefined ? Math.log1p(v.changePct / 100) : undefined
    })
  }

  const adjusted = holmAdjust(tested.map(t => t.v.p ?? 1))
  tested.forEach((t, i) => {
    t.v.pAdjusted = adjusted[i]
    decide(t.v, t.superiority, t.logRatio, opts)
  })

  for (const [key, { bench, metric }] of baseIndex) {
    if (!metric.gate || headIndex.has(key)) continue
    verdicts.push({
      key,
      benchmarkId: bench.id,
      metric: metric.name,
      unit: metric.unit,
      direction: metric.direction,
      headline: metric.summary.headline,
      verdict: 'missing',
      baseline: metric.summary.n > 0 ? statOf(metric, metric.summary.headline) : undefined,
      nBaseline: metric.samples.length,
      nHead: 0,
      reason: absentReason(head, bench.id, 'head')
    })
  }

  const counts = emptyCounts()
  for (const v of verdicts) counts[v.verdict]++
  const regressions = verdicts.filter(v => v.verdict === 'regression')
  const improvements = verdicts.filter(v => v.verdict === 'improvement')
  return {
    status: 'compared',
    reason: `${regressions.length} regression(s), ${improvements.length} improvement(s) among ${tested.length} tested metric(s)`,
    options: opts,
    baselineInfo: {
      runId: baseline.run.git?.runId,
      sha: baseline.run.git?.sha,
      ref: baseline.run.git?.ref,
      startedAt: baseline.run.startedAt,
      provider: baseline.run.provider,
      profile: baseline.run.profile,
      historyRuns: baseline.history.length
    },
    verdicts,
    regressions,
    improvements,
    counts,
    tested: tested.length,
    warnings
  }
}

/** At least two samples, all identical: a deterministic figure. */
function isConstant(samples: readonly number[]): boolean {
  return samples.length >= 2 && samples.every(x => x === samples[0])
}

/** A deterministic metric: the change and the between-run band decide; there is no sampling noise to test. */
function decideExact(v: MetricVerdict, opts: CompareOptions): void {
  if (v.baseline === v.head) {
    v.verdict = 'unchanged'
    v.reason = `identical on both sides (${v.head}); every sample is the same value`
    return
  }
  if (v.worsePct === undefined || !v.noise) {
    v.verdict = 'unchanged'
    v.reason = `baseline value ${v.baseline} is not positive, so no percent change`
    return
  }
  const logRatio = Math.log1p(v.worsePct / 100)
  const change = `${pct(v.worsePct)} ${v.worsePct >= 0 ? 'worse' : 'better'}`
  const band = `noise band ${pct(v.noise.lowPct)}..${pct(v.noise.highPct)} (${v.noise.source === 'history' ? `from ${v.noise.runs} runs` : 'floor'})`
  const effect = Math.abs(v.worsePct) > opts.thresholdPct
  const outside = Math.abs(logRatio) > v.noise.halfWidthLog
  if (effect && outside) {
    v.verdict = v.worsePct > 0 ? 'regression' : 'improvement'
    v.reason = `${change} > ${opts.thresholdPct}% threshold, outside ${band}; deterministic (every sample identical on each side), no test needed`
    return
  }
  v.verdict = 'unchanged'
  v.reason = `${change}; ${effect ? `inside ${band}` : `within the ${opts.thresholdPct}% threshold`}; deterministic`
}

/** Applies the three conditions to a tested metric (p-values already adjusted). */
function decide(
  v: MetricVerdict,
  superiority: number,
  logRatio: number | undefined,
  opts: CompareOptions
): void {
  const pAdj = v.pAdjusted ?? 1
  const significant = pAdj < opts.alpha
  const pText = `p=${formatP(v.p ?? 1)}, Holm ${formatP(pAdj)} ${significant ? '<' : '≥'} ${opts.alpha}`
  // Which way the samples moved, by rank: head values tend to be larger (> 0.5) or smaller.
  const rankWorse = v.direction === 'lower' ? superiority > 0.5 : superiority < 0.5
  const rankBetter = v.direction === 'lower' ? superiority < 0.5 : superiority > 0.5

  if (v.worsePct === undefined || logRatio === undefined || !v.noise) {
    // A non-positive baseline value has no percent change or log-scale noise: the rank test alone decides.
    if (v.baseline === v.head) {
      v.verdict = 'unchanged'
      v.reason = `same value (${v.head}); ${pText}`
    } else if (significant && (rankWorse || rankBetter)) {
      v.verdict = rankWorse ? 'regression' : 'improvement'
      v.reason = `baseline value ${v.baseline} is not positive, so no percent change; decided by the rank test: ${pText}`
    } else {
      v.verdict = 'unchanged'
      v.reason = `baseline value ${v.baseline} is not positive, so no percent change; ${pText}`
    }
    return
  }

  const worse = v.worsePct > 0
  const effect = Math.abs(v.worsePct) > opts.thresholdPct
  const outside = Math.abs(logRatio) > v.noise.halfWidthLog
  const consistent = worse ? rankWorse : rankBetter
  const band = `noise band ${pct(v.noise.lowPct)}..${pct(v.noise.highPct)} (${v.noise.source === 'history' ? `from ${v.noise.runs} runs` : 'floor'})`
  const change = `${pct(v.worsePct)} ${v.worsePct >= 0 ? 'worse' : 'better'}`
  if (effect && outside && significant && consistent) {
    v.verdict = worse ? 'regression' : 'improvement'
    v.reason = `${change} > ${opts.thresholdPct}% threshold, outside ${band}, ${pText}`
    return
  }
  v.verdict = 'unchanged'
  const why: string[] = []
  if (!effect) why.push(`${change} within the ${opts.thresholdPct}% threshold`)
  else why.push(change)
  if (!outside) why.push(`inside ${band}`)
  if (!significant) why.push(pText)
  else if (!consistent) why.push(`the rank test points the other way (${pText})`)
  v.reason = why.join('; ')
}
