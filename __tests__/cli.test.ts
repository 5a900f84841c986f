// The swarm-bench CLI: bad input exits 2 naming the flag; compare and report work on real results files; a run
// interrupted with SIGINT writes partial results and leaves no agent process.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main, type CliIO } from '../src/cli/main.js'
import { runBenchmarks } from '../src/bench/runner.js'
import { readResults, writeResults } from '../src/results/io.js'
import { REPORT_FILE, RESULTS_FILE } from '../src/results/schema.js'
import { parentGone, watchParent } from '../src/cli/parent.js'
import { benchConfig } from './support/bench-config.js'
import { cleanEnv } from './support/faults/cli-process.js'
import { newRunTag, processesWithTag, waitForNoProcesses } from './support/processes.js'

const root = join(import.meta.dirname, '..')
const dir = mkdtempSync(join(tmpdir(), 'cli-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function cli(
  args: string[],
  env: NodeJS.ProcessEnv = {}
): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const io: CliIO = { stdout: t => void (out += t), stderr: t => void (err += t), env }
  const code = await main(args, io)
  return { code, out, err }
}

describe('bad input → exit 2 with a message naming the flag', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown provider', ['run', '--provider', 'aws'], /--provider.*local, e2b/s],
    ['unknown profile', ['run', '--profile', 'huge'], /--profile.*quick, full/s],
    [
      'unknown topology',
      ['run', '--topologies', 'mesh,torus'],
      /"torus" for --topologies.*mesh, hierarchical, ring, star/s
    ],
    [
      'unknown benchmark id',
      ['run', '--only', 'creation.swarm-init,nope.x'],
      /"nope\.x" for --only.*creation\.swarm-init/s
    ],
    ['negative number', ['run', '--cost-window-seconds', '-5'], /--cost-window-seconds.*from 0 to 3600/s],
    ['huge number', ['run', '--e2b-max-concurrency', '100000'], /--e2b-max-concurrency.*from 1 to 1000/s],
    ['not a number', ['run', '--price-vcpu-second', '0x10'], /--price-vcpu-second/],
    ['bad run tag', ['run', '--run-tag', 'has space'], /--run-tag/],
    ['empty value', ['run', '--profile', ''], /--profile/],
    ['e2b without a key', ['run', '--provider', 'e2b'], /--e2b-api-key/],
    ['unknown flag', ['run', '--profil', 'quick'], /unknown option '--profil'.*--profile/s],
    ['missing value', ['run', '--out'], /--out/],
    ['unknown command', ['bench'], /unknown command 'bench'/],
    ['no command', [], /Usage: swarm-bench/],
    [
      'compare threshold',
      ['compare', 'a.json', 'b.json', '--threshold', '-1'],
      /--threshold.*from 0 to 1000/s
    ],
    ['compare missing file', ['compare', 'a.json'], /missing required argument 'head'/],
    [
      'compare thresholds with an unknown benchmark',
      ['compare', 'a.json', 'b.json', '--thresholds', '{"trading.nope": 5}'],
      /for --thresholds — expected key "trading\.nope" to be a benchmark id \(one of creation\.swarm-init/s
    ],
    [
      'run thresholds out of range',
      ['run', '--thresholds', 'rtt_ms: 5000'],
      /--thresholds.*a percent from 0 to 1000 for rtt_ms/s
    ],
    [
      'cleanup bad provider',
      ['cleanup', '--run-tag', 'x', '--provider', 'gcp'],
      /--provider.*e2b, local, all/s
    ]
  ]
  it.each(cases)('%s', async (_name, args, message) => {
    const r = await cli(args)
    expect(r.code).toBe(2)
    expect(r.err).toMatch(message)
  })

  it('help and version exit 0', async () => {
    expect((await cli(['--help'])).code).toBe(0)
    expect((await cli(['run', '--help'])).out).toContain('--cost-window-seconds')
    expect((await cli(['--version'])).out).toMatch(/^\d+\.\d+\.\d+/)
  })
})

