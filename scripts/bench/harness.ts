// bench:harness — what the harness adds to what it measures. In ONE run, on this machine, next to its floor:
//   control round trip   host → agent `echo` → host through AgentClient   vs  line_echo.py over the same pipes
//   agent-to-agent RTT   the agent's `ping` rttNs (HTTP/1.1, keep-alive)    vs  tcp_echo.py client ↔ server (raw TCP)
//   link throughput      the agent's `send` to a neighbour (each waits)     vs  the same floor's sequential round trips
// Agent and floor alternate in many short rounds (ABBA order) and each ratio is the median of per-round ratios, so a
// load spike on the shared machine hits both sides of a ratio. Where the two ends of a round trip run decides it
// far more than the code does (a wake-up across this VM's CPUs costs tens of µs, on one CPU ~15 µs for the whole
// floor round trip), so every process is pinned per placement: `same` = all on one CPU, `spread` = the two ends of
// each round trip on different CPUs (`os` = the scheduler decides: the drifting floor of earlier runs).
// Then it profiles the peer hot path (scripts/bench/peer_split.py: a ladder of rungs + cProfile of both sides).
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { agentStartCommand, collectAgentFiles } from '../../src/sandbox/agent-files.js'
import { installExitCleanup, LocalProvider } from '../../src/sandbox/local/provider.js'
import type { AgentProcess } from '../../src/sandbox/types.js'
import { deploySwarm } from '../../src/swarm/deploy.js'
import { type Swarm } from '../../src/swarm/swarm.js'
import {
  agentFloorsDir,
  benchDir,
  dist,
  flags,
  quantile,
  fmt,
  intFlag,
  machine,
  machineLine,
  sum,
  table,
  writeJson,
  type Dist
} from './common.js'
import { agentDir } from '../../src/paths.js'

const run = promisify(execFile)
const TARGET_RATIO = 2

/** Raw line round trips over an AgentProcess: write one line, wait for the next line (no JSON, no ids). */
class LineProbe {
  private waiter: ((line: string) => void) | undefined
  private readonly queue: string[] = []

  constructor(private readonly proc: AgentProcess) {
    proc.onLine(line => {
      const w = this.waiter
      if (w) {
        this.waiter = undefined
        w(line)
      } else this.queue.push(line)
    })
  }

  next(): Promise<string> {
    const queued = this.queue.shift()
    if (queued !== undefined) return Promise.resolve(queued)
    return new Promise(r => (this.waiter = r))
  }

  /** One round trip in µs; like AgentClient, the write is not awaited, only the answer. */
  async rttUs(line: string): Promise<number> {
    const t0 = performance.now()
    const answer = this.next()
    this.proc.writeLine(line).catch(() => {})
    await answer
    return (performance.now() - t0) * 1000
  }
}

export type Placement = 'same' | 'spread' | 'os'
export const PLACEMENTS: readonly Placement[] = ['same', 'spread', 'os']

export interface ControlFigures {
  floorUs: Dist
  agentRawUs: Dist
  agentClientUs: Dist
  /** pooled: p50 of all agent samples ÷ p50 of all floor samples */
  ratioP50: number
  rawRatioP50: number
  /** median over rounds of (agent p50 ÷ floor p50 in that round): what the target is judged on */
  roundRatioP50: number
  rawRoundRatioP50: number
}
export interface PeerFigures {
  floorUs: Dist
  agentUs: Dist
  ratioP50: number
  roundRatioP50: number
}
export interface ThroughputFigures {
  floorMsgsPerS: Dist
  agentMsgsPerS: Dist
  /** median over rounds of floor ÷ agent messages per second */
  floorOverAgentP50: number
  sendLatencyUs: Dist
  delivered: number
  sent: number
}
export interface PlacementFigures {
  placement: Placement
  /** CPU of the host (and, for the peer, agent 0 and the floor's client) / CPU of everything else */
  cpus: string
  control: ControlFigures
  peer: PeerFigures
  throughput: ThroughputFigures
  targets: { controlP50WithinRatio: boolean; peerP50WithinRatio: boolean }
}

