// The detector's building blocks, pure so they can be unit tested: synthetic runs made from recorded ones
// (resampled samples × a per-run drift factor, optionally one metric made worse), and the two reference rules
// the project's verdict is held against.
import { headlineValue, summarize } from '../../src/stats/describe.js'
import { driftClass as classOfUnit, type DriftClass } from '../../src/stats/drift.js'
import { normalQuantile, studentTCdf } from '../../src/stats/distributions.js'
import { condense } from '../../src/results/io.js'
import {
  FLOOR_KEY,
  metricKey,
  type HistoryEntry,
  type Metric,
  type Results
} from '../../src/results/schema.js'

/** How a slower machine moves a metric: the comparison's own classification (src/stats/drift.ts). */
export const driftClass = (m: Pick<Metric, 'unit'>): DriftClass => classOfUnit(m.unit)

/** exp(U(−ln(1+d), ln(1+d))): a run between 1/(1+d) and (1+d) times as slow, symmetric on the log scale. */
export function driftFactor(rand: () => number, driftPct: number): number {
  const h = Math.log1p(driftPct / 100)
  return Math.exp((2 * rand() - 1) * h)
}

/** `n` draws with replacement. */
export function resample(xs: readonly number[], rand: () => number, n = xs.length): number[] {
  const out = new Array<number>(n)
  for (let i = 0; i < n; i++) out[i] = xs[Math.floor(rand() * xs.length)]
  return out
}

/** The factor that makes a metric `pct` percent worse in its own direction. */
export const worseFactor = (direction: 'lower' | 'higher', pct: number): number =>
  direction === 'lower' ? 1 + pct / 100 : 1 / (1 + pct / 100)

export interface Injection {
  key: string
  pct: number
}

/**
 * Pools every recorded run's samples per metric: in `pooled` mode a synthetic run draws from the pool, so the only
 * between-run effect is the drift the simulation applies (its size is then the controlled between-run noise).
 */
export function poolRuns(runs: readonly Results[]): Results {
  const pool = new Map<string, number[]>()
  for (const r of runs) {
    for (const g of allMetrics(r)) {
      const xs = pool.get(g.key) ?? []
      xs.push(...g.metric.samples)
      pool.set(g.key, xs)
    }
  }
  const first = runs[0]
  const floor = first.run.floor
  return {
    ...first,
    run: floor
      ? { ...first.run, floor: { ...floor, samples: pool.get(FLOOR_KEY) ?? floor.samples } }
      : first.run,
    benchmarks: first.benchmarks.map(b => ({
      ...b,
      metrics: b.metrics.map(m => ({ ...m, samples: pool.get(metricKey(b.id, m.name)) ?? m.samples }))
    }))
  }
}

/** Like `syntheticRun` but each metric keeps the sample count of `shape` while drawing from `pool`. */
export function pooledRun(
  pool: Results,
  shape: Results,
  rand: () => number,
  drift: number,
  inject?: Injection,
  history: HistoryEntry[] = []
): Results {
  const counts = new Map(allMetrics(shape).map(g => [g.key, g.metric.samples.length]))
  return syntheticRun(pool, rand, drift, inject, history, counts)
}

/**
 * A synthetic run: the recorded run's metrics with their samples resampled, multiplied by the run's drift (per the
 * metric's drift class) and, for the injected metric, made `pct` percent worse. Context (non-gated) metrics are
 * kept: the verdict reads the runner's speed from them.
 */
export function syntheticRun(
  source: Results,
  rand: () => number,
  drift: number,
  inject?: Injection,
  history: HistoryEntry[] = [],
  counts?: Map<string, number>
): Results {
  const draw = (m: Metric, key: string): Metric => {
    const cls = driftClass(m)
    let f = cls === 'scales' ? drift : cls === 'inverse' ? 1 / drift : 1
    if (inject && inject.key === key) f *= worseFactor(m.direction, inject.pct)
    const samples = resample(m.samples, rand, counts?.get(key) ?? m.samples.length).map(x => x * f)
    return { ...m, samples, summary: summarize(samples, m.summary.headline) }
  }
  const floor = source.run.floor
  return {
    ...source,
    // The runner floor moves with the runner's drift like every timing, and never with an injected regression.
    run: floor ? { ...source.run, floor: draw(floor, FLOOR_KEY) } : source.run,
    history,
    benchmarks: source.benchmarks.map(b => ({
      ...b,
      metrics: b.metrics.map(m => draw(m, metricKey(b.id, m.name)))
    }))
  }
}

/** One run condensed to its headline values, as the baseline artifact's history keeps it. */
export const historyEntry = (r: Results, label: string): HistoryEntry => ({ ...condense(r), runId: label })

export interface GatedMetric {
  key: string
  metric: Metric
}

/** Every metric of a run, gated or context, and the runner floor. */
export function allMetrics(r: Results): GatedMetric[] {
  const out: GatedMetric[] = []
  for (const b of r.benchmarks)
    for (const m of b.metrics) out.push({ key: metricKey(b.id, m.name), metric: m })
  if (r.run.floor) out.push({ key: FLOOR_KEY, metric: r.run.floor })
  return out
}

export function gatedMetrics(r: Results): GatedMetric[] {
  const out: GatedMetric[] = []
  for (const b of r.benchmarks)
    for (const m of b.metrics) if (m.gate) out.push({ key: metricKey(b.id, m.name), metric: m })
  return out
}

