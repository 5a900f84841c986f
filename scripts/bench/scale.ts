// bench:scale — a local swarm of 100 agents per topology (hierarchical, ring) and the largest mesh that fits: deploy,
// link, one consensus round, one state sync, teardown; times of each phase and the memory of every agent process
// read from /proc by the host (RSS, peak RSS, PSS — RSS counts the shared interpreter pages once per process, PSS
// splits them), summed against the machine's memory. Then where an agent's start-up goes: interpreter launch,
// bytecode compilation, imports (python3 -X importtime).
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { agentDir } from '../../src/paths.js'
import { agentStartCommand, collectAgentFiles, type AgentFiles } from '../../src/sandbox/agent-files.js'
import { installExitCleanup, LocalProvider } from '../../src/sandbox/local/provider.js'
import { deploySwarm } from '../../src/swarm/deploy.js'
import { type Swarm } from '../../src/swarm/swarm.js'
import {
  predictConsensusMessages,
  predictStateSyncMessages,
  type TopologyName
} from '../../src/swarm/topology.js'
import {
  dist,
  flags,
  fmt,
  intFlag,
  machine,
  machineLine,
  quantile,
  sleep,
  table,
  writeJson,
  type Dist
} from './common.js'

const MiB = 1024 * 1024

export interface ProcMemory {
  rssBytes: number
  peakRssBytes: number
  pssBytes: number
  threads: number
}

/** One process's memory from /proc (undefined when it is gone). */
export function procMemory(pid: number): ProcMemory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (key: string): number =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024
    const threads = Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? NaN)
    let pss = Number.NaN
    try {
      pss =
        Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? NaN) * 1024
    } catch {
      // smaps_rollup needs Linux ≥ 4.14; PSS is then reported as unknown
    }
    return { rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM'), pssBytes: pss, threads }
  } catch {
    return undefined
  }
}

export interface MemoryTotals {
  agents: number
  rssMiB: Dist
  peakRssMiB: Dist
  pssMiB: Dist
  threads: Dist
  totalRssMiB: number
  totalPeakRssMiB: number
  totalPssMiB: number
  /** Σ peak RSS ÷ machine memory (an upper bound: shared pages counted once per process). */
  shareOfMachine: number
}

function memoryOf(pids: number[]): MemoryTotals {
  const m = pids.map(procMemory).filter((x): x is ProcMemory => x !== undefined)
  const mib = (xs: number[]) => xs.map(x => x / MiB)
  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / MiB
  return {
    agents: m.length,
    rssMiB: dist(mib(m.map(x => x.rssBytes))),
    peakRssMiB: dist(mib(m.map(x => x.peakRssBytes))),
    pssMiB: dist(mib(m.map(x => x.pssBytes))),
    threads: dist(m.map(x => x.threads)),
    totalRssMiB: total(m.map(x => x.rssBytes)),
    totalPeakRssMiB: total(m.map(x => x.peakRssBytes)),
    totalPssMiB: total(m.map(x => x.pssBytes)),
    shareOfMachine: total(m.map(x => x.peakRssBytes)) / (os.totalmem() / MiB)
  }
}

export interface ScaleRow {
  topology: TopologyName
  size: number
  ok: boolean
  error?: string
  deploy?: {
    wallS: number
    agentsS: number
    linkS: number
    /** Per agent: spawn → ready event (ms), and create → init answered (ms). */
    readyMs: Dist
    totalMs: Dist
    links: number
  }
  consensus?: {
    hostMs: number
    agreed: boolean
    voteMessages: number
    predicted: number
    decisionMsP50: number
    decisionMsMax: number
    settled: boolean
  }
  stateSync?: {
    hostMs: number
    syncMs: number
    acks: number
    messages: number
    predicted: number
    settled: boolean
  }
  teardownS?: number
  leftoverProcesses?: number
  memoryAfterLink?: MemoryTotals
  memoryPeak?: MemoryTotals
  hostRssMiB?: number
  cycleS: number
}

export interface StartupFigures {
  samples: number
  /** ms from spawn to the first stdout line. */
  rows: { what: string; command: string; p50Ms: number; minMs: number }[]
  imports: { module: string; cumulativeMs: number }[]
  interpreter: { onPath: string; resolved: string; viaShim: boolean }
}