export interface HarnessFigures {
  machine: ReturnType<typeof machine>
  params: {
    samples: number
    rounds: number
    payloadBytes: number
    messages: number
    placements: Placement[]
    pinning: string
  }
  /** the first placement's figures (the others are in `placements`) */
  control: ControlFigures
  peer: PeerFigures
  throughput: ThroughputFigures
  /** every placement within the ratio, judged on the median of per-round ratios */
  targets: { controlP50WithinRatio: boolean; peerP50WithinRatio: boolean; ratio: number }
  placements: PlacementFigures[]
  profile?: PeerSplit
}

interface PeerSplit {
  count: number
  bytes: number
  requestBytes: number
  responseBytes: number
  cpus?: string | null
  rungs: { name: string; p50Ns: number; p99Ns: number }[]
  profile?: {
    requests: number
    profiledServerRttNs: number
    client: ProfileRow[]
    server: ProfileRow[]
    note: string
  }
}
interface ProfileRow {
  function: string
  callsPerRequest: number
  ownUsPerRequest: number
  cumUsPerRequest: number
}

/** Median over rounds of num[r] ÷ den[r], each a per-round p50 (rounds where either side has no sample skipped). */
export function medianRoundRatio(
  num: readonly (readonly number[])[],
  den: readonly (readonly number[])[]
): number {
  const ratios: number[] = []
  for (let r = 0; r < Math.min(num.length, den.length); r++) {
    if (num[r].length && den[r].length) ratios.push(quantile(num[r], 0.5) / quantile(den[r], 0.5))
  }
  return quantile(ratios, 0.5)
}

/** CPUs of a Linux list such as `0,2-3` (taskset -c -p output). */
export function parseCpuList(list: string): number[] {
  const out: number[] = []
  for (const part of list.trim().split(',')) {
    const [a, b] = part.split('-').map(Number)
    if (!Number.isInteger(a)) continue
    for (let c = a; c <= (Number.isInteger(b) ? b : a); c++) out.push(c)
  }
  return out
}

/** Pins processes (every thread, and the threads they start later) with taskset; `undefined` if it cannot. */
async function affinity(): Promise<
  | { cpus: number[]; pin: (pid: number, cpus: string) => Promise<void>; restore: () => Promise<void> }
  | undefined
> {
  try {
    const { stdout } = await run('taskset', ['-c', '-p', String(process.pid)])
    const list = stdout.split(':').pop() ?? ''
    const cpus = parseCpuList(list)
    if (cpus.length === 0) return undefined
    const pin = async (pid: number, to: string): Promise<void> => {
      await run('taskset', ['-a', '-c', '-p', to, String(pid)])
    }
    await pin(process.pid, list.trim()) // proves we may set it
    return { cpus, pin, restore: () => pin(process.pid, list.trim()) }
  } catch {
    return undefined
  }
}

interface Rounds {
  c: { floor: number[][]; raw: number[][]; client: number[][] }
  p: { floor: number[][]; agent: number[][] }
  t: { floor: number[]; agent: number[]; latency: number[]; delivered: number; sent: number }
}

