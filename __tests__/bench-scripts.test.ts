// Smoke tests of the four measurement scripts with tiny parameters: each runs for real (real agents, real floors,
// the real E2B SDK against the emulator) and its --json output has the shape docs/performance.md relies on, plus
// the invariants that hold whatever the timings are. No timing assertions.
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import type { HarnessFigures } from '../scripts/bench/harness.js'
import type { PlanFigures } from '../scripts/bench/plan.js'
import type { DetectorFigures } from '../scripts/bench/detector.js'
import type { ScaleFigures } from '../scripts/bench/scale.js'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'bench-scripts-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function script<T>(name: string, args: string[]): Promise<{ figures: T; stdout: string }> {
  const json = join(dir, `${name}-${Date.now()}.json`)
  const { stdout } = await run(
    process.execPath,
    ['node_modules/tsx/dist/cli.mjs', `scripts/bench/${name}.ts`, ...args, '--json', json],
    { maxBuffer: 64 * 1024 * 1024, timeout: 290_000 }
  )
  return { figures: JSON.parse(readFileSync(json, 'utf8')) as T, stdout }
}

describe('measurement scripts (tiny parameters)', () => {
  it('harness: control, peer and throughput next to their floors, and the peer ladder with cProfile', async () => {
    const { figures: h, stdout } = await script<HarnessFigures>('harness', [
      '--samples',
      '40',
      '--rounds',
      '2',
      '--messages',
      '20'
    ])
    for (const d of [
      h.control.floorUs,
      h.control.agentRawUs,
      h.control.agentClientUs,
      h.peer.floorUs,
      h.peer.agentUs
    ]) {
      expect(d.n).toBe(40)
      expect(d.p50).toBeGreaterThan(0)
      expect(d.p99).toBeGreaterThanOrEqual(d.p50)
    }
    expect(h.control.ratioP50).toBeCloseTo(h.control.agentClientUs.p50 / h.control.floorUs.p50, 9)
    expect(h.peer.ratioP50).toBeCloseTo(h.peer.agentUs.p50 / h.peer.floorUs.p50, 9)
    // every message sent over the link was delivered, and each one has its own latency sample
    expect(h.throughput.sent).toBe(20)
    expect(h.throughput.delivered).toBe(20)
    expect(h.throughput.sendLatencyUs.n).toBe(20)
    // Each verdict is the per-round ratio held against the stated ratio, and the overall one holds for every
    // placement: recomputed here, so a verdict detached from its figures fails.
    for (const pl of h.placements) {
      expect(pl.targets.peerP50WithinRatio, pl.placement).toBe(pl.peer.roundRatioP50 <= h.targets.ratio)
      expect(pl.targets.controlP50WithinRatio, pl.placement).toBe(pl.control.roundRatioP50 <= h.targets.ratio)
    }
    expect(h.targets.peerP50WithinRatio).toBe(
      h.placements.every(pl => pl.peer.roundRatioP50 <= h.targets.ratio)
    )
    expect(h.targets.controlP50WithinRatio).toBe(
      h.placements.every(pl => pl.control.roundRatioP50 <= h.targets.ratio)
    )
    expect(h.peer).toEqual(h.placements[0].peer)
    expect(h.profile?.rungs.map(r => r.name)).toEqual([
      'floor',
      'http-bytes',
      'agent-client',
      'agent-server',
      'agent-both'
    ])
    // the profile reached into the agent's own code on both sides of the link
    expect(h.profile?.profile?.server.some(r => r.function.startsWith('peer_'))).toBe(true)
    expect(h.profile?.profile?.client.some(r => r.function.startsWith('peer_'))).toBe(true)
    expect(stdout).toContain('ratio p50')
  }, 180_000)

  it('plan: local and emulated-Hobby runs of one benchmark, both latency profiles, project and seed flow, with attribution', async () => {
    const { figures: p } = await script<PlanFigures>('plan', [
      '--profiles',
      'quick',
      '--envs',
      'local,emulator',
      '--flows',
      'project,seed',
      '--only',
      'creation.swarm-init',
      '--cost-window',
      '1',
      '--create-ms',
      '100',
      '--call-ms',
      '10',
      '--hop-ms',
      '1',
      '--latency',
      'both'
    ])
    expect(p.rows.map(r => `${r.env}/${r.latency ?? '-'}/${r.flow}`)).toEqual([
      'local/-/project',
      'local/-/seed',
      'emulator/hobby/project',
      'emulator/hobby/seed',
      'emulator/realistic/project',
      'emulator/realistic/seed'
    ])
    // the hobby profile takes the fixed flags; the realistic one is issue #14's, each figure with its source
    expect(p.params.latencyProfiles.hobby?.call).toEqual({ kind: 'fixed', ms: 10 })
    expect(p.params.latencyProfiles.realistic?.create).toEqual({
      kind: 'lognormal',
      q: [
        [0.5, 440],
        [0.95, 850]
      ]
    })
    expect(p.params.latencyProfiles.realistic?.sources.create).toContain('published')
    expect(p.params.latencyProfiles.realistic?.sources.call).toContain('assumption')
    for (const r of p.rows) {
      expect(r.benchmarks.error, r.errors.join('; ')).toBe(0)
      expect(r.sandboxes).toBeGreaterThan(0)
      // the cost is the billed lifetime at the default price of the 2 vCPU / 512 MiB allocation
      expect(r.usd).toBeCloseTo(r.sandboxSeconds * p.params.usdPerSandboxSecond, 9)
      expect(r.perBenchmark).toHaveLength(1)
      expect(r.perBenchmark[0].created).toBe(r.sandboxes)
      if (r.flow === 'seed')
        expect(r.usdIfLeaked!).toBeGreaterThanOrEqual(r.sandboxes * 300 * p.params.usdPerSandboxSecond)
    }
    for (const r of p.rows.filter(x => x.env === 'emulator')) {
      // every sandbox went through the emulator, never more than the Hobby limit at once
      expect(r.emulator!.createRequests).toBe(r.sandboxes)
      expect(r.emulator!.peakLive).toBeLessThanOrEqual(20)
      expect(r.createMsP50 === undefined || r.createMsP50 > 0).toBe(true)
    }
    for (const project of p.rows.filter(r => r.env === 'emulator' && r.flow === 'project')) {
      expect(project.targets?.usdMax).toBe(0.02)
      expect(project.targets?.usdMet).toBe(project.usd <= 0.02)
    }
  }, 300_000)

  it('detector: records runs, reuses them with --from, scores four methods and compares real pairs', async () => {
    const runs = join(dir, 'runs')
    const args = ['--comparisons', '20', '--drift', '10', '--sizes', '50', '--history', '2']
    const { figures: d } = await script<DetectorFigures>('detector', [
      '--runs',
      '2',
      '--dir',
      runs,
      '--only',
      'communication.inter-agent-latency,resources.network',
      ...args
    ])
    expect(readdirSync(runs)).toHaveLength(2)
    expect(d.params.runs).toBe(2)
    expect(d.cells.map(c => c.method)).toEqual(['project', 'ratio110', 'ratio200', 'welch'])
    // Each rate is a whole number of the 20 comparisons, the score is recomputed from the rates, and a rule that
    // needs a 200 % ratio can never flag more than the 110 % rule on the same pairs: a rate computed from the
    // wrong counts, denominator or method breaks one of these.
    const count = (rate: number): number => rate * d.params.comparisons
    for (const c of d.cells) {
      expect(Object.keys(c.detection)).toEqual(['50'])
      for (const rate of [c.falseAlarm, c.detection['50']]) {
        expect(count(rate)).toBeCloseTo(Math.round(count(rate)), 9)
      }
      expect(c.score25).toBeCloseTo(c.falseAlarm + (1 - (c.detection['25'] ?? 0)), 12)
    }
    const cell = (m: string) => d.cells.find(c => c.method === m)!
    expect(cell('ratio200').falseAlarm).toBeLessThanOrEqual(cell('ratio110').falseAlarm)
    expect(cell('ratio200').detection['50']).toBeLessThanOrEqual(cell('ratio110').detection['50'])
    const project = cell('project')
    // A 50 % slowdown of one gated metric under ±10 % drift is a ratio of 1.23–1.83: a 110 % rule flags it (it
    // scored 100 %), a 200 % rule cannot (0 %). Rates computed from the wrong comparisons break these.
    expect(cell('ratio110').detection['50']).toBeGreaterThanOrEqual(0.9)
    expect(cell('ratio200').detection['50']).toBeLessThanOrEqual(0.1)
    expect(d.targets.met['drift10.falseAlarm≤1%']).toBe(project.falseAlarm <= d.targets.falseAlarmMax)
    expect(d.targets.met['realPairs.noRegression']).toBe(d.realPairs.every(r => r.regressions.length === 0))
    expect(d.realPairs).toHaveLength(2)
    const again = await script<DetectorFigures>('detector', ['--from', runs, ...args])
    expect(again.figures.params.runs).toBe(2)
    expect(readdirSync(runs)).toHaveLength(2)
    // same recorded runs and seed: the simulation is reproducible
    expect(again.figures.cells).toEqual(d.cells)
  }, 180_000)

  it('scale: a small ring and mesh go through the whole cycle with memory read from /proc', async () => {
    const { figures: s } = await script<ScaleFigures>('scale', [
      '--size',
      '4',
      '--topologies',
      'ring',
      '--mesh-sizes',
      '3',
      '--startup-samples',
      '1'
    ])
    expect(s.rows.map(r => `${r.topology}-${r.size}`)).toEqual(['ring-4', 'mesh-3'])
    for (const r of s.rows) {
      expect(r.ok, r.error).toBe(true)
      expect(r.consensus!.agreed).toBe(true)
      expect(r.consensus!.voteMessages).toBe(r.consensus!.predicted)
      expect(r.stateSync!.acks).toBe(r.size - 1)
      expect(r.leftoverProcesses).toBe(0)
      expect(r.memoryPeak!.agents).toBe(r.size)
      expect(r.memoryPeak!.peakRssMiB.min).toBeGreaterThan(1)
    }
    expect(s.largestMesh).toBe(3)
    expect(s.startup?.rows).toHaveLength(6)
    // the import times are those of the agent's own package, not just the interpreter's start-up
    expect(s.startup?.imports.some(i => i.module.startsWith('swarm_agent'))).toBe(true)
  }, 180_000)
})