export interface ScaleFigures {
  machine: ReturnType<typeof machine>
  params: {
    size: number
    topologies: string[]
    meshSizes: number[]
    meshBudgetS: number
    concurrency: number
    stateBytes: number
  }
  rows: ScaleRow[]
  largestMesh?: number
  /** The pid/thread bound of a mesh on this machine, from the threads per agent measured in the last mesh. */
  threadCeiling?: { limit: number; threadsPerAgent: string; largestN: number; skipped?: number }
  startup?: StartupFigures
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
  } catch {
    return false
  }
}

async function cycle(
  provider: LocalProvider,
  files: AgentFiles,
  topology: TopologyName,
  size: number,
  o: { concurrency: number; stateBytes: number; timeoutMs: number }
): Promise<ScaleRow> {
  const t0 = performance.now()
  const row: ScaleRow = { topology, size, ok: false, cycleS: 0 }
  let swarm: Swarm | undefined
  let pids: number[]
  try {
    swarm = await deploySwarm({
      provider,
      topology,
      size,
      deploy: 'parallel',
      concurrency: o.concurrency,
      files,
      opTimeoutMs: o.timeoutMs,
      readyTimeoutMs: o.timeoutMs
    })
    const r = swarm.deployReport
    row.deploy = {
      wallS: r.wallMs / 1000,
      agentsS: r.agentsMs / 1000,
      linkS: r.linkMs / 1000,
      readyMs: dist(r.agents.map(a => a.readyMs)),
      totalMs: dist(r.agents.map(a => a.totalMs)),
      links: r.links.length
    }
    pids = r.agents.map(a => a.pid).filter((p): p is number => typeof p === 'number')
    row.memoryAfterLink = memoryOf(pids)
    const c = await swarm.consensusRound(1, { timeoutMs: o.timeoutMs })
    row.consensus = {
      hostMs: c.hostMs,
      agreed: c.agreed,
      voteMessages: c.voteMessages,
      predicted: predictConsensusMessages(swarm.topology),
      decisionMsP50: quantile(c.decisionNs, 0.5) / 1e6,
      decisionMsMax: Math.max(...c.decisionNs) / 1e6,
      settled: c.countersSettled
    }
    const s = await swarm.stateSync(0, 1, o.stateBytes, { timeoutMs: o.timeoutMs })
    const p = predictStateSyncMessages(swarm.topology, 0)
    row.stateSync = {
      hostMs: s.hostMs,
      syncMs: s.syncNs / 1e6,
      acks: s.acks,
      messages: s.messages,
      predicted: p.state + p.ack,
      settled: s.countersSettled
    }
    row.memoryPeak = memoryOf(pids)
    row.hostRssMiB = process.memoryUsage().rss / MiB
    const tt = performance.now()
    await swarm.teardown()
    row.teardownS = (performance.now() - tt) / 1000
    await sleep(200)
    row.leftoverProcesses = pids.filter(alive).length
    row.ok = c.agreed && s.acks === size - 1 && row.leftoverProcesses === 0
    if (!row.ok)
      row.error = `agreed ${c.agreed}, acks ${s.acks}/${size - 1}, leftover processes ${row.leftoverProcesses}`
  } catch (err) {
    row.error = err instanceof Error ? err.message.split('\n')[0].slice(0, 300) : String(err)
  } finally {
    await swarm?.teardown()
    await provider.killAll()
  }
  row.cycleS = (performance.now() - t0) / 1000
  return row
}

/** ms from spawn to the first stdout line, `n` times one after another. */
async function firstLineMs(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  n: number
): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    const child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'ignore'] })
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve())
      child.once('error', reject)
      child.once('exit', () => resolve())
    })
    out.push(performance.now() - t0)
    child.stdin.end()
    await new Promise(r => child.once('close', r))
  }
  return out
}

