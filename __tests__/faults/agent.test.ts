// Fault injection, agents and peers: the real CLI on the local provider, with one agent of the swarm running a
// fault (a crash mid-operation, a hang, garbage or a 17 MiB line on stdout, a refusing or slow peer server, a wrong
// swarm token) or a user strategy that raises, loops or kills its agent. For each: the run completes, the affected
// benchmark is `error` with a message a user understands (the healthy benchmark after it still passes), the
// results file and the report are written, and no agent process of the run is left.
import { mkdtempSync, rmSync } from 'node:fs'
import { profileParams } from '../../src/bench/profiles.js'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli, type CliResult } from '../support/faults/cli-process.js'
import { faultAgent, removeFaultAgentDirs, type AgentFault } from '../support/faults/fault-agent.js'
import { expectOutputs, headline, type RunOutputs } from '../support/faults/outputs.js'
import { strategyFile } from '../support/faults/strategies.js'
import { printFaultTable, recordFault } from '../support/faults/table.js'
import { newRunTag, waitForNoProcesses } from '../support/processes.js'

const QUICK = profileParams('quick')

const out = mkdtempSync(join(tmpdir(), 'faults-agent-'))
afterAll(() => {
  printFaultTable('agents and peers (CLI, local provider)')
  removeFaultAgentDirs()
  rmSync(out, { recursive: true, force: true })
})

const STRATEGY = 'trading.strategy-execution'
const LATENCY = 'communication.inter-agent-latency'

/** The CLI's contract: exit 0 when something was measured, 1 when every benchmark errored. */
function expectExit(r: Faulted): void {
  const allErrored = r.results.benchmarks.every(b => b.status === 'error')
  expect(r.cli.code, r.explain).toBe(allErrored ? 1 : 0)
}

interface Faulted extends RunOutputs {
  cli: CliResult
  /** Wall-clock ms when the fault first fired (undefined for strategy faults, which fire in user code). */
  firedAt?: number
  fired: number
  leaked: number[]
  explain: string
}

async function faultedRun(name: string, only: string[], opts: { agent?: AgentFault; strategy?: string }) {
  const tag = newRunTag('fault')
  const dir = join(out, name.replace(/\W+/g, '-'))
  const fault = opts.agent ? faultAgent(opts.agent) : undefined
  const args = ['run', '--provider', 'local', '--only', only.join(','), '--out', dir, '--run-tag', tag]
  if (opts.strategy) args.push('--strategy-path', opts.strategy)
  const cli = await runCli(args, { SWARM_BENCH_AGENT_DIR: fault?.dir })
  const exitedAt = Date.now()
  const explain = `exit ${cli.code}\n${cli.stderr.slice(-4000)}`
  const leaked = await waitForNoProcesses(tag, 5000)
  const outputs = expectOutputs(dir, explain)
  const fired = fault?.fired() ?? []
  const result: Faulted = {
    ...outputs,
    cli,
    firedAt: fired[0]?.atMs,
    fired: fired.length,
    leaked,
    explain
  }
  return { result, exitedAt }
}

function record(name: string, r: Faulted, exitedAt: number, outcome: string): void {
  recordFault({
    fault: name,
    layer: 'cli/local',
    outcome,
    // From the fault firing to the run having finished; for user-code faults, the whole run.
    recoverSeconds: r.firedAt ? (exitedAt - r.firedAt) / 1000 : r.cli.seconds,
    leakedProcesses: r.leaked.length,
    leakedSandboxes: 0
  })
}

const outcomeOf = (r: Faulted, id: string): string => {
  const b = r.byId(id)
  return b.status === 'error' ? `error: ${headline(b.error)}` : b.status
}

