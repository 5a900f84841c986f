// The duet's verdicts from a results file holding both sides: a uniform slowdown of every timing, which the
// artifact comparison removes as runner shift, is the code's in a duet and is caught from the first pull request.
import { describe, expect, it } from 'vitest'
import { compareDuet } from '../src/duet/verdict.js'
import { makeMetric } from '../src/results/metric.js'
import type { BenchmarkResult, Metric, Results } from '../src/results/schema.js'
import { mulberry32 } from '../src/stats/bootstrap.js'
import { compareResults } from '../src/stats/compare.js'
import { benchOf, resultsOf } from './support/results.js'

/** `n` paired samples: a machine drift both sides share, independent noise, and the head × `factor`. */
function pair(center: number, n: number, seed: number, factor: number, noise = 0.04): [number[], number[]] {
  const rand = mulberry32(seed)
  const base: number[] = []
  const head: number[] = []
  for (let i = 0; i < n; i++) {
    const machine = center * (1 + 0.3 * Math.sin(i / 7))
    base.push(machine * Math.exp(noise * (rand() - 0.5) * 3.4))
    head.push(machine * factor * Math.exp(noise * (rand() - 0.5) * 3.4))
  }
  return [base, head]
}

const metric = (
  name: string,
  samples: number[],
  unit = 'ms',
  direction: 'lower' | 'higher' = 'lower'
): Metric => makeMetric({ name, unit, direction, source: 'agent', samples })

const bench = benchOf

function results(head: BenchmarkResult[], base?: BenchmarkResult[]): Results {
  const duet = {
    base: { ref: 'main', sha: 'b'.repeat(40), changed: ['agent'], notes: [] },
    benchmarks: base ?? []
  }
  return resultsOf(head, base ? { duet } : {})
}

// Eight benchmarks' headlines, as a quick matrix has them (names from src/duet/headlines.ts).
const HEADLINES: [string, string, number][] = [
  ['communication.inter-agent-latency', 'rtt_ms', 360],
  ['communication.message-throughput', 'message_ms', 300],
  ['trading.consensus', 'decision_ms', 150],
  ['trading.strategy-execution', 'compute_ms', 600],
  ['trading.task-distribution', 'task_compute_ms', 150],
  ['scalability.topology-compare', 'ping_rtt_ms.mesh', 100],
  ['communication.state-sync', 'sync_ms.mesh', 40],
  ['creation.swarm-init', 'link_handshake_rtt_ms', 30]
]

function duet(factor: (id: string) => number, seed = 1): Results {
  const sides = HEADLINES.map(([id, name, n], i) => {
    const [b, h] = pair(1 + i, n, seed + i, factor(id))
    return [bench(id, [metric(name, h)]), bench(id, [metric(name, b)])] as const
  })
  return results(
    sides.map(s => s[0]),
    sides.map(s => s[1])
  )
}