describe('compare and report on files', () => {
  let base: string
  let head: string
  beforeAll(async () => {
    const only = 'creation.swarm-init,trading.strategy-execution'
    const tag = newRunTag('cli-files')
    for (const name of ['base', 'head']) {
      const r = await runBenchmarks(benchConfig({ provider: 'local', 'run-tag': tag, only }))
      writeResults(join(dir, name), r)
    }
    base = join(dir, 'base', RESULTS_FILE)
    head = join(dir, 'head', RESULTS_FILE)
  }, 60_000)

  it('compare prints a per-metric comparison', async () => {
    const r = await cli(['compare', base, head, '--threshold', '5'])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/regression\(s\), \d+ improvement\(s\)/)
    expect(r.out).toContain('trading.strategy-execution/compute_vs_floor')
    expect(r.out).toMatch(/threshold 5%/)
  })

  it('compare --thresholds overrides --threshold for the metric it names', async () => {
    const r = await cli(['compare', base, head, '--threshold', '5', '--thresholds', 'compute_vs_floor: 37'])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/threshold 5% except compute_vs_floor 37%/)
  })

  it('compare rejects a corrupt file with its reason', async () => {
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, '{"schemaVersion": 1, "tool": ')
    const r = await cli(['compare', base, bad])
    expect(r.code).toBe(2)
    expect(r.err).toContain(bad)
  })

  it('report re-renders the report from a results file', async () => {
    const out = join(dir, 'rendered', 'REPORT.md')
    const r = await cli(['report', head, '--out', out, '--baseline', base])
    expect(r.code).toBe(0)
    const md = readFileSync(out, 'utf8')
    expect(md).toContain('creation.swarm-init')
    expect(md).toMatch(/^## /m)
    const plain = await cli(['report', head])
    expect(plain.code).toBe(0)
    expect(existsSync(join(dir, 'head', REPORT_FILE))).toBe(true)
  })
})

describe('cleanup', () => {
  it('kills local agent processes carrying the run tag', async () => {
    const tag = newRunTag('cli-cleanup')
    // A stand-in for a leaked agent: a process with the tag in its environment.
    const child = spawn('sleep', ['30'], { env: { ...process.env, SWARM_BENCH_RUN: tag }, stdio: 'ignore' })
    await new Promise(r => child.once('spawn', r))
    expect(processesWithTag(tag)).toEqual([child.pid])
    const r = await cli(['cleanup', '--run-tag', tag, '--provider', 'local'])
    expect(r.code).toBe(0)
    expect(r.out).toContain('killed 1 agent process')
    expect(await waitForNoProcesses(tag, 5000)).toEqual([])
  })
})

describe('a run that measured nothing', () => {
  it('exits 1, still writing the results that say why', async () => {
    const out = join(dir, 'no-agent')
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli.ts',
        'run',
        '--provider',
        'local',
        '--only',
        'creation.swarm-init',
        '--out',
        out
      ],
      // An agent folder that does not exist: no sandbox can get an agent, every benchmark errors.
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, SWARM_BENCH_AGENT_DIR: join(dir, 'none') }
      }
    )
    let err = ''
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const exit = await new Promise<number | null>(r => child.on('exit', c => r(c)))
    expect(exit, err).toBe(1)
    expect(err).toContain('1 benchmark(s) errored: creation.swarm-init')
    const r = readResults(join(out, RESULTS_FILE))
    expect(r.ok && r.results.benchmarks[0].status).toBe('error')
    expect(r.ok && r.results.benchmarks[0].error).toBeTruthy()
  }, 30_000)
})