describe.concurrent('agent faults: the benchmark errors, the run goes on, nothing is left', () => {
  it('an agent that crashes mid-operation', async () => {
    const { result: r, exitedAt } = await faultedRun('crash', [STRATEGY, LATENCY], {
      agent: { mode: 'crash', op: 'execute_strategy' }
    })
    expectExit(r)
    expect(r.fired).toBe(1)
    const b = r.byId(STRATEGY)
    expect(b.status).toBe('error')
    expect(b.error).toMatch(/^agent 1 crashed during execute_strategy: process exited with code 3/)
    // The agent's own last words travel with the error.
    expect(b.error).toContain('fault: agent 1 crashes during execute_strategy')
    expect(b.metrics).toEqual([])
    // The next benchmark deploys a fresh swarm and is measured normally.
    expect(r.byId(LATENCY).status).toBe('passed')
    expect(r.results.run.complete).toBe(true)
    expect(r.report).toContain('agent 1 crashed during execute\\_strategy')
    expect(r.leaked).toEqual([])
    record('agent crash mid-op', r, exitedAt, outcomeOf(r, STRATEGY))
  })

  it('an agent that hangs without answering', async () => {
    const { result: r, exitedAt } = await faultedRun('hang', [STRATEGY, LATENCY], {
      agent: { mode: 'hang', op: 'execute_strategy' }
    })
    expectExit(r)
    const b = r.byId(STRATEGY)
    expect(b.status).toBe('error')
    expect(b.error).toMatch(/^agent 1 did not answer execute_strategy within 30000 ms/)
    expect(b.error).toContain('fault: agent 1 hangs in execute_strategy')
    expect(r.byId(LATENCY).status).toBe('passed')
    // The hung agent was killed with its swarm, not left sleeping.
    expect(r.leaked).toEqual([])
    record('agent hangs in an op', r, exitedAt, outcomeOf(r, STRATEGY))
  }, 90_000)

  it('an agent that writes garbage to stdout between its answers', async () => {
    const { result: r, exitedAt } = await faultedRun('garbage', [STRATEGY], { agent: { mode: 'garbage' } })
    expectExit(r)
    expect(r.fired).toBe(1)
    // Garbage is not a protocol line: ignored, the real answers still matched by id, figures measured.
    const b = r.byId(STRATEGY)
    expect(b.status, b.error).toBe('passed')
    expect(b.metrics.find(m => m.name === 'compute_vs_floor')?.summary.n).toBe(
      QUICK.strategyExecution.executions
    )
    expect(r.leaked).toEqual([])
    record('agent writes garbage to stdout', r, exitedAt, `${b.status} (junk ignored)`)
  })

  it('an agent that writes a 17 MiB line to stdout', async () => {
    const { result: r, exitedAt } = await faultedRun('huge-line', [STRATEGY], {
      agent: { mode: 'huge-line', bytes: 17 * 1024 * 1024 }
    })
    expectExit(r)
    expect(r.fired).toBe(1)
    const b = r.byId(STRATEGY)
    expect(b.status, b.error).toBe('passed')
    expect(r.leaked).toEqual([])
    record('agent writes a 17 MiB line', r, exitedAt, `${b.status} (line dropped)`)
  })

  it('a user strategy that raises', async () => {
    const path = strategyFile('raises')
    const { result: r, exitedAt } = await faultedRun('strategy-raises', [STRATEGY, LATENCY], {
      strategy: path
    })
    expectExit(r)
    const b = r.byId(STRATEGY)
    expect(b.status).toBe('error')
    expect(b.error).toMatch(/StrategyError/)
    expect(b.error).toMatch(/raised ValueError: boom: the model file is missing/)
    expect(b.error).toMatch(/strategy module \S*strategy\.py/)
    expect(r.byId(LATENCY).status).toBe('passed')
    expect(r.leaked).toEqual([])
    record('strategy raises', r, exitedAt, outcomeOf(r, STRATEGY))
  })

  it('a user strategy that loops forever', async () => {
    const path = strategyFile('loops')
    const { result: r, exitedAt } = await faultedRun('strategy-loops', [STRATEGY, LATENCY], {
      strategy: path
    })
    expectExit(r)
    const b = r.byId(STRATEGY)
    expect(b.status).toBe('error')
    expect(b.error).toMatch(/StrategyError: strategy module \S+: exceeded its time budget of 5000 ms/)
    expect(r.byId(LATENCY).status).toBe('passed')
    expect(r.leaked).toEqual([])
    record('strategy loops forever', r, exitedAt, outcomeOf(r, STRATEGY))
  })

  it('a user strategy that does not compile, or kills its agent', async () => {
    for (const [name, path, why] of [
      ['syntax', strategyFile('syntaxError'), /SyntaxError|invalid syntax|expected ':'/],
      ['exit', strategyFile('killsAgent'), /process exited with code 9/]
    ] as const) {
      const { result: r, exitedAt } = await faultedRun(`strategy-${name}`, [STRATEGY], { strategy: path })
      expectExit(r)
      const b = r.byId(STRATEGY)
      expect(b.status).toBe('error')
      expect(b.error).toMatch(why)
      expect(r.leaked).toEqual([])
      record(
        name === 'syntax' ? 'strategy does not compile' : 'strategy calls os._exit',
        r,
        exitedAt,
        outcomeOf(r, STRATEGY)
      )
    }
  })

  it('an agent that exits before it is ready', async () => {
    const { result: r, exitedAt } = await faultedRun('exit-at-start', [STRATEGY], {
      agent: { mode: 'exit-at-start' }
    })
    expectExit(r)
    const b = r.byId(STRATEGY)
    expect(b.status).toBe('error')
    expect(b.error).toMatch(
      /deploying .*agent-\d failed: agent \d exited before ready: process exited with code 4/
    )
    expect(b.error).toContain('fault: agent exits before it is ready')
    expect(r.leaked).toEqual([])
    record('agent exits before ready', r, exitedAt, outcomeOf(r, STRATEGY))
  })
})

