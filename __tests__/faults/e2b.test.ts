// Fault injection, E2B: the real CLI with `--provider e2b` driving the real e2b SDK against the local E2B emulator,
// whose fault switches are flipped while the run is under way: bursts of 429/503 on creation, a sandbox that
// expires, is killed by someone else or loses its process stream mid-benchmark, a wrong API key, and the whole
// service going away. Creation that times out runs through the runner with a short SDK request timeout (the CLI
// leaves the SDK's 60 s default). For each: the run completes or stops cleanly, the affected benchmark is `error`
// with a message a user understands, results and report are written, and no sandbox or agent process is left.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import v8 from 'node:v8'
import vm from 'node:vm'
import { afterAll, describe, expect, it } from 'vitest'
import { runBenchmarks } from '../../src/bench/runner.js'
import { REPORT_FILE, RESULTS_FILE } from '../../src/results/schema.js'
import { E2BProvider } from '../../src/sandbox/e2b/provider.js'
import { e2bSettings } from '../../src/sandbox/e2b/config.js'
import { sweepSandboxesDetailed } from '../../src/sandbox/e2b/sweep.js'
import { benchConfig } from '../support/bench-config.js'
import { startE2BEmulator, type E2BEmulator } from '../support/e2b-emulator/index.js'
import { startCli, type CliResult } from '../support/faults/cli-process.js'
import { expectOutputs, headline, type RunOutputs } from '../support/faults/outputs.js'
import { printFaultTable, recordFault } from '../support/faults/table.js'
import { newRunTag, processesWithTag, waitForNoProcesses } from '../support/processes.js'

const KEY = 'e2b_faultSuiteKey_5f4e3d2c1b0a99887766'

/** A full garbage collection on demand (vitest workers do not run with --expose-gc). */
function forceGc(): void {
  v8.setFlagsFromString('--expose-gc')
  ;(vm.runInNewContext('gc') as () => void)()
}
const STRATEGY = 'trading.strategy-execution'
const LATENCY = 'communication.inter-agent-latency'
const out = mkdtempSync(join(tmpdir(), 'faults-e2b-'))
const emulators: E2BEmulator[] = []

afterAll(async () => {
  printFaultTable('E2B (CLI --provider e2b, real SDK, emulator)')
  await Promise.all(emulators.map(e => e.close()))
  rmSync(out, { recursive: true, force: true })
})

async function emulator(): Promise<E2BEmulator> {
  const emu = await startE2BEmulator({ apiKey: KEY })
  emulators.push(emu)
  return emu
}

interface E2BRun {
  tag: string
  dir: string
  cli: ReturnType<typeof startCli>
}

function startE2BCli(emu: E2BEmulator, name: string, only: string[], key = KEY): E2BRun {
  const tag = newRunTag(`e2b-${name}`)
  const dir = join(out, name)
  const args = ['run', '--provider', 'e2b', '--e2b-api-key', key, '--e2b-api-url', emu.url]
  args.push('--e2b-sandbox-url', emu.url, '--e2b-plan', 'pro', '--e2b-create-rate', '50')
  args.push('--only', only.join(','), '--out', dir, '--run-tag', tag)
  return { tag, dir, cli: startCli(args) }
}

interface Finished extends RunOutputs {
  res: CliResult
  explain: string
  leakedProcesses: number
  leakedSandboxes: number
}

async function finish(emu: E2BEmulator, run: E2BRun): Promise<Finished> {
  const res = await run.cli.done
  const explain = `exit ${res.code}\n${res.stderr.slice(-4000)}`
  const outputs = expectOutputs(run.dir, explain)
  const left = await waitForNoProcesses(run.tag, 5000)
  return {
    ...outputs,
    res,
    explain,
    leakedProcesses: left.length + emu.livePids().length,
    leakedSandboxes: emu.stats().live
  }
}

/** The sandbox of agent `agent` of the swarm currently deployed (by the metadata the provider sets). */
function sandboxOfAgent(emu: E2BEmulator, agent: number): string {
  const id = emu.sandboxIds().find(i => emu.sandbox(i)?.metadata.agent === String(agent))
  if (!id) throw new Error(`no live sandbox for agent ${agent}: ${emu.sandboxIds().join(', ')}`)
  return id
}

/**
 * Peers talk through the emulator's proxy; 20 ms per proxied request stretches the latency benchmark (240 pings)
 * to a few seconds, a window in which the fault lands mid-benchmark rather than before or after it.
 */
async function midLatencyBenchmark(emu: E2BEmulator, run: E2BRun): Promise<void> {
  emu.faults.peerLatencyMs = 20
  await run.cli.waitForStderr(/inter-agent-latency: \d+ pings per link/)
  await new Promise(r => setTimeout(r, 400))
}

const outcome = (b: { status: string; error?: string }): string =>
  b.status === 'error' ? `error: ${headline(b.error)}` : b.status

