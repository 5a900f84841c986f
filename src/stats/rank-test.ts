// Mann–Whitney U test (Wilcoxon rank-sum): does one sample tend to be larger than the other?
// Distribution-free, so it holds for skewed latency samples; exact for small tie-free samples, else the normal
// approximation with tie and continuity corrections.
import { normalSf } from './distributions.js'

export interface RankTestResult {
  /** U of the first sample: the number of (a, b) pairs with a > b, ties counting ½. */
  u: number
  /** U ÷ (n_a·n_b): probability that a random a exceeds a random b (0.5 = no shift). */
  superiority: number
  /** Two-sided p-value. */
  p: number
  method: 'exact' | 'normal'
}

/** Largest n_a·n_b for which the exact null distribution is counted (about 0.4 M cells of work). */
const EXACT_MAX_PRODUCT = 625

/** Ranks (1-based, ties averaged) of the pooled samples and the tie sizes. */
function poolRanks(a: readonly number[], b: readonly number[]): { rankSumA: number; ties: number[] } {
  const pooled = a.map(v => ({ v, fromA: true })).concat(b.map(v => ({ v, fromA: false })))
  pooled.sort((x, y) => x.v - y.v)
  let rankSumA = 0
  const ties: number[] = []
  for (let i = 0; i < pooled.length;) {
    let j = i
    while (j + 1 < pooled.length && pooled[j + 1].v === pooled[i].v) j++
    const rank = (i + j + 2) / 2
    for (let k = i; k <= j; k++) if (pooled[k].fromA) rankSumA += rank
    if (j > i) ties.push(j - i + 1)
    i = j + 1
  }
  return { rankSumA, ties }
}

/** Null distribution of U for sizes m, n without ties: counts[u] of the C(m+n, m) orderings. */
function exactUCounts(m: number, n: number): number[] {
  // prev[j] = counts for (i-1, j); built up over i with the recurrence
  // c(i, j, u) = c(i-1, j, u-j) + c(i, j-1, u): the largest value belongs to a (beats all j b's) or to b.
  let prev: number[][] = []
  for (let j = 0; j <= n; j++) prev.push([1])
  for (let i = 1; i <= m; i++) {
    const cur: number[][] = [[1]]
    for (let j = 1; j <= n; j++) {
      const size = i * j + 1
      const row = new Array<number>(size).fill(0)
      const left = cur[j - 1]
      const up = prev[j]
      for (let u = 0; u < size; u++) {
        if (u < left.length) row[u] += left[u]
        if (u - j >= 0 && u - j < up.length) row[u] += up[u - j]
      }
      cur.push(row)
    }
    prev = cur
  }
  return prev[n]
}

export function mannWhitneyU(a: readonly number[], b: readonly number[]): RankTestResult {
  const na = a.length
  const nb = b.length
  if (na === 0 || nb === 0) throw new RangeError('mannWhitneyU: both samples need at least one value')
  const { rankSumA, ties } = poolRanks(a, b)
  const u = rankSumA - (na * (na + 1)) / 2
  const superiority = u / (na * nb)
  if (ties.length === 0 && na * nb <= EXACT_MAX_PRODUCT) {
    const counts = exactUCounts(na, nb)
    const total = counts.reduce((s, c) => s + c, 0)
    let lower = 0
    let upper = 0
    for (let k = 0; k < counts.length; k++) {
      if (k <= u) lower += counts[k]
      if (k >= u) upper += counts[k]
    }
    return { u, superiority, p: Math.min(1, (2 * Math.min(lower, upper)) / total), method: 'exact' }
  }
  const nTot = na + nb
  const tieTerm = ties.reduce((s, t) => s + (t * t * t - t), 0) / (nTot * (nTot - 1))
  const variance = ((na * nb) / 12) * (nTot + 1 - tieTerm)
  // Every value tied: the samples cannot be told apart.
  if (!(variance > 0)) return { u, superiority, p: 1, method: 'normal' }
  const z = Math.max(0, Math.abs(u - (na * nb) / 2) - 0.5) / Math.sqrt(variance)
  return { u, superiority, p: Math.min(1, 2 * normalSf(z)), method: 'normal' }
}
