// Cancellation: SIGINT and SIGTERM (what a cancelled workflow sends: SIGINT, then SIGTERM 7.5 s later) reach the CLI
// and the bundled action while E2B sandboxes are alive and a benchmark is running. The sandboxes must be killed
// within seconds (measured on the emulator), partial results written, the exit code say which signal, and the
// action's post step must find nothing left to sweep.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { actionInputDefaults, ensureBundle, runAction } from '../support/action-runner.js'
import { startE2BEmulator, type E2BEmulator } from '../support/e2b-emulator/index.js'
import { startCli } from '../support/faults/cli-process.js'
import { expectOutputs } from '../support/faults/outputs.js'
import { printFaultTable, recordFault } from '../support/faults/table.js'
import { newRunTag, waitForNoProcesses } from '../support/processes.js'

const KEY = 'e2b_cancelSuiteKey_a1b2c3d4e5f60718'
const ONLY = 'trading.strategy-execution,communication.inter-agent-latency,communication.message-throughput'
const out = mkdtempSync(join(tmpdir(), 'faults-cancel-'))
const emulators: E2BEmulator[] = []

beforeAll(async () => {
  await ensureBundle()
}, 600_000)

afterAll(async () => {
  printFaultTable('cancellation (SIGINT / SIGTERM mid-run)')
  await Promise.all(emulators.map(e => e.close()))
  rmSync(out, { recursive: true, force: true })
})

async function emulator(): Promise<E2BEmulator> {
  const emu = await startE2BEmulator({ apiKey: KEY })
  // Slower peer hops stretch the latency benchmark so the signal lands while it runs.
  emu.faults.peerLatencyMs = 20
  emulators.push(emu)
  return emu
}

/** Polls the emulator until no sandbox is alive; returns the seconds it took (or Infinity past the deadline). */
async function secondsUntilNoSandbox(emu: E2BEmulator, t0: number, timeoutMs = 20_000): Promise<number> {
  while (emu.stats().live > 0) {
    if (performance.now() - t0 > timeoutMs) return Infinity
    await new Promise(r => setTimeout(r, 20))
  }
  return (performance.now() - t0) / 1000
}

const CODES = { SIGINT: 130, SIGTERM: 143 } as const