function figuresOf(placement: Placement, cpus: string, x: Rounds): PlacementFigures {
  const flat = (rs: number[][]) => rs.flat()
  const control: ControlFigures = {
    floorUs: dist(flat(x.c.floor)),
    agentRawUs: dist(flat(x.c.raw)),
    agentClientUs: dist(flat(x.c.client)),
    ratioP50: 0,
    rawRatioP50: 0,
    roundRatioP50: medianRoundRatio(x.c.client, x.c.floor),
    rawRoundRatioP50: medianRoundRatio(x.c.raw, x.c.floor)
  }
  control.ratioP50 = control.agentClientUs.p50 / control.floorUs.p50
  control.rawRatioP50 = control.agentRawUs.p50 / control.floorUs.p50
  const peer: PeerFigures = {
    floorUs: dist(flat(x.p.floor)),
    agentUs: dist(flat(x.p.agent)),
    ratioP50: 0,
    roundRatioP50: medianRoundRatio(x.p.agent, x.p.floor)
  }
  peer.ratioP50 = peer.agentUs.p50 / peer.floorUs.p50
  const throughput: ThroughputFigures = {
    floorMsgsPerS: dist(x.t.floor),
    agentMsgsPerS: dist(x.t.agent),
    floorOverAgentP50: quantile(
      x.t.floor.map((f, i) => f / x.t.agent[i]),
      0.5
    ),
    sendLatencyUs: dist(x.t.latency),
    delivered: x.t.delivered,
    sent: x.t.sent
  }
  return {
    placement,
    cpus,
    control,
    peer,
    throughput,
    targets: {
      controlP50WithinRatio: control.roundRatioP50 <= TARGET_RATIO,
      peerP50WithinRatio: peer.roundRatioP50 <= TARGET_RATIO
    }
  }
}

