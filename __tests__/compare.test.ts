import { describe, expect, it } from 'vitest'
import { makeMetric, type MetricInput } from '../src/results/metric.js'
import { Results, type BenchmarkResult, type HistoryEntry, type Metric } from '../src/results/schema.js'
import { mulberry32 } from '../src/stats/bootstrap.js'
import { compareResults } from '../src/stats/compare.js'
import { benchOf, resultsOf } from './support/results.js'

/** Seeded samples around `center` with a relative spread (log-normal-ish, like latencies). */
function samples(center: number, spread: number, n: number, seed: number): number[] {
  const rand = mulberry32(seed)
  return Array.from({ length: n }, () => {
    const g = (rand() + rand() + rand() + rand() - 2) * Math.sqrt(3) // ≈ N(0, 1)
    return center * Math.exp(spread * g)
  })
}

const m = (name: string, s: number[], extra: Partial<MetricInput> = {}): Metric =>
  makeMetric({ name, unit: 'ms', direction: 'lower', source: 'host', samples: s, ...extra })

const bench = benchOf

function results(benchmarks: BenchmarkResult[], history: HistoryEntry[] = [], runId = 'r1'): Results {
  const r = resultsOf(benchmarks, { history })
  return { ...r, run: { ...r.run, git: { runId, sha: 'abc123' } } }
}

const single = (metric: Metric, history: HistoryEntry[] = []): Results =>
  results([bench('communication.inter-agent-latency', [metric])], history)

const KEY = 'communication.inter-agent-latency/rtt_ms'
const hist = (values: number[]): HistoryEntry[] =>
  values.map((v, i) => ({ startedAt: `2024-12-${10 + i}T00:00:00Z`, runId: `h${i}`, values: { [KEY]: v } }))

// The rules with a history are easier to read on 5–7 runs than on the default minimum of 10.
const SHORT_HISTORY = { minHistoryRuns: 3 }

