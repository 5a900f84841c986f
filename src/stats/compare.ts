// The regression verdict of the baseline-artifact comparison: head run vs the default branch's baseline run, metric
// by metric, in named steps (collect, measure the run-wide shift, test, Holm, decide). The rule in words, once, is in
// docs/regressions.md ("The baseline artifact"); a duet is judged in src/duet/verdict.ts instead.
import type { Trend } from './trend.js'
import {
  FLOOR_KEY,
  metricKey,
  type BenchmarkResult,
  type HistoryEntry,
  type Metric,
  type Pairing,
  type Results
} from '../results/schema.js'
import { bootstrapRatio, hashSeed } from './bootstrap.js'
import { normalSf, studentTCdf } from './distributions.js'
import { driftClass, driftSign, headlineSeLog, runScatter, runShift, type ShiftInput } from './drift.js'
import { holmAdjust } from './multiple.js'
import { noiseBand, type NoiseBand } from './noise.js'
import { mannWhitneyU } from './rank-test.js'

/** The pseudo-metric under which the run-wide shift of all timings is judged. */
export const SHIFT_KEY = 'run/timing-shift'

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
  /** Smallest change, percent in the worse direction (after the run-wide shift), that can count as a regression. */
  thresholdPct: number
  /** Family-wise error rate across all tested metrics (Holm). */
  alpha: number
  /** Floor of one run's run-to-run noise σ, percent, when the history estimates it. */
  minNoisePct: number
  /** One run's run-to-run noise σ, percent, assumed while the history is shorter than `minHistoryRuns`. */
  noHistoryNoisePct: number
  /** Smallest run-wide shift of all timings, percent, that can count as a regression of its own. */
  shiftThresholdPct: number
  /** Remove the run-wide shift from each timed metric (off: on dedicated runners, where any shift is the code's). */
  removeShift: boolean
  /** Band half-width in σ for counted metrics (no sampling noise: only the history says how much they vary). */
  noiseSigmas: number
  /** Fewest history runs to estimate a metric's run-to-run noise from; fewer and `noHistoryNoisePct` applies. */
  minHistoryRuns: number
  /** Newest history runs the noise and shift estimates read; older ones are kept for the trend only. */
  maxHistoryRuns: number
  /** Fewest samples on each side to estimate the sampling error from the samples themselves. */
  minSamples: number
  /** Bootstrap resamples for the interval on the change. */
  bootstrapIterations: number
  /** Why there is no baseline, when `baseline` is undefined. */
  noBaselineReason?: string
  /**
   * Per-benchmark or per-metric minimum effects (input `thresholds`), percent: the key `benchmark/metric`, then
   * the metric name, then the benchmark id decides; `thresholdPct` for the rest.
   */
  thresholds?: Readonly<Record<string, number>>
}

/** The minimum effect that applies to one metric: the most specific `thresholds` key, else `thresholdPct`. */
export function thresholdFor(
  opts: Pick<CompareOptions, 'thresholdPct' | 'thresholds'>,
  benchmarkId: string,
  metric: string
): number {
  const t = opts.thresholds
  if (!t) return opts.thresholdPct
  for (const key of [`${benchmarkId}/${metric}`, metric, benchmarkId])
    if (Object.hasOwn(t, key)) return t[key]
  return opts.thresholdPct
}