export interface WelchResult {
  t: number
  df: number
  /** Two-sided. */
  p: number
}

/** Welch's unequal-variance t-test of mean(a) vs mean(b); undefined with fewer than 2 values on a side. */
export function welchTTest(a: readonly number[], b: readonly number[]): WelchResult | undefined {
  const na = a.length
  const nb = b.length
  if (na < 2 || nb < 2) return undefined
  const ma = a.reduce((s, x) => s + x, 0) / na
  const mb = b.reduce((s, x) => s + x, 0) / nb
  const va = a.reduce((s, x) => s + (x - ma) ** 2, 0) / (na - 1)
  const vb = b.reduce((s, x) => s + (x - mb) ** 2, 0) / (nb - 1)
  const se2 = va / na + vb / nb
  if (se2 === 0)
    return { t: ma === mb ? 0 : Math.sign(ma - mb) * Infinity, df: na + nb - 2, p: ma === mb ? 1 : 0 }
  const t = (ma - mb) / Math.sqrt(se2)
  const df = se2 ** 2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))
  const p = 2 * (1 - studentTCdf(Math.abs(t), df))
  return { t, df, p: Math.min(1, Math.max(0, p)) }
}

/** Reference rule 2: Welch at α per metric, no correction for many metrics; a regression is significant AND worse. */
export function welchRegressions(base: Results, head: Results, alpha = 0.05): string[] {
  const baseBy = new Map(gatedMetrics(base).map(g => [g.key, g.metric]))
  const out: string[] = []
  for (const { key, metric } of gatedMetrics(head)) {
    const b = baseBy.get(key)
    if (!b) continue
    const w = welchTTest(metric.samples, b.samples)
    if (!w || !(w.p < alpha)) continue
    const worse = metric.direction === 'lower' ? w.t > 0 : w.t < 0
    if (worse) out.push(key)
  }
  return out
}

/**
 * Reference rule 1: one value per benchmark (the metric's headline value, as a benchmark action stores one number
 * per entry) and an alert when it got worse by more than the ratio (1.1 = 110 %, 2 = 200 %).
 */
export function ratioRegressions(base: Results, head: Results, ratio: number): string[] {
  const baseBy = new Map(gatedMetrics(base).map(g => [g.key, g.metric]))
  const out: string[] = []
  for (const { key, metric } of gatedMetrics(head)) {
    const b = baseBy.get(key)
    if (!b || b.summary.n === 0 || metric.summary.n === 0) continue
    const hv = headlineValue(metric.summary)
    const bv = headlineValue(b.summary)
    if (!(hv > 0 && bv > 0)) continue
    const worse = metric.direction === 'lower' ? hv / bv : bv / hv
    if (worse > ratio) out.push(key)
  }
  return out
}

export interface Detectability {
  key: string
  n: number
  /** σ of ln(headline) of one synthetic run from sampling alone (pooled resampling). */
  sigmaLog: number
  /** Smallest regression (percent) detectable per drift size, see `minimumDetectable`. */
  mdePct: Record<string, number>
}

/**
 * The smallest regression any per-metric rule can catch with 95 % power while keeping false alarms of the whole
 * matrix at `matrixAlpha` (Bonferroni over `m` metrics, one-sided): exp((z₁ + z₂)·σ_pair) − 1, where σ_pair is
 * the σ of ln(head ÷ base) for two runs: sampling noise of both headlines plus both runs' drift (uniform on the log
 * scale: σ = ln(1+d)/√3). A bound on what the data allows, whatever the method (short of removing common drift).
 */
export function minimumDetectable(
  sigmaLog: number,
  driftPct: number,
  m: number,
  matrixAlpha = 0.01,
  power = 0.95
): number {
  const z = normalQuantile(1 - matrixAlpha / Math.max(1, m)) + normalQuantile(power)
  const drift = Math.log1p(driftPct / 100) / Math.sqrt(3)
  return Math.expm1(z * Math.sqrt(2 * sigmaLog ** 2 + 2 * drift ** 2)) * 100
}

/** σ of ln(headline) over `draws` synthetic runs of each gated metric drawn from `pool` with `shape`'s counts. */
export function detectability(
  pool: Results,
  shape: Results,
  drifts: readonly number[],
  rand: () => number,
  draws = 300
): Detectability[] {
  const counts = new Map(gatedMetrics(shape).map(g => [g.key, g.metric.samples.length]))
  const m = counts.size
  return gatedMetrics(pool).map(({ key, metric }) => {
    const n = counts.get(key) ?? metric.samples.length
    const logs: number[] = []
    for (let i = 0; i < draws; i++) {
      const s = summarize(resample(metric.samples, rand, n), metric.summary.headline)
      const v = headlineValue(s)
      if (v > 0) logs.push(Math.log(v))
    }
    const mean = logs.reduce((a, b) => a + b, 0) / Math.max(1, logs.length)
    const sigmaLog = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, logs.length - 1))
    // Counts, bytes and memory do not drift with the machine (see driftClass).
    const drifting = driftClass(metric) !== 'none'
    const mdePct: Record<string, number> = { '0': minimumDetectable(sigmaLog, 0, m) }
    for (const d of drifts) mdePct[String(d)] = minimumDetectable(sigmaLog, drifting ? d : 0, m)
    return { key, n, sigmaLog, mdePct }
  })
}
