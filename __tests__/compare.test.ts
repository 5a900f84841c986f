import { describe, expect, it } from 'vitest'
import { costOf, E2B_DEFAULT_PRICING } from '../src/cost/pricing.js'
import { benchmarkStatus, makeMetric, type MetricInput } from '../src/results/metric.js'
import { Results, type BenchmarkResult, type HistoryEntry, type Metric } from '../src/results/schema.js'
import { mulberry32 } from '../src/stats/bootstrap.js'
import { compareResults } from '../src/stats/compare.js'

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

function bench(id: string, metrics: Metric[], extra: Partial<BenchmarkResult> = {}): BenchmarkResult {
  return {
    id,
    category: 'communication',
    title: id,
    status: benchmarkStatus(metrics),
    params: {},
    metrics,
    facts: {},
    durationMs: 1000,
    ...extra
  }
}

function results(benchmarks: BenchmarkResult[], history: HistoryEntry[] = [], runId = 'r1'): Results {
  return Results.parse({
    schemaVersion: 1,
    tool: { name: 'swarm-bench', version: '0.1.0' },
    run: {
      provider: 'local',
      profile: 'quick',
      startedAt: '2025-01-01T00:00:00.000Z',
      endedAt: '2025-01-01T00:01:00.000Z',
      durationMs: 60_000,
      environment: {
        node: 'v20',
        platform: 'linux',
        arch: 'x64',
        cpus: 2,
        cpuModel: 'test',
        memoryTotalBytes: 4e9,
        providerDetails: {}
      },
      git: { runId, sha: 'abc123' },
      complete: true
    },
    benchmarks,
    cost: costOf(
      [{ label: 'a', allocation: { vcpu: 2, memoryMiB: 512 }, seconds: 10 }],
      E2B_DEFAULT_PRICING,
      true
    ),
    history
  })
}

const single = (metric: Metric, history: HistoryEntry[] = []): Results =>
  results([bench('communication.inter-agent-latency', [metric])], history)

const KEY = 'communication.inter-agent-latency/rtt_ms'
const hist = (values: number[]): HistoryEntry[] =>
  values.map((v, i) => ({ startedAt: `2024-12-${10 + i}T00:00:00Z`, runId: `h${i}`, values: { [KEY]: v } }))

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
    const c = compareResults(base, head, { thresholdPct: 10, alpha: 0.05, minNoisePct: 3 })
    const v = c.verdicts[0]
    expect(v.verdict).toBe('regression')
    expect(c.regressions).toEqual([v])
    expect(v.changePct!).toBeGreaterThan(25)
    expect(v.changePct!).toBeLessThan(35)
    expect(v.worsePct).toBe(v.changePct)
    expect(v.interval!.lowPct).toBeGreaterThan(15)
    expect(v.interval!.lowPct).toBeLessThanOrEqual(v.changePct!)
    expect(v.interval!.highPct).toBeGreaterThanOrEqual(v.changePct!)
    expect(v.p!).toBeLessThan(1e-6)
    expect(v.pAdjusted!).toBeLessThan(0.05)
    expect(v.noise!.source).toBe('floor')
    expect(v.noise!.highPct).toBeCloseTo(3, 6)
    expect(v.baseline).toBeCloseTo(100, -1)
    expect(v.head).toBeCloseTo(130, -1)
    expect(v.reason).toMatch(/threshold/)
    expect(c.baselineInfo).toMatchObject({ runId: 'r1', provider: 'local', historyRuns: 0 })
  })

  it('a 30 % change inside a wide historical noise band is not a regression', () => {
    const history = hist([100, 140, 70, 125, 80, 135, 75])
    const base = single(m('rtt_ms', samples(100, 0.02, 30, 1)), history)
    const head = single(m('rtt_ms', samples(130, 0.02, 30, 2)))
    const v = compareResults(base, head).verdicts[0]
    expect(v.verdict).toBe('unchanged')
    expect(v.noise!.source).toBe('history')
    expect(v.noise!.runs).toBe(8)
    expect(v.noise!.highPct).toBeGreaterThan(v.changePct!)
    expect(v.reason).toMatch(/inside noise band/)
    // Same samples with a quiet history: the change stands out.
    const quiet = single(m('rtt_ms', samples(100, 0.02, 30, 1)), hist([100, 101, 99, 100, 102, 98]))
    expect(compareResults(quiet, head).verdicts[0].verdict).toBe('regression')
  })

  it('a change below the threshold is not a regression even when significant', () => {
    const base = single(m('rtt_ms', samples(100, 0.01, 200, 1)))
    const head = single(m('rtt_ms', samples(106, 0.01, 200, 2)))
    const v = compareResults(base, head, { thresholdPct: 10, minNoisePct: 1 }).verdicts[0]
    expect(v.pAdjusted!).toBeLessThan(0.001)
    expect(v.verdict).toBe('unchanged')
    expect(v.reason).toMatch(/within the 10% threshold/)
  })

  it('Holm correction: significant alone, not among 40 tested metrics', () => {
    // 5 vs 5 fully separated: exact two-sided p = 2/252 ≈ 0.0079
    const shifted = (extra: Metric[]) => ({
      base: results([bench('communication.state-sync', [m('sync_ms', [100, 101, 102, 103, 104]), ...extra])]),
      head: results([bench('communication.state-sync', [m('sync_ms', [130, 131, 132, 133, 134]), ...extra])])
    })
    const alone = shifted([])
    const v1 = compareResults(alone.base, alone.head).verdicts[0]
    expect(v1.p).toBeCloseTo(2 / 252, 10)
    expect(v1.pAdjusted).toBeCloseTo(2 / 252, 10)
    expect(v1.verdict).toBe('regression')

    const others = Array.from({ length: 39 }, (_, i) => m(`other_${i}`, samples(50, 0.05, 10, 100 + i)))
    const many = shifted(others)
    const c = compareResults(many.base, many.head)
    expect(c.tested).toBe(40)
    const v40 = c.verdicts.find(v => v.metric === 'sync_ms')!
    expect(v40.p).toBeCloseTo(2 / 252, 10)
    expect(v40.pAdjusted).toBeCloseTo(Math.min(1, 40 * (2 / 252)), 10)
    expect(v40.verdict).toBe('unchanged')
    expect(v40.reason).toMatch(/Holm/)
  })

  it("handles direction 'higher': a throughput drop is a regression, a rise an improvement", () => {
    const tp = (center: number, seed: number) =>
      m('msgs_per_s', samples(center, 0.02, 30, seed), {
        unit: 'msg/s',
        direction: 'higher',
        headline: 'mean'
      })
    const base = results([bench('communication.message-throughput', [tp(1000, 1)])])
    const drop = compareResults(base, results([bench('communication.message-throughput', [tp(700, 2)])]))
    expect(drop.verdicts[0].verdict).toBe('regression')
    expect(drop.verdicts[0].changePct!).toBeLessThan(-25)
    expect(drop.verdicts[0].worsePct!).toBeGreaterThan(25)
    expect(drop.verdicts[0].headline).toBe('mean')
    const rise = compareResults(base, results([bench('communication.message-throughput', [tp(1300, 3)])]))
    expect(rise.verdicts[0].verdict).toBe('improvement')
    expect(rise.improvements).toHaveLength(1)
    expect(rise.regressions).toHaveLength(0)
  })

  it('a clear 30 % speed-up of a lower-is-better metric is an improvement', () => {
    const c = compareResults(
      single(m('rtt_ms', samples(100, 0.02, 30, 1))),
      single(m('rtt_ms', samples(70, 0.02, 30, 2)))
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
