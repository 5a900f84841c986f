// Unit tests of the pure parts of the measurement scripts: the detector's synthetic runs and reference rules, the
// plan's attribution of sandbox-seconds to benchmarks, and the shared quantile helper.
import { describe, expect, it } from 'vitest'
import { summarize } from '../src/stats/describe.js'
import { SCHEMA_VERSION, type Metric, type Results } from '../src/results/schema.js'
import type { Sandbox } from '../src/sandbox/types.js'
import { quantile, rng } from '../scripts/bench/common.js'
import {
  driftClass,
  driftFactor,
  historyEntry,
  poolRuns,
  pooledRun,
  ratioRegressions,
  syntheticRun,
  welchRegressions,
  welchTTest
} from '../scripts/bench/detector-rules.js'
import { attribute, sumById, type SandboxSpan } from '../scripts/bench/trace.js'
import { changeRuns, headlineNoise, syntheticHistory } from '../scripts/bench/detector-changepoints.js'

function metric(
  name: string,
  unit: string,
  direction: 'lower' | 'higher',
  samples: number[],
  gate = true
): Metric {
  return {
    name,
    unit,
    direction,
    source: 'host',
    samples,
    summary: summarize(samples, direction === 'higher' ? 'mean' : 'median'),
    gate
  }
}

function results(metrics: Metric[]): Results {
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'swarm-bench', version: 'test' },
    run: {
      provider: 'local',
      profile: 'quick',
      startedAt: '2026-01-01T00:00:00.000Z',
      endedAt: '2026-01-01T00:01:00.000Z',
      durationMs: 60_000,
      environment: {
        node: 'v20',
        platform: 'linux',
        arch: 'x64',
        cpus: 2,
        cpuModel: 'test',
        memoryTotalBytes: 1,
        providerDetails: {}
      },
      complete: true
    },
    benchmarks: [
      {
        id: 'trading.consensus',
        category: 'trading',
        title: 't',
        status: 'passed',
        params: {},
        metrics,
        facts: {},
        durationMs: 1
      }
    ],
    cost: {
      pricing: { usdPerVcpuSecond: 0, usdPerGibSecond: 0 },
      sandboxes: 0,
      sandboxSeconds: 0,
      vcpuSeconds: 0,
      gibSeconds: 0,
      usd: 0,
      estimated: true
    },
    history: []
  }
}

const samplesOf = (r: Results, name: string): number[] =>
  r.benchmarks[0].metrics.find(m => m.name === name)!.samples

