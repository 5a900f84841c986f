// The metrics a duet judges, per benchmark: each benchmark object names its headlines (`headlines`), the first being
// its primary (the metric its row in the PR comment shows, `primaryHeadline`). A metric the code under test cannot
// move (a creation step of the platform) is still judged: in a duet both sides ran on the same platform at once.
import { ALL_BENCHMARKS } from '../bench/registry.js'

export const DUET_HEADLINES: Readonly<Record<string, readonly RegExp[]>> = Object.fromEntries(
  ALL_BENCHMARKS.map(b => [b.id, b.headlines ?? []])
)

/** Whether a duet judges this metric (its benchmark's headline, or a metric gated in every comparison). */
export function isDuetHeadline(benchmarkId: string, metric: { name: string; gate: boolean }): boolean {
  return metric.gate || (DUET_HEADLINES[benchmarkId] ?? []).some(re => re.test(metric.name))
}

/**
 * The metric that stands for a benchmark in the PR comment's one-row-per-benchmark table: the first of `names`
 * (in the order given) matching the benchmark's first headline pattern, else the first matching any of them, else
 * undefined. A benchmark outside the catalog has none.
 */
export function primaryHeadline(benchmarkId: string, names: readonly string[]): string | undefined {
  const patterns = DUET_HEADLINES[benchmarkId] ?? []
  for (const re of patterns) {
    const hit = names.find(n => re.test(n))
    if (hit !== undefined) return hit
  }
  return undefined
}