async function main(): Promise<void> {
  const f = flags('bench:harness', 'harness overhead against its floors, measured in one run', {
    samples: {
      type: 'string',
      default: '4000',
      help: 'round trips per variant (control and peer) per placement'
    },
    rounds: { type: 'string', default: '40', help: 'short interleaved rounds the samples are taken in' },
    bytes: { type: 'string', default: '64', help: 'payload bytes of each peer round trip and message' },
    messages: { type: 'string', default: '2000', help: 'messages sent over the link for throughput' },
    placement: {
      type: 'string',
      default: 'same,spread',
      help: 'comma list of same (every process on one CPU), spread (the two ends on two CPUs), os (not pinned)'
    },
    'skip-profile': { type: 'boolean', help: 'skip the peer hot-path ladder and cProfile' },
    json: { type: 'string', help: 'write the figures as JSON to this file' }
  })
  const samples = intFlag('samples', f.samples)
  const rounds = Math.min(intFlag('rounds', f.rounds), samples)
  const payloadBytes = intFlag('bytes', f.bytes, 0)
  const messages = Math.max(rounds, intFlag('messages', f.messages))
  const perRound = Math.ceil(samples / rounds)
  const msgsPerRound = Math.ceil(messages / rounds)
  let placements = f.placement.split(',').map(p => p.trim()) as Placement[]
  const unknown = placements.filter(p => !PLACEMENTS.includes(p))
  if (unknown.length || placements.length === 0) {
    process.stderr.write(
      `--placement: expected a comma list of ${PLACEMENTS.join(', ')}, got ${f.placement}\n`
    )
    process.exit(2)
  }
  const m = machine()
  console.log(`bench:harness · ${machineLine(m)}`)

  const aff = await affinity()
  let pinning: string
  if (!aff) {
    pinning = 'taskset unavailable or refused: nothing pinned'
    placements = ['os']
  } else if (aff.cpus.length < 2) {
    pinning = `one CPU allowed (${aff.cpus[0]}): spread dropped`
    placements = placements.filter(p => p !== 'spread')
    if (placements.length === 0) placements = ['same']
  } else pinning = `taskset over CPUs ${aff.cpus.join(',')}`
  const cpuA = String(aff?.cpus[0] ?? '')
  const cpuB = String(aff?.cpus[1] ?? aff?.cpus[0] ?? '')
  const allCpus = aff?.cpus.join(',') ?? ''

  installExitCleanup()
  const runTag = `bench-harness-${randomBytes(3).toString('hex')}`
  const provider = new LocalProvider({ runTag })
  let swarm: Swarm | undefined
  try {
    const files = await collectAgentFiles()
    // Floor 1: the cheapest Python line echo, spawned by the same provider over the same pipes.
    const floorBox = await provider.create({ label: 'floor/line-echo' })
    await floorBox.writeFiles([
      { path: 'line_echo.py', data: readFileSync(join(agentFloorsDir(), 'line_echo.py')) }
    ])
    const floorProc = await floorBox.start({ command: 'python3', args: ['-u', 'line_echo.py'] })
    const floor = new LineProbe(floorProc)
    // The agent driven with the same raw lines (no AgentClient): splits Python-side from host-side cost.
    const bareBox = await provider.create({ label: 'agent/raw-lines' })
    await bareBox.writeFiles(files.files)
    const bareProc = await bareBox.start(agentStartCommand(runTag))
    const bare = new LineProbe(bareProc)
    await bare.next() // the ready event
    // Floor 2: a bare Python TCP echo on loopback; its client is a separate Python process that stays up on one
    // connection and runs one batch per line it reads (no process start per round).
    const tcpBox = await provider.create({ label: 'floor/tcp-echo' })
    await tcpBox.writeFiles([
      { path: 'tcp_echo.py', data: readFileSync(join(agentFloorsDir(), 'tcp_echo.py')) }
    ])
    const tcpServer = await tcpBox.start({ command: 'python3', args: ['-u', 'tcp_echo.py'] })
    const tcpPort = Number(await new LineProbe(tcpServer).next())
    const tcpClientProc = await tcpBox.start({
      command: 'python3',
      args: [
        '-u',
        'tcp_echo.py',
        '--client',
        `127.0.0.1:${tcpPort}`,
        '--bytes',
        String(payloadBytes),
        '--stdin'
      ]
    })
    const tcpClient = new LineProbe(tcpClientProc)
    await tcpClient.next() // ready
    const tcpBatch = async (count: number): Promise<number[]> => {
      const answer = tcpClient.next()
      await tcpClientProc.writeLine(String(count))
      return (JSON.parse(await answer) as { rttNs: number[] }).rttNs
    }
    swarm = await deploySwarm({ provider, topology: 'mesh', size: 2, deploy: 'parallel', files, runTag })
    const s = swarm
    // Agent 0 is the peer client (ping/send to agent 1); agent 1 answers the host's control round trips, so in
    // `spread` the host, agent 0 and the floor's client share one CPU and everything else the other.
    const ping = async (count: number): Promise<number[]> =>
      (await s.request<{ rttNs: Record<string, number[]> }>(0, 'ping', { count, payloadBytes, peers: [1] }))
        .rttNs['1']
    const sideA = [process.pid, s.agentProcess(0).pid, tcpClientProc.pid]
    const sideB = [floorProc.pid, bareProc.pid, s.agentProcess(1).pid, tcpServer.pid]
    const place = async (p: Placement): Promise<string> => {
      if (!aff) return 'not pinned'
      const [a, b] = p === 'same' ? [cpuA, cpuA] : p === 'spread' ? [cpuA, cpuB] : [allCpus, allCpus]
      for (const pid of sideA) if (pid) await aff.pin(pid, a)
      for (const pid of sideB) if (pid) await aff.pin(pid, b)
      return p === 'os' ? `${allCpus} (scheduler)` : `${a} / ${b}`
    }

    const echoLine = (id: number): string => JSON.stringify({ id, op: 'echo', args: {} })
    let id = 1_000_000
    const clientRtt = async (): Promise<number> => {
      const t0 = performance.now()
      await s.request(1, 'echo', {})
      return (performance.now() - t0) * 1000
    }
    const warmUp = async (): Promise<void> => {
      // first-use costs (imports on first op, connections, JIT of the host loop, a new CPU's caches)
      for (let i = 0; i < 100; i++) {
        await floor.rttUs(echoLine(++id))
        await bare.rttUs(echoLine(++id))
        await s.request(1, 'echo', {})
      }
      await ping(100)
      await tcpBatch(100)
      await s.send(0, 1, 50, payloadBytes)
    }

    const results: PlacementFigures[] = []
    for (const placement of placements) {
      const cpus = await place(placement)
      await warmUp()
      const x: Rounds = {
        c: { floor: [], raw: [], client: [] },
        p: { floor: [], agent: [] },
        t: { floor: [], agent: [], latency: [], delivered: 0, sent: 0 }
      }
      const times = async (fn: () => Promise<number>): Promise<number[]> => {
        const out: number[] = []
        for (let i = 0; i < perRound; i++) out.push(await fn())
        return out
      }
      for (let r = 0; r < rounds; r++) {
        if (process.stderr.isTTY) process.stderr.write(`\r${placement}: round ${r + 1}/${rounds}`)
        const flip = r % 2 === 1 // ABBA: neither side always goes first
        const control = [
          async () => x.c.floor.push(await times(() => floor.rttUs(echoLine(++id)))),
          async () => x.c.raw.push(await times(() => bare.rttUs(echoLine(++id)))),
          async () => x.c.client.push(await times(clientRtt))
        ]
        for (const step of flip ? control.reverse() : control) await step()
        const peer = [
          async () => x.p.floor.push((await tcpBatch(perRound)).map(ns => ns / 1000)),
          async () => x.p.agent.push((await ping(perRound)).map(ns => ns / 1000))
        ]
        for (const step of flip ? peer.reverse() : peer) await step()
        // Throughput: every message waits for its delivery answer (as `send` does); the floor does the same.
        const tput = [
          async () => x.t.floor.push((msgsPerRound * 1e9) / sum(await tcpBatch(msgsPerRound))),
          async () => {
            const sent = await s.send(0, 1, msgsPerRound, payloadBytes)
            x.t.agent.push((sent.delivered * 1e9) / sent.elapsedNs)
            x.t.latency.push(...sent.latencyNs.map(ns => ns / 1000))
            x.t.delivered += sent.delivered
            x.t.sent += msgsPerRound
          }
        ]
        for (const step of flip ? tput.reverse() : tput) await step()
      }
      if (process.stderr.isTTY) process.stderr.write('\n')
      results.push(figuresOf(placement, cpus, x))
    }
    await aff?.restore()

    await swarm.teardown()
    swarm = undefined
    await provider.killAll()

    let profile: PeerSplit | undefined
    if (!f['skip-profile']) {
      process.stderr.write('profiling the peer hot path (peer_split.py)…\n')
      const first = placements[0]
      const cpus = !aff || first === 'os' ? [] : ['--cpus', first === 'same' ? cpuA : `${cpuA},${cpuB}`]
      const { stdout } = await run(
        'python3',
        [
          join(benchDir(), 'peer_split.py'),
          '--agent-dir',
          agentDir(),
          '--count',
          String(samples),
          '--bytes',
          String(payloadBytes),
          '--rounds',
          String(rounds),
          ...cpus,
          '--profile'
        ],
        { maxBuffer: 16 * 1024 * 1024 }
      )
      profile = JSON.parse(stdout) as PeerSplit
    }

    const figures: HarnessFigures = {
      machine: m,
      params: {
        samples: perRound * rounds,
        rounds,
        payloadBytes,
        messages: msgsPerRound * rounds,
        placements,
        pinning
      },
      control: results[0].control,
      peer: results[0].peer,
      throughput: results[0].throughput,
      targets: {
        controlP50WithinRatio: results.every(r => r.targets.controlP50WithinRatio),
        peerP50WithinRatio: results.every(r => r.targets.peerP50WithinRatio),
        ratio: TARGET_RATIO
      },
      placements: results,
      profile
    }
    print(figures)
    writeJson(f.json, figures)
  } finally {
    await aff?.restore().catch(() => {})
    await swarm?.teardown()
    await provider.killAll()
  }
}

