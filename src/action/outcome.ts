// What the run amounts to, as plain numbers: the step outputs and the gate. Pure, so the rules are testable
// without a runner.
import {
  costRegressions,
  isCostVerdict,
  type Comparison,
  type CostBudget,
  type MetricVerdict
} from '../stats/compare.js'
import type { Results } from '../results/schema.js'

/** Outputs that carry the path of a written file, one per exporter (src/export/); empty when not written. */
export const FILE_OUTPUTS = [
  'report-path',
  'results-path',
  'summary-path',
  'comment-path',
  'smaller-is-better-path',
  'bigger-is-better-path',
  'bencher-path'
] as const
export type FileOutput = (typeof FILE_OUTPUTS)[number]

export const OUTPUT_NAMES = [
  'regressions',
  'cost-regressions',
  'improvements',
  'targets-failed',
  ...FILE_OUTPUTS,
  'baseline-run-id',
  'cost-usd',
  'comment-url',
  'duet-base-sha'
] as const
export type OutputName = (typeof OUTPUT_NAMES)[number]
export type Outputs = Record<OutputName, string>

/** Metrics that missed their target (from measured benchmarks only). */
export function targetsFailed(results: Results | undefined): number {
  if (!results) return 0
  let n = 0
  for (const b of results.benchmarks) for (const m of b.metrics) if (m.targetMet === false) n++
  return n
}

export interface OutputFacts {
  results?: Results
  comparison?: Comparison
  /** Paths of the files written so far, by output name. */
  files?: Partial<Record<FileOutput, string>>
  baselineRunId?: number
  commentUrl?: string
}

/** Every output has a value (empty when unknown), so later steps can test it without `|| ''` tricks. */
export function outputsOf(f: OutputFacts): Outputs {
  return {
    regressions: String(f.comparison?.regressions.length ?? 0),
    'cost-regressions': String(costRegressions(f.comparison).length),
    improvements: String(f.comparison?.improvements.length ?? 0),
    'targets-failed': String(targetsFailed(f.results)),
    ...(Object.fromEntries(FILE_OUTPUTS.map(o => [o, f.files?.[o] ?? ''])) as Record<FileOutput, string>),
    'baseline-run-id': f.baselineRunId !== undefined ? String(f.baselineRunId) : '',
    // Enough digits for sub-cent runs; the figure is allocation × measured seconds × price.
    'cost-usd': f.results ? f.results.cost.usd.toFixed(6) : '',
    'comment-url': f.commentUrl ?? '',
    'duet-base-sha': f.results?.duet?.base.sha ?? ''
  }
}

const signed = (x: number | undefined): string =>
  x === undefined ? 'n/a' : `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`

/** The annotation text for one regression: metric, values, change, and the evidence it was decided on. */
export function regressionAnnotation(v: MetricVerdict): { title: string; message: string } {
  const unit = v.unit ? ` ${v.unit}` : ''
  const fmt = (x: number | undefined): string =>
    x === undefined ? 'n/a' : `${Number(x.toPrecision(4))}${unit}`
  return {
    title: `${isCostVerdict(v) ? 'Cost regression' : 'Regression'}: ${v.key}`,
    message:
      `${v.key}: ${v.headline} ${fmt(v.baseline)} → ${fmt(v.head)} (${signed(v.changePct)}, ` +
      `${v.direction} is better). ${v.reason}`
  }
}

/**
 * Input `max-cost-usd` against what the run cost, confirm runs included (on the local provider the estimate "as if
 * on E2B": the budget guards what the same run would cost there). Undefined when no budget was set.
 */
export function costBudget(
  results: Results | undefined,
  maxUsd: number | undefined,
  extraUsd = 0
): CostBudget | undefined {
  if (maxUsd === undefined || !results) return undefined
  const usd = results.cost.usd + extraUsd
  return { maxUsd, usd, estimated: results.cost.estimated, exceeded: usd > maxUsd }
}

const usd = (x: number): string => `$${x < 0.01 ? x.toPrecision(3) : x.toFixed(2)}`

/** The budget's failure message. */
export function budgetMessage(b: CostBudget): string {
  const est = b.estimated ? ' (estimated as if on E2B: the local provider)' : ''
  return `the run cost ${usd(b.usd)}${est}, over max-cost-usd ${usd(b.maxUsd)}`
}

/** Why the step fails, or undefined when it passes. */
export function gateFailure(opts: {
  results: Results | undefined
  comparison: Comparison | undefined
  failOnRegression: boolean
  failOnTarget: boolean
}): string | undefined {
  const reasons: string[] = []
  if (opts.results && !opts.results.run.complete) reasons.push('the run was interrupted; results are partial')
  // A run that measured nothing (python missing, every agent crashing) must not pass as "no regression".
  const ran = opts.results?.benchmarks.filter(b => b.status !== 'skipped') ?? []
  if (ran.length > 0 && ran.every(b => b.status === 'error')) {
    reasons.push(`nothing was measured: all ${ran.length} benchmark(s) errored`)
  }
  const regressions = opts.comparison?.regressions.length ?? 0
  // The pull request's accept label: the regressions stay reported, the gate passes.
  if (opts.failOnRegression && regressions > 0 && !opts.comparison?.accepted) {
    const cost = costRegressions(opts.comparison).length
    const confirmed = opts.comparison?.confirm
      ? `, confirmed by ${opts.comparison.confirm.runs} confirm run(s)`
      : ''
    reasons.push(
      `${regressions} regression(s) found${cost ? `, ${cost} of them cost regression(s)` : ''}${confirmed} ` +
        `(fail-on-regression is on)`
    )
  }
  // The budget is a gate of its own: neither fail-on-regression nor the accept label lift it.
  const budget = opts.comparison?.budget
  if (budget?.exceeded) reasons.push(budgetMessage(budget))
  const missed = targetsFailed(opts.results)
  if (opts.failOnTarget && missed > 0)
    reasons.push(`${missed} metric(s) missed their target (fail-on-target is on)`)
  return reasons.length > 0 ? reasons.join('; ') : undefined
}