describe('compareResults', () => {
  it('identical samples → unchanged', () => {
    const s = samples(100, 0.05, 30, 1)
    const c = compareResults(single(m('rtt_ms', s)), single(m('rtt_ms', s)))
    expect(c.status).toBe('compared')
    expect(c.verdicts).toHaveLength(1)
    const v = c.verdicts[0]
    expect(v.verdict).toBe('unchanged')
    expect(v.changePct).toBe(0)
    expect(v.p).toBe(1)
    expect(c.regressions).toEqual([])
    expect(c.counts.unchanged).toBe(1)
  })

  it('a clear 30 % slowdown with tight samples → regression, with its evidence', () => {
    const base = single(m('rtt_ms', samples(100, 0.02, 30, 1)))
    const head = single(m('rtt_ms', samples(130, 0.02, 30, 2)))
    const c = compareResults(base, head, { thresholdPct: 10, alpha: 0.05, noHistoryNoisePct: 3 })
    const v = c.verdicts[0]
    expect(v.verdict).toBe('regression')
    expect(c.regressions).toEqual([v])
    expect(v.changePct!).toBeGreaterThan(25)
    expect(v.changePct!).toBeLessThan(35)
    expect(v.worsePct).toBe(v.changePct)
    expect(v.interval!.lowPct).toBeGreaterThan(15)
    expect(v.interval!.lowPct).toBeLessThanOrEqual(v.changePct!)
    expect(v.interval!.highPct).toBeGreaterThanOrEqual(v.changePct!)
    // No history: the run-to-run noise is unknown, so the no-history floor (here 3 % per run, √2 × for two runs) is σ.
    expect(v.test).toBe('z')
    expect(v.p!).toBeLessThan(0.001)
    expect(v.pAdjusted!).toBeLessThan(0.05)
    expect(v.noise!.source).toBe('floor')
    expect(v.noise!.halfWidthLog).toBeCloseTo(Math.SQRT2 * Math.log(1.03), 9)
    expect(v.baseline).toBeCloseTo(100, -1)
    expect(v.head).toBeCloseTo(130, -1)
    expect(v.reason).toMatch(/threshold/)
    expect(c.baselineInfo).toMatchObject({ runId: 'r1', provider: 'local', historyRuns: 0 })
  })

  it('a 30 % change inside a wide historical noise band is not a regression', () => {
    const history = hist([100, 140, 70, 125, 80, 135, 75])
    const base = single(m('rtt_ms', samples(100, 0.02, 30, 1)), history)
    const head = single(m('rtt_ms', samples(130, 0.02, 30, 2)))
    const v = compareResults(base, head, SHORT_HISTORY).verdicts[0]
    expect(v.verdict).toBe('unchanged')
    expect(v.noise!.source).toBe('history')
    expect(v.noise!.runs).toBe(7)
    expect(v.test).toBe('t')
    expect(v.pAdjusted!).toBeGreaterThan(0.05)
    expect(v.reason).toMatch(/from 7 history runs/)
    // Same samples with a quiet history: the change stands out.
    const quiet = single(m('rtt_ms', samples(100, 0.02, 30, 1)), hist([100, 101, 99, 100, 102, 98]))
    expect(compareResults(quiet, head, SHORT_HISTORY).verdicts[0].verdict).toBe('regression')
    // By default a history counts from 10 runs: 6 are treated as none (wide assumed noise), so no verdict yet.
    expect(compareResults(quiet, head).verdicts[0].noise!.source).toBe('floor')
  })

  it('reads only the newest maxHistoryRuns (20) of a longer history kept for trends', () => {
    // 20 quiet recent runs, then 80 older ones on either side of a long-gone step: only the quiet ones set σ.
    const quiet = hist(Array.from({ length: 20 }, (_, i) => 100 + (i % 3) - 1))
    const old = hist(Array.from({ length: 80 }, (_, i) => (i % 2 ? 60 : 150))).map((h, i) => ({
      ...h,
      runId: `old${i}`
    }))
    const head = single(m('rtt_ms', samples(130, 0.02, 30, 2)))
    const base = single(m('rtt_ms', samples(100, 0.02, 30, 1)), [...quiet, ...old])
    const v = compareResults(base, head).verdicts[0]
    expect(v.verdict).toBe('regression')
    expect(v.noise!.runs).toBe(20)
    expect(compareResults(base, head).baselineInfo!.historyRuns).toBe(20)
    // Reading all 100 would fold the old swings into σ and hide the change.
    expect(compareResults(base, head, { maxHistoryRuns: 100 }).verdicts[0].verdict).toBe('unchanged')
  })

  it('a change below the threshold is not a regression even when significant', () => {
    const base = single(m('rtt_ms', samples(100, 0.01, 200, 1)))
    const head = single(m('rtt_ms', samples(106, 0.01, 200, 2)))
    const v = compareResults(base, head, { thresholdPct: 10, minNoisePct: 1, noHistoryNoisePct: 1 })
      .verdicts[0]
    expect(v.pAdjusted!).toBeLessThan(0.001)
    expect(v.verdict).toBe('unchanged')
    expect(v.reason).toMatch(/within the 10% threshold/)
  })

  it('Holm correction: significant alone, not among 40 tested metrics', () => {
    // Tight samples, no history: σ is the no-history floor (20 % per run), so a 2.16× change gives z ≈ 3 (p ≈ 0.003).
    const shifted = (extra: Metric[]) => ({
      base: results([
        bench('communication.state-sync', [m('sync_ms', samples(100, 0.005, 10, 1)), ...extra])
      ]),
      head: results([bench('communication.state-sync', [m('sync_ms', samples(216, 0.005, 10, 2)), ...extra])])
    })
    const alone = shifted([])
    const v1 = compareResults(alone.base, alone.head).verdicts[0]
    expect(v1.p!).toBeGreaterThan(0.0005)
    expect(v1.p!).toBeLessThan(0.01)
    expect(v1.pAdjusted).toBe(v1.p)
    expect(v1.verdict).toBe('regression')

    const others = Array.from({ length: 39 }, (_, i) => m(`other_${i}`, samples(50, 0.005, 10, 100 + i)))
    const many = shifted(others)
    const c = compareResults(many.base, many.head)
    expect(c.tested).toBe(40)
    const v40 = c.verdicts.find(v => v.metric === 'sync_ms')!
    expect(v40.pAdjusted!).toBeGreaterThan(0.01)
    expect(v40.pAdjusted!).toBeLessThanOrEqual(Math.min(1, 40 * v40.p!) + 1e-12)
    expect(v40.verdict).toBe('unchanged')
    expect(v40.reason).toMatch(/Holm/)
  })

  it('removes the run-wide shift: every timing 20 % slower is the runner, one 50 % slower is a regression, all 80 % slower is too', () => {
    const names = Array.from({ length: 8 }, (_, i) => `t${i}`)
    const run = (factor: (name: string) => number, seed: number, history: HistoryEntry[] = []) =>
      results(
        // One benchmark per metric: the shift for a metric is read from the OTHER benchmarks.
        names.map((n, i) =>
          bench(`trading.${n}`, [m(n, samples(10 * (i + 1) * factor(n), 0.02, 30, seed + i))])
        ),
        history
      )
    const head = run(n => (n === 't3' ? 1.2 * 1.5 : 1.2), 50)
    // Without history the shift is still removed from each metric (a busier runner slows everything) and reported;
    // t3's +50 % then faces the wide no-history noise floor, and the shift is not judged on its own.
    const bare = compareResults(
      run(() => 1, 1),
      head
    )
    expect(bare.shift!.pct).toBeGreaterThan(17)
    expect(bare.shift!.pct).toBeLessThan(23)
    expect(bare.warnings.join(' ')).toMatch(/every timing moved together by \+/)
    expect(bare.verdicts.some(v => v.key === 'run/timing-shift')).toBe(false)
    expect(bare.verdicts.find(v => v.metric === 't3')!.adjustedPct!).toBeLessThan(60)
    expect(bare.regressions).toEqual([])

    // With a history of runs that shifted by at most ±3 %, only t3 stands out, by about +50 %; a 20 % shift of
    // everything is within what a busier runner does (shiftThresholdPct 50 %).
    // History runs, each a factor on every timing.
    const runsOf = (factors: number[], tag: string): HistoryEntry[] =>
      factors.map((f, j) => ({
        startedAt: `2024-12-1${j}T00:00:00Z`,
        runId: `${tag}${j}`,
        values: Object.fromEntries(names.map((n, i) => [`trading.${n}/${n}`, 10 * (i + 1) * f]))
      }))
    const history = runsOf([1.01, 0.98, 1.03, 0.99, 1.02], 'h')
    const c = compareResults(
      run(() => 1, 1, history),
      head,
      SHORT_HISTORY
    )
    const t3 = c.verdicts.find(v => v.metric === 't3')!
    expect(t3.verdict).toBe('regression')
    expect(t3.changePct!).toBeGreaterThan(70) // raw: 1.2 × 1.5
    expect(t3.adjustedPct!).toBeGreaterThan(40)
    expect(t3.adjustedPct!).toBeLessThan(60)
    expect(t3.reason).toMatch(/after removing the run-wide shift of \+(1[7-9]|2[0-3])\.\d%/)
    const others = c.verdicts.filter(v => v.benchmarkId.startsWith('trading.') && v.metric !== 't3')
    expect(others.every(v => v.verdict === 'unchanged' && Math.abs(v.adjustedPct!) < 5)).toBe(true)
    const shift = c.verdicts.find(v => v.key === 'run/timing-shift')!
    expect(shift.verdict).toBe('unchanged')
    expect(shift.reason).toMatch(/within the 50% threshold/)
    expect(c.regressions.map(v => v.key)).toEqual(['trading.t3/t3'])
    // Everything 1.8× slower against that quiet history: the shift itself is the regression.
    const slow = compareResults(
      run(() => 1, 1, history),
      run(() => 1.8, 70),
      SHORT_HISTORY
    )
    const s2 = slow.verdicts.find(v => v.key === 'run/timing-shift')!
    expect(s2.verdict).toBe('regression')
    expect(s2.reason).toMatch(/> 50% threshold/)
    expect(slow.regressions.map(v => v.key)).toEqual(['run/timing-shift'])
    // The same head against a history that shifted by ±20 %: the shift is ordinary, only t3 is flagged.
    const wide = runsOf([1.2, 0.82, 1.18, 0.85, 1.22, 0.8], 'w')
    const c3 = compareResults(
      run(() => 1, 1, wide),
      head,
      SHORT_HISTORY
    )
    expect(c3.regressions.map(v => v.key)).toEqual(['trading.t3/t3'])
  })

  it("reads the shift from context timings too, and never from the judged metric's own benchmark", () => {
    const SHARP = { noHistoryNoisePct: 2 }
    const ctx = { gate: false }
    // Runner 20 % slower; A/t also got 50 % slower. Only two gated metrics: the context timings tell the runner.
    const run = (runner: number, t: number, seed: number) =>
      results([
        bench('trading.a', [m('t', samples(10 * runner * t, 0.02, 40, seed))]),
        bench('trading.b', [m('u', samples(20 * runner, 0.02, 40, seed + 1))]),
        bench(
          'trading.c',
          [1, 2, 3, 4].map(i => m(`c${i}`, samples(5 * i * runner, 0.02, 40, seed + 1 + i), ctx))
        )
      ])
    const c = compareResults(run(1, 1, 1), run(1.2, 1.5, 50), SHARP)
    const t = c.verdicts.find(v => v.metric === 't')!
    const u = c.verdicts.find(v => v.metric === 'u')!
    expect(t.shiftPct!).toBeGreaterThan(17)
    expect(t.shiftPct!).toBeLessThan(23)
    expect(t.verdict).toBe('regression')
    // Without the context timings u's shift would be t's +80 %, and u a 33 % "improvement".
    expect(u.verdict).toBe('unchanged')
    expect(Math.abs(u.adjustedPct!)).toBeLessThan(5)
    expect(c.shift!.metrics).toBe(6)

    // Four context timings in A's benchmark moved with t (the same code): they must not explain t's change away.
    const same = (t: number, seed: number) =>
      results([
        bench('trading.a', [
          m('t', samples(10 * t, 0.02, 40, seed)),
          ...[1, 2, 3, 4].map(i => m(`a${i}`, samples(5 * i * t, 0.02, 40, seed + i), ctx))
        ]),
        ...['b', 'c', 'd'].map((id, i) =>
          bench(`trading.${id}`, [m('x', samples(7 * (i + 1), 0.02, 40, seed + 10 + i), ctx)])
        )
      ])
    const c2 = compareResults(same(1, 1), same(1.5, 60), SHARP)
    const t2 = c2.verdicts.find(v => v.metric === 't')!
    expect(Math.abs(t2.shiftPct!)).toBeLessThan(5)
    expect(t2.adjustedPct!).toBeGreaterThan(40)
    expect(t2.verdict).toBe('regression')
  })

  it("widens every timing's noise by how far single timings strayed between the two runs", () => {
    const SHARP = { noHistoryNoisePct: 2 }
    // Ten timings, each in its own benchmark; in the head t0 is 30 % slower and the others move by `wobble`.
    const run = (wobble: number[], t0: number, seed: number) =>
      results(
        wobble.map((w, i) =>
          bench(`trading.b${i}`, [m(`t${i}`, samples(10 * (i + 1) * (i === 0 ? t0 : w), 0.02, 60, seed + i))])
        )
      )
    const ones = Array.from({ length: 10 }, () => 1)
    const quiet = compareResults(run(ones, 1, 1), run(ones, 1.3, 40), SHARP)
    expect(quiet.shift!.scatterPct).toBeLessThan(2)
    expect(quiet.regressions.map(v => v.metric)).toEqual(['t0'])
    // The same +30 % when the other timings strayed ±20 % on their own: ordinary for this pair of runs.
    const wobble = [1, 1.2, 0.82, 1.18, 0.85, 1.22, 0.8, 1.2, 0.83, 1.0]
    const noisy = compareResults(run(ones, 1, 1), run(wobble, 1.3, 40), SHARP)
    expect(noisy.shift!.scatterPct).toBeGreaterThan(10)
    const t0 = noisy.verdicts.find(v => v.metric === 't0')!
    expect(t0.adjustedPct!).toBeGreaterThan(20)
    expect(t0.verdict).toBe('unchanged')
    expect(t0.noise!.sigmaPct).toBeGreaterThan(10)
    // τ comes from nine timings: the test is a Student t on its degrees of freedom, not the normal.
    expect(t0.test).toBe('t')
    expect(t0.df!).toBeGreaterThan(1)
    expect(t0.df!).toBeLessThan(20)
    expect(t0.reason).toMatch(/t-test, \d+ df from the runs' scatter/)
    // Without any scatter the normal stays.
    expect(quiet.verdicts.find(v => v.metric === 't0')!.test).toBe('z')
  })

  it('judges the run-wide shift beyond what the runner floor moved', () => {
    const names = ['t0', 't1', 't2', 't3', 't4']
    const withFloor = (r: Results, floorMs: number | undefined, seed: number): Results => {
      if (floorMs === undefined) return r
      return Results.parse({
        ...r,
        run: { ...r.run, floor: m('cpu_floor_ms', samples(floorMs, 0.02, 60, seed), { gate: false }) }
      })
    }
    const run = (factor: number, floorMs: number | undefined, seed: number, history: HistoryEntry[] = []) =>
      withFloor(
        results(
          names.map((n, i) =>
            bench(`trading.${n}`, [m(n, samples(10 * (i + 1) * factor, 0.02, 30, seed + i))])
          ),
          history
        ),
        floorMs,
        seed + 99
      )
    // Ten quiet baseline-branch runs, each with its floor.
    const history: HistoryEntry[] = Array.from({ length: 10 }, (_, j) => {
      const f = 1 + ((j % 5) - 2) / 100
      return {
        startedAt: `2024-12-1${j}T00:00:00Z`,
        runId: `h${j}`,
        values: {
          ...Object.fromEntries(names.map((n, i) => [`trading.${n}/${n}`, 10 * (i + 1) * f])),
          'run/cpu_floor_ms': 0.06 * f
        }
      }
    })
    const base = run(1, 0.06, 1, history)
    const shiftOf = (head: Results) =>
      compareResults(base, head).verdicts.find(v => v.key === 'run/timing-shift')!
    // Everything 60 % slower and the floor 58 % slower: a busier runner, not the code.
    const busy = shiftOf(run(1.6, 0.06 * 1.58, 40))
    expect(busy.verdict).toBe('unchanged')
    expect(busy.changePct!).toBeGreaterThan(55)
    expect(Math.abs(busy.adjustedPct!)).toBeLessThan(5)
    expect(busy.reason).toMatch(/beyond the runner floor's \+5\d\.\d%/)
    // Everything 60 % slower on an unchanged floor: the code slowed everything.
    const code = shiftOf(run(1.6, 0.06, 40))
    expect(code.verdict).toBe('regression')
    expect(code.adjustedPct!).toBeGreaterThan(55)
    // A head without a floor (an older run): the shift is judged as it is.
    expect(shiftOf(run(1.6, undefined, 40)).verdict).toBe('regression')
  })

  it('a metric with one sample per run is judged on its history alone', () => {
    const rss = (v: number) => m('rss_mib', [v], { unit: 'MiB' })
    const history = hist([20.4, 19.6, 20.0, 20.6, 19.4]).map(h => ({
      ...h,
      values: { 'communication.inter-agent-latency/rss_mib': h.values[KEY] }
    }))
    expect(compareResults(single(rss(20)), single(rss(26))).verdicts[0].verdict).toBe('insufficient-data')
    const v = compareResults(single(rss(20), history), single(rss(26)), SHORT_HISTORY).verdicts[0]
    expect(v.test).toBe('t')
    expect(v.noise!.runs).toBe(5)
    expect(v.verdict).toBe('regression')
    expect(
      compareResults(single(rss(20), history), single(rss(20.3)), SHORT_HISTORY).verdicts[0].verdict
    ).toBe('unchanged')
  })

  it("handles direction 'higher': a throughput drop is a regression, a rise an improvement", () => {
    const tp = (center: number, seed: number) =>
      m('msgs_per_s', samples(center, 0.02, 30, seed), {
        unit: 'msg/s',
        direction: 'higher',
        headline: 'mean'
      })
    const base = results([bench('communication.message-throughput', [tp(1000, 1)])])
    const sharp = { noHistoryNoisePct: 2 }
    const drop = compareResults(
      base,
      results([bench('communication.message-throughput', [tp(700, 2)])]),
      sharp
    )
    expect(drop.verdicts[0].verdict).toBe('regression')
    expect(drop.verdicts[0].changePct!).toBeLessThan(-25)
    expect(drop.verdicts[0].worsePct!).toBeGreaterThan(25)
    expect(drop.verdicts[0].headline).toBe('mean')
    const rise = compareResults(
      base,
      results([bench('communication.message-throughput', [tp(1300, 3)])]),
      sharp
    )
    expect(rise.verdicts[0].verdict).toBe('improvement')
    expect(rise.improvements).toHaveLength(1)
    expect(rise.regressions).toHaveLength(0)
  })

  it('a clear 30 % speed-up of a lower-is-better metric is an improvement', () => {
    const c = compareResults(
      single(m('rtt_ms', samples(100, 0.02, 30, 1))),
      single(m('rtt_ms', samples(70, 0.02, 30, 2))),
      { noHistoryNoisePct: 2 }
    )
    expect(c.verdicts[0].verdict).toBe('improvement')
  })

  it('new, missing, insufficient data, ungated and incomparable metrics', () => {
    const base = results([
      bench('communication.inter-agent-latency', [
        m('rtt_ms', samples(100, 0.02, 30, 1)),
        m('gone_ms', samples(10, 0.02, 30, 2)),
        m('few_ms', [1, 2, 3]),
        m('ctx_ms', samples(10, 0.02, 30, 3), { gate: false }),
        m('units', samples(10, 0.02, 30, 4))
      ]),
      bench('trading.consensus', [m('decide_ms', samples(10, 0.02, 30, 5))])
    ])
    const head = results([
      bench('communication.inter-agent-latency', [
        m('rtt_ms', samples(100, 0.02, 30, 6)),
        m('fresh_ms', samples(10, 0.02, 30, 7)),
        m('few_ms', [1, 2, 3]),
        m('ctx_ms', samples(50, 0.02, 30, 8), { gate: false }),
        m('units', samples(10, 0.02, 30, 9), { unit: 's' })
      ]),
      bench('trading.consensus', [], { status: 'error', error: 'agent 2 died' })
    ])
    const c = compareResults(base, head)
    const by = Object.fromEntries(c.verdicts.map(v => [v.metric, v]))
    expect(by.rtt_ms.verdict).toBe('unchanged')
    expect(by.fresh_ms.verdict).toBe('new')
    expect(by.gone_ms.verdict).toBe('missing')
    expect(by.gone_ms.reason).toMatch(/not reported by the head/)
    expect(by.decide_ms.verdict).toBe('missing')
    expect(by.decide_ms.reason).toMatch(/errored in the head/)
    expect(by.few_ms.verdict).toBe('insufficient-data')
    expect(by.units.verdict).toBe('insufficient-data')
    expect(by.units.reason).toMatch(/not comparable/)
    expect(by.ctx_ms).toBeUndefined()
    expect(c.counts).toMatchObject({
      new: 1,
      missing: 2,
      'insufficient-data': 2,
      unchanged: 1,
      regression: 0
    })
    expect(c.tested).toBe(1)
  })

  it('no baseline → status no-baseline with the reason', () => {
    const c = compareResults(undefined, single(m('rtt_ms', [1, 2, 3])), {
      noBaselineReason: 'the baseline artifact expired'
    })
    expect(c.status).toBe('no-baseline')
    expect(c.reason).toBe('the baseline artifact expired')
    expect(c.verdicts).toEqual([])
  })

  it('warns when the baseline ran elsewhere', () => {
    const base = single(m('rtt_ms', [1, 2, 3, 4]))
    const head = structuredClone(base)
    head.run.provider = 'e2b'
    expect(compareResults(base, head).warnings.join()).toMatch(/provider local/)
  })

  it('a baseline of 0 is decided by the rank test alone, without a percent change', () => {
    const base = single(m('errors', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], { unit: 'count' }))
    const head = single(m('errors', [3, 4, 5, 3, 4, 5, 3, 4, 5, 4], { unit: 'count' }))
    const v = compareResults(base, head).verdicts[0]
    expect(v.changePct).toBeUndefined()
    expect(v.verdict).toBe('regression')
    expect(v.reason).toMatch(/not positive/)
  })
})

describe('deterministic metrics (counted, not timed)', () => {
  const bytes = (v: number, n = 3): Metric =>
    makeMetric({
      name: 'rtt_ms',
      unit: 'bytes',
      direction: 'lower',
      source: 'agent',
      samples: Array(n).fill(v)
    })

  it('a counted figure that grew past the threshold is a regression without a rank test, even with 3 samples', () => {
    const c = compareResults(single(bytes(500)), single(bytes(650)))
    const v = c.verdicts.find(x => x.key === KEY)!
    expect(v.verdict).toBe('regression')
    expect(v.reason).toMatch(/deterministic/)
    expect(v.p).toBeUndefined()
    expect(c.tested).toBe(0) // it does not take a share of the Holm correction
  })

  it('identical or within-threshold counted figures are unchanged; a drop is an improvement', () => {
    expect(compareResults(single(bytes(500)), single(bytes(500))).verdicts[0].verdict).toBe('unchanged')
    expect(compareResults(single(bytes(500)), single(bytes(520))).verdicts[0].verdict).toBe('unchanged')
    expect(compareResults(single(bytes(500)), single(bytes(300))).verdicts[0].verdict).toBe('improvement')
  })

  it('a single sample is still not enough to call it deterministic', () => {
    expect(compareResults(single(bytes(500, 1)), single(bytes(900, 1))).verdicts[0].verdict).toBe(
      'insufficient-data'
    )
  })
})
