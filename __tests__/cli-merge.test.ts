// `swarm-bench merge`: the results of matrix shards that ran disjoint `--only` sets made into one results file and
// report. Real shards first (two local runs of the CLI), then shards of a duet built from samples, where the
// verdicts must come from one Holm family over both shards, and the refusals (overlap, mismatched profile or
// provider), each naming the files and what differs.
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { main, type CliIO } from '../src/cli/main.js'
import { compareDuet } from '../src/duet/verdict.js'
import { writeResults } from '../src/results/io.js'
import { makeMetric } from '../src/results/metric.js'
import { REPORT_FILE, RESULTS_FILE, type Results } from '../src/results/schema.js'
import { mulberry32 } from '../src/stats/bootstrap.js'
import { benchOf, resultsOf } from './support/results.js'

const dir = mkdtempSync(join(tmpdir(), 'swarm-bench-merge-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const io: CliIO = { stdout: t => void (out += t), stderr: t => void (err += t), env: {} }
  const code = await main(args, io)
  return { code, out, err }
}

const read = (p: string): Results => JSON.parse(readFileSync(p, 'utf8')) as Results

describe('swarm-bench merge', () => {
  it('merges two real shards into one results file, report and exports', async () => {
    const shards = [
      ['a', 'trading.strategy-execution'],
      ['b', 'communication.inter-agent-latency']
    ]
    for (const [name, only] of shards) {
      const r = await cli(['run', '--provider', 'local', '--only', only, '--out', join(dir, name)])
      expect(r.code, r.err).toBe(0)
    }
    const [a, b] = shards.map(([name]) => join(dir, name, RESULTS_FILE))
    const out = join(dir, 'merged')
    const r = await cli(['merge', a, b, '--out', out])
    expect(r.code, r.err).toBe(0)
    expect(r.err).toMatch(/merged 2 shards: 2 benchmark\(s\)/)
    const merged = read(join(out, RESULTS_FILE))
    expect(merged.benchmarks.map(x => x.id).sort()).toEqual([
      'communication.inter-agent-latency',
      'trading.strategy-execution'
    ])
    // Samples kept as the shards had them; the cost is the sum of the shards'.
    const [ra, rb] = [read(a), read(b)]
    expect(merged.benchmarks.find(x => x.id === 'trading.strategy-execution')).toEqual(ra.benchmarks[0])
    expect(merged.cost.usd).toBeCloseTo(ra.cost.usd + rb.cost.usd, 12)
    expect(merged.cost.sandboxes).toBe(ra.cost.sandboxes + rb.cost.sandboxes)
    expect(merged.run.environment.providerDetails.shards).toBe(2)
    const report = readFileSync(join(out, REPORT_FILE), 'utf8')
    expect(report).toContain('trading.strategy-execution')
    expect(report).toContain('communication.inter-agent-latency')
    expect(existsSync(join(out, 'swarm-bench-bencher.json'))).toBe(true)
    expect(r.out).toContain(join(out, RESULTS_FILE))

    // Against a baseline (no duet): the merged file is compared as one run.
    const vs = await cli([
      'merge',
      a,
      b,
      '--out',
      join(dir, 'merged-vs'),
      '--baseline',
      join(out, RESULTS_FILE)
    ])
    expect(vs.code, vs.err).toBe(0)
    expect(vs.out).toContain('trading.strategy-execution/compute_vs_floor')
    expect(vs.out).toMatch(/regression\(s\), \d+ improvement\(s\)/)

    // Refusals: the same benchmark in two shards, another profile.
    const twice = await cli(['merge', a, b, a, '--out', join(dir, 'x')])
    expect(twice.code).toBe(2)
    expect(twice.err).toMatch(
      /error: cannot merge: .* both ran trading\.strategy-execution: shards must run disjoint benchmark sets/
    )
    const full = join(dir, 'full')
    writeResults(full, { ...rb, run: { ...rb.run, profile: 'full' } })
    const mixed = await cli(['merge', a, join(full, RESULTS_FILE), '--out', join(dir, 'y')])
    expect(mixed.code).toBe(2)
    expect(mixed.err).toMatch(/differ in profile \("quick" vs "full"\)/)
    expect(existsSync(join(dir, 'y', RESULTS_FILE))).toBe(false)
    const e2b = join(dir, 'e2b')
    writeResults(e2b, { ...rb, run: { ...rb.run, provider: 'e2b' } })
    const other = await cli(['merge', a, join(e2b, RESULTS_FILE), '--out', join(dir, 'z')])
    expect(other.code).toBe(2)
    expect(other.err).toMatch(/differ in provider \("local" vs "e2b"\)/)
    const one = await cli(['merge', a, '--out', join(dir, 'w')])
    expect(one.code).toBe(2)
    expect(one.err).toMatch(/at least two results files, got 1/)
  }, 300_000)

  it('duet shards: both sides kept, verdicts recomputed in one Holm family over every shard', async () => {
    /** A duet shard of one benchmark whose head is `factor` × its base, pair by pair. */
    function shard(id: string, metric: string, factor: number, seed: number): Results {
      const rand = mulberry32(seed)
      const base: number[] = []
      const head: number[] = []
      for (let i = 0; i < 40; i++) {
        const machine = 10 * (1 + 0.3 * Math.sin(i / 5))
        base.push(machine * (1 + 0.2 * (rand() - 0.5)))
        head.push(machine * factor * (1 + 0.2 * (rand() - 0.5)))
      }
      const m = (s: number[]) =>
        makeMetric({ name: metric, unit: 'ms', direction: 'lower', source: 'agent', samples: s })
      return resultsOf([benchOf(id, [m(head)])], {
        duet: {
          base: { ref: 'main', sha: 'c'.repeat(40), changed: ['agent'], notes: [] },
          benchmarks: [benchOf(id, [m(base)])]
        }
      })
    }
    const A = shard('communication.inter-agent-latency', 'rtt_ms', 1.25, 1)
    const B = shard('trading.strategy-execution', 'compute_ms', 1.25, 2)
    const files = [A, B].map((r, i) => {
      const d = join(dir, `duet-${i}`)
      writeResults(d, r)
      return join(d, RESULTS_FILE)
    })
    const out = join(dir, 'duet-merged')
    const r = await cli(['merge', ...files, '--out', out, '--fail-on-regression'])
    const merged = read(join(out, RESULTS_FILE))
    // Both sides of both shards are in the merged file, sample for sample.
    expect(merged.duet?.benchmarks.map(b => b.id)).toEqual([
      'communication.inter-agent-latency',
      'trading.strategy-execution'
    ])
    expect(merged.duet?.benchmarks[1]).toEqual(B.duet!.benchmarks[0])
    // One Holm family: each metric's adjusted p is the one of the merged comparison, not of its shard alone.
    const alone = compareDuet(A).verdicts[0]
    const together = compareDuet(merged).verdicts.find(v => v.key === alone.key)!
    expect(compareDuet(merged).tested).toBe(2)
    expect(together.pAdjusted!).toBeGreaterThan(alone.pAdjusted!)
    expect(together.p).toBeCloseTo(alone.p!, 12)
    expect(r.out).toMatch(/^2 regression\(s\), 0 improvement\(s\), 0 unchanged \(2 metric\(s\) tested/)
    expect(r.out).toMatch(/communication\.inter-agent-latency\/rtt_ms .* \d\.\de-\d \(\d\.\de-\d\)/)
    // Both rose 25 % beyond a 10 % threshold: two regressions, and --fail-on-regression exits 1 naming them.
    expect(r.code, r.err + r.out).toBe(1)
    expect(r.err).toMatch(/--fail-on-regression: 2 regression\(s\)/)
    // A duet shard and a plain shard are refused.
    const plain = join(dir, 'plain')
    writeResults(plain, { ...B, duet: undefined })
    const bad = await cli(['merge', files[0], join(plain, RESULTS_FILE), '--out', join(dir, 'v')])
    expect(bad.code).toBe(2)
    expect(bad.err).toMatch(/differ in duet/)
  }, 60_000)
})