export const DEFAULT_COMPARE_OPTIONS: CompareOptions = {
  thresholdPct: 10,
  // Tuned with `npm run bench:detector`: ≤ 1 % false alarms per whole-matrix comparison is the target.
  alpha: 0.01,
  minNoisePct: 1,
  // Without history nothing says how much this runner's runs differ. Measured on a busy 2-core machine, runs of one
  // commit differed by up to 80 % on µs-scale timings; at 20 % no pair of 8 such runs was called a regression
  // (at 10 %, 17 of 56 were). So until the history exists only a large change is called.
  noHistoryNoisePct: 20,
  // A busier runner shifts every timing by tens of percent (+22 % against a 10-run history, measured here); a change
  // that slows everything alike must be larger than that to be told apart from it.
  shiftThresholdPct: 50,
  removeShift: true,
  noiseSigmas: 3,
  // Measured on this machine (every ordered pair of 16 real runs of one commit): with 3, 5, 6, 8 runs of history
  // 12 %, 15 %, 9 %, 1.7 % of pairs were called regressions (µs-scale loopback timings switch between modes a few
  // runs do not all show), with 10 none, as with no history at all.
  minHistoryRuns: 10,
  // The 20 runs the history held before it grew for trends: an older step in a longer history would widen σ.
  maxHistoryRuns: 20,
  // A median's MAD from fewer samples is too unsteady to be trusted as the error of the headline.
  minSamples: 8,
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
  /** The change after removing the run-wide shift, percent (what the threshold and the test judge). */
  adjustedPct?: number
  /** The run-wide shift removed, percent (positive: the head's runner was slower). */
  shiftPct?: number
  /** Two-sided p-value of the test, raw and Holm-adjusted. */
  p?: number
  pAdjusted?: number
  /**
   * `t`/`z`: the shift-corrected change over its noise σ; `rank`: Mann–Whitney (no percent change possible);
   * `paired`: a duet's paired log ratios (Yuen's trimmed t against the threshold, src/stats/paired.ts).
   */
  test?: 't' | 'z' | 'rank' | 'paired'
  /** Duet: pairs judged, and the smallest slowdown this metric detects with 95 % power (threshold included). */
  pairs?: number
  mdePct?: number
  /** Degrees of freedom of a `t` test that leans on the runs' scatter (a history's t has its run count). */
  df?: number
  /** ±1σ of the change (`source` says where σ came from) for tested metrics; the history band for counted ones. */
  noise?: NoiseBand
  /** The minimum effect this metric was judged against (percent), after any per-benchmark `thresholds`. */
  thresholdPct?: number
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
  /** `duet`: base and head measured side by side in this run; `artifact` (default): against a recorded run. */
  mode?: 'duet' | 'artifact'
  /** In a duet, how each pair of requests ran: back to back in a random order, or both at once. */
  pairing?: Pairing
  /** In a duet, the comparison with the baseline artifact, shown as context only (it never fails the gate). */
  artifact?: Comparison
  /**
   * The pull request carries the accept label (input `accept-label`): its regressions stay listed but do not fail
   * the gate. `by`: who applied the label, when the issue events API said.
   */
  accepted?: { label: string; by?: string }
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
  /** On runs that record the baseline: the gated headlines over the history and their steps (context only). */
  trend?: Trend
  /**
   * The run-wide shift of all timed metrics (head vs baseline), when there were timed metrics to estimate it;
   * `scatterPct`: how far single timings strayed from it beyond their sampling error (part of every timed
   * metric's σ); `floorPct`: how much the runner floor moved, when both runs measured it.
   */
  shift?: { pct: number; sePct: number; metrics: number; scatterPct: number; floorPct?: number }
  /** Input `max-cost-usd`: the budget, what the run cost (confirm runs included) and whether it went over. */
  budget?: CostBudget
  /** Input `confirm-runs`: the regressions re-measured, and which stood or were cleared (src/action/confirm.ts). */
  confirm?: ConfirmSummary
}

export interface CostBudget {
  maxUsd: number
  usd: number
  /** On the local provider: the cost is the estimate "as if on E2B". */
  estimated: boolean
  exceeded: boolean
}

export interface ConfirmSummary {
  /** Re-measurements made. */
  runs: number
  /** Keys of the regressions that the re-measurements repeated: they stay regressions. */
  stood: string[]
  /** Keys of the regressions the re-measurements did not repeat: no longer regressions. */
  cleared: string[]
  /** What the re-measurements cost, USD (estimated as if on E2B on the local provider). */
  usd: number
}

/** Units of a cost per operation (`usd/op`): a regression of one is a cost regression. */
export const COST_PER_OP_UNIT = /^(usd|\$)\s*(\/|per)\s*op/i
export const isCostVerdict = (v: Pick<MetricVerdict, 'unit'>): boolean => COST_PER_OP_UNIT.test(v.unit.trim())
/** The regressions of cost per operation: the cost of the same work rose beyond the threshold. */
export const costRegressions = (c: Pick<Comparison, 'regressions'> | undefined): MetricVerdict[] =>
  (c?.regressions ?? []).filter(isCostVerdict)

