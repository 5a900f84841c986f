// The swarm: deploy one agent per sandbox, link them along the topology with verified handshakes, run the
// protocol's operations, read their counters, tear everything down. Every figure returned here is either taken
// inside the agents (…Ns, monotonic clock) or observed by the host with sideNow() (…Ms), labelled so.
import os from 'node:os'
import { randomBytes } from 'node:crypto'
import { posix } from 'node:path'
import {
  AGENT_UPLOAD_DIR,
  PYDEPS_DIR,
  agentStartCommand,
  requirementsInstallCommand,
  peerBindHost,
  collectAgentFiles,
  RUN_TAG_METADATA,
  type AgentFiles
} from '../sandbox/agent-files.js'
import type { PeerEndpoint, Provider, ProviderName, Sandbox, SandboxMetrics } from '../sandbox/types.js'
import { AgentClient, AgentError, type ReadyEvent } from './agent-client.js'
import { sideNow } from '../duet/clock.js'
import { buildTopology, routingFor, type Topology, type TopologyName } from './topology.js'
import { errorText, SwarmBenchError } from '../errors.js'

export { AgentCrashedError, AgentError, AgentOpError, AgentTimeoutError } from './agent-client.js'
export type { Topology, TopologyName } from './topology.js'

// ---------------------------------------------------------------------------------------------------------------
// Types shared with the benchmarks

export type StrategyName = 'momentum' | 'mean_reversion' | 'breakout' | 'custom'
export interface StrategySpec {
  name: StrategyName
  params?: Record<string, unknown>
}
export const DEFAULT_STRATEGIES: readonly StrategySpec[] = [
  { name: 'momentum' },
  { name: 'mean_reversion' },
  { name: 'breakout' }
]

export interface Bar {
  t?: number | string
  o: number
  h: number
  l: number
  c: number
  v?: number
}
/** Market data an operation runs on: the agent's seeded generator, a CSV file inside the sandbox, or bars. */
export type Window =
  | { seed: number; start?: number; length: number }
  | { csv: string; start?: number; length?: number }
  | { bars: Bar[]; symbol?: string }

export type Decision = 'buy' | 'sell' | 'hold'

export interface Task {
  taskId: number | string
  window: Window
  strategy?: StrategySpec
}

export interface SwarmOptions {
  provider: Provider
  topology: TopologyName
  size: number
  deploy: 'parallel' | 'sequential'
  /** Bound on agents deployed at once in parallel mode (default 8). */
  concurrency?: number
  /** Agent i gets strategies[i % length]; default rotates momentum / mean_reversion / breakout. */
  strategies?: StrategySpec[]
  /** Host path of a user strategy module; uploaded to every sandbox and used by every agent. */
  strategyPath?: string
  label?: string
  runTag?: string
  /** Default timeout of one agent operation (default 30000). */
  opTimeoutMs?: number
  /** Spawn → ready event (default 20000). */
  readyTimeoutMs?: number
  metadata?: Record<string, string>
  onProgress?: (msg: string) => void
  /** Safety lifetime handed to the provider (E2B kills the sandbox after it even if we crash). */
  sandboxTimeoutMs?: number
  /** Agent files collected once and reused across swarms (default: collected per deploy). */
  files?: AgentFiles
  /** Agent i runs on CPU i mod the machine's CPUs, where the provider can pin (a duet: both sides alike). */
  pinCpus?: boolean
  /** A duet: agent i shares its sandbox with the other side's agent i of the swarm deployed under the same key. */
  pair?: { key: string; side: 'head' | 'base' }
  /** Python executable inside the sandbox (default python3). */
  python?: string
  /** Starting cash of each agent's portfolio. */
  capital?: number
  signal?: AbortSignal
  /**
   * Already-created sandboxes to deploy into (one per agent, in agent order) instead of creating them; their
   * createMs is 0. They are killed on failure and on teardown like created ones.
   */
  sandboxes?: Sandbox[]
}

/** Host-observed phases of one agent's deployment (sideNow(), milliseconds). */
export interface AgentDeployTiming {
  agentId: number
  label: string
  sandboxId: string
  pid?: number
  /** When this agent's create began, from the start of deploySwarm (shows overlap in parallel mode). */
  offsetMs: number
  /** provider.create */
  createMs: number
  /** writeFiles of the agent package */
  uploadMs: number
  /** sandbox.start: the process spawned */
  startMs: number
  /** from the start call to the agent's ready event */
  readyMs: number
  /** the `init` round trip: the first answer to a request */
  initMs: number
  /** create → init answered */
  totalMs: number
  /** E2B requirements install (e2b-requirements), left out of totalMs and of every phase. */
  installMs?: number
}