async function startup(n: number): Promise<StartupFigures> {
  const onPath = execFileSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).trim()
  const resolved = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {
    encoding: 'utf8'
  }).trim()
  let viaShim = false
  try {
    viaShim = readFileSync(onPath, 'utf8').slice(0, 2) === '#!'
  } catch {
    // unreadable: treat as a binary
  }
  const cmd = agentStartCommand('bench-scale-startup')
  const fresh = mkdtempSync(join(os.tmpdir(), 'bench-scale-'))
  const cached = mkdtempSync(join(os.tmpdir(), 'bench-scale-'))
  try {
    // The same files the provider uploads, in a fresh dir (no __pycache__), as every sandbox starts.
    cpSync(join(agentDir(), 'swarm_agent'), join(fresh, 'agent', 'swarm_agent'), {
      recursive: true,
      filter: s => !s.includes('__pycache__')
    })
    cpSync(join(fresh, 'agent'), join(cached, 'agent'), { recursive: true })
    const envNoPyc = { ...process.env, ...cmd.env }
    const envPyc: NodeJS.ProcessEnv = { ...process.env, ...cmd.env }
    delete envPyc.PYTHONDONTWRITEBYTECODE
    const agentCwd = (d: string) => join(d, 'agent')
    // Warm the bytecode cache of the second copy once.
    await firstLineMs(resolved, cmd.args, agentCwd(cached), envPyc, 1)
    const rows: StartupFigures['rows'] = []
    const add = async (
      what: string,
      command: string,
      args: string[],
      cwd: string,
      env: NodeJS.ProcessEnv
    ) => {
      const xs = await firstLineMs(command, args, cwd, env, n)
      rows.push({
        what,
        command: [command, ...args].join(' '),
        p50Ms: quantile(xs, 0.5),
        minMs: Math.min(...xs)
      })
    }
    await add('floor: interpreter prints one line', 'python3', ['-c', 'print(1)'], fresh, process.env)
    await add('floor, resolved interpreter', resolved, ['-c', 'print(1)'], fresh, process.env)
    await add('floor, resolved, no site (-S)', resolved, ['-S', '-c', 'print(1)'], fresh, process.env)
    await add('agent as the provider starts it (no .pyc)', cmd.command, cmd.args, agentCwd(fresh), envNoPyc)
    await add('agent, resolved interpreter, no .pyc', resolved, cmd.args, agentCwd(fresh), envNoPyc)
    await add('agent, resolved interpreter, .pyc cached', resolved, cmd.args, agentCwd(cached), envPyc)
    return {
      samples: n,
      rows,
      imports: importTimes(resolved, agentCwd(cached), envPyc),
      interpreter: { onPath, resolved, viaShim }
    }
  } finally {
    rmSync(fresh, { recursive: true, force: true })
    rmSync(cached, { recursive: true, force: true })
  }
}

function importTimes(
  python: string,
  cwd: string,
  env: NodeJS.ProcessEnv
): { module: string; cumulativeMs: number }[] {
  // Imports the agent pays for (what `python3 -m swarm_agent` loads before its ready line), largest first.
  const r = spawnSync(python, ['-X', 'importtime', '-c', 'import swarm_agent.control, swarm_agent.agent'], {
    cwd,
    env,
    encoding: 'utf8'
  }).stderr
  const rows: { module: string; cumulativeMs: number; depth: number }[] = []
  for (const line of r.split('\n')) {
    const m = /^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)/.exec(line)
    if (m) rows.push({ module: m[4], cumulativeMs: Number(m[2]) / 1000, depth: m[3].length })
  }
  // Top-level entries only (depth 1): their cumulative times add up to the whole import cost.
  return rows
    .filter(x => x.depth <= 1)
    .sort((a, b) => b.cumulativeMs - a.cumulativeMs)
    .slice(0, 10)
    .map(({ module, cumulativeMs }) => ({ module, cumulativeMs }))
}

function readLimit(path: string): number {
  try {
    return Number(readFileSync(path, 'utf8').trim())
  } catch {
    return Number.POSITIVE_INFINITY
  }
}