export const emptyCounts = (): Record<VerdictKind, number> =>
  Object.fromEntries(VERDICT_KINDS.map(k => [k, 0])) as Record<VerdictKind, number>

/** A comparison that could not be made, and why. */
export function noComparison(reason: string, options: CompareOptions): Comparison {
  return {
    status: 'no-baseline',
    reason,
    options,
    verdicts: [],
    regressions: [],
    improvements: [],
    counts: emptyCounts(),
    tested: 0,
    warnings: []
  }
}

/** A signed percent with one decimal, as every verdict's reason writes it. */
export const pct = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`
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
  if (!baseline) return noComparison(opts.noBaselineReason ?? 'no baseline results were given', opts)
  if (baseline.history.length > opts.maxHistoryRuns)
    baseline = { ...baseline, history: baseline.history.slice(0, opts.maxHistoryRuns) }

  const warnings = runWarnings(baseline, head)
  const baseIndex = index(baseline)
  const headIndex = index(head)
  const seOf = standardErrors()
  const { verdicts, candidates } = collectCandidates(baseline, baseIndex, headIndex, opts, seOf)
  const shift = measureShift(baseline, baseIndex, headIndex, opts, seOf)

  const tested: MetricVerdict[] = []
  for (const c of candidates) if (testCandidate(c, shift, baseline.history, opts)) tested.push(c.v)

  // The run-wide shift itself: judged against the history's shifts, so slowing every timing alike is still seen.
  const floor = floorChange(baseline, head, opts)
  const shiftVerdict = shift.run
    ? judgeShift(shift.run, floor, baseline.history, shift.historyInputs, opts)
    : undefined
  if (shiftVerdict) {
    verdicts.push(shiftVerdict)
    tested.push(shiftVerdict)
  }
  if (shift.run && Math.abs(Math.expm1(shift.run.logShift)) > opts.thresholdPct / 100)
    warnings.push(shiftWarning(shift.run, floor, opts))

  decideAll(tested, candidates, opts)
  verdicts.push(...missingVerdicts(baseIndex, headIndex, head))
  return summarize(baseline, verdicts, tested, warnings, shift, floor, opts)
}

/** Why the two runs may not compare like for like: provider, profile, incomplete runs. */
function runWarnings(baseline: Results, head: Results): string[] {
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
  return warnings
}

type SeOf = (m: Metric, headline?: Metric['summary']['headline']) => number | undefined

/** A gated timing's error is needed for its verdict and for the run-wide shift: computed once (it sorts). */
function standardErrors(): SeOf {
  const cache = new Map<Metric, Map<string, number | undefined>>()
  return (m, headline = m.summary.headline) => {
    const byHeadline = cache.get(m) ?? cache.set(m, new Map()).get(m)!
    if (!byHeadline.has(headline)) byHeadline.set(headline, headlineSeLog(m.samples, headline))
    return byHeadline.get(headline)
  }
}

/**
 * One verdict per gated head metric. Those that can be settled at once (new, not comparable, counted, no samples)
 * are decided here; the rest become candidates for a statistical test.
 */
function collectCandidates(
  baseline: Results,
  baseIndex: Map<string, Entry>,
  headIndex: Map<string, Entry>,
  opts: CompareOptions,
  seOf: SeOf
): { verdicts: MetricVerdict[]; candidates: Candidate[] } {
  const verdicts: MetricVerdict[] = []
  const candidates: Candidate[] = []
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
    if (v.nBaseline === 0 || v.nHead === 0) {
      v.verdict = 'insufficient-data'
      v.reason = `${v.nBaseline} baseline and ${v.nHead} head samples`
      continue
    }
    const enough = v.nBaseline >= opts.minSamples && v.nHead >= opts.minSamples
    candidates.push({
      v,
      base: base.metric,
      head: metric,
      sign: driftSign(driftClass(metric.unit)),
      seBase: enough ? seOf(base.metric, headline) : undefined,
      seHead: enough ? seOf(metric, headline) : undefined
    })
  }
  return { verdicts, candidates }
}

/** How the runners' speed differed: the head's shift, what each timing did on its own, and each history run's. */
interface ShiftEvidence {
  headInputs: ShiftInput[]
  historyInputs: ShiftInput[][]
  run?: { logShift: number; seLog: number; metrics: number }
  /** What a single timing may do on its own between these two runs: part of every timed metric's noise. */
  scatter: number
  scatterTimings: number
}

/**
 * What every timed metric of the two runs says about the runners' speed, gated or context (a dozen timings read
 * the runner far better than the three gated ones), for the head and for each history run.
 */
function measureShift(
  baseline: Results,
  baseIndex: Map<string, Entry>,
  headIndex: Map<string, Entry>,
  opts: CompareOptions,
  seOf: SeOf
): ShiftEvidence {
  const speed = speedSources(baseIndex, headIndex, opts, seOf)
  const headInputs: ShiftInput[] = speed
    .filter(s => s.seHead !== undefined)
    .map(s => ({
      key: s.key,
      group: s.benchmarkId,
      logSlowdown: s.sign * Math.log(s.head / s.baseline),
      seLog: Math.hypot(s.seBase, s.seHead!),
      samples: Math.min(s.nBase, s.nHead)
    }))
  const historyInputs = baseline.history.map(h => historyShiftOf(h, speed))
  const run = runShift(headInputs)
  const { logScatter: scatter, timings: scatterTimings } = run
    ? runScatter(headInputs, run.logShift)
    : { logScatter: 0, timings: 0 }
  return { headInputs, historyInputs, run, scatter, scatterTimings }
}

/**
 * A candidate's test: its change net of the run-wide shift against its noise σ (samples, history, floor), or a
 * rank test when there is no positive value to take a log of. False when it cannot be tested (its verdict says why).
 */
function testCandidate(
  c: Candidate,
  shift: ShiftEvidence,
  history: readonly HistoryEntry[],
  opts: CompareOptions
): boolean {
  const { v } = c
  if (v.baseline === undefined || v.head === undefined || v.baseline <= 0 || v.head <= 0) {
    // No percent change or log scale: the rank test alone can say something.
    if (v.nBaseline < opts.minSamples || v.nHead < opts.minSamples) {
      v.verdict = 'insufficient-data'
      v.reason = `baseline value ${v.baseline} is not positive and ${v.nBaseline} baseline / ${v.nHead} head samples are too few for a rank test (${opts.minSamples} each)`
      return false
    }
    const test = mannWhitneyU(c.head.samples, c.base.samples)
    v.p = test.p
    v.test = 'rank'
    c.superiority = test.superiority
    return true
  }
  // Removed with or without history: a busier runner slows every timing (measured here: one run's CPU-bound
  // strategy time 2.2× the others'). A change that slows everything alike is judged as the shift itself.
  const headShift = c.sign !== 0 && opts.removeShift ? runShift(shift.headInputs, v.benchmarkId) : undefined
  const correction = headShift ? c.sign * headShift.logShift : 0
  const residual = Math.log(v.head / v.baseline) - correction
  c.residual = residual
  if (headShift) v.shiftPct = Math.expm1(headShift.logShift) * 100
  v.adjustedPct = Math.expm1(residual) * 100

  // Run-to-run scatter of this metric in the history, each history run corrected for its own shift.
  const residuals: number[] = []
  history.forEach((h, j) => {
    const x = h.values[v.key]
    if (x === undefined || !(x > 0)) return
    const s = c.sign !== 0 && opts.removeShift ? runShift(shift.historyInputs[j], v.benchmarkId) : undefined
    residuals.push(Math.log(x / v.baseline!) - (s ? c.sign * s.logShift : 0))
  })
  const fromHistory = residuals.length >= opts.minHistoryRuns
  const sigmaHistory = fromHistory
    ? Math.sqrt(residuals.reduce((a, r) => a + r * r, 0) / residuals.length)
    : 0
  const sigmaSamples =
    c.seBase !== undefined && c.seHead !== undefined
      ? Math.sqrt(
          c.seBase ** 2 +
            c.seHead ** 2 +
            (headShift ? headShift.seLog ** 2 : 0) +
            (c.sign !== 0 ? shift.scatter ** 2 : 0)
        )
      : undefined
  if (sigmaSamples === undefined && !fromHistory) {
    v.verdict = 'insufficient-data'
    v.reason = `${v.nBaseline} baseline and ${v.nHead} head samples (a test needs ${opts.minSamples} on each side, or ${opts.minHistoryRuns} runs of history; the baseline has ${residuals.length})`
    return false
  }
  const floor = Math.SQRT2 * Math.log1p((fromHistory ? opts.minNoisePct : opts.noHistoryNoisePct) / 100)
  // The larger of the two decides σ: the history's scatter is each run's own deviation from the run-wide shift,
  // which the samples cannot see (measured: one run's consensus time 15 % off its shift, 4 σ of its samples).
  const excess = fromHistory && (sigmaSamples === undefined || sigmaHistory > sigmaSamples)
  const sigma = Math.max(excess ? sigmaHistory : 0, sigmaSamples ?? 0, floor)
  const source: NoiseBand['source'] =
    sigma === floor ? 'floor' : excess && sigma === sigmaHistory ? 'history' : 'samples'
  v.noise = sigmaBand(sigma, residuals.length, source)
  const stat = residual / sigma
  // σ that leans on the scatter τ, estimated from a dozen timings, is itself uncertain: Student t with the
  // Welch–Satterthwaite degrees of freedom, (timings − 1)·(σ² ÷ τ²)² (∞ when τ is 0: the normal).
  const tauShare =
    source === 'samples' && c.sign !== 0 && shift.scatter > 0 ? (shift.scatter / sigma) ** 2 : 0
  if (source === 'history') {
    v.test = 't'
    v.p = Math.min(1, 2 * (1 - studentTCdf(Math.abs(stat), residuals.length)))
  } else if (tauShare > 0 && shift.scatterTimings > 1) {
    v.test = 't'
    v.df = (shift.scatterTimings - 1) / tauShare ** 2
    v.p = Math.min(1, 2 * (1 - studentTCdf(Math.abs(stat), v.df)))
  } else {
    v.test = 'z'
    v.p = Math.min(1, 2 * normalSf(Math.abs(stat)))
  }
  if (opts.bootstrapIterations > 0) {
    const ratio = bootstrapRatio(c.base.samples, c.head.samples, v.headline, {
      iterations: opts.bootstrapIterations,
      level: 1 - opts.alpha,
      seed: hashSeed(v.key)
    })
    if (ratio)
      v.interval = { level: ratio.level, lowPct: (ratio.low - 1) * 100, highPct: (ratio.high - 1) * 100 }
  }
  return true
}

function shiftWarning(
  run: NonNullable<ShiftEvidence['run']>,
  floor: FloorChange | undefined,
  opts: CompareOptions
): string {
  const floorText = floor ? `; the runner floor moved ${pct(Math.expm1(floor.logChange) * 100)}` : ''
  return (
    `every timing moved together by ${pct(Math.expm1(run.logShift) * 100)} (${run.metrics} metrics${floorText}): ` +
    `a slower runner or a change that slows everything; it is removed from each metric, and what the runner ` +
    `floor does not explain is judged on its own beyond ${opts.shiftThresholdPct}% once the baseline has ` +
    `${opts.minHistoryRuns} runs of history`
  )
}

/** Holm across every tested metric, then each verdict from its adjusted p and its effect. */
function decideAll(tested: MetricVerdict[], candidates: readonly Candidate[], opts: CompareOptions): void {
  const adjusted = holmAdjust(tested.map(v => v.p ?? 1))
  tested.forEach((v, i) => {
    v.pAdjusted = adjusted[i]
    const c = candidates.find(x => x.v === v)
    if (v.test === 'rank') decideRank(v, c?.superiority ?? 0.5, opts)
    else decide(v, opts)
  })
}

/** A gated metric of the baseline that this run did not produce. */
function missingVerdicts(
  baseIndex: Map<string, Entry>,
  headIndex: Map<string, Entry>,
  head: Results
): MetricVerdict[] {
  const out: MetricVerdict[] = []
  for (const [key, { bench, metric }] of baseIndex) {
    if (!metric.gate || headIndex.has(key)) continue
    out.push({
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
  return out
}

function summarize(
  baseline: Results,
  verdicts: MetricVerdict[],
  tested: readonly MetricVerdict[],
  warnings: string[],
  shift: ShiftEvidence,
  floor: FloorChange | undefined,
  opts: CompareOptions
): Comparison {
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
    warnings,
    shift: shift.run
      ? {
          pct: Math.expm1(shift.run.logShift) * 100,
          sePct: Math.expm1(shift.run.seLog) * 100,
          metrics: shift.run.metrics,
          scatterPct: Math.expm1(shift.scatter) * 100,
          ...(floor ? { floorPct: Math.expm1(floor.logChange) * 100 } : {})
        }
      : undefined
  }
}
/** ±1σ of a change on the log scale, as the band a verdict shows. */
function sigmaBand(sigma: number, runs: number, source: NoiseBand['source']): NoiseBand {
  return {
    halfWidthLog: sigma,
    lowPct: Math.expm1(-sigma) * 100,
    highPct: Math.expm1(sigma) * 100,
    sigmaPct: Math.expm1(sigma) * 100,
    runs,
    source
  }
}

interface Candidate {
  v: MetricVerdict
  base: Metric
  head: Metric
  /** +1 time, −1 rate, 0 count: how the runner's speed moves it. */
  sign: number
  /** Standard errors of ln(headline) from each side's own samples (undefined: too few samples). */
  seBase?: number
  seHead?: number
  residual?: number
  superiority?: number
}

/** A timed metric present in both runs with enough samples: evidence of how the runners' speed differed. */
interface SpeedSource {
  key: string
  benchmarkId: string
  /** +1 time, −1 rate. */
  sign: number
  baseline: number
  head: number
  seBase: number
  /** Undefined when the head has too few samples: the metric still reads the history runs' speed. */
  seHead?: number
  nBase: number
  nHead: number
}

function speedSources(
  baseIndex: Map<string, Entry>,
  headIndex: Map<string, Entry>,
  opts: CompareOptions,
  seOf: (m: Metric) => number | undefined
): SpeedSource[] {
  const out: SpeedSource[] = []
  for (const [key, { bench, metric: base }] of baseIndex) {
    const sign = driftSign(driftClass(base.unit))
    if (sign === 0 || base.summary.n === 0 || base.samples.length < opts.minSamples) continue
    const baseline = statOf(base, base.summary.headline)
    const seBase = seOf(base)
    if (!(baseline > 0) || seBase === undefined) continue
    const h = headIndex.get(key)?.metric
    if (!h || h.unit !== base.unit || h.summary.headline !== base.summary.headline || h.summary.n === 0)
      continue
    const head = statOf(h, h.summary.headline)
    if (!(head > 0)) continue
    const seHead = h.samples.length >= opts.minSamples ? seOf(h) : undefined
    out.push({
      key,
      benchmarkId: bench.id,
      sign,
      baseline,
      head,
      seBase,
      seHead,
      nBase: base.samples.length,
      nHead: h.samples.length
    })
  }
  return out
}

/** A history run's evidence of its runner's speed vs the baseline, from the timed metrics' headline values. */
function historyShiftOf(h: HistoryEntry, speed: readonly SpeedSource[]): ShiftInput[] {
  const out: ShiftInput[] = []
  for (const s of speed) {
    const x = h.values[s.key]
    if (x === undefined || !(x > 0)) continue
    // A history run's own sampling error is not stored: the baseline's stands in for it.
    out.push({
      key: s.key,
      group: s.benchmarkId,
      logSlowdown: s.sign * Math.log(x / s.baseline),
      seLog: Math.SQRT2 * s.seBase
    })
  }
  return out
}

/** How much the runner floor moved between the two runs (ln head ÷ baseline), when both measured it well enough. */
interface FloorChange {
  logChange: number
  seLog: number
  /** The baseline's floor, that each history run's floor is held against. */
  baseline: number
}

function floorChange(baseline: Results, head: Results, opts: CompareOptions): FloorChange | undefined {
  const b = baseline.run.floor
  const h = head.run.floor
  if (!b || !h || b.samples.length < opts.minSamples || h.samples.length < opts.minSamples) return undefined
  const bv = statOf(b, 'median')
  const hv = statOf(h, 'median')
  const seB = headlineSeLog(b.samples, 'median')
  const seH = headlineSeLog(h.samples, 'median')
  if (!(bv > 0 && hv > 0) || seB === undefined || seH === undefined) return undefined
  return { logChange: Math.log(hv / bv), seLog: Math.hypot(seB, seH), baseline: bv }
}

/**
 * The run-wide shift as a verdict of its own, when the history shows how much runs normally shift. What the
 * runner floor moved is the machine's share and is taken out first (for the head and for each history run that
 * measured it): only a shift the machine does not explain can be the code's.
 */
function judgeShift(
  shift: { logShift: number; seLog: number; metrics: number },
  floor: FloorChange | undefined,
  history: readonly HistoryEntry[],
  historyInputs: readonly ShiftInput[][],
  opts: CompareOptions
): MetricVerdict | undefined {
  const shifts: number[] = []
  historyInputs.forEach((inputs, j) => {
    const s = runShift(inputs)
    if (!s) return
    const f = history[j].values[FLOOR_KEY]
    shifts.push(floor && f !== undefined && f > 0 ? s.logShift - Math.log(f / floor.baseline) : s.logShift)
  })
  if (shifts.length < opts.minHistoryRuns) return undefined
  const residual = shift.logShift - (floor?.logChange ?? 0)
  const sigmaHistory = Math.sqrt(shifts.reduce((a, r) => a + r * r, 0) / shifts.length)
  const minSigma = Math.SQRT2 * Math.log1p(opts.minNoisePct / 100)
  const sigmaSamples = Math.hypot(shift.seLog, shift.seLog, floor?.seLog ?? 0)
  const sigma = Math.max(sigmaHistory, sigmaSamples, minSigma)
  const v: MetricVerdict = {
    key: SHIFT_KEY,
    benchmarkId: 'run',
    metric: 'timing-shift',
    unit: '%',
    direction: 'lower',
    headline: 'median',
    verdict: 'unchanged',
    nBaseline: shifts.length,
    nHead: shift.metrics,
    changePct: Math.expm1(shift.logShift) * 100,
    worsePct: Math.expm1(shift.logShift) * 100,
    adjustedPct: Math.expm1(residual) * 100,
    test: 't',
    p: Math.min(1, 2 * (1 - studentTCdf(Math.abs(residual / sigma), shifts.length))),
    noise: sigmaBand(
      sigma,
      shifts.length,
      sigma === sigmaHistory ? 'history' : sigma === minSigma ? 'floor' : 'samples'
    ),
    reason: ''
  }
  if (floor) v.shiftPct = Math.expm1(floor.logChange) * 100
  return v
}

/** At least two samples, all identical: a deterministic figure. */
function isConstant(samples: readonly number[]): boolean {
  return samples.length >= 2 && samples.every(x => x === samples[0])
}

/** A deterministic metric: the change and the between-run band decide; there is no sampling noise to test. */
function decideExact(v: MetricVerdict, opts: CompareOptions): void {
  const threshold = thresholdFor(opts, v.benchmarkId, v.metric)
  v.thresholdPct = threshold
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
  const effect = Math.abs(v.worsePct) > threshold
  const outside = Math.abs(logRatio) > v.noise.halfWidthLog
  if (effect && outside) {
    v.verdict = v.worsePct > 0 ? 'regression' : 'improvement'
    v.reason = `${change} > ${threshold}% threshold, outside ${band}; deterministic (every sample identical on each side), no test needed`
    return
  }
  v.verdict = 'unchanged'
  v.reason = `${change}; ${effect ? `inside ${band}` : `within the ${threshold}% threshold`}; deterministic`
}

/** Holm-adjusted p as text. */
function pText(v: MetricVerdict, opts: CompareOptions): string {
  const pAdj = v.pAdjusted ?? 1
  const test =
    v.test === 't'
      ? v.df !== undefined
        ? `t-test, ${v.df < 100 ? `${v.df.toFixed(0)} df` : '100+ df'} from the runs' scatter`
        : `t-test, ${v.noise?.runs ?? 0} history runs`
      : v.test === 'z'
        ? 'z-test'
        : 'Mann–Whitney'
  return `p=${formatP(v.p ?? 1)} (${test}), Holm ${formatP(pAdj)} ${pAdj < opts.alpha ? '<' : '≥'} ${opts.alpha}`
}

