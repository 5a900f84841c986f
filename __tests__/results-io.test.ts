import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  truncateSync,
  mkdirSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { costOf } from '../src/cost/pricing.js'
import { E2B_DEFAULT_PRICING } from '../src/sandbox/e2b/pricing.js'
import {
  appendHistory,
  MAX_RESULTS_BYTES,
  parseResults,
  readResults,
  writeResults
} from '../src/results/io.js'
import { benchmarkStatus, makeMetric, meetsTarget, subsample } from '../src/results/metric.js'
import {
  MAX_SAMPLES,
  RESULTS_FILE,
  Results,
  SCHEMA_VERSION,
  type BenchmarkResult
} from '../src/results/schema.js'

function sample(runId = 'r1', overrides: Partial<Results['run']> = {}): Results {
  const metrics = [
    makeMetric({ name: 'rtt_ms', unit: 'ms', direction: 'lower', source: 'agent', samples: [1, 2, 3, 4, 5] }),
    makeMetric({
      name: 'tp',
      unit: 'msg/s',
      direction: 'higher',
      source: 'host',
      samples: [10, 20],
      headline: 'mean'
    })
  ]
  const bench: BenchmarkResult = {
    id: 'communication.inter-agent-latency',
    category: 'communication',
    title: 'RTT',
    status: benchmarkStatus(metrics),
    params: {},
    metrics,
    facts: {},
    durationMs: 12
  }
  return Results.parse({
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'swarm-bench', version: '0.1.0' },
    run: {
      provider: 'local',
      profile: 'quick',
      startedAt: `2025-01-0${runId.length}T00:00:00.000Z`,
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
      git: { runId, sha: `sha-${runId}` },
      complete: true,
      ...overrides
    },
    benchmarks: [bench],
    cost: costOf([], E2B_DEFAULT_PRICING, true),
    history: []
  })
}

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'results-io-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const expectReason = (outcome: ReturnType<typeof parseResults>, pattern: RegExp): void => {
  expect(outcome.ok).toBe(false)
  if (!outcome.ok) expect(outcome.reason).toMatch(pattern)
}

