// `swarm-bench run --against REF`, as a user runs it: the real CLI in a git repository of its own, measuring the
// working tree against a committed ref as a duet. Gross slowdowns (×3 and more) only: fine detection is measured by
// `npm run bench:duet`, not asserted here.
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from './support/action-runner.js'
import { startE2BEmulator } from './support/e2b-emulator/index.js'
import { COUNTED_ROUNDS } from '../src/bench/measure.js'
import { DUET_MINIMUMS, PROFILES } from '../src/bench/profiles.js'

// A user strategy with a loop of work well above the agent's per-call guard (a thread per decision); the slowed
// one does the loop 3 times.
const STRATEGY = `
def decide(bars, state):
    closes = [b["c"] for b in bars[-20:]]
    acc = 0.0
    for i in range(2000):
        acc += closes[i % 20] * 1e-9
    mean = sum(closes) / len(closes) + acc * 0.0
    return {"signal": "buy" if closes[-1] > mean else "sell", "confidence": 0.6}
`
const SLOW_STRATEGY = STRATEGY.replace('range(2000)', 'range(6000)')

// The built-in strategies (agent/swarm_agent/strategies.py) made ×3 slower: each decision busy-waits twice its
// own duration after deciding.
const SLOW_BUILTINS = `

def _slowed(cls):
    decide = cls.decide

    def slow(self, bars, state=None):
        t0 = time.perf_counter_ns()
        out = decide(self, bars, state)
        until = time.perf_counter_ns() + 2 * (time.perf_counter_ns() - t0)
        while time.perf_counter_ns() < until:
            pass
        return out

    cls.decide = slow


for _cls in BUILTINS.values():
    _slowed(_cls)
`

// The user's swarm: an on_message hook; the slowed one busy-waits 300 µs per message (a loopback message is ~30 µs).
const HOOKS = `
import time
seen = {}

def on_message(message, ctx):
    seen[message["origin"]] = message["seq"]
    return {"ack": ctx["agentId"]}
`
const SLOW_HOOKS = HOOKS.replace(
  '    seen[message["origin"]]',
  '    until = time.perf_counter() + 300e-6\n    while time.perf_counter() < until:\n        pass\n    seen[message["origin"]]'
)

const repo = mkdtempSync(join(tmpdir(), 'swarm-bench-duet-cli-'))
const git = (...args: string[]): string =>
  execFileSync('git', ['-c', 'user.email=dev@example.invalid', '-c', 'user.name=dev', ...args], {
    cwd: repo,
    encoding: 'utf8'
  }).trim()

beforeAll(() => {
  mkdirSync(join(repo, 'agent'))
  cpSync(join(ROOT, 'agent', 'swarm_agent'), join(repo, 'agent', 'swarm_agent'), {
    recursive: true,
    filter: src => !src.includes('__pycache__')
  })
  writeFileSync(join(repo, 'strategy.py'), STRATEGY)
  writeFileSync(join(repo, 'hooks.py'), HOOKS)
  writeFileSync(join(repo, 'requirements.txt'), 'numpy==1.26.4\n')
  git('init', '-q', '-b', 'main')
  git('add', '-A')
  git('commit', '-qm', 'base')
})
afterAll(() => rmSync(repo, { recursive: true, force: true }))

function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise(done => {
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'src', 'cli.ts'), ...args], {
      cwd: repo,
      env: { ...process.env, SWARM_BENCH_AGENT_DIR: join(repo, 'agent') }
    })
    let out = ''
    let err = ''
    child.stdout.on('data', d => (out += d))
    child.stderr.on('data', d => (err += d))
    child.on('close', code => done({ code: code ?? 1, out, err }))
  })
}

const duet = (only: string, out: string, extra: string[] = []) =>
  cli([
    'run',
    '--against',
    'HEAD',
    '--fail-on-regression',
    '--only',
    only,
    '--out',
    join(repo, out),
    ...extra
  ])

/** The CLI's flags for the E2B emulator at `url`, creations unthrottled. */
const e2bFlags = (key: string, url: string): string[] => [
  '--provider',
  'e2b',
  '--e2b-api-key',
  key,
  '--e2b-api-url',
  url,
  '--e2b-sandbox-url',
  url,
  '--e2b-create-rate',
  '50'
]

const resultsOf = (out: string) =>
  JSON.parse(readFileSync(join(repo, out, 'swarm-bench-results.json'), 'utf8'))