describe('compareDuet', () => {
  it('an A/A duet flags nothing, and every headline reports its minimum detectable effect', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const c = compareDuet(duet(() => 1, seed * 100))
      expect(c.mode).toBe('duet')
      expect(c.tested).toBe(HEADLINES.length)
      expect(c.regressions, `seed ${seed}`).toEqual([])
      expect(c.verdicts.every(v => v.mdePct! > 10 && v.test === 'paired')).toBe(true)
    }
  })

  it.each([1.2, 1.5, 10])(
    'every timing ×%s at once is caught on every headline (nothing is removed as runner shift)',
    f => {
      const r = duet(() => f)
      const c = compareDuet(r)
      expect(c.regressions.map(v => v.benchmarkId).sort()).toEqual(HEADLINES.map(h => h[0]).sort())
      for (const v of c.regressions) expect(Math.abs(v.changePct! / ((f - 1) * 100) - 1)).toBeLessThan(0.1)
      // The artifact rule, given the same two sides as two runs, removes the uniform change as a runner shift.
      const asRuns = compareResults(
        { ...r, benchmarks: r.duet!.benchmarks, duet: undefined },
        { ...r, duet: undefined }
      )
      expect(asRuns.regressions.filter(v => v.key !== 'run/timing-shift')).toEqual([])
    }
  )

  it('one benchmark ×1.3 is a regression of that benchmark only, with its evidence', () => {
    const c = compareDuet(duet(id => (id === 'trading.consensus' ? 1.3 : 1)))
    expect(c.regressions.map(v => v.key)).toEqual(['trading.consensus/decision_ms'])
    const v = c.regressions[0]
    expect(v.reason).toMatch(/worse by more than 10%: \d+ pairs, \+\d+\.\d% \(.*\), Holm p/)
    expect(v.interval!.lowPct).toBeGreaterThan(15)
    expect(v.pairs).toBe(150)
  })

  it('a change below the threshold is unchanged however precise; a speed-up is an improvement', () => {
    expect(compareDuet(duet(() => 1.05)).regressions).toEqual([])
    const fast = compareDuet(duet(() => 0.5))
    expect(fast.improvements).toHaveLength(HEADLINES.length)
    expect(fast.regressions).toEqual([])
  })

  it('a threshold of 0 flags a precise +5 %; the threshold option is honoured', () => {
    expect(
      compareDuet(
        duet(() => 1.05),
        { thresholdPct: 0 }
      ).regressions.length
    ).toBeGreaterThan(4)
  })

  it('says what is missing: an errored side, a metric one side lacks, too few pairs, and no duet at all', () => {
    const [b, h] = pair(1, 40, 9, 1)
    const r = results(
      [
        bench('trading.consensus', [metric('decision_ms', h.slice(0, 2))]),
        bench('communication.state-sync', [], { status: 'error', error: 'agent 2 crashed' }),
        bench('resources.memory', [metric('rss_mib.n4', [17, 17, 17, 17], 'MiB')])
      ],
      [
        bench('trading.consensus', [metric('decision_ms', b.slice(0, 2))]),
        bench('communication.state-sync', [metric('sync_ms.mesh', b)]),
        bench('resources.memory', [metric('rss_mib.n4', [17, 17, 17, 17], 'MiB')])
      ]
    )
    const c = compareDuet(r)
    const by = Object.fromEntries(c.verdicts.map(v => [v.key, v]))
    expect(by['trading.consensus/decision_ms'].verdict).toBe('insufficient-data')
    expect(by['trading.consensus/decision_ms'].reason).toMatch(/needs 3 pairs.*had 2/)
    expect(by['communication.state-sync/sync_ms.mesh'].verdict).toBe('missing')
    expect(by['communication.state-sync/sync_ms.mesh'].reason).toMatch(
      /errored on the head side: agent 2 crashed/
    )
    // An exact count that did not move: unchanged with certainty.
    expect(by['resources.memory/rss_mib.n4'].verdict).toBe('unchanged')
    expect(compareDuet(results([])).status).toBe('no-baseline')
  })

  it('averages only samples that came from one request: one sync per request keeps every pair as evidence', () => {
    const [b, h] = pair(2, 20, 9, 1)
    const [pb, ph] = pair(0.1, 20, 9, 1)
    const c = compareDuet(
      results(
        [
          bench('communication.state-sync', [metric('sync_ms.mesh', h)]),
          bench('communication.inter-agent-latency', [metric('rtt_ms', ph)])
        ],
        [
          bench('communication.state-sync', [metric('sync_ms.mesh', b)]),
          bench('communication.inter-agent-latency', [metric('rtt_ms', pb)])
        ]
      )
    )
    const by = Object.fromEntries(c.verdicts.map(v => [v.key, v]))
    // 20 syncs: 20 units (12 after trimming, df 11); pings come 5 to a request: 4 block means (df 3).
    expect(by['communication.state-sync/sync_ms.mesh'].df).toBe(11)
    expect(by['communication.inter-agent-latency/rtt_ms'].df).toBe(3)
  })

  it("judges the strategy's in-agent twin pairs one by one, cross-process decisions in blocks of a request", () => {
    const [b, h] = pair(0.15, 30, 4, 1)
    const judged = (facts: Record<string, number>) =>
      compareDuet(
        results(
          [bench('trading.strategy-execution', [metric('compute_ms', h)], { facts })],
          [bench('trading.strategy-execution', [metric('compute_ms', b)])]
        )
      ).verdicts[0]
    // Twinned (the head's agents timed both strategies pair by pair): 30 units, 18 after trimming (df 17).
    expect(judged({ strategyPairs: 30 }).df).toBe(17)
    // Each side's own agents: 3 decisions per request, 10 block means (df 5).
    expect(judged({}).df).toBe(5)
  })

  it("judges a deploy's link handshakes as one unit: all of them are verified at once", () => {
    // 5 deploys of 6 handshakes; each deploy's moment moves all 6 of the head's alike, by much (as one side's links
    // running beside the other's agent starts did), and the deploys disagree: no consistent change.
    const rand = mulberry32(5)
    const moments = [2.0, 0.8, 1.9, 1.1, 1.8]
    const base = moments.flatMap(() => Array.from({ length: 6 }, () => 1 + 0.03 * rand()))
    const head = moments.flatMap(f => Array.from({ length: 6 }, () => f * (1 + 0.03 * rand())))
    const judged = (facts: Record<string, number>) =>
      compareDuet(
        results(
          [bench('creation.swarm-init', [metric('link_handshake_rtt_ms', head)], { facts })],
          [bench('creation.swarm-init', [metric('link_handshake_rtt_ms', base)])]
        )
      ).verdicts[0]
    // Taken one by one, 30 pairs call it a regression; as 5 deploys, it is not resolved.
    expect(judged({}).verdict).toBe('regression')
    const perDeploy = judged({ handshakes_per_deploy: 6 })
    expect(perDeploy.verdict).toBe('unchanged')
    expect(perDeploy.df).toBeLessThan(5)
  })
})