async function main(): Promise<void> {
  const f = flags(
    'bench:scale',
    'local swarms of 100 agents: deploy, link, consensus, state sync, teardown, memory',
    {
      size: { type: 'string', default: '100', help: 'agents in the hierarchical and ring swarms' },
      topologies: { type: 'string', default: 'hierarchical,ring', help: 'topologies run at --size' },
      'mesh-sizes': {
        type: 'string',
        default: '20,60,100,150,200,250,300',
        help: 'mesh sizes tried in order until one fails or would need over half the machine’s pids'
      },
      'mesh-budget': {
        type: 'string',
        default: '120',
        help: 'seconds a mesh cycle may take and still "fit"'
      },
      concurrency: { type: 'string', default: '8', help: 'agents deployed at once' },
      'state-bytes': { type: 'string', default: '10240', help: 'size of the synced state' },
      'startup-samples': { type: 'string', default: '10', help: 'spawns per start-up variant (0 skips)' },
      json: { type: 'string', help: 'write the figures as JSON to this file' }
    }
  )
  const size = intFlag('size', f.size, 2)
  const topologies = f.topologies.split(',').filter(Boolean) as TopologyName[]
  const meshSizes = f['mesh-sizes']
    .split(',')
    .filter(Boolean)
    .map(s => intFlag('mesh-sizes', s, 2))
  const meshBudgetS = intFlag('mesh-budget', f['mesh-budget'])
  const concurrency = intFlag('concurrency', f.concurrency)
  const stateBytes = intFlag('state-bytes', f['state-bytes'], 1)
  const startupSamples = intFlag('startup-samples', f['startup-samples'], 0)
  const m = machine()
  console.log(`bench:scale · ${machineLine(m)}`)
  installExitCleanup()
  const provider = new LocalProvider({ runTag: `bench-scale-${randomBytes(3).toString('hex')}` })
  const files = await collectAgentFiles()
  const o = { concurrency, stateBytes, timeoutMs: 120_000 }
  const rows: ScaleRow[] = []
  for (const t of topologies) {
    process.stderr.write(`${t} of ${size}…\n`)
    rows.push(await cycle(provider, files, t, size, o))
  }
  let largestMesh: number | undefined
  // Every thread is a pid and the machine's pids are shared with everything else on it: a mesh predicted to need
  // over half of them is not started. Threads per agent are fitted as a + b·n from the last two meshes measured
  // (the agent's peer server is one thread for all connections, so b should be ~0; it used to be 1).
  const threadLimit = Math.min(
    readLimit('/proc/sys/kernel/pid_max'),
    readLimit('/proc/sys/kernel/threads-max')
  )
  let threadCeiling: ScaleFigures['threadCeiling']
  for (const n of meshSizes) {
    const meshes = rows.filter(r => r.topology === 'mesh' && r.memoryPeak)
    if (meshes.length && Number.isFinite(threadLimit)) {
      const { a, b } = threadModel(meshes.map(r => ({ n: r.size, threads: r.memoryPeak!.threads.max })))
      const predicted = Math.ceil(n * (a + b * n))
      threadCeiling = {
        limit: threadLimit,
        threadsPerAgent: b > 0 ? `${fmt(a)} + ${fmt(b)}·n` : `${fmt(a)} (whatever n)`,
        largestN: largestWithin(a, b, threadLimit)
      }
      if (predicted > threadLimit / 2) {
        process.stderr.write(`mesh of ${n} not started: ~${predicted} threads, over half of ${threadLimit}\n`)
        threadCeiling.skipped = n
        break
      }
    }
    process.stderr.write(`mesh of ${n}…\n`)
    const row = await cycle(provider, files, 'mesh', n, o)
    rows.push(row)
    const fits = row.ok && row.cycleS <= meshBudgetS && (row.memoryPeak?.shareOfMachine ?? 1) < 0.5
    if (!fits) {
      if (row.ok)
        row.error = `cycle ${fmt(row.cycleS)} s over the ${meshBudgetS} s budget or memory over half the machine`
      break
    }
    largestMesh = n
  }
  const figures: ScaleFigures = {
    machine: m,
    params: { size, topologies, meshSizes, meshBudgetS, concurrency, stateBytes },
    rows,
    largestMesh,
    threadCeiling,
    startup: startupSamples > 0 ? await startup(startupSamples) : undefined
  }
  print(figures)
  writeJson(f.json, figures)
}

/** Threads per agent as a + b·n through the last two meshes measured (b ≥ 0; one mesh: constant). */
export function threadModel(meshes: { n: number; threads: number }[]): { a: number; b: number } {
  const [p, q] = meshes.slice(-2)
  if (!q || q.n === p.n) {
    const last = meshes.at(-1)!
    return { a: last.threads, b: 0 }
  }
  const b = Math.max(0, (q.threads - p.threads) / (q.n - p.n))
  return { a: q.threads - b * q.n, b }
}