export interface LinkReport {
  from: number
  to: number
  /** The `hello` round trip measured inside agent `from`. */
  rttNs: number
}

export interface DeployReport {
  label: string
  provider: ProviderName
  topology: TopologyName
  size: number
  deploy: 'parallel' | 'sequential'
  concurrency: number
  agents: AgentDeployTiming[]
  /** Whole deploySwarm call: agents deployed and every link verified. */
  wallMs: number
  /** Agents created, uploaded, started, ready and initialised (before linking). */
  agentsMs: number
  /** The link phase: every agent's verified handshakes with its neighbours. */
  linkMs: number
  links: LinkReport[]
  uploadBytes: number
  python?: string
  psutil?: boolean
  /** The user's agent hooks as agent 0 loaded them: the module and which hooks it defines. */
  hooks?: UserHooks
  /**
   * Wall-clock time during which some agent's requirements install ran (E2B, `e2b-requirements`): part of wallMs,
   * which host-timed deploy figures subtract, so no benchmark figure counts the install.
   */
  installWallMs: number
}

export interface UserHooks {
  module: string
  user: string[]
}

export interface KindCounters {
  sent: number
  received: number
  bytesSent: number
  bytesReceived: number
}
export interface AgentCounters {
  messagesSent: number
  messagesReceived: number
  bytesSent: number
  bytesReceived: number
  forwarded: number
  refused: number
  byKind: Record<string, KindCounters>
}
export interface CounterTotals extends AgentCounters {
  perAgent: AgentCounters[]
}

export interface AgentReading {
  rssBytes?: number
  peakRssBytes?: number
  cpuUserS?: number
  cpuSysS?: number
  threads?: number
  uptimeS?: number
  stateVersion?: number
  counters: AgentCounters
  psutil?: Record<string, unknown>
  [k: string]: unknown
}
export interface AgentMetrics {
  agentId: number
  label: string
  sandboxId: string
  /** The agent's own readings (/proc, resource). */
  agent: AgentReading
  /** The provider's readings when it has any (E2B getMetrics); undefined locally. */
  provider?: SandboxMetrics
}

export interface SendResult {
  delivered: number
  elapsedNs: number
  hops: number | null
  path: number[] | null
  latencyNs: number[]
  /** With an on_message hook: of each latency, the time inside the destination's hook. */
  hookNs?: number[]
}

export interface ConsensusAnswer {
  round: number
  proposal: { signal: Decision; confidence: number }
  decision: Decision
  tally: Record<Decision, number>
  counts?: Record<Decision, number>
  votes: number
  decisionNs: number
  /** With vote/tally hooks: of decisionNs, the time inside this agent's hooks. */
  hookNs?: number
}
export interface ConsensusResult {
  round: number
  /** The common decision when all agents agreed, else null. */
  decision: Decision | null
  /** Checked: every agent answered, held all n votes, and reported the same decision. */
  agreed: boolean
  decisions: Decision[]
  /** Per agent, inside the agent: propose → decision. */
  decisionNs: number[]
  /** Host: dispatch to all → last answer. */
  hostMs: number
  /** Vote messages actually sent (counter deltas over all agents); NaN when countMessages was false. */
  voteMessages: number
  voteBytes: number
  /** False if the counters had not gone quiet by the deadline (then voteMessages may be short). */
  countersSettled: boolean
  answers: ConsensusAnswer[]
}

export interface StateSyncResult {
  version: number
  origin: number
  /** Inside the origin: flood start → last ack. */
  syncNs: number
  acks: number
  hostMs: number
  /** `state` + `ack` messages sent (counter deltas). */
  messages: number
  stateMessages: number
  ackMessages: number
  /** Bytes written to sockets for `state` and `ack` (requests and responses). */
  bytes: number
  countersSettled: boolean
}

export interface TaskResultBody {
  taskId: number | string
  pnl: number
  trades: number
  computeNs: number
  [k: string]: unknown
}
export interface TaskOutcome {
  taskId: number | string
  agentId: number
  hostMs: number
  result?: TaskResultBody
  error?: string
}
export interface RunTasksResult {
  makespanMs: number
  perAgent: { agentId: number; tasks: number; busyMs: number }[]
  /** In input order. */
  results: TaskOutcome[]
}

