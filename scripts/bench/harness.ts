// bench:harness — what the harness adds to what it measures. In ONE run, on this machine, next to its floor:
//   control round trip   host → agent `echo` → host through AgentClient   vs  line_echo.py over the same pipes
//   agent-to-agent RTT   the agent's `ping` rttNs (HTTP/1.1, keep-alive)    vs  tcp_echo.py client ↔ server (raw TCP)
//   link throughput      the agent's `send` to a neighbour (each waits)     vs  the same floor's sequential round trips
// Variants are interleaved in rounds so load on the shared machine hits them alike. Then it profiles the peer
// hot path (scripts/bench/peer_split.py: a ladder of rungs + cProfile of both sides) to show where the time goes.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { agentStartCommand, collectAgentFiles } from '../../src/sandbox/agent-files.js'
import { installExitCleanup, LocalProvider } from '../../src/sandbox/local.js'
import type { AgentProcess } from '../../src/sandbox/types.js'
import { deploySwarm, type Swarm } from '../../src/swarm/swarm.js'
import {
  agentFloorsDir,
  benchDir,
  dist,
  flags,
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

export interface HarnessFigures {
  machine: ReturnType<typeof machine>
  params: { samples: number; rounds: number; payloadBytes: number; messages: number }
  control: { floorUs: Dist; agentRawUs: Dist; agentClientUs: Dist; ratioP50: number; rawRatioP50: number }
  peer: { floorUs: Dist; agentUs: Dist; ratioP50: number }
  throughput: {
    floorMsgsPerS: Dist
    agentMsgsPerS: Dist
    /** floor ÷ agent at the median round: how many times more messages the floor moves per second */
    floorOverAgentP50: number
    sendLatencyUs: Dist
    delivered: number
    sent: number
  }
  targets: { controlP50WithinRatio: boolean; peerP50WithinRatio: boolean; ratio: number }
  profile?: PeerSplit
}

interface PeerSplit {
  count: number
  bytes: number
  requestBytes: number
  responseBytes: number
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

async function main(): Promise<void> {
  const f = flags('bench:harness', 'harness overhead against its floors, measured in one run', {
    samples: { type: 'string', default: '2000', help: 'round trips per variant (control and peer)' },
    rounds: { type: 'string', default: '10', help: 'interleaved blocks the samples are taken in' },
    bytes: { type: 'string', default: '64', help: 'payload bytes of each peer round trip and message' },
    messages: { type: 'string', default: '1000', help: 'messages sent over the link for throughput' },
    'skip-profile': { type: 'boolean', help: 'skip the peer hot-path ladder and cProfile' },
    json: { type: 'string', help: 'write the figures as JSON to this file' }
  })
  const samples = intFlag('samples', f.samples)
  const rounds = Math.min(intFlag('rounds', f.rounds), samples)
  const payloadBytes = intFlag('bytes', f.bytes, 0)
  const messages = Math.max(rounds, intFlag('messages', f.messages))
  const perRound = Math.ceil(samples / rounds)
  const msgsPerRound = Math.ceil(messages / rounds)
  const m = machine()
  console.log(`bench:harness · ${machineLine(m)}`)

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
    const floor = new LineProbe(await floorBox.start({ command: 'python3', args: ['-u', 'line_echo.py'] }))
    // The agent driven with the same raw lines (no AgentClient): splits Python-side from host-side cost.
    const bareBox = await provider.create({ label: 'agent/raw-lines' })
    await bareBox.writeFiles(files.files)
    const bare = new LineProbe(await bareBox.start(agentStartCommand(runTag)))
    await bare.next() // the ready event
    // Floor 2: a bare Python TCP echo on loopback; its client runs as a separate Python process.
    const tcpBox = await provider.create({ label: 'floor/tcp-echo' })
    await tcpBox.writeFiles([
      { path: 'tcp_echo.py', data: readFileSync(join(agentFloorsDir(), 'tcp_echo.py')) }
    ])
    const tcpProbe = new LineProbe(await tcpBox.start({ command: 'python3', args: ['-u', 'tcp_echo.py'] }))
    const tcpPort = Number(await tcpProbe.next())
    const tcpClient = async (count: number): Promise<number[]> => {
      const { stdout } = await run('python3', [
        join(agentFloorsDir(), 'tcp_echo.py'),
        '--client',
        `127.0.0.1:${tcpPort}`,
        '--count',
        String(count),
        '--bytes',
        String(payloadBytes)
      ])
      return (JSON.parse(stdout) as { rttNs: number[] }).rttNs
    }
    swarm = await deploySwarm({ provider, topology: 'mesh', size: 2, deploy: 'parallel', files, runTag })
    const s = swarm
    const ping = async (count: number): Promise<number[]> =>
      (await s.request<{ rttNs: Record<string, number[]> }>(0, 'ping', { count, payloadBytes, peers: [1] }))
        .rttNs['1']

    const echoLine = (id: number): string => JSON.stringify({ id, op: 'echo', args: {} })
    const c = { floor: [] as number[], raw: [] as number[], client: [] as number[] }
    const p = { floor: [] as number[], agent: [] as number[] }
    const t = { floor: [] as number[], agent: [] as number[], latency: [] as number[], delivered: 0, sent: 0 }
    let id = 1_000_000
    // Warm-up: first-use costs (imports on first op, connection set-up, JIT of the host loop) are not the harness.
    for (let i = 0; i < 100; i++) {
      await floor.rttUs(echoLine(++id))
      await bare.rttUs(echoLine(++id))
      await s.request(0, 'echo', {})
    }
    await ping(100)
    await tcpClient(100)
    await s.send(0, 1, 50, payloadBytes)

    for (let r = 0; r < rounds; r++) {
      if (process.stderr.isTTY) process.stderr.write(`\rround ${r + 1}/${rounds}`)
      for (let i = 0; i < perRound; i++) c.floor.push(await floor.rttUs(echoLine(++id)))
      for (let i = 0; i < perRound; i++) c.raw.push(await bare.rttUs(echoLine(++id)))
      for (let i = 0; i < perRound; i++) {
        const t0 = performance.now()
        await s.request(0, 'echo', {})
        c.client.push((performance.now() - t0) * 1000)
      }
      const tcp = await tcpClient(perRound)
      p.floor.push(...tcp.map(ns => ns / 1000))
      p.agent.push(...(await ping(perRound)).map(ns => ns / 1000))
      // Throughput: every message waits for its delivery answer (as `send` does); the floor does the same.
      const floorTcp = await tcpClient(msgsPerRound)
      t.floor.push((msgsPerRound * 1e9) / sum(floorTcp))
      const sent = await s.send(0, 1, msgsPerRound, payloadBytes)
      t.agent.push((sent.delivered * 1e9) / sent.elapsedNs)
      t.latency.push(...sent.latencyNs.map(ns => ns / 1000))
      t.delivered += sent.delivered
      t.sent += msgsPerRound
    }
    if (process.stderr.isTTY) process.stderr.write('\n')

    const control = {
      floorUs: dist(c.floor),
      agentRawUs: dist(c.raw),
      agentClientUs: dist(c.client),
      ratioP50: 0,
      rawRatioP50: 0
    }
    control.ratioP50 = control.agentClientUs.p50 / control.floorUs.p50
    control.rawRatioP50 = control.agentRawUs.p50 / control.floorUs.p50
    const peer = { floorUs: dist(p.floor), agentUs: dist(p.agent), ratioP50: 0 }
    peer.ratioP50 = peer.agentUs.p50 / peer.floorUs.p50
    const throughput = {
      floorMsgsPerS: dist(t.floor),
      agentMsgsPerS: dist(t.agent),
      floorOverAgentP50: 0,
      sendLatencyUs: dist(t.latency),
      delivered: t.delivered,
      sent: t.sent
    }
    throughput.floorOverAgentP50 = throughput.floorMsgsPerS.p50 / throughput.agentMsgsPerS.p50

    await swarm.teardown()
    swarm = undefined
    await provider.killAll()

    let profile: PeerSplit | undefined
    if (!f['skip-profile']) {
      process.stderr.write('profiling the peer hot path (peer_split.py)…\n')
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
          '--profile'
        ],
        { maxBuffer: 16 * 1024 * 1024 }
      )
      profile = JSON.parse(stdout) as PeerSplit
    }

    const figures: HarnessFigures = {
      machine: m,
      params: { samples: perRound * rounds, rounds, payloadBytes, messages: msgsPerRound * rounds },
      control,
      peer,
      throughput,
      targets: {
        controlP50WithinRatio: control.ratioP50 <= TARGET_RATIO,
        peerP50WithinRatio: peer.ratioP50 <= TARGET_RATIO,
        ratio: TARGET_RATIO
      },
      profile
    }
    print(figures)
    writeJson(f.json, figures)
  } finally {
    await swarm?.teardown()
    await provider.killAll()
  }
}