describe('detector: synthetic runs', () => {
  it('classifies how a slower machine moves a metric', () => {
    expect(driftClass({ unit: 'ms' })).toBe('scales')
    expect(driftClass({ unit: 'usd/op' })).toBe('scales')
    expect(driftClass({ unit: 'msg/s' })).toBe('inverse')
    expect(driftClass({ unit: 'executions/s' })).toBe('inverse')
    expect(driftClass({ unit: 'bytes' })).toBe('none')
    expect(driftClass({ unit: 'x' })).toBe('none')
  })

  it('keeps drift factors inside [1/(1+d), 1+d] and uses both sides', () => {
    const rand = rng(3)
    const fs = Array.from({ length: 2000 }, () => driftFactor(rand, 10))
    expect(Math.min(...fs)).toBeGreaterThanOrEqual(1 / 1.1 - 1e-12)
    expect(Math.max(...fs)).toBeLessThanOrEqual(1.1 + 1e-12)
    expect(fs.some(f => f < 0.97)).toBe(true)
    expect(fs.some(f => f > 1.03)).toBe(true)
  })

  it('applies drift by class, injects the regression in the worse direction, keeps context metrics', () => {
    const src = results([
      metric('t_ms', 'ms', 'lower', [10, 10, 10, 10]),
      metric('rate', 'msg/s', 'higher', [100, 100, 100, 100]),
      metric('bytes', 'bytes', 'lower', [500, 500, 500, 500]),
      metric('ctx', 'ms', 'lower', [1, 1, 1, 1], false)
    ])
    const r = syntheticRun(src, rng(1), 1.1, { key: 'trading.consensus/rate', pct: 25 })
    expect(samplesOf(r, 't_ms').every(x => Math.abs(x - 11) < 1e-9)).toBe(true)
    // a rate drifts inversely, and a 25 % regression of a higher-is-better metric divides it by 1.25
    expect(samplesOf(r, 'rate').every(x => Math.abs(x - 100 / 1.1 / 1.25) < 1e-9)).toBe(true)
    expect(samplesOf(r, 'bytes').every(x => x === 500)).toBe(true)
    // Context timings drift too: the verdict reads the runner's speed from them.
    expect(samplesOf(r, 'ctx').every(x => Math.abs(x - 1.1) < 1e-9)).toBe(true)
    expect(r.benchmarks[0].metrics.find(m => m.name === 't_ms')!.summary.median).toBeCloseTo(11)
  })

  it('pools samples across runs but keeps each metric at the shape run’s sample count', () => {
    const a = results([metric('t_ms', 'ms', 'lower', [1, 1, 1, 1])])
    const b = results([metric('t_ms', 'ms', 'lower', [3, 3, 3, 3, 3, 3])])
    const pool = poolRuns([a, b])
    expect(samplesOf(pool, 't_ms')).toHaveLength(10)
    const r = pooledRun(pool, a, rng(2), 1)
    const xs = samplesOf(r, 't_ms')
    expect(xs).toHaveLength(4)
    expect(xs.every(x => x === 1 || x === 3)).toBe(true)
  })

  it('condenses a run into history headline values of every metric and the runner floor', () => {
    const r = results([metric('t_ms', 'ms', 'lower', [1, 2, 9]), metric('ctx', 'ms', 'lower', [5], false)])
    r.run.floor = metric('cpu_floor_ms', 'ms', 'lower', [0.05, 0.06, 0.07], false)
    expect(historyEntry(r, 'h0').values).toEqual({
      'trading.consensus/t_ms': 2,
      'trading.consensus/ctx': 5,
      'run/cpu_floor_ms': 0.06
    })
  })

  it('drifts the runner floor with the run, and never injects a regression into it', () => {
    const src = results([metric('t_ms', 'ms', 'lower', [10, 10, 10, 10])])
    src.run.floor = metric('cpu_floor_ms', 'ms', 'lower', [2, 2, 2, 2], false)
    const r = syntheticRun(src, rng(3), 1.2, { key: 'trading.consensus/t_ms', pct: 50 })
    expect(r.run.floor!.samples.every(x => Math.abs(x - 2.4) < 1e-9)).toBe(true)
    expect(samplesOf(r, 't_ms').every(x => Math.abs(x - 18) < 1e-9)).toBe(true)
    const pool = poolRuns([src, src])
    expect(pool.run.floor!.samples).toHaveLength(8)
  })
})

describe('detector: reference rules', () => {
  it('Welch t-test matches the textbook value', () => {
    // scipy.stats.ttest_ind([1,2,3,4,5], [2,4,6,8,10], equal_var=False): t = -1.8974, p = 0.1075
    const w = welchTTest([1, 2, 3, 4, 5], [2, 4, 6, 8, 10])!
    expect(w.t).toBeCloseTo(-1.8974, 3)
    expect(w.df).toBeCloseTo(5.882, 2)
    expect(w.p).toBeCloseTo(0.1075, 3)
    expect(welchTTest([1], [2, 3])).toBeUndefined()
  })

  it('Welch flags only significant changes in the worse direction', () => {
    const base = results([metric('t_ms', 'ms', 'lower', [10, 11, 10, 11, 10, 11])])
    const slower = results([metric('t_ms', 'ms', 'lower', [20, 21, 20, 21, 20, 21])])
    expect(welchRegressions(base, slower)).toEqual(['trading.consensus/t_ms'])
    expect(welchRegressions(slower, base)).toEqual([])
  })

  it('the ratio rule alerts past its threshold on one value, in the metric’s direction', () => {
    const base = results([metric('t_ms', 'ms', 'lower', [10]), metric('rate', 'msg/s', 'higher', [100])])
    const head = results([metric('t_ms', 'ms', 'lower', [11.5]), metric('rate', 'msg/s', 'higher', [45])])
    expect(ratioRegressions(base, head, 1.1).sort()).toEqual([
      'trading.consensus/rate',
      'trading.consensus/t_ms'
    ])
    expect(ratioRegressions(base, head, 2)).toEqual(['trading.consensus/rate'])
  })
})

