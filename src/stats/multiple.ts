// Correction for testing many metrics at once: with 60 gated metrics, a 5 % test per metric would flag about
// three regressions on every run of unchanged code.

/**
 * Holm–Bonferroni adjusted p-values, in the input order: p_(i) × (m − i + 1), made monotone, capped at 1.
 * A metric is significant at family-wise level α when its adjusted p < α.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length
  const order = pValues.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p)
  const adjusted = new Array<number>(m)
  let running = 0
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p))
    adjusted[i] = running
  })
  return adjusted
}
