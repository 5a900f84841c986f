// The user's swarm: agent hooks given with --agent-hooks, loaded in every agent. A hook made ×3+ slower must move
// the figures it is part of (and be shown apart as the user's time); the inputs are validated; the module is
// uploaded; the report and the comment name the user's hooks. Real agents on the local provider, real CLI.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseRunConfig } from '../src/config/config.js'
import { InputError } from '../src/config/input-table.js'
import { workspaceHooksPath } from '../src/config/paths.js'
import { renderComment } from '../src/report/comment-body.js'
import type { Results } from '../src/results/schema.js'
import { collectAgentFiles, hooksSource } from '../src/sandbox/agent-files.js'
import { ROOT } from './support/action-runner.js'

const dir = mkdtempSync(join(tmpdir(), 'swarm-bench-hooks-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const reader = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? ''

// A busy-wait the hook does before its work: 0 in the fast module; the slow one adds far more than the figure's
// whole (a loopback message is 30–150 µs on a busy runner, a 4-agent consensus round a few ms).
const hooks = (messageUs: number, voteMs: number): string => `
import time

def _spin(seconds):
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        pass

def on_message(message, ctx):
    _spin(${messageUs}e-6)
    return {"seen": message["seq"]}

def vote(round, state):
    _spin(${voteMs}e-3)
    closes = [b["c"] for b in state["bars"][-20:]]
    return {"decision": "buy" if closes[-1] > sum(closes) / len(closes) else "sell", "weight": 1.0}
`

function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise(done => {
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'src', 'cli.ts'), ...args], {
      cwd: dir
    })
    let out = ''
    let err = ''
    child.stdout.on('data', d => (out += d))
    child.stderr.on('data', d => (err += d))
    child.on('close', code => done({ code: code ?? 1, out, err }))
  })
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const samples = (r: Results, id: string, name: string): number[] =>
  r.benchmarks.find(b => b.id === id)?.metrics.find(m => m.name === name)?.samples ?? []

async function runWith(name: string, text: string): Promise<{ results: Results; report: string }> {
  writeFileSync(join(dir, `${name}.py`), text)
  const out = join(dir, `out-${name}`)
  const r = await cli([
    'run',
    '--provider',
    'local',
    '--only',
    'communication.message-throughput,trading.consensus',
    '--agent-hooks',
    `${name}.py`,
    '--hooks-config',
    '{"risk": 0.5}',
    '--out',
    out
  ])
  expect(r.code, r.err).toBe(0)
  return {
    results: JSON.parse(readFileSync(join(out, 'swarm-bench-results.json'), 'utf8')) as Results,
    report: readFileSync(join(out, 'SWARM_BENCHMARKS_REPORT.md'), 'utf8')
  }
}

describe('a swarm with user hooks, end to end on the local provider', () => {
  it('a slower on_message and vote move message_ms and decision_ms, and their own time is shown apart', async () => {
    const fast = await runWith('fast', hooks(0, 0))
    const slow = await runWith('slow', hooks(1000, 20))
    const MSG = 'communication.message-throughput'
    const VOTE = 'trading.consensus'
    expect(median(samples(slow.results, MSG, 'message_ms'))).toBeGreaterThan(
      3 * median(samples(fast.results, MSG, 'message_ms'))
    )
    expect(median(samples(slow.results, VOTE, 'decision_ms'))).toBeGreaterThan(
      3 * median(samples(fast.results, VOTE, 'decision_ms'))
    )
    // The user's share: the slowed hooks account for most of the slowed figures, measured inside the agents.
    expect(median(samples(slow.results, MSG, 'message_hook_ms'))).toBeGreaterThan(0.99)
    expect(median(samples(slow.results, VOTE, 'user_hooks_ms'))).toBeGreaterThan(19)
    expect(median(samples(fast.results, MSG, 'message_hook_ms'))).toBeLessThan(
      median(samples(fast.results, MSG, 'message_ms'))
    )
    expect(slow.results.run.environment.hooks).toEqual({ module: 'slow.py', user: ['on_message', 'vote'] })
    expect(slow.report).toMatch(
      /## Your swarm\n\nYour hooks \(`slow\.py`\): `on_message`, `vote`; built in: `setup`, `decide`, `tally`, `merge_state`, `run_task`\./
    )
    expect(slow.report).toMatch(
      /\| `communication\.message-throughput` \| `message_ms` \| .* \| .* \| \d+(\.\d+)? % \|/
    )
    expect(renderComment(slow.results)).toContain(
      '🧩 Your hooks (`slow.py`): `on_message`, `vote`; built in:'
    )
    // Without hooks there is no such section or line.
    const plain = {
      ...slow.results,
      run: { ...slow.results.run, environment: { ...slow.results.run.environment } }
    }
    delete plain.run.environment.hooks
    expect(renderComment(plain)).not.toContain('Your hooks')
  }, 300_000)
})

describe('hooks inputs', () => {
  it('defaults: no hooks, an empty config, a budget of 1000 ms; a JSON object is parsed', () => {
    const c = parseRunConfig(reader({}), {})
    expect([c.agentHooks, c.hooksConfig, c.hooksTimeoutMs]).toEqual([undefined, {}, 1000])
    const d = parseRunConfig(
      reader({ 'agent-hooks': 'h.py', 'hooks-config': '{"risk": 0.5}', 'hooks-timeout-ms': '250' }),
      {}
    )
    expect(hooksSource(d)).toEqual({ path: 'h.py', config: { risk: 0.5 }, timeoutMs: 250 })
    expect(() => parseRunConfig(reader({ 'hooks-config': '"x"' }), {})).toThrow(
      new InputError('hooks-config', '"x"', 'a JSON object such as {"risk": 0.5}')
    )
  })

  it('a .py file or a package folder inside the workspace; nothing that leaves it', () => {
    const ws = mkdtempSync(join(dir, 'ws-'))
    writeFileSync(join(ws, 'hooks.py'), '')
    mkdirSync(join(ws, 'pkg'))
    writeFileSync(join(ws, 'pkg', '__init__.py'), '')
    writeFileSync(join(ws, 'notes.txt'), '')
    symlinkSync('/etc/hostname', join(ws, 'escape.py'))
    expect(workspaceHooksPath('hooks.py', ws)).toMatch(/hooks\.py$/)
    expect(workspaceHooksPath('pkg', ws)).toMatch(/pkg$/)
    for (const bad of ['notes.txt', 'escape.py', '.', '../', 'missing.py']) {
      expect(() => workspaceHooksPath(bad, ws), bad).toThrow(/Invalid input 'agent-hooks'/)
    }
  })

  it('a package is uploaded whole under user_hooks/<name>/ and init gets its settings', async () => {
    const pkg = join(dir, 'my_swarm')
    mkdirSync(join(pkg, 'sub'), { recursive: true })
    writeFileSync(join(pkg, '__init__.py'), 'from .sub.logic import on_message\n')
    writeFileSync(join(pkg, 'sub', 'logic.py'), 'def on_message(m, c):\n    return None\n')
    writeFileSync(join(pkg, 'README.md'), 'not uploaded')
    const files = await collectAgentFiles({ hooks: { path: pkg, config: { a: 1 }, timeoutMs: 300 } })
    expect(files.files.filter(f => f.path.startsWith('user_hooks/')).map(f => f.path)).toEqual([
      'user_hooks/my_swarm/__init__.py',
      'user_hooks/my_swarm/sub/logic.py'
    ])
    expect(files.hooks).toEqual({
      path: 'user_hooks/my_swarm',
      module: 'my_swarm',
      config: { a: 1 },
      timeoutMs: 300
    })
  })
})