/** Effect and evidence, for a tested metric whose p-value is already adjusted. */
function decide(v: MetricVerdict, opts: CompareOptions): void {
  const significant = (v.pAdjusted ?? 1) < opts.alpha
  const adjusted = v.adjustedPct ?? v.changePct ?? 0
  const worsePct = v.direction === 'lower' ? adjusted : -adjusted
  // The run-wide shift itself must be larger than a busier runner's (shiftThresholdPct) to count.
  const threshold =
    v.key === SHIFT_KEY
      ? Math.max(opts.thresholdPct, opts.shiftThresholdPct)
      : thresholdFor(opts, v.benchmarkId, v.metric)
  v.thresholdPct = threshold
  const effect = Math.abs(worsePct) > threshold
  const sigma = v.noise
    ? `noise σ ${v.noise.sigmaPct.toFixed(1)}% (${v.noise.source === 'history' ? `from ${v.noise.runs} history runs` : v.noise.source === 'samples' ? "from both runs' samples" : 'floor'})`
    : ''
  const shift =
    v.shiftPct === undefined
      ? ''
      : v.key === SHIFT_KEY
        ? ` beyond the runner floor's ${pct(v.shiftPct)} (all timings ${pct(v.changePct ?? 0)})`
        : ` after removing the run-wide shift of ${pct(v.shiftPct)} (raw ${pct(v.changePct ?? 0)})`
  const change = `${pct(worsePct)} ${worsePct >= 0 ? 'worse' : 'better'}${shift}`
  if (effect && significant) {
    v.verdict = worsePct > 0 ? 'regression' : 'improvement'
    v.reason = `${change} > ${threshold}% threshold; ${sigma}; ${pText(v, opts)}`
    return
  }
  v.verdict = 'unchanged'
  const why: string[] = [effect ? change : `${change} within the ${threshold}% threshold`]
  if (sigma) why.push(sigma)
  if (!significant) why.push(pText(v, opts))
  v.reason = why.join('; ')
}

/** A metric with a non-positive baseline or head value: no percent change, the rank test alone decides. */
function decideRank(v: MetricVerdict, superiority: number, opts: CompareOptions): void {
  const significant = (v.pAdjusted ?? 1) < opts.alpha
  // Which way the samples moved, by rank: head values tend to be larger (> 0.5) or smaller.
  const rankWorse = v.direction === 'lower' ? superiority > 0.5 : superiority < 0.5
  const rankBetter = v.direction === 'lower' ? superiority < 0.5 : superiority > 0.5
  if (v.baseline === v.head) {
    v.verdict = 'unchanged'
    v.reason = `same value (${v.head}); ${pText(v, opts)}`
  } else if (significant && (rankWorse || rankBetter)) {
    v.verdict = rankWorse ? 'regression' : 'improvement'
    v.reason = `baseline value ${v.baseline} is not positive, so no percent change; decided by the rank test: ${pText(v, opts)}`
  } else {
    v.verdict = 'unchanged'
    v.reason = `baseline value ${v.baseline} is not positive, so no percent change; ${pText(v, opts)}`
  }
}