describe('writeResults / readResults', () => {
  it('round-trips valid results and leaves no temp file', () => {
    const r = sample()
    const path = writeResults(dir, r)
    expect(path).toBe(join(dir, RESULTS_FILE))
    expect(readdirSync(dir)).toEqual([RESULTS_FILE])
    const back = readResults(path)
    expect(back).toEqual({ ok: true, results: r })
  })

  it('refuses to write invalid results and keeps the previous file intact', () => {
    const path = writeResults(dir, sample())
    const before = readFileSync(path, 'utf8')
    const bad = sample()
    bad.benchmarks[0].metrics[0].summary.mean = NaN
    expect(() => writeResults(dir, bad)).toThrow(/benchmarks\.0\.metrics\.0\.summary\.mean/)
    expect(readFileSync(path, 'utf8')).toBe(before)
    expect(readdirSync(dir)).toEqual([RESULTS_FILE])
  })

  it('writes atomically: a failed rename leaves the old file and no temp file', () => {
    // A directory squatting on the target name makes rename fail after the temp file was written.
    const squat = join(dir, 'sub')
    mkdirSync(join(squat, RESULTS_FILE), { recursive: true })
    writeFileSync(join(squat, RESULTS_FILE, 'keep'), 'x')
    expect(() => writeResults(squat, sample())).toThrow()
    expect(readdirSync(squat)).toEqual([RESULTS_FILE])
  })

  it('returns a reason, never throws, for every bad file', () => {
    const path = join(dir, 'r.json')
    expectReason(readResults(join(dir, 'nope.json')), /does not exist/)
    expectReason(readResults(dir), /not a file/)

    const good = JSON.stringify(sample())
    const cases: [string, RegExp][] = [
      ['', /empty/],
      [good.slice(0, good.length / 2), /truncated/],
      ['{"schemaVersion": 1, "x": NaN}', /NaN or Infinity/],
      ['{"schemaVersion": 1, "x": -Infinity}', /NaN or Infinity/],
      ['hello', /not valid JSON/],
      ['[1,2]', /not a results object/],
      ['null', /not a results object/],
      ['{"foo": 1}', /no schemaVersion/],
      [good.replace('"schemaVersion":2', '"schemaVersion":3'), /written by a newer version/],
      [good.replace('"schemaVersion":2', '"schemaVersion":0'), /older version/],
      [good.replace('"schemaVersion":2', '"schemaVersion":"2"'), /not an integer/],
      [good.replace('"durationMs":12', '"durationMs":1e999'), /benchmarks\.0\.durationMs: .*Infinity/],
      [good.replace('"provider":"local"', '"provider":"aws"'), /run\.provider/],
      [
        good.replace('"status":"passed"', '"status":"weird"').replace('"unit":"ms"', '"unit":5'),
        /benchmarks\.0\.status.*; benchmarks\.0\.metrics\.0\.unit/
      ]
    ]
    for (const [text, pattern] of cases) {
      writeFileSync(path, text)
      const outcome = readResults(path)
      expectReason(outcome, pattern)
      expectReason(parseResults(text), pattern)
    }
  })

  it('rejects absurd sizes before validating', () => {
    const r = JSON.parse(JSON.stringify(sample()))
    r.benchmarks[0].metrics[0].samples = new Array(MAX_SAMPLES + 1).fill(1)
    expectReason(parseResults(JSON.stringify(r)), /samples, more than the limit/)
    const many = JSON.parse(JSON.stringify(sample()))
    many.benchmarks = new Array(501).fill(many.benchmarks[0])
    expectReason(parseResults(JSON.stringify(many)), /501 benchmarks/)
    const lots = JSON.parse(JSON.stringify(sample()))
    lots.benchmarks[0].metrics = new Array(50_001).fill({})
    expectReason(parseResults(JSON.stringify(lots)), /50001 metrics/)
    // A sparse file past the byte limit is refused from its size alone, without reading it.
    const big = join(dir, 'big.json')
    writeFileSync(big, '{}')
    truncateSync(big, MAX_RESULTS_BYTES + 1)
    expectReason(readResults(big), /byte limit/)
  })
})

describe('schema versions', () => {
  const withHistory = (version: number, runs: number): string => {
    const r = sample('prev') as Record<string, unknown>
    r.history = Array.from({ length: runs }, (_, i) => ({
      runId: `h${i}`,
      startedAt: '2024-01-01T00:00:00Z',
      values: { 'communication.inter-agent-latency/rtt_ms': 3 + i }
    }))
    return JSON.stringify({ ...r, schemaVersion: version })
  }

  it('reads a version-1 file (history capped at 50) as the current version, history intact', () => {
    expect(SCHEMA_VERSION).toBe(2)
    const read = parseResults(withHistory(1, 50))
    if (!read.ok) throw new Error(read.reason)
    expect(read.results.schemaVersion).toBe(SCHEMA_VERSION)
    expect(read.results.history).toHaveLength(50)
    expect(read.results.history[49].values['communication.inter-agent-latency/rtt_ms']).toBe(52)
  })

  it('refuses a version-1 file past its own cap, and any file past the current cap', () => {
    expectReason(
      parseResults(withHistory(1, 51)),
      /schemaVersion 1 file holds at most 50 history runs, this one 51/
    )
    const ok = parseResults(withHistory(2, 500))
    expect(ok.ok).toBe(true)
    expectReason(parseResults(withHistory(2, 501)), /history/)
  })
})