/** Largest n with n·(a + b·n) ≤ limit. */
export function largestWithin(a: number, b: number, limit: number): number {
  if (b <= 0) return Math.floor(limit / Math.max(a, 1))
  return Math.floor((-a + Math.sqrt(a * a + 4 * b * limit)) / (2 * b))
}

function print(x: ScaleFigures): void {
  console.log(`\nSwarm cycles (local provider, ${x.params.concurrency} agents deployed at once)`)
  console.log(
    table(
      [
        'swarm',
        'ok',
        'deploy s',
        'link s',
        'ready p50/max ms',
        'consensus ms',
        'votes (pred.)',
        'sync ms',
        'acks',
        'teardown s',
        'cycle s'
      ],
      x.rows.map(r => [
        `${r.topology}-${r.size}`,
        r.ok ? 'yes' : 'NO',
        r.deploy ? fmt(r.deploy.agentsS) : '',
        r.deploy ? fmt(r.deploy.linkS) : '',
        r.deploy ? `${fmt(r.deploy.readyMs.p50)}/${fmt(r.deploy.readyMs.max)}` : '',
        r.consensus ? fmt(r.consensus.hostMs) : '',
        r.consensus ? `${r.consensus.voteMessages} (${r.consensus.predicted})` : '',
        r.stateSync ? fmt(r.stateSync.hostMs) : '',
        r.stateSync ? `${r.stateSync.acks}/${r.size - 1}` : '',
        r.teardownS !== undefined ? fmt(r.teardownS) : '',
        fmt(r.cycleS)
      ])
    )
  )
  console.log(`\nMemory of every agent process at the end of the cycle (host reads /proc; MiB)`)
  console.log(
    table(
      [
        'swarm',
        'RSS p50',
        'peak RSS p50/max',
        'PSS p50',
        'threads p50/max',
        'Σ peak RSS',
        'Σ PSS',
        'of machine',
        'host RSS'
      ],
      x.rows
        .filter(r => r.memoryPeak)
        .map(r => {
          const mm = r.memoryPeak!
          return [
            `${r.topology}-${r.size}`,
            fmt(mm.rssMiB.p50),
            `${fmt(mm.peakRssMiB.p50)}/${fmt(mm.peakRssMiB.max)}`,
            fmt(mm.pssMiB.p50),
            `${fmt(mm.threads.p50)}/${fmt(mm.threads.max)}`,
            fmt(mm.totalPeakRssMiB),
            fmt(mm.totalPssMiB),
            `${(100 * mm.shareOfMachine).toFixed(1)}%`,
            fmt(r.hostRssMiB ?? NaN)
          ]
        })
    )
  )
  for (const r of x.rows.filter(r => r.error)) console.log(`  ${r.topology}-${r.size}: ${r.error}`)
  console.log(
    `\nLargest mesh that fits (≤ ${x.params.meshBudgetS} s per cycle, < 50% of memory): ${x.largestMesh ?? 'none tried fits'}`
  )
  const tc = x.threadCeiling
  if (tc) {
    console.log(
      `Thread bound: a mesh agent runs ${tc.threadsPerAgent} threads; with the machine's ${tc.limit} pids the largest ` +
        `mesh is about ${tc.largestN} agents${tc.skipped ? ` (mesh of ${tc.skipped} not started: over half of them)` : ''}`
    )
  }
  const s = x.startup
  if (!s) return
  console.log(
    `\nStart-up of one process, spawn → first stdout line (${s.samples} spawns each; python3 on PATH is ${s.interpreter.onPath}` +
      `${s.interpreter.viaShim ? ', a script shim' : ''}; resolved ${s.interpreter.resolved})`
  )
  console.log(
    table(
      ['what', 'p50 ms', 'min ms'],
      s.rows.map(r => [r.what, fmt(r.p50Ms), fmt(r.minMs)])
    )
  )
  console.log(`\nImports of the agent (python3 -X importtime, top-level, cumulative ms)`)
  console.log(
    table(
      ['module', 'ms'],
      s.imports.map(i => [i.module, fmt(i.cumulativeMs)])
    )
  )
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch(err => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err))
    process.exitCode = 1
  })
}
