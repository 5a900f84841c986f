// Change points in a run history: E-divisive means (Matteson & James 2014) with a permutation test, as Apache
// Otava (formerly Hunter) runs it with `--orig-edivisive` and MongoDB's signal-processing-algorithms (Daly et al.,
// ICPE 2020). The series is split recursively: the best split of any current interval is found, tested against
// the same search on shuffled data, and kept when significant; the first non-significant candidate stops it.
// Then `findStep` turns the segments into at most one reportable step: one at least the threshold that persists.
import { mulberry32 } from './bootstrap.js'

export interface EDivisiveOptions {
  /** Shuffles per candidate; p = (1 + shuffles whose best q̂ reached the candidate's) / (permutations + 1). */
  permutations: number
  /** A candidate is a change point when p ≤ alpha. */
  alpha: number
  /** Fewest points on each side of a split, so a step must persist this many runs to be found. */
  minSize: number
  seed: number
}

export const DEFAULT_EDIVISIVE: EDivisiveOptions = {
  // Otava's default level. Every gated headline is tested on every baseline run, so α is per metric (about 50 in
  // the quick profile): at 0.01, 1 % of flat histories with 15 % run-to-run noise showed a step past 10 %. 999
  // shuffles resolve p = 0.001, ~60 ms for a significant candidate on 100 runs; a non-significant one stops early.
  permutations: 999,
  alpha: 0.001,
  minSize: 3,
  seed: 1
}

/** Fewest runs a history needs before a step can be found in it (a regime of `minSize` runs on each side). */
export const MIN_STEP_RUNS = 2 * DEFAULT_EDIVISIVE.minSize

export interface ChangePoint {
  /** Index of the first point of the new regime (0 is never a change point). */
  index: number
  /** The divergence of the split (Matteson–James q̂ with α = 1). */
  qhat: number
  pValue: number
}

interface Candidate {
  index: number
  qhat: number
}

/**
 * Within-interval pair sums `W[a·(L+1)+b] = Σ_{a≤i<j<b} |x_i − x_j|` over `xs[start, end)`, for all a < b. Then a
 * split's three sums (within X, within Y, across) are differences of three entries: O(L²) per interval.
 */
function pairSums(xs: ArrayLike<number>, start: number, end: number): Float64Array {
  const L = end - start
  const W = new Float64Array((L + 1) * (L + 1))
  for (let a = L - 1; a >= 0; a--) {
    let row = 0
    for (let b = a + 2; b <= L; b++) {
      row += Math.abs(xs[start + a] - xs[start + b - 1])
      W[a * (L + 1) + b] = W[(a + 1) * (L + 1) + b] + row
    }
  }
  return W
}

/** The split of `xs[start, end)` with the largest q̂ (X = [start, τ), Y = [τ, κ), κ ≤ end), or none. */
export function bestSplit(
  xs: ArrayLike<number>,
  start: number,
  end: number,
  minSize: number
): Candidate | undefined {
  const L = end - start
  const m0 = Math.max(2, minSize)
  if (L < 2 * m0) return undefined
  const W = pairSums(xs, start, end)
  const w = (a: number, b: number): number => W[a * (L + 1) + b]
  let best: Candidate | undefined
  for (let t = m0; t <= L - m0; t++) {
    const n = t
    const xx = w(0, t)
    for (let k = t + m0; k <= L; k++) {
      const m = k - t
      const yy = w(t, k)
      const xy = w(0, k) - xx - yy
      const q =
        (2 / (n + m)) * xy - ((2 * m) / ((n + m) * (n - 1))) * xx - ((2 * n) / ((n + m) * (m - 1))) * yy
      if (!best || q > best.qhat) best = { index: start + t, qhat: q }
    }
  }
  return best
}

/** Current intervals between sorted change points. */
const intervalsOf = (n: number, cps: readonly number[]): [number, number][] => {
  const bounds = [0, ...cps, n]
  return bounds.slice(1).map((e, i) => [bounds[i], e] as [number, number])
}

function bestOver(
  xs: ArrayLike<number>,
  intervals: [number, number][],
  minSize: number
): Candidate | undefined {
  let best: Candidate | undefined
  for (const [s, e] of intervals) {
    const c = bestSplit(xs, s, e, minSize)
    if (c && (!best || c.qhat > best.qhat)) best = c
  }
  return best
}