// The agent's peer send path with a busy wait before every request: 300 µs by default, ×3 a local loopback round
// trip; the E2B emulator's round trip passes its proxy and is several times longer, so its test waits longer.
const PEER_CLIENT = join(repo, 'agent', 'swarm_agent', 'peer_client.py')
const SEND = '                conn.sock.sendall(msg)\n'
const slowSend = (source: string, waitUs = 300): string =>
  source.replace(
    SEND,
    `                _until = _monotonic() + ${waitUs}e-6\n                while _monotonic() < _until:\n                    pass\n` +
      SEND
  )

describe('swarm-bench run --against', () => {
  it('an unchanged working tree exits 0 and records both sides and the base commit', async () => {
    const r = await duet(
      'communication.inter-agent-latency,trading.consensus,communication.state-sync',
      'out-same'
    )
    expect(r.code, r.err).toBe(0)
    expect(r.err).toMatch(
      /duet against HEAD \([0-9a-f]{12}\); code that differs: none \(an A\/A duet\); pairs interleaved \(duet-pairs auto\)/
    )
    expect(r.out).toMatch(/0 regression\(s\)/)
    const results = resultsOf('out-same')
    expect(results.duet.base.sha).toBe(git('rev-parse', 'HEAD'))
    // Locally the two sides would compete for the CPUs: pairs run one after the other.
    expect(results.duet.pairing).toBe('interleaved')
    expect(results.duet.benchmarks.map((b: { id: string }) => b.id)).toEqual(
      results.benchmarks.map((b: { id: string }) => b.id)
    )
    // A duet takes more multi-hop messages than the quick profile's single run, on both sides.
    const hops = DUET_MINIMUMS.interAgentLatency!.hopMessages!
    expect(hops).toBeGreaterThan(PROFILES.quick.interAgentLatency.hopMessages)
    for (const side of [results.benchmarks, results.duet.benchmarks]) {
      const b = side.find((x: { id: string }) => x.id === 'communication.inter-agent-latency')
      expect(b.params.hopMessages).toBe(hops)
      expect(b.metrics.find((m: { name: string }) => m.name === 'multi_hop_ms').samples).toHaveLength(hops)
      // State syncs: every one timed, the first COUNTED_ROUNDS also counted (exact counts, a quiet wait each).
      const sync = side.find((x: { id: string }) => x.id === 'communication.state-sync')
      const metric = (name: string) => sync.metrics.find((m: { name: string }) => m.name === name).samples
      expect(metric('sync_ms.mesh')).toHaveLength(DUET_MINIMUMS.stateSync!.syncs!)
      expect(metric('messages_per_sync.mesh')).toHaveLength(COUNTED_ROUNDS)
    }
    // The report leads its comparison with the duet.
    expect(readFileSync(join(repo, 'out-same', 'SWARM_BENCHMARKS_REPORT.md'), 'utf8')).toMatch(
      /## Comparison with the base \(duet\)/
    )
  })

  it('the peer send path slowed in the working tree exits 1 and names the communication metrics', async () => {
    const original = readFileSync(PEER_CLIENT, 'utf8')
    expect(original).toContain(SEND)
    writeFileSync(PEER_CLIENT, slowSend(original))
    try {
      const r = await duet('communication.inter-agent-latency,trading.consensus', 'out-slow')
      expect(r.code, r.err).toBe(1)
      expect(r.err).toMatch(/code that differs: agent/)
      expect(r.err).toMatch(
        /--fail-on-regression: \d+ regression\(s\): .*communication\.inter-agent-latency\/rtt_ms/
      )
    } finally {
      writeFileSync(PEER_CLIENT, original)
    }
  })

  // The strategy's verdict: each head agent also holds the base's strategy and decides with both on the same bars,
  // in a random order per pair; the base side's compute_ms is those twin decisions, paired one by one.
  const twinOf = (out: string) => {
    const results = resultsOf(out)
    type Bench = {
      id: string
      facts: Record<string, number>
      metrics: { name: string; description: string; samples: number[] }[]
    }
    const find = (side: Bench[]) => side.find(b => b.id === 'trading.strategy-execution')!
    const head = find(results.benchmarks)
    const base = find(results.duet.benchmarks)
    const compute = (b: Bench) => b.metrics.find(m => m.name === 'compute_ms')!
    return { head, base, headCompute: compute(head), baseCompute: compute(base) }
  }

  it('the built-in strategies unchanged: an A/A duet judged pair by pair in the head agents exits 0', async () => {
    const r = await duet('trading.strategy-execution', 'out-builtin-same')
    expect(r.code, r.err).toBe(0)
    expect(r.out).toMatch(/unchanged +trading\.strategy-execution\/compute_ms/)
    const t = twinOf('out-builtin-same')
    expect(t.head.facts.strategyPairs).toBe(t.headCompute.samples.length)
    // Both orders were drawn.
    expect(t.head.facts.strategyPairsHeadFirst).toBeGreaterThan(0)
    expect(t.head.facts.strategyPairsHeadFirst).toBeLessThan(t.head.facts.strategyPairs)
    expect(t.baseCompute.samples).toHaveLength(t.headCompute.samples.length)
    expect(t.baseCompute.description).toMatch(/timed inside the head's agent beside the head strategy/)
    // Without a cross-process pairing the floor is not needed: compute_vs_floor is context, not judged.
    expect(r.out).toMatch(/1 metric\(s\) tested/)
  })

  it('the built-in strategies made ×3 slower in the working tree exit 1 on strategy execution', async () => {
    const file = join(repo, 'agent', 'swarm_agent', 'strategies.py')
    const original = readFileSync(file, 'utf8')
    writeFileSync(file, original + SLOW_BUILTINS)
    try {
      const r = await duet('trading.strategy-execution', 'out-builtin-slow')
      expect(r.code, r.err).toBe(1)
      expect(r.err).toMatch(/code that differs: agent/)
      expect(r.err).toMatch(
        /--fail-on-regression: 1 regression\(s\): trading\.strategy-execution\/compute_ms/
      )
      const t = twinOf('out-builtin-slow')
      expect(t.baseCompute.description).toMatch(/timed inside the head's agent/)
    } finally {
      writeFileSync(file, original)
    }
  })

  it('on E2B (the emulator), the base strategy is uploaded beside the head agent and a ×3 slowdown exits 1', async () => {
    const key = 'e2b_duetTwinKey_0a1b2c3d4e5f66778899'
    const emu = await startE2BEmulator({ apiKey: key })
    const file = join(repo, 'agent', 'swarm_agent', 'strategies.py')
    const original = readFileSync(file, 'utf8')
    writeFileSync(file, original + SLOW_BUILTINS)
    try {
      const r = await duet('trading.strategy-execution', 'out-e2b-slow', e2bFlags(key, emu.url))
      expect(r.code, r.err).toBe(1)
      expect(r.err).toMatch(
        /--fail-on-regression: 1 regression\(s\): trading\.strategy-execution\/compute_ms/
      )
      const t = twinOf('out-e2b-slow')
      expect(t.head.facts.strategyPairs).toBe(t.baseCompute.samples.length)
      expect(emu.stats().live).toBe(0)
    } finally {
      writeFileSync(file, original)
      await emu.close()
    }
  })

  it('on E2B (the emulator), pairs run at the same time, and the peer send path slowed exits 1', async () => {
    const key = 'e2b_duetPairsKey_0a1b2c3d4e5f66778899'
    const emu = await startE2BEmulator({ apiKey: key })
    const original = readFileSync(PEER_CLIENT, 'utf8')
    const only = 'communication.inter-agent-latency'
    const e2b = e2bFlags(key, emu.url)
    try {
      const same = await duet(only, 'out-e2b-pairs-same', e2b)
      expect(same.code, same.err).toBe(0)
      expect(same.err).toMatch(/pairs concurrent \(duet-pairs auto\)/)
      expect(resultsOf('out-e2b-pairs-same').duet.pairing).toBe('concurrent')
      expect(readFileSync(join(repo, 'out-e2b-pairs-same', 'SWARM_BENCHMARKS_REPORT.md'), 'utf8')).toMatch(
        /every agent request run at the same time as its twin/
      )
      writeFileSync(PEER_CLIENT, slowSend(original, 3000))
      const slow = await duet(only, 'out-e2b-pairs-slow', e2b)
      expect(slow.code, slow.err).toBe(1)
      expect(slow.err).toMatch(
        /--fail-on-regression: \d+ regression\(s\): .*communication\.inter-agent-latency\/rtt_ms/
      )
      // The choice can be overridden: interleaved on E2B too.
      const inter = await duet(only, 'out-e2b-pairs-inter', [...e2b, '--duet-pairs', 'interleaved'])
      expect(inter.code, inter.err).toBe(1)
      expect(resultsOf('out-e2b-pairs-inter').duet.pairing).toBe('interleaved')
      expect(emu.stats().live).toBe(0)
    } finally {
      writeFileSync(PEER_CLIENT, original)
      await emu.close()
    }
  })

  it('with --strategy-path, the base side runs the strategy as committed at the ref', async () => {
    const same = await duet('trading.strategy-execution', 'out-strategy-same', [
      '--strategy-path',
      'strategy.py'
    ])
    expect(same.code, same.err).toBe(0)
    writeFileSync(join(repo, 'strategy.py'), SLOW_STRATEGY)
    try {
      const r = await duet('trading.strategy-execution', 'out-strategy', ['--strategy-path', 'strategy.py'])
      expect(r.code, r.err).toBe(1)
      expect(r.err).toMatch(/code that differs: strategy/)
      expect(r.err).toMatch(
        /--fail-on-regression: 1 regression\(s\): trading\.strategy-execution\/compute_ms/
      )
      const t = twinOf('out-strategy')
      expect(t.head.facts.strategyPairs).toBe(t.baseCompute.samples.length)
      expect(t.baseCompute.description).toMatch(/timed inside the head's agent/)
    } finally {
      writeFileSync(join(repo, 'strategy.py'), STRATEGY)
    }
  })

  it('with --agent-hooks, a slowed on_message in the working tree exits 1 naming communication metrics', async () => {
    writeFileSync(join(repo, 'hooks.py'), SLOW_HOOKS)
    try {
      const r = await duet('communication.message-throughput', 'out-hooks', ['--agent-hooks', 'hooks.py'])
      expect(r.code, r.err).toBe(1)
      expect(r.err).toMatch(/code that differs: hooks/)
      expect(r.err).toMatch(
        /--fail-on-regression: \d+ regression\(s\): .*communication\.message-throughput\/message_ms/
      )
      const results = resultsOf('out-hooks')
      expect(results.run.environment.hooks).toEqual({ module: 'hooks.py', user: ['on_message'] })
      // The hook's own time, measured in the agent, is ×3 the base's: the regression is the user's, not transport.
      const hookMs = (side: { id: string; metrics: { name: string; samples: number[] }[] }[]) => {
        const m = side
          .find(b => b.id === 'communication.message-throughput')
          ?.metrics.find(x => x.name === 'message_hook_ms')
        return [...(m?.samples ?? [])].sort((a, b) => a - b)[Math.floor((m?.samples.length ?? 0) / 2)]
      }
      expect(hookMs(results.benchmarks)).toBeGreaterThan(3 * hookMs(results.duet.benchmarks))
    } finally {
      writeFileSync(join(repo, 'hooks.py'), HOOKS)
    }
  })

  it("with --e2b-requirements, both sides use the head's file and the report says when the base's differs", async () => {
    writeFileSync(join(repo, 'requirements.txt'), 'numpy==2.0.0\n')
    try {
      // The local provider installs nothing (the runner's Python is used): only the note is at stake here.
      const r = await duet('trading.consensus', 'out-reqs', ['--e2b-requirements', 'requirements.txt'])
      expect(r.code, r.err).toBe(0)
      expect(readFileSync(join(repo, 'out-reqs', 'SWARM_BENCHMARKS_REPORT.md'), 'utf8')).toContain(
        "the base's e2b-requirements differ from the head's: both sides ran with the head's"
      )
    } finally {
      writeFileSync(join(repo, 'requirements.txt'), 'numpy==1.26.4\n')
    }
  })

  it('refuses a ref that does not exist and --fail-on-regression without --against (exit 2)', async () => {
    const bad = await cli([
      'run',
      '--against',
      'no-such-ref',
      '--only',
      'trading.consensus',
      '--out',
      join(repo, 'x')
    ])
    expect(bad.code).toBe(2)
    expect(bad.err).toMatch(/--against no-such-ref: cannot find the base commit 'no-such-ref'/)
    const lone = await cli([
      'run',
      '--fail-on-regression',
      '--only',
      'trading.consensus',
      '--out',
      join(repo, 'y')
    ])
    expect(lone.code).toBe(2)
    expect(lone.err).toMatch(/--fail-on-regression needs --against/)
  })
})