describe.concurrent('peer faults', () => {
  it('a peer that starts refusing connections mid-benchmark', async () => {
    const { result: r, exitedAt } = await faultedRun('peer-refuse', [LATENCY], {
      agent: { mode: 'peer-refuse' }
    })
    expectExit(r)
    expect(r.fired).toBe(1)
    const b = r.byId(LATENCY)
    expect(b.status).toBe('error')
    expect(b.error).toMatch(/^agent \d ping failed: PeerError: peer 1 \(http:\/\/127\.0\.0\.1:\d+\)/)
    expect(b.error).toMatch(/Connection refused|Connection reset|no answer/)
    expect(r.leaked).toEqual([])
    record('peer refuses connections', r, exitedAt, outcomeOf(r, LATENCY))
  })

  it('a slow peer: the run completes and the delay shows in the measured round trips', async () => {
    const delayMs = 100
    const { result: r, exitedAt } = await faultedRun('peer-slow', [LATENCY], {
      agent: { mode: 'peer-slow', delayMs }
    })
    expectExit(r)
    const b = r.byId(LATENCY)
    expect(b.status, b.error).not.toBe('error')
    const rtt = b.metrics.find(m => m.name === 'rtt_ms')!
    // Mesh of 4: 12 directed links, the profile's pings each; the 3 links into agent 1 carry the delay, the others
    // do not.
    const perEdge = QUICK.interAgentLatency.pingsPerEdge
    expect(rtt.samples).toHaveLength(12 * perEdge)
    const slow = rtt.samples.filter(ms => ms >= delayMs)
    expect(slow.length).toBeGreaterThanOrEqual(3 * perEdge)
    expect(slow.length).toBeLessThan(6 * perEdge)
    expect(rtt.summary.max).toBeGreaterThanOrEqual(delayMs)
    expect(rtt.summary.median).toBeLessThan(delayMs)
    expect(r.leaked).toEqual([])
    record(
      'peer answers 100 ms late',
      r,
      exitedAt,
      `${b.status}; ${slow.length}/${rtt.samples.length} rtt samples ≥ ${delayMs} ms`
    )
  })

  it('a peer presenting a wrong swarm token is refused (401) and the link check says so', async () => {
    const { result: r, exitedAt } = await faultedRun('wrong-token', [LATENCY], {
      agent: { mode: 'wrong-token' }
    })
    expectExit(r)
    const b = r.byId(LATENCY)
    expect(b.status).toBe('error')
    expect(b.error).toMatch(/agent 1 could not verify its links/)
    expect(b.error).toMatch(/HTTP 401: missing or wrong X-Swarm-Token/)
    expect(r.leaked).toEqual([])
    record('peer sends a wrong token', r, exitedAt, outcomeOf(r, LATENCY))
  })
})