describe.concurrent('E2B faults', () => {
  it('bursts of 429 and 503 on creation are retried; the run passes', async () => {
    const emu = await emulator()
    emu.faults.rateLimitNext = 3
    emu.faults.busyNext = 3
    const run = startE2BCli(emu, 'bursts', [STRATEGY, LATENCY])
    // A second burst once the first is spent, while creations are still to come (the runner may already be
    // deploying the second benchmark's swarm while the first measures, so "[2/2]" can come after every creation).
    while (emu.stats().rejected429 < 3 || emu.stats().rejected503 < 3)
      await new Promise(r => setTimeout(r, 5))
    const t0 = performance.now()
    emu.faults.busyNext = 2
    emu.faults.rateLimitNext = 2
    const r = await finish(emu, run)
    expect(r.res.code, r.explain).toBe(0)
    expect(r.results.benchmarks.map(b => b.status)).toEqual(['passed', 'passed'])
    const stats = emu.stats()
    expect(stats.rejected429).toBe(5)
    expect(stats.rejected503).toBe(5)
    // Each refusal was retried, and said so.
    expect(r.res.stderr).toMatch(/sandbox creation refused \(rate-limit\), retry 1 in \d+ ms/)
    expect(r.res.stderr).toMatch(/sandbox creation refused \(busy\), retry \d in \d+ ms/)
    expect(r.res.stderr).not.toContain(KEY)
    expect(r.leakedSandboxes).toBe(0)
    expect(r.leakedProcesses).toBe(0)
    recordFault({
      fault: 'E2B 429 x5 + 503 x5 in bursts',
      layer: 'cli/e2b',
      outcome: `passed after ${stats.rejected429 + stats.rejected503} retried creations`,
      recoverSeconds: (performance.now() - t0) / 1000,
      leakedProcesses: r.leakedProcesses,
      leakedSandboxes: r.leakedSandboxes
    })
  })

  for (const [fault, inject, why] of [
    // The first request to notice may see the sandbox gone or its agent's port already closed: both are named.
    ['sandbox expires mid-run', (e: E2BEmulator, id: string) => e.expire(id), /was expired|did not answer/],
    [
      'sandbox killed by someone else',
      (e: E2BEmulator, id: string) => e.kill(id),
      /was killed|did not answer/
    ],
    [
      'process stream dropped',
      (e: E2BEmulator, id: string) => Promise.resolve(e.dropStreams(id)),
      /HTTP 502|stream broke|did not answer/
    ]
  ] as const) {
    it(`${fault}: that benchmark errors, the run completes`, async () => {
      const emu = await emulator()
      const run = startE2BCli(emu, fault.replace(/\W+/g, '-'), [STRATEGY, LATENCY])
      await midLatencyBenchmark(emu, run)
      const t0 = performance.now()
      await inject(emu, sandboxOfAgent(emu, 2))
      const r = await finish(emu, run)
      expect(r.res.code, r.explain).toBe(0)
      expect(r.byId(STRATEGY).status).toBe('passed')
      const b = r.byId(LATENCY)
      expect(b.status, r.explain).toBe('error')
      expect(b.error).toMatch(why)
      expect(b.error).toMatch(/agent \d/)
      expect(r.results.run.complete).toBe(true)
      expect(r.leakedSandboxes).toBe(0)
      expect(r.leakedProcesses).toBe(0)
      recordFault({
        fault,
        layer: 'cli/e2b',
        outcome: outcome(b),
        recoverSeconds: (performance.now() - t0) / 1000,
        leakedProcesses: r.leakedProcesses,
        leakedSandboxes: r.leakedSandboxes
      })
    })
  }

  it('a wrong API key: every benchmark errors naming the key problem, exit 1, the key is never printed', async () => {
    const emu = await emulator()
    const wrong = 'e2b_wrongKey_faultSuite_000111222333'
    const run = startE2BCli(emu, 'wrong-key', [STRATEGY, LATENCY], wrong)
    const t0 = performance.now()
    const r = await finish(emu, run)
    expect(r.res.code, r.explain).toBe(1)
    for (const b of r.results.benchmarks) {
      expect(b.status).toBe('error')
      expect(b.error).toMatch(/E2B rejected the API key/)
      expect(b.error).toMatch(/e2b-api-key.*E2B_API_KEY/)
    }
    expect(emu.stats().created).toBe(0)
    expect(emu.stats().rejected401).toBeGreaterThan(0)
    for (const text of [
      r.res.stdout,
      r.res.stderr,
      readFileSync(join(run.dir, RESULTS_FILE), 'utf8'),
      readFileSync(join(run.dir, REPORT_FILE), 'utf8')
    ])
      expect(text).not.toContain(wrong)
    recordFault({
      fault: 'wrong E2B key',
      layer: 'cli/e2b',
      outcome: `exit 1; every benchmark error: E2B rejected the API key (key never printed)`,
      recoverSeconds: (performance.now() - t0) / 1000,
      leakedProcesses: r.leakedProcesses,
      leakedSandboxes: r.leakedSandboxes
    })
  })

  it('the E2B service goes away mid-run: the run stops cleanly and writes what it has', async () => {
    const emu = await emulator()
    const run = startE2BCli(emu, 'gone', [STRATEGY, LATENCY])
    await midLatencyBenchmark(emu, run)
    const t0 = performance.now()
    await emu.close()
    const r = await finish(emu, run)
    const seconds = (performance.now() - t0) / 1000
    // Nothing to wait for once the service is gone: no minute-long hangs on dead connections.
    expect(seconds).toBeLessThan(30)
    expect(r.res.code, r.explain).toBe(0)
    expect(r.byId(STRATEGY).status).toBe('passed')
    const b = r.byId(LATENCY)
    expect(b.status).toBe('error')
    expect(b.error).toMatch(/no longer running|fetch failed|ECONNREFUSED|stream broke|HTTP 502/)
    // The host says why it could not kill the sandboxes, and what will end them — unless, under load, its kill
    // calls still reached the closing service, which answered that they were already gone.
    expect(r.res.stderr).toMatch(/kill failed, the safety timeout will end it|no longer running/)
    expect(r.res.stderr).not.toContain(KEY)
    expect(processesWithTag(run.tag)).toEqual([])
    recordFault({
      fault: 'E2B service gone mid-run',
      layer: 'cli/e2b',
      outcome: outcome(b),
      recoverSeconds: seconds,
      leakedProcesses: r.leakedProcesses,
      leakedSandboxes: r.leakedSandboxes
    })
  })

  it('creation that times out: the benchmark errors, the run goes on; late sandboxes are bounded and swept', async () => {
    const emu = await emulator()
    const tag = newRunTag('e2b-create-timeout')
    const config = benchConfig({
      provider: 'e2b',
      'e2b-api-key': KEY,
      'e2b-api-url': emu.url,
      'e2b-sandbox-url': emu.url,
      'e2b-plan': 'pro',
      'create-rate': '50',
      'sandbox-timeout-seconds': '120',
      'run-tag': tag,
      only: `${STRATEGY},${LATENCY}`
    })
    // The provider the CLI would build, with a 1.5 s request timeout instead of the SDK's 60 s.
    const provider = new E2BProvider({
      apiKey: KEY,
      apiUrl: emu.url,
      sandboxUrl: emu.url,
      plan: 'pro',
      limits: { createPerSecond: 50 },
      timeoutMs: e2bSettings(config).sandboxTimeoutMs,
      metadata: { 'swarm-bench-run': tag },
      requestTimeoutMs: 1500
    })
    // The first benchmark's creations are accepted but placed only after 3 s: the client has given up by then.
    emu.faults.createDelayMs = 3000
    // Garbage collection while the creations wait, as a busy runner does: the timeout must survive it (on Node 20
    // an `AbortSignal.timeout` reachable only through `AbortSignal.any` is collected and never fires).
    const collect = setInterval(() => {
      if (emu.stats().createRequests > 0) forceGc()
    }, 200)
    const t0 = performance.now()
    const results = await runBenchmarks(config, {
      provider,
      onProgress: e => {
        if (e.type === 'done' && e.id === STRATEGY) emu.faults.createDelayMs = 0
      }
    })
    clearInterval(collect)
    const seconds = (performance.now() - t0) / 1000
    const b = results.benchmarks.find(x => x.id === STRATEGY)!
    expect(b.status, JSON.stringify({ b, stats: emu.stats() })).toBe('error')
    expect(b.error).toMatch(/creating sandbox .*agent-\d failed: .*(timeout|timed out|aborted)/i)
    expect(results.benchmarks.find(x => x.id === LATENCY)?.status).toBe('passed')
    expect(processesWithTag(tag)).toEqual([])

    // E2B places what it accepted even after the client gave up: those sandboxes carry the run tag and the
    // safety lifetime, so the post step's sweep (or `swarm-bench cleanup`) finds them and they cannot outlive it.
    const deadline = Date.now() + 10_000
    while (emu.stats().created < emu.stats().createRequests && Date.now() < deadline)
      await new Promise(r => setTimeout(r, 50))
    const late = emu.sandboxIds()
    for (const id of late) {
      const sb = emu.sandbox(id)!
      expect(sb.metadata['swarm-bench-run']).toBe(tag)
      expect(sb.endAt.getTime() - Date.now()).toBeLessThanOrEqual(120_000)
    }
    const sweep = await sweepSandboxesDetailed({
      apiKey: KEY,
      apiUrl: emu.url,
      metadata: { 'swarm-bench-run': tag }
    })
    expect(sweep.killed).toBe(late.length)
    expect(emu.stats().live).toBe(0)
    expect(emu.livePids()).toEqual([])
    recordFault({
      fault: 'sandbox creation times out',
      layer: 'runner/e2b',
      outcome: `${outcome(b).slice(0, 70)}; ${late.length} placed late, swept`,
      recoverSeconds: seconds,
      leakedProcesses: emu.livePids().length,
      leakedSandboxes: emu.stats().live
    })
  })
})