const span = (start: number, seconds: number): SandboxSpan => ({
  label: 'x',
  start,
  sandbox: { aliveSeconds: () => seconds } as unknown as Sandbox
})

describe('detector: change-point histories', () => {
  it("takes each gated headline's run-to-run σ of ln(headline) from 3+ runs, context metrics left out", () => {
    const run = (v: number) =>
      results([
        metric('decision_ms', 'ms', 'lower', [v, v, v]),
        metric('batch_ms', 'ms', 'lower', [v], false)
      ])
    const heads = headlineNoise([run(10), run(10 * Math.E), run(10 * Math.E ** 2)])
    expect(heads).toEqual([
      { key: 'trading.consensus/decision_ms', direction: 'lower', sigma: expect.any(Number) }
    ])
    expect(heads[0].sigma).toBeCloseTo(1, 9)
    expect(headlineNoise([run(10), run(20)])).toEqual([])
  })

  it('injects the change in the worse direction of the metric, from its run on; creeps spread evenly', () => {
    const flatNoise = { key: 'k', sigma: 0 }
    const up = syntheticHistory(
      { ...flatNoise, direction: 'lower' },
      { kind: 'step', pct: 20 },
      [3],
      6,
      rng(1)
    )
    expect(up.map(v => Number(v.toFixed(6)))).toEqual([1, 1, 1, 1.2, 1.2, 1.2])
    const tp = syntheticHistory(
      { ...flatNoise, direction: 'higher' },
      { kind: 'step', pct: 25 },
      [2],
      4,
      rng(1)
    )
    expect(tp.map(v => Number(v.toFixed(6)))).toEqual([1, 1, 0.8, 0.8])
    const creep = { kind: 'creep' as const, pct: 3, steps: 5 }
    expect(changeRuns(creep, 70, rng(1))).toEqual([10, 20, 30, 40, 50])
    const c = syntheticHistory({ ...flatNoise, direction: 'lower' }, creep, [10, 20, 30, 40, 50], 70, rng(1))
    expect(c[69]).toBeCloseTo(1.03 ** 5, 9)
    const at = changeRuns({ kind: 'step', pct: 10 }, 100, rng(2))[0]
    expect(at).toBeGreaterThanOrEqual(10)
    expect(at).toBeLessThan(90)
  })
})

describe('plan: attribution of sandbox-seconds', () => {
  it('splits each sandbox life over the benchmarks it overlapped and counts creations where they happened', () => {
    const spans = [span(0, 10), span(5_000, 2), span(12_000, 1)]
    const [a, b] = attribute(spans, [
      { id: 'a', start: 0, end: 6_000 },
      { id: 'b', start: 6_000, end: 20_000 }
    ])
    expect(a.sandboxSeconds).toBeCloseTo(6 + 1)
    expect(a.created).toBe(2)
    expect(a.peakLive).toBe(2)
    expect(b.sandboxSeconds).toBeCloseTo(4 + 1 + 1)
    expect(b.created).toBe(1)
    expect(b.peakLive).toBe(2)
  })
})

describe('plan: a benchmark billed over several turns', () => {
  it('adds its turns (times, creations, sandbox-seconds), keeps its highest peak, in the order given', () => {
    const spans = [span(0, 10), span(5_000, 2), span(12_000, 1)]
    const turns = attribute(spans, [
      { id: 'a', start: 0, end: 3_000 },
      { id: 'b', start: 3_000, end: 6_000 },
      { id: 'a', start: 6_000, end: 20_000 }
    ])
    const [b, a] = sumById(turns, ['b', 'a', 'never'])
    expect(a).toMatchObject({ id: 'a', wallS: 17, created: 2, peakLive: 2 })
    expect(a.sandboxSeconds).toBeCloseTo(3 + 4 + 1 + 1)
    expect(b).toMatchObject({ id: 'b', wallS: 3, created: 1, peakLive: 2 })
    expect(b.sandboxSeconds).toBeCloseTo(3 + 1)
  })
})

describe('common', () => {
  it('quantile interpolates like R type 7', () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5)
    expect(quantile([1, 2, 3, 4, 5], 0.99)).toBeCloseTo(4.96)
    expect(Number.isNaN(quantile([], 0.5))).toBe(true)
  })
})