describe('appendHistory', () => {
  it('condenses the previous baseline, newest first, and caps', () => {
    const prev = sample('prev')
    prev.history = Array.from({ length: 25 }, (_, i) => ({
      runId: `old${i}`,
      startedAt: `2024-12-${String(i + 1).padStart(2, '0')}T00:00:00Z`,
      values: { 'communication.inter-agent-latency/rtt_ms': 3 + i }
    }))
    const h = appendHistory(prev, sample('cur'), 20)
    expect(h).toHaveLength(20)
    expect(h[0]).toEqual({
      runId: 'prev',
      sha: 'sha-prev',
      startedAt: prev.run.startedAt,
      values: { 'communication.inter-agent-latency/rtt_ms': 3, 'communication.inter-agent-latency/tp': 15 }
    })
    expect(h[1].runId).toBe('old0')
    expect(h[19].runId).toBe('old18')
  })

  it('starts empty without a baseline, restarts on another provider, skips a re-run of the same run', () => {
    expect(appendHistory(undefined, sample())).toEqual([])
    expect(appendHistory(sample('p'), sample('c', { provider: 'e2b' }))).toEqual([])
    const prev = sample('same')
    prev.history = [{ runId: 'older', startedAt: '2024-01-01T00:00:00Z', values: {} }]
    expect(appendHistory(prev, sample('same')).map(e => e.runId)).toEqual(['older'])
  })

  it('keeps history-runs entries (default 100), up to the schema cap of 500', () => {
    const prev = sample('prev')
    prev.history = Array.from({ length: 499 }, (_, i) => ({
      runId: `old${i}`,
      startedAt: '2024-01-01T00:00:00Z',
      values: { 'communication.inter-agent-latency/rtt_ms': 3 }
    }))
    expect(appendHistory(prev, sample('cur'))).toHaveLength(100)
    expect(appendHistory(prev, sample('cur'), 250)).toHaveLength(250)
    expect(appendHistory(prev, sample('cur'), 10_000)).toHaveLength(500)
    expect(appendHistory(prev, sample('cur'), 0)).toEqual([])
  })

  it('produces a history the schema accepts', () => {
    const next = sample('next')
    next.history = appendHistory(sample('prev'), next, 500)
    expect(Results.safeParse(next).success).toBe(true)
  })
})

describe('makeMetric', () => {
  it('summarizes all samples, then keeps MAX_SAMPLES at an even stride', () => {
    const xs = Array.from({ length: 5000 }, (_, i) => i)
    const metric = makeMetric({ name: 'x', unit: 'ms', direction: 'lower', source: 'host', samples: xs })
    expect(metric.summary.n).toBe(5000)
    expect(metric.summary.max).toBe(4999)
    expect(metric.samples).toHaveLength(MAX_SAMPLES)
    expect(metric.samples.slice(0, 3)).toEqual([0, 5, 10])
    expect(subsample([1, 2, 3], 10)).toEqual([1, 2, 3])
    expect(metric.gate).toBe(true)
    expect(metric.targetMet).toBeUndefined()
  })

  it('judges the target on the declared statistic of this metric — two metrics, two verdicts', () => {
    const target = { op: '<' as const, value: 50, stat: 'p95' as const, source: 'seed' as const }
    const fast = makeMetric({
      name: 'fast',
      unit: 'ms',
      direction: 'lower',
      source: 'host',
      samples: [10, 20, 30, 40],
      target
    })
    // median 20 would pass, but p95 is what the target names
    const slowTail = makeMetric({
      name: 'slow',
      unit: 'ms',
      direction: 'lower',
      source: 'host',
      samples: [10, 20, 20, 20, 20, 20, 20, 20, 20, 900],
      target
    })
    expect(fast.targetMet).toBe(true)
    expect(slowTail.targetMet).toBe(false)
    expect(benchmarkStatus([fast])).toBe('passed')
    expect(benchmarkStatus([fast, slowTail])).toBe('failed')
    expect(benchmarkStatus([fast], new Error('boom'))).toBe('error')
    expect(meetsTarget(slowTail.summary, { ...target, stat: 'median' })).toBe(true)
    expect(meetsTarget(makeMetric({ ...slowTail, samples: [] }).summary, target)).toBe(false)
    for (const op of ['<', '<=', '>', '>='] as const) {
      expect(meetsTarget(fast.summary, { ...target, op, value: fast.summary.p95 })).toBe(
        op === '<=' || op === '>='
      )
    }
  })

  it('throws on a non-finite sample, naming the metric', () => {
    expect(() =>
      makeMetric({ name: 'cpu', unit: '%', direction: 'lower', source: 'agent', samples: [1, NaN] })
    ).toThrow(/metric cpu: sample 1/)
  })
})
