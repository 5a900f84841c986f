// The overall impact of a change, as CodSpeed defines a commit's impact: the geometric mean of the per-benchmark
// ratios of the benchmarks that changed beyond their threshold, or of every benchmark when none did. A geometric
// mean, because ratios compound: ×2 and ×0.5 cancel out, where an arithmetic mean of +100 % and −50 % would not.

/** Geometric mean of positive ratios; undefined when there is none. */
export function geometricMean(ratios: readonly number[]): number | undefined {
  const ok = ratios.filter(r => r > 0 && Number.isFinite(r))
  if (ok.length === 0) return undefined
  return Math.exp(ok.reduce((a, r) => a + Math.log(r), 0) / ok.length)
}

export interface ImpactInput {
  /** Worse-direction ratio: > 1 slower (or less throughput, more bytes), < 1 better. */
  ratio: number
  /** Called a regression or an improvement (beyond its threshold and resolved). */
  changed: boolean
}

/**
 * Percent, positive worse: the geometric mean over the changed benchmarks, else over all; `over` says how many
 * benchmarks it covers and whether they were the changed ones.
 */
export function overallImpact(
  items: readonly ImpactInput[]
): { pct: number; over: number; changedOnly: boolean } | undefined {
  const changed = items.filter(i => i.changed)
  const pool = changed.length ? changed : items
  const g = geometricMean(pool.map(i => i.ratio))
  if (g === undefined) return undefined
  return { pct: (g - 1) * 100, over: pool.length, changedOnly: changed.length > 0 }
}

/** The worse-direction ratio of a change in percent (head ÷ base − 1) for a metric where `direction` is better. */
export function worseRatio(changePct: number, direction: 'lower' | 'higher'): number {
  const r = 1 + changePct / 100
  return direction === 'lower' ? r : 1 / r
}