export interface PingResult {
  edges: { from: number; to: number; rttNs: number[] }[]
}

export class SwarmError extends SwarmBenchError {
  constructor(
    message: string,
    readonly agentId?: number,
    readonly stderrTail?: string,
    options?: { cause?: unknown }
  ) {
    super(message, options)
    this.name = 'SwarmError'
  }
}

// ---------------------------------------------------------------------------------------------------------------

const elapsed = (t0: number): number => sideNow() - t0
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/** Runs `fn` over 0..n-1 with at most `limit` at once; stops starting new items once `stop()` is true. */
async function forEachLimited(
  n: number,
  limit: number,
  fn: (i: number) => Promise<void>,
  stop: () => boolean
): Promise<PromiseSettledResult<void>[]> {
  const results: PromiseSettledResult<void>[] = new Array(n)
  let next = 0
  const worker = async () => {
    while (next < n && !stop()) {
      const i = next++
      try {
        await fn(i)
        results[i] = { status: 'fulfilled', value: undefined }
      } catch (reason) {
        results[i] = { status: 'rejected', reason }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker))
  return results
}

function addCounters(into: AgentCounters, c: AgentCounters): void {
  into.messagesSent += c.messagesSent
  into.messagesReceived += c.messagesReceived
  into.bytesSent += c.bytesSent
  into.bytesReceived += c.bytesReceived
  into.forwarded += c.forwarded
  into.refused += c.refused
  for (const [kind, k] of Object.entries(c.byKind ?? {})) {
    const t = (into.byKind[kind] ??= { sent: 0, received: 0, bytesSent: 0, bytesReceived: 0 })
    t.sent += k.sent
    t.received += k.received
    t.bytesSent += k.bytesSent
    t.bytesReceived += k.bytesReceived
  }
}

export function sumCounters(list: AgentCounters[]): CounterTotals {
  const total: CounterTotals = {
    messagesSent: 0,
    messagesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    forwarded: 0,
    refused: 0,
    byKind: {},
    perAgent: list
  }
  for (const c of list) addCounters(total, c)
  return total
}

const kindOf = (t: CounterTotals, kind: string): KindCounters =>
  t.byKind[kind] ?? { sent: 0, received: 0, bytesSent: 0, bytesReceived: 0 }

// ---------------------------------------------------------------------------------------------------------------

export class Swarm {
  private torn: Promise<void> | undefined
  /** Host-observed duration of the last teardown. */
  teardownMs: number | undefined

  /** Use deploySwarm (or deployOnSandboxes); the constructor only assembles already-linked parts. */
  constructor(
    readonly topology: Topology,
    readonly sandboxes: Sandbox[],
    private readonly clients: AgentClient[],
    private readonly endpoints: PeerEndpoint[],
    readonly deployReport: DeployReport,
    private readonly opTimeoutMs: number
  ) {}

  get size(): number {
    return this.topology.n
  }

  /** The ready event of each agent (peer port, pid, Python version). */
  readyInfo(agentId: number): ReadyEvent {
    return this.client(agentId).ready as ReadyEvent
  }

  /** Where agent `agentId`'s peer server is reachable (URL + provider headers; no swarm token). */
  peerEndpoint(agentId: number): PeerEndpoint {
    this.client(agentId)
    return this.endpoints[agentId]
  }

  /** The agent process (for diagnostics; e.g. its pid or stderr tail). */
  agentProcess(agentId: number) {
    return this.client(agentId).process
  }

  private client(agentId: number): AgentClient {
    const c = this.clients[agentId]
    if (!c)
      throw new SwarmError(
        `agent ${agentId} is not in this swarm of ${this.size} (valid: 0..${this.size - 1})`
      )
    return c
  }

  request<T>(agentId: number, op: string, args: object = {}, timeoutMs?: number): Promise<T> {
    return this.client(agentId).request<T>(op, args, timeoutMs ?? this.opTimeoutMs)
  }

  /** `reference`: also time the runner floor's fixed work right after each decision (`referenceNs`). */
  executeStrategy(
    agentId: number,
    window: Window,
    opts: { repeat?: number; reference?: boolean } = {}
  ): Promise<Record<string, unknown>> {
    return this.request(agentId, 'execute_strategy', { window, ...opts })
  }

  /** `repeat` timings (ns) of the agent's fixed reference work: the runner floor (agent/swarm_agent/calibration.py). */
  async calibrate(agentId: number, repeat: number): Promise<number[]> {
    const r = await this.request<{ samplesNs?: unknown }>(agentId, 'calibrate', { repeat })
    const xs = r.samplesNs
    if (!Array.isArray(xs) || !xs.every(x => typeof x === 'number' && Number.isFinite(x) && x > 0))
      throw new Error(`agent ${agentId}: calibrate answered without samplesNs`)
    return xs as number[]
  }

  runTask(agentId: number, task: Task): Promise<TaskResultBody> {
    return this.request(agentId, 'run_task', task)
  }

  /** Agent-to-agent round trips over every link of the given agents (default all), one agent at a time. */
  async ping(opts: { count: number; payloadBytes?: number; agents?: number[] }): Promise<PingResult> {
    const agents = opts.agents ?? this.clients.map((_, i) => i)
    const edges: PingResult['edges'] = []
    for (const from of agents) {
      if (this.topology.adjacency[from]?.length === 0) continue
      const res = await this.request<{ rttNs: Record<string, number[]> }>(from, 'ping', {
        count: opts.count,
        payloadBytes: opts.payloadBytes ?? 0
      })
      for (const [to, rttNs] of Object.entries(res.rttNs)) edges.push({ from, to: Number(to), rttNs })
    }
    return { edges }
  }

  /** `count` messages from `from` to `to`, forwarded hop by hop along the topology's next hops. */
  send(from: number, to: number, count: number, payloadBytes = 0): Promise<SendResult> {
    return this.request<SendResult>(from, 'send', { to, count, payloadBytes })
  }

  /**
   * One consensus round: `consensus` goes to every agent at once; each proposes, floods its vote and decides
   * once it holds all n votes. Agreement is checked from the answers; vote messages are counter deltas.
   * Use a fresh round number each time: agents keep the votes of past rounds and would answer at once.
   */
  async consensusRound(
    round: number,
    opts: { window?: Window; timeoutMs?: number; countMessages?: boolean } = {}
  ): Promise<ConsensusResult> {
    const hostTimeout = opts.timeoutMs ?? this.opTimeoutMs
    // The agent gives up a little before the host, so a slow round is reported by the agent (with vote counts).
    const agentTimeout = Math.max(500, Math.floor(hostTimeout * 0.9))
    // Counting costs a few metrics round trips and a quiet wait after the round; latency loops may skip it.
    const before = (opts.countMessages ?? true) ? await this.counters() : undefined
    const args: Record<string, unknown> = { round, timeoutMs: agentTimeout }
    if (opts.window) args.window = opts.window
    const t0 = sideNow()
    const answers = await Promise.all(
      this.clients.map((_, i) => this.request<ConsensusAnswer>(i, 'consensus', args, hostTimeout))
    )
    const hostMs = elapsed(t0)
    const { totals: after, settled } = before
      ? await this.settledCounters(['vote'])
      : { totals: undefined, settled: false }
    const decisions = answers.map(a => a.decision)
    const agreed = answers.every(
      a => a.votes === this.size && a.decision === decisions[0] && a.round === round
    )
    return {
      round,
      decision: agreed ? decisions[0] : null,
      agreed,
      decisions,
      decisionNs: answers.map(a => a.decisionNs),
      hostMs,
      voteMessages: before && after ? kindOf(after, 'vote').sent - kindOf(before, 'vote').sent : Number.NaN,
      voteBytes:
        before && after ? kindOf(after, 'vote').bytesSent - kindOf(before, 'vote').bytesSent : Number.NaN,
      countersSettled: settled,
      answers
    }
  }

  /** Flood a `sizeBytes` blob from `origin`; every other agent stores it and acks back hop by hop. */
  async stateSync(
    origin: number,
    version: number,
    sizeBytes: number,
    opts: { timeoutMs?: number } = {}
  ): Promise<StateSyncResult> {
    const hostTimeout = opts.timeoutMs ?? this.opTimeoutMs
    const before = await this.counters()
    const t0 = sideNow()
    const res = await this.request<{ version: number; acks: number; syncNs: number }>(
      origin,
      'state_sync',
      { version, sizeBytes, timeoutMs: Math.max(500, Math.floor(hostTimeout * 0.9)) },
      hostTimeout
    )
    const hostMs = elapsed(t0)
    const { totals: after, settled } = await this.settledCounters(['state', 'ack'])
    const d = (kind: string, f: keyof KindCounters) => kindOf(after, kind)[f] - kindOf(before, kind)[f]
    const stateMessages = d('state', 'sent')
    const ackMessages = d('ack', 'sent')
    return {
      version: res.version,
      origin,
      syncNs: res.syncNs,
      acks: res.acks,
      hostMs,
      messages: stateMessages + ackMessages,
      stateMessages,
      ackMessages,
      bytes: d('state', 'bytesSent') + d('ack', 'bytesSent'),
      countersSettled: settled
    }
  }

  /**
   * A host-side work queue: every agent pulls the next task as soon as it is idle. A failed task is recorded
   * and the agent goes on; an agent that crashed stops pulling.
   */
  async runTasks(
    tasks: Task[],
    opts: { agents?: number[]; timeoutMs?: number } = {}
  ): Promise<RunTasksResult> {
    const agents = opts.agents ?? this.clients.map((_, i) => i)
    const results: TaskOutcome[] = new Array(tasks.length)
    const perAgent = agents.map(agentId => ({ agentId, tasks: 0, busyMs: 0 }))
    let next = 0
    const t0 = sideNow()
    await Promise.all(
      perAgent.map(async slot => {
        while (next < tasks.length) {
          const index = next++
          const task = tasks[index]
          const t = sideNow()
          try {
            const result = await this.request<TaskResultBody>(slot.agentId, 'run_task', task, opts.timeoutMs)
            results[index] = { taskId: task.taskId, agentId: slot.agentId, hostMs: elapsed(t), result }
          } catch (err) {
            results[index] = {
              taskId: task.taskId,
              agentId: slot.agentId,
              hostMs: elapsed(t),
              error: errorText(err)
            }
            if (this.clients[slot.agentId].exited) {
              slot.busyMs += elapsed(t)
              slot.tasks++
              return
            }
          }
          slot.busyMs += elapsed(t)
          slot.tasks++
        }
      })
    )
    // Tasks never started (every agent crashed) are reported, not silently dropped.
    for (let i = 0; i < tasks.length; i++) {
      results[i] ??= { taskId: tasks[i].taskId, agentId: -1, hostMs: 0, error: 'not run: no live agent left' }
    }
    return { makespanMs: elapsed(t0), perAgent, results }
  }

  /** Each agent's own readings plus the provider's, when it has any. */
  async metrics(): Promise<AgentMetrics[]> {
    return Promise.all(
      this.clients.map(async (_, i) => {
        const [agent, provider] = await Promise.all([
          this.request<AgentReading>(i, 'metrics'),
          this.sandboxes[i].metrics().catch(() => undefined)
        ])
        return {
          agentId: i,
          label: this.sandboxes[i].label,
          sandboxId: this.sandboxes[i].id,
          agent,
          provider
        }
      })
    )
  }

  async counters(): Promise<CounterTotals> {
    const readings = await Promise.all(this.clients.map((_, i) => this.request<AgentReading>(i, 'metrics')))
    return sumCounters(readings.map(r => r.counters))
  }

  async resetCounters(): Promise<void> {
    await Promise.all(this.clients.map((_, i) => this.request(i, 'reset_counters')))
  }

  /**
   * Floods forward asynchronously, so the last duplicates of a flood can still be on the wire when every agent
   * has answered. Wait until, for the given kinds, every message sent was received and two reads agree.
   */
  async settledCounters(
    kinds: string[],
    maxWaitMs = 5000
  ): Promise<{ totals: CounterTotals; settled: boolean }> {
    const deadline = sideNow() + maxWaitMs
    let prev = await this.counters()
    // Two quiet reads in a row (≥ 2 × 20 ms): a forward thread the GIL delayed gets time to show up.
    let streak = 0
    for (;;) {
      await sleep(20)
      const cur = await this.counters()
      const quiet = kinds.every(k => {
        const a = kindOf(prev, k)
        const b = kindOf(cur, k)
        return b.sent === b.received && a.sent === b.sent && a.received === b.received
      })
      streak = quiet ? streak + 1 : 0
      if (streak >= 2) return { totals: cur, settled: true }
      if (sideNow() > deadline) return { totals: cur, settled: false }
      prev = cur
    }
  }

  /** Echo every agent with a short timeout: which ones answer, and why the others do not. */
  async health(
    timeoutMs = 2000
  ): Promise<{ agentId: number; ok: boolean; rttMs?: number; error?: string }[]> {
    return Promise.all(
      this.clients.map(async (c, agentId) => {
        const t = sideNow()
        try {
          await c.request('echo', {}, timeoutMs)
          return { agentId, ok: true, rttMs: elapsed(t) }
        } catch (err) {
          return { agentId, ok: false, error: errorText(err) }
        }
      })
    )
  }

  /** Ask every agent to shut down (short timeout), then kill every sandbox. Idempotent; never throws. */
  teardown(opts: { shutdownTimeoutMs?: number } = {}): Promise<void> {
    this.torn ??= (async () => {
      const t0 = sideNow()
      const wait = opts.shutdownTimeoutMs ?? 2000
      await Promise.all(
        this.clients.map(async c => {
          if (c.exited) return
          await c.request('shutdown', {}, wait).catch(() => undefined)
          // Give the process a moment to exit on its own before the sandbox is killed.
          await Promise.race([c.process.exited, sleep(Math.min(500, wait))])
        })
      )
      await Promise.all(this.sandboxes.map(s => s.kill().catch(() => undefined)))
      this.teardownMs = elapsed(t0)
    })()
    return this.torn
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Deployment

/** Runs pip on the uploaded requirements inside the sandbox; its start and duration, or a SwarmError with pip's log. */
async function installRequirements(
  sandbox: Sandbox,
  requirements: string,
  python?: string
): Promise<{ start: number; ms: number }> {
  const start = sideNow()
  const proc = await sandbox.start(requirementsInstallCommand(requirements, python))
  const exit = await proc.exited
  if (exit.code !== 0) {
    throw new SwarmError(
      `installing e2b-requirements in ${sandbox.label} failed (pip exited ${exit.code ?? exit.signal ?? exit.error})` +
        tailOf(proc.stderrTail())
    )
  }
  return { start, ms: elapsed(start) }
}

/** Length of the union of the intervals [start, start + ms]: time during which at least one of them ran. */
export function coveredMs(spans: readonly ({ start: number; ms: number } | undefined)[]): number {
  const sorted = spans
    .filter((s): s is { start: number; ms: number } => s !== undefined)
    .sort((a, b) => a.start - b.start)
  let total = 0
  let end = -Infinity
  for (const s of sorted) {
    const e = s.start + s.ms
    if (e <= end) continue
    total += e - Math.max(s.start, end)
    end = e
  }
  return total
}

interface Deployed {
  sandbox: Sandbox
  client: AgentClient
  timing: AgentDeployTiming
}

function strategyFor(o: SwarmOptions, i: number): StrategySpec {
  const list = o.strategies?.length
    ? o.strategies
    : o.strategyPath
      ? [{ name: 'custom' as const }]
      : DEFAULT_STRATEGIES
  return list[i % list.length]
}

function validate(o: SwarmOptions): void {
  if (o.deploy !== 'parallel' && o.deploy !== 'sequential') {
    throw new SwarmError(`invalid deploy mode ${JSON.stringify(o.deploy)}; valid: parallel, sequential`)
  }
  if (o.concurrency !== undefined && (!Number.isInteger(o.concurrency) || o.concurrency < 1)) {
    throw new SwarmError(`invalid concurrency ${String(o.concurrency)}; valid: a positive integer`)
  }
  if (o.sandboxes && o.sandboxes.length !== o.size) {
    throw new SwarmError(`${o.sandboxes.length} sandboxes given for a swarm of ${o.size}; give one per agent`)
  }
}

/**
 * Create the sandboxes, upload the agent, start it, wait for ready, init, then link every edge with a verified
 * handshake. On any failure everything created is killed and a SwarmError names the agent and its stderr tail.
 */
export async function deploySwarm(o: SwarmOptions): Promise<Swarm> {
  validate(o)
  const topology = buildTopology(o.topology, o.size)
  const tWall = sideNow()
  const label = o.label ?? `${o.topology}-${o.size}`
  const runTag = o.runTag ?? `swarm-${randomBytes(4).toString('hex')}`
  const files = o.files ?? (await collectAgentFiles({ strategyPath: o.strategyPath }))
  if (o.strategyPath && !files.strategyPath) {
    throw new SwarmError(
      `strategyPath ${o.strategyPath} was given but the prepared agent files carry no strategy`
    )
  }
  const concurrency = o.deploy === 'sequential' ? 1 : (o.concurrency ?? 8)
  const opTimeoutMs = o.opTimeoutMs ?? 30_000
  const readyTimeoutMs = o.readyTimeoutMs ?? 20_000
  const token = randomBytes(24).toString('base64url')
  const progress = o.onProgress ?? (() => {})

  const created: (Sandbox | undefined)[] = new Array(topology.n)
  const deployed: (Deployed | undefined)[] = new Array(topology.n)
  let hooksLoaded: UserHooks | undefined
  const installs: ({ start: number; ms: number } | undefined)[] = new Array(topology.n)
  let failure: SwarmError | undefined
  const fail = (err: SwarmError) => {
    if (failure) return
    failure = err
    // Fail fast: killing what exists makes agents still starting or initialising give up at once.
    for (const s of created) void s?.kill()
  }

  const deployOne = async (i: number): Promise<void> => {
    const agentLabel = `${label}/agent-${i}`
    let sandbox: Sandbox | undefined
    let client: AgentClient | undefined
    try {
      o.signal?.throwIfAborted()
      const t0 = sideNow()
      sandbox =
        o.sandboxes?.[i] ??
        (await o.provider.create({
          label: agentLabel,
          metadata: { ...o.metadata, [RUN_TAG_METADATA]: runTag, swarm: label, agent: String(i) },
          timeoutMs: o.sandboxTimeoutMs,
          signal: o.signal,
          ...(o.pinCpus ? { cpu: i % os.availableParallelism() } : {}),
          ...(o.pair ? { pair: { key: `${o.pair.key}/agent-${i}`, side: o.pair.side } } : {})
        }))
      created[i] = sandbox
      if (failure) throw failure
      const createMs = o.sandboxes ? 0 : elapsed(t0)
      const t1 = sideNow()
      await sandbox.writeFiles(files.files)
      const uploadMs = elapsed(t1)
      if (failure) throw failure
      // E2B: the user's requirements, once per sandbox, timed apart (installs[i]) and left out of every phase.
      const install = files.requirements && sandbox.provider === 'e2b' ? files.requirements : undefined
      if (install) installs[i] = await installRequirements(sandbox, install, o.python)
      if (failure) throw failure
      const t2 = sideNow()
      const cmd = agentStartCommand(runTag, o.python, peerBindHost(sandbox.provider))
      if (install) cmd.env = { ...cmd.env, PYTHONPATH: posix.join('..', PYDEPS_DIR) }
      const proc = await sandbox.start(cmd)
      const startMs = elapsed(t2)
      client = new AgentClient(i, proc)
      const ready = await client.waitReady(readyTimeoutMs)
      const readyMs = elapsed(t2)
      if (failure) throw failure
      if (!Number.isInteger(ready.port) || ready.port <= 0) {
        throw new SwarmError(
          `agent ${i} reported an invalid peer port ${String(ready.port)}`,
          i,
          client.stderrTail()
        )
      }
      const init: Record<string, unknown> = {
        agentId: i,
        token,
        agentCount: topology.n,
        strategy: strategyFor(o, i),
        peerTimeoutMs: opTimeoutMs
      }
      if (files.strategyPath)
        init.strategyPath = `${sandbox.workdir.replace(/\/+$/, '')}/${files.strategyPath}`
      if (files.hooks) {
        // Relative to the agent's working directory (the uploaded agent folder): right on every provider, whatever
        // the sandbox's home is called on the host (the E2B emulator maps /home/user only in command lines).
        init.hooksPath = posix.relative(AGENT_UPLOAD_DIR, files.hooks.path)
        init.hooksConfig = files.hooks.config
        init.hooksTimeoutMs = files.hooks.timeoutMs
      }
      if (o.capital !== undefined) init.capital = o.capital
      const t3 = sideNow()
      const initAnswer = await client.request<{ hooks?: UserHooks }>('init', init, opTimeoutMs)
      if (i === 0 && initAnswer.hooks) hooksLoaded = initAnswer.hooks
      const initMs = elapsed(t3)
      deployed[i] = {
        sandbox,
        client,
        timing: {
          agentId: i,
          label: agentLabel,
          sandboxId: sandbox.id,
          pid: ready.pid,
          offsetMs: t0 - tWall,
          createMs,
          uploadMs,
          startMs,
          readyMs,
          initMs,
          totalMs: elapsed(t0) - (installs[i]?.ms ?? 0),
          ...(installs[i] ? { installMs: installs[i].ms } : {})
        }
      }
      progress(`${agentLabel} ready in ${elapsed(t0).toFixed(0)} ms`)
    } catch (err) {
      // Collateral of another agent's failure (we killed its sandbox): the first failure is the one reported.
      if (failure) throw failure
      const tail = client?.stderrTail() ?? ''
      const e =
        err instanceof SwarmError
          ? err
          : new SwarmError(
              `deploying ${agentLabel} failed: ${errorText(err)}${err instanceof AgentError ? '' : tailOf(tail)}`,
              i,
              err instanceof AgentError ? err.stderrTail : tail,
              { cause: err }
            )
      fail(e)
      throw e
    }
  }

  try {
    const tAgents = sideNow()
    progress(`deploying ${label}: ${topology.n} agents, ${o.deploy}, concurrency ${concurrency}`)
    await forEachLimited(topology.n, concurrency, deployOne, () => failure !== undefined)
    if (failure) throw failure
    const agentsMs = elapsed(tAgents)
    const parts = deployed as Deployed[]

    const tLink = sideNow()
    const endpoints = await Promise.all(
      parts.map(d => d.sandbox.peerEndpoint((d.client.ready as ReadyEvent).port))
    )
    const links = await linkAll(topology, parts, endpoints, opTimeoutMs)
    const linkMs = elapsed(tLink)
    const first = parts[0]?.client.ready
    const report: DeployReport = {
      label,
      provider: o.provider.info.name,
      topology: topology.name,
      size: topology.n,
      deploy: o.deploy,
      concurrency,
      agents: parts.map(d => d.timing),
      wallMs: elapsed(tWall),
      agentsMs,
      linkMs,
      links,
      uploadBytes: files.bytes,
      python: first?.python,
      psutil: first?.psutil,
      ...(hooksLoaded ? { hooks: { module: hooksLoaded.module, user: hooksLoaded.user } } : {}),
      installWallMs: coveredMs(installs)
    }
    progress(`${label} linked: ${links.length} verified handshakes in ${linkMs.toFixed(0)} ms`)
    return new Swarm(
      topology,
      parts.map(d => d.sandbox),
      parts.map(d => d.client),
      endpoints,
      report,
      opTimeoutMs
    )
  } catch (err) {
    const e =
      err instanceof SwarmError
        ? err
        : new SwarmError(`deploying ${label} failed: ${errorText(err)}`, undefined, '', { cause: err })
    fail(e)
    await Promise.all(created.map(s => s?.kill().catch(() => undefined)))
    throw e
  }
}

function tailOf(tail: string): string {
  const t = tail.trim()
  return t ? `\n--- stderr tail ---\n${t.slice(-2000)}` : ''
}

/** Every agent gets its neighbours' endpoints and routing, then proves each link with one real `hello`. */
async function linkAll(
  t: Topology,
  parts: Deployed[],
  endpoints: PeerEndpoint[],
  timeoutMs: number
): Promise<LinkReport[]> {
  const answers = await Promise.all(
    parts.map(async (d, i) => {
      const neighbors = t.adjacency[i].map(j => ({
        id: j,
        url: endpoints[j].url,
        headers: endpoints[j].headers
      }))
      try {
        return await d.client.request<{
          verified: { id: number; rttNs: number }[]
          failed: { id: number; error: string }[]
        }>('link', { neighbors, ...routingFor(t, i) }, timeoutMs)
      } catch (err) {
        throw new SwarmError(
          `linking agent ${i} failed: ${errorText(err)}`,
          i,
          err instanceof AgentError ? err.stderrTail : d.client.stderrTail(),
          { cause: err }
        )
      }
    })
  )
  const links: LinkReport[] = []
  answers.forEach((a, i) => {
    const ok = new Set(a.verified.map(v => v.id))
    const missing = t.adjacency[i].filter(j => !ok.has(j))
    if (a.failed.length > 0 || missing.length > 0) {
      const why =
        a.failed.map(f => `${f.id}: ${f.error}`).join('; ') || `no handshake with ${missing.join(', ')}`
      throw new SwarmError(`agent ${i} could not verify its links (${why})`, i, parts[i].client.stderrTail())
    }
    for (const v of a.verified) links.push({ from: i, to: v.id, rttNs: v.rttNs })
  })
  return links
}
