// Input `confirm-runs`: before a regression fails the gate, the benchmarks that have one are measured again
// (a duet again when the run was a duet) and judged again. A regression stands when a strict majority of the
// re-measurements repeat it (with one confirm run: that run); one they do not repeat is cleared, kept in the
// report with what cleared it, and no longer counted. The decision is pure (`applyConfirmation`); the measuring
// is the caller's (`confirmRegressions` takes it as a function).
import { SHIFT_KEY, emptyCounts, type Comparison, type MetricVerdict } from '../stats/compare.js'

/** Benchmark ids to re-measure for these regressions; all of `only` when the run-wide shift is one of them. */
export function benchmarksToConfirm(
  regressions: readonly MetricVerdict[],
  only: readonly string[]
): string[] {
  if (regressions.some(v => v.key === SHIFT_KEY)) return [...only]
  return [...new Set(regressions.map(v => v.benchmarkId))].filter(id => only.includes(id))
}

/**
 * The first comparison with each regression kept when a strict majority of `reruns` (comparisons of the
 * re-measurements) call it a regression too, and cleared otherwise.
 */
export function applyConfirmation(first: Comparison, reruns: readonly Comparison[], usd = 0): Comparison {
  if (first.regressions.length === 0 || reruns.length === 0) return first
  const stood: string[] = []
  const cleared: string[] = []
  const verdicts = first.verdicts.map(v => {
    if (v.verdict !== 'regression') return v
    const again = reruns.map(r => r.verdicts.find(x => x.key === v.key))
    const repeated = again.filter(x => x?.verdict === 'regression').length
    if (repeated * 2 > reruns.length) {
      stood.push(v.key)
      return {
        ...v,
        reason: `${v.reason}; confirmed by ${repeated} of ${reruns.length} re-measurement(s)`
      }
    }
    cleared.push(v.key)
    const said = again
      .map((x, i) => `re-measurement ${i + 1}: ${x ? `${x.verdict} (${x.reason})` : 'not measured'}`)
      .join('; ')
    return {
      ...v,
      verdict: 'unchanged' as const,
      reason: `a regression in the first measurement, cleared by the confirm run(s): ${said}`
    }
  })
  const counts = emptyCounts()
  for (const v of verdicts) counts[v.verdict]++
  const regressions = verdicts.filter(v => v.verdict === 'regression')
  return {
    ...first,
    verdicts,
    regressions,
    counts,
    reason:
      `${first.reason}; ${reruns.length} confirm run(s): ${stood.length} regression(s) stood, ` +
      `${cleared.length} cleared`,
    confirm: { runs: reruns.length, stood, cleared, usd }
  }
}

/**
 * Re-measures the benchmarks with a regression verdict `runs` times (`measure` runs and judges them; it returns
 * the comparison and what the run cost) and applies the decision. Stops early once the outcome of every
 * regression is settled (a majority either way).
 */
export async function confirmRegressions(opts: {
  comparison: Comparison
  runs: number
  only: readonly string[]
  measure: (ids: string[]) => Promise<{ comparison: Comparison; usd: number }>
  log?: (line: string) => void
}): Promise<Comparison> {
  const { comparison, runs } = opts
  if (runs <= 0 || comparison.regressions.length === 0) return comparison
  const ids = benchmarksToConfirm(comparison.regressions, opts.only)
  if (ids.length === 0) return comparison
  const reruns: Comparison[] = []
  let usd = 0
  for (let i = 0; i < runs; i++) {
    opts.log?.(`Confirm run ${i + 1}/${runs}: re-measuring ${ids.join(', ')}`)
    const r = await opts.measure(ids)
    reruns.push(r.comparison)
    usd += r.usd
    if (settled(comparison.regressions, reruns, runs)) break
  }
  return applyConfirmation(comparison, reruns, usd)
}

/** True when no remaining re-measurement can change any regression's outcome under the majority rule. */
function settled(
  regressions: readonly MetricVerdict[],
  reruns: readonly Comparison[],
  runs: number
): boolean {
  const need = Math.floor(runs / 2) + 1
  return regressions.every(v => {
    const yes = reruns.filter(r => r.verdicts.find(x => x.key === v.key)?.verdict === 'regression').length
    return yes >= need || reruns.length - yes > runs - need
  })
}