function print(x: HarnessFigures): void {
  const us = (d: Dist) => [fmt(d.p50), fmt(d.p99)]
  const ok = (b: boolean) => (b ? 'yes' : 'NO')
  const r2 = (v: number) => `${v.toFixed(2)}×`
  console.log(
    `\n${x.params.samples} round trips per variant and placement in ${x.params.rounds} rounds (agent and floor ` +
      `alternate, ABBA), payload ${x.params.payloadBytes} B; pinning: ${x.params.pinning}`
  )
  console.log(
    `ratio p50 = median over rounds of (agent p50 ÷ floor p50 in that round), judged against ≤ ${x.targets.ratio}×; ` +
      'pooled = p50 of all samples ÷ p50 of all floor samples'
  )
  for (const pl of x.placements) {
    const c = pl.control
    const p = pl.peer
    console.log(`\nplacement ${pl.placement} (CPU host side / other side: ${pl.cpus})`)
    console.log(
      table(
        ['path', 'p50 µs', 'p99 µs', 'floor p50', 'ratio p50', 'pooled', `≤ ${x.targets.ratio}×`],
        [
          [
            'control: AgentClient echo (host→agent→host)',
            ...us(c.agentClientUs),
            fmt(c.floorUs.p50),
            r2(c.roundRatioP50),
            r2(c.ratioP50),
            ok(pl.targets.controlP50WithinRatio)
          ],
          [
            '  same agent, raw lines (no AgentClient)',
            ...us(c.agentRawUs),
            fmt(c.floorUs.p50),
            r2(c.rawRoundRatioP50),
            r2(c.rawRatioP50),
            ''
          ],
          ['  floor: line_echo.py, same pipes', ...us(c.floorUs), '', '', '', ''],
          [
            'peer: agent ping rttNs (agent→agent)',
            ...us(p.agentUs),
            fmt(p.floorUs.p50),
            r2(p.roundRatioP50),
            r2(p.ratioP50),
            ok(pl.targets.peerP50WithinRatio)
          ],
          ['  floor: tcp_echo.py client↔server', ...us(p.floorUs), '', '', '', '']
        ]
      )
    )
    const tp = pl.throughput
    console.log(
      table(
        ['throughput per link (each message waits)', 'p50 msg/s', 'min', 'max', 'floor ÷ agent'],
        [
          [
            `agent send 0→1 (${tp.delivered}/${tp.sent} delivered)`,
            fmt(tp.agentMsgsPerS.p50),
            fmt(tp.agentMsgsPerS.min),
            fmt(tp.agentMsgsPerS.max),
            r2(tp.floorOverAgentP50)
          ],
          [
            '  floor: tcp_echo.py sequential round trips',
            fmt(tp.floorMsgsPerS.p50),
            fmt(tp.floorMsgsPerS.min),
            fmt(tp.floorMsgsPerS.max),
            ''
          ]
        ]
      )
    )
    console.log(
      `  send latency per message: p50 ${fmt(tp.sendLatencyUs.p50)} µs, p99 ${fmt(tp.sendLatencyUs.p99)} µs`
    )
  }
  const pr = x.profile
  if (!pr) return
  console.log(
    `\nWhere a peer round trip goes (peer_split.py, ${pr.count} each, request ${pr.requestBytes} B / response ` +
      `${pr.responseBytes} B, CPUs ${pr.cpus ?? 'not pinned'})`
  )
  let prev: number | undefined
  console.log(
    table(
      ['rung', 'p50 µs', 'p99 µs', '+ vs previous', 'ratio to floor'],
      pr.rungs.map(r => {
        const row = [
          r.name,
          fmt(r.p50Ns / 1000),
          fmt(r.p99Ns / 1000),
          prev === undefined ? '' : `${r.p50Ns >= prev ? '+' : ''}${fmt((r.p50Ns - prev) / 1000)}`,
          `${(r.p50Ns / pr.rungs[0].p50Ns).toFixed(2)}×`
        ]
        prev = r.name === 'agent-client' ? pr.rungs[1].p50Ns : r.p50Ns
        return row
      })
    )
  )
  console.log(
    '  (agent-server is compared with http-bytes, like agent-client: each adds one side of the agent)'
  )
  if (pr.profile) {
    for (const side of ['client', 'server'] as const) {
      console.log(
        `\ncProfile, ${side} side (${pr.profile.requests} requests; µs per request under the profiler — read the shares)`
      )
      console.log(
        table(
          ['function', 'calls/req', 'own µs', 'cum µs'],
          pr.profile[side].map(r => [
            r.function.slice(0, 64),
            r.callsPerRequest,
            r.ownUsPerRequest,
            r.cumUsPerRequest
          ])
        )
      )
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch(err => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err))
    process.exitCode = 1
  })
}