/** E-divisive means with a permutation test. Deterministic for a given seed. Change points sorted by index. */
export function eDivisive(series: readonly number[], options: Partial<EDivisiveOptions> = {}): ChangePoint[] {
  const o = { ...DEFAULT_EDIVISIVE, ...options }
  const xs = Float64Array.from(series)
  const rand = mulberry32(o.seed)
  const found: ChangePoint[] = []
  // p counts the observed split among the shuffles (Phipson & Smyth 2010), so p ≤ α happens with probability α
  // on a flat series; Otava's count / (permutations + 1) doubles that at α = 0.001. Stop early once more shuffles
  // reached q̂ than a significant p allows: the verdict cannot change.
  const maxExtreme = Math.floor(o.alpha * (o.permutations + 1)) - 1
  for (;;) {
    const intervals = intervalsOf(
      xs.length,
      found.map(c => c.index)
    )
    const candidate = bestOver(xs, intervals, o.minSize)
    if (!candidate) break
    let extreme = 0
    let done = 0
    const shuffled = Float64Array.from(xs)
    for (; done < o.permutations && extreme <= maxExtreme; done++) {
      shuffled.set(xs)
      for (const [s, e] of intervals) shuffleRange(shuffled, s, e, rand)
      const q = bestOver(shuffled, intervals, o.minSize)
      if (q && q.qhat >= candidate.qhat) extreme++
    }
    const pValue = (extreme + 1) / (o.permutations + 1)
    if (extreme > maxExtreme || pValue > o.alpha) break
    found.push({ ...candidate, pValue })
    found.sort((a, b) => a.index - b.index)
  }
  return found
}

/** Fisher–Yates on `xs[start, end)`. */
function shuffleRange(xs: Float64Array, start: number, end: number, rand: () => number): void {
  for (let i = end - 1; i > start; i--) {
    const j = start + Math.floor(rand() * (i - start + 1))
    const t = xs[i]
    xs[i] = xs[j]
    xs[j] = t
  }
}

export interface Step {
  /** Index of the first run of the new level (into the analysed series). */
  index: number
  /** Level before the step and now (geometric means of their segments). */
  before: number
  after: number
  /** (after ÷ before − 1) × 100. */
  changePct: number
  /** The change in the worse direction is positive (a slowdown, or lost throughput). */
  worse: boolean
  /** p of the change point where the step began (at least 1 / (permutations + 1)). */
  pValue: number
  /** Change points found in the whole series (a creep shows several). */
  changePoints: number
}

export interface StepOptions extends Partial<EDivisiveOptions> {
  /** Smallest relative change, percent, worth reporting (the regression threshold). */
  thresholdPct: number
  direction: 'lower' | 'higher'
}

/**
 * The step the series made that still holds at its end. A change point qualifies when every later segment stayed
 * beyond the level before it, on the side where the last segment is, and the last segment is at least the
 * threshold away from that level. One change point of +12 % qualifies; so does the first of four +3 % ones in a
 * row (a creep no pair of neighbouring runs shows); a step undone later does not. Of those that qualify, the
 * latest one in the worse direction is reported (else the latest better one): after a dip and a recovery, the
 * step is measured from the recovered level, not from the trough. Analysed on log values (timings vary by ratios,
 * and a step is relative): a series with a value ≤ 0 has no relative step and gets none.
 */
export function findStep(values: readonly number[], opts: StepOptions): Step | undefined {
  if (values.length < 2 * (opts.minSize ?? DEFAULT_EDIVISIVE.minSize)) return undefined
  if (!values.every(v => v > 0 && Number.isFinite(v))) return undefined
  const xs = values.map(Math.log)
  const cps = eDivisive(xs, opts)
  if (!cps.length) return undefined
  const bounds = [0, ...cps.map(c => c.index), xs.length]
  const levels = bounds.slice(1).map((e, i) => mean(xs.slice(bounds[i], e)))
  const last = levels[levels.length - 1]
  const steps: Step[] = []
  for (let j = 1; j < levels.length; j++) {
    const before = levels[j - 1]
    const up = last > before
    if (!levels.slice(j).every(l => (up ? l > before : l < before))) continue
    const changePct = Math.expm1(last - before) * 100
    if (Math.abs(changePct) < opts.thresholdPct) continue
    steps.push({
      index: cps[j - 1].index,
      before: Math.exp(before),
      after: Math.exp(last),
      changePct,
      worse: opts.direction === 'lower' ? changePct > 0 : changePct < 0,
      pValue: cps[j - 1].pValue,
      changePoints: cps.length
    })
  }
  return steps.filter(s => s.worse).pop() ?? steps.pop()
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