describe('interrupting a run', () => {
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143]
  ] as const) {
    it(`${sig}: stops, writes partial results, exits ${code}, leaves no agent`, async () => {
      const tag = newRunTag(`cli-${sig.toLowerCase()}`)
      const out = join(dir, `int-${sig}`)
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'src/cli.ts', 'run', '--provider', 'local', '--run-tag', tag, '--out', out],
        { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }
      )
      let err = ''
      let sent = false
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString()
        // Interrupt in the middle of the third benchmark, while agents are alive.
        if (!sent && /creation\.parallel-speedup: run 1/.test(err)) {
          sent = true
          child.kill(sig)
          // Ctrl-C under npm arrives twice (process group + npm forwarding): still one orderly stop.
          if (sig === 'SIGINT') setTimeout(() => child.kill(sig), 50)
        }
      })
      const exit = await new Promise<number | null>(r => child.on('exit', c => r(c)))
      expect(sent, err).toBe(true)
      expect(exit, err).toBe(code)
      const results = readResults(join(out, RESULTS_FILE))
      expect(results.ok, results.ok ? '' : results.reason).toBe(true)
      if (!results.ok) return
      expect(results.results.run.complete).toBe(false)
      const status = results.results.benchmarks.map(b => b.status)
      expect(status[0]).toBe('passed')
      expect(status).toContain('skipped')
      expect(existsSync(join(out, REPORT_FILE))).toBe(true)
      expect(await waitForNoProcesses(tag, 5000)).toEqual([])
    }, 60_000)
  }
})

describe('the process that started the CLI dies', () => {
  it('watchParent fires once when the parent pid changes, and never while it stays', async () => {
    expect(parentGone(100, 100)).toBe(false)
    expect(parentGone(100, 1)).toBe(true)
    let ppid = 100
    let fired = 0
    const stop = watchParent(
      () => fired++,
      10,
      () => ppid
    )
    await new Promise(r => setTimeout(r, 50))
    expect(fired).toBe(0)
    ppid = 1
    await new Promise(r => setTimeout(r, 50))
    ppid = 2
    await new Promise(r => setTimeout(r, 50))
    expect(fired).toBe(1)
    stop()
  })

  /**
   * Starts `command args` with the run tag in its environment (so npm, its shell and the CLI carry it, as the
   * agents do), kills `victim(child)` once `creation.parallel-speedup` is running, and returns what the tag
   * finds alive 5 s after the signal.
   */
  async function killAndCount(
    command: string,
    args: (tag: string, out: string) => string[],
    signal: NodeJS.Signals
  ): Promise<{ left: number[]; err: string; out: string }> {
    const tag = newRunTag(`cli-parent-${signal.toLowerCase()}`)
    const out = join(dir, tag)
    const child = spawn(command, args(tag, out), {
      cwd: root,
      env: cleanEnv({ SWARM_BENCH_RUN: tag }),
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let err = ''
    let signalled = false
    await new Promise<void>(resolve => {
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString()
        // A few seconds in, while agents are alive: only the starting process is signalled, once, never its group.
        if (!signalled && /creation\.parallel-speedup: run 1/.test(err)) {
          signalled = true
          child.kill(signal)
          resolve()
        }
      })
    })
    await new Promise(r => setTimeout(r, 5000))
    const left = processesWithTag(tag)
    // A failing run must not leave its orphans behind for the next tests.
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone meanwhile
      }
    }
    return { left, err, out }
  }

  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    it(`${sig} to npm's pid alone (\`npm run bench\`) stops the run: no node or agent process of it 5 s later`, async () => {
      const r = await killAndCount(
        'npm',
        (tag, out) => ['run', 'bench', '--', '--provider', 'local', '--run-tag', tag, '--out', out],
        sig
      )
      expect(r.left, r.err).toEqual([])
      // It stopped the orderly way: partial results were written, not lost.
      const results = readResults(join(r.out, RESULTS_FILE))
      expect(results.ok, r.err).toBe(true)
      expect(results.ok && results.results.run.complete).toBe(false)
    }, 60_000)
  }

  it('SIGKILL to the shell that started the CLI: the CLI notices the orphaning and stops', async () => {
    // `; exit` keeps the shell from exec'ing node, so the CLI really is the shell's child and nothing forwards.
    const r = await killAndCount(
      'sh',
      (tag, out) => [
        '-c',
        `"${process.execPath}" --import tsx src/cli.ts run --provider local --run-tag ${tag} --out ${out}; exit`
      ],
      'SIGKILL'
    )
    expect(r.left, r.err).toEqual([])
    expect(r.err).toMatch(/the parent process exited: stopping/)
  }, 60_000)
})