function print(x: HarnessFigures): void {
  const us = (d: Dist) => [fmt(d.p50), fmt(d.p99)]
  const ok = (b: boolean) => (b ? 'yes' : 'NO')
  console.log(
    `\nRound trips (µs), ${x.params.samples} each in ${x.params.rounds} interleaved rounds, payload ${x.params.payloadBytes} B`
  )
  console.log(
    table(
      ['path', 'p50 µs', 'p99 µs', 'floor p50', 'ratio p50', `≤ ${x.targets.ratio}×`],
      [
        [
          'control: AgentClient echo (host→agent→host)',
          ...us(x.control.agentClientUs),
          fmt(x.control.floorUs.p50),
          `${x.control.ratioP50.toFixed(2)}×`,
          ok(x.targets.controlP50WithinRatio)
        ],
        [
          '  same agent, raw lines (no AgentClient)',
          ...us(x.control.agentRawUs),
          fmt(x.control.floorUs.p50),
          `${x.control.rawRatioP50.toFixed(2)}×`,
          ''
        ],
        ['  floor: line_echo.py, same pipes', ...us(x.control.floorUs), '', '', ''],
        [
          'peer: agent ping rttNs (agent→agent)',
          ...us(x.peer.agentUs),
          fmt(x.peer.floorUs.p50),
          `${x.peer.ratioP50.toFixed(2)}×`,
          ok(x.targets.peerP50WithinRatio)
        ],
        ['  floor: tcp_echo.py client↔server', ...us(x.peer.floorUs), '', '', '']
      ]
    )
  )
  const tp = x.throughput
  console.log(`\nThroughput per link (messages/s, one sample per round; each message waits for its answer)`)
  console.log(
    table(
      ['path', 'p50 msg/s', 'min', 'max', 'floor ÷ agent'],
      [
        [
          `agent send 0→1 (${tp.delivered}/${tp.sent} delivered)`,
          fmt(tp.agentMsgsPerS.p50),
          fmt(tp.agentMsgsPerS.min),
          fmt(tp.agentMsgsPerS.max),
          `${tp.floorOverAgentP50.toFixed(2)}×`
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
  const pr = x.profile
  if (!pr) return
  console.log(
    `\nWhere a peer round trip goes (peer_split.py, ${pr.count} each, request ${pr.requestBytes} B / response ${pr.responseBytes} B)`
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

main().catch(err => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err))
  process.exitCode = 1
})