describe('cancelling the CLI mid-run (e2b)', () => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig}: sandboxes killed within seconds, partial results, exit ${CODES[sig]}`, async () => {
      const emu = await emulator()
      const tag = newRunTag(`cancel-cli-${sig}`)
      const dir = join(out, `cli-${sig}`)
      const run = startCli([
        'run',
        ...[
          '--provider',
          'e2b',
          '--e2b-api-key',
          KEY,
          '--e2b-api-url',
          emu.url,
          '--e2b-sandbox-url',
          emu.url
        ],
        ...['--e2b-plan', 'pro', '--e2b-create-rate', '50', '--only', ONLY, '--out', dir, '--run-tag', tag]
      ])
      await run.waitForStderr(/inter-agent-latency: \d+ pings per link/)
      await new Promise(r => setTimeout(r, 300))
      const liveAtSignal = emu.stats().live
      expect(liveAtSignal).toBeGreaterThanOrEqual(4)
      const t0 = performance.now()
      run.child.kill(sig)
      const killedIn = await secondsUntilNoSandbox(emu, t0)
      const res = await run.done
      const explain = `exit ${res.code}\n${res.stderr.slice(-3000)}`
      expect(killedIn, explain).toBeLessThan(10)
      expect(res.code, explain).toBe(CODES[sig])
      const o = expectOutputs(dir, explain)
      expect(o.results.run.complete).toBe(false)
      expect(o.byId('trading.strategy-execution').status).toBe('passed')
      expect(o.byId('communication.message-throughput').status).toBe('skipped')
      expect(o.byId('communication.inter-agent-latency').error).toMatch(/interrupted/)
      expect(emu.livePids()).toEqual([])
      expect(await waitForNoProcesses(tag, 5000)).toEqual([])
      recordFault({
        fault: `${sig} to the CLI`,
        layer: 'cli/e2b',
        outcome: `exit ${res.code}; ${liveAtSignal} sandboxes killed in ${killedIn.toFixed(1)} s; partial results`,
        recoverSeconds: killedIn,
        leakedProcesses: emu.livePids().length,
        leakedSandboxes: emu.stats().live
      })
    }, 90_000)
  }
})

describe('cancelling the bundled action mid-run (e2b), then its post step', () => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig}: sandboxes killed within seconds, summary and outputs written, the post step finds nothing`, async () => {
      const emu = await emulator()
      const ws = mkdtempSync(join(out, `ws-${sig}-`))
      const runId = String(5000 + Math.floor(Math.random() * 1000))
      let t0 = 0
      let liveAtSignal = 0
      let killedIn: Promise<number> | undefined
      const env = {
        E2B_API_URL: emu.url,
        E2B_SANDBOX_URL: emu.url,
        GITHUB_RUN_ID: runId,
        GITHUB_RUN_ATTEMPT: '1'
      }
      const main = await runAction({
        entry: 'index',
        workspace: ws,
        env,
        inputs: {
          ...actionInputDefaults(),
          'github-token': '',
          provider: 'e2b',
          'e2b-api-key': KEY,
          'e2b-plan': 'pro',
          'create-rate': '50',
          only: ONLY
        },
        onSpawn: (child: ChildProcess) => {
          let log = ''
          child.stdout?.on('data', (d: Buffer) => {
            log += d.toString()
            if (!killedIn && /inter-agent-latency: \d+ pings per link/.test(log)) {
              killedIn = new Promise<number>(resolve =>
                setTimeout(() => {
                  liveAtSignal = emu.stats().live
                  t0 = performance.now()
                  child.kill(sig)
                  resolve(secondsUntilNoSandbox(emu, t0))
                }, 300)
              )
            }
          })
        }
      })
      const explain = `exit ${main.code}\n${main.stdout.slice(-5000)}\n${main.stderr.slice(-2000)}`
      expect(killedIn, explain).toBeDefined()
      const seconds = await killedIn!
      expect(liveAtSignal, explain).toBeGreaterThanOrEqual(4)
      expect(seconds, explain).toBeLessThan(10)
      // The step fails (a cancelled run must not pass), but everything it measured is reported.
      expect(main.code, explain).not.toBe(0)
      expect(main.summary).toMatch(/incomplete|interrupted/i)
      expect(main.outputs['results-path'], explain).toBeTruthy()
      const o = expectOutputs(join(ws, 'swarm-bench'), explain)
      expect(o.results.run.complete).toBe(false)
      expect(o.byId('trading.strategy-execution').status).toBe('passed')
      expect(emu.livePids()).toEqual([])

      const stateEnv = Object.fromEntries(Object.entries(main.state).map(([k, v]) => [`STATE_${k}`, v]))
      expect(main.state['run-tag']).toBe(`gh-${runId}-1`)
      const post = await runAction({
        entry: 'post',
        workspace: ws,
        inputs: { 'e2b-api-key': KEY },
        env: { ...stateEnv, E2B_API_URL: emu.url }
      })
      expect(post.code, post.stdout).toBe(0)
      expect(post.stdout).toMatch(new RegExp(`E2B sweep of run gh-${runId}-1: 0 sandbox\\(es\\) still alive`))
      for (const r of [main, post]) {
        const log = (r.stdout + r.stderr).split('\n').filter(l => !l.startsWith('::add-mask::'))
        expect(log.join('\n')).not.toContain(KEY)
      }
      recordFault({
        fault: `${sig} to the bundled action`,
        layer: 'action/e2b',
        outcome: `exit ${main.code}; ${liveAtSignal} sandboxes killed in ${seconds.toFixed(1)} s; post step: 0 left`,
        recoverSeconds: seconds,
        leakedProcesses: emu.livePids().length,
        leakedSandboxes: emu.stats().live
      })
    }, 180_000)
  }
})
