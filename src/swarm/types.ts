// What the swarm layer hands the benchmarks: strategies and market windows, deploy options and reports, counters,
// and the answers of the protocol's operations (docs/protocol.md).
import { type AgentFiles } from '../sandbox/agent-files.js'
import type { Provider, ProviderName, Sandbox, SandboxMetrics } from '../sandbox/types.js'
import type { RoundTiming } from './round-timing.js'
import { type TopologyName } from './topology.js'
import { SwarmBenchError } from '../errors.js'

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
  /** The same CPU time in ns (an older agent, e.g. a duet's base, may not send it). */
  cpuNs?: number
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

/** One agent's `pipeline` op: `depth` messages in flight on each of its streams for a window, all streams at once. */
export interface PipelineResult {
  delivered: number
  /** Messages answered (delivered or not). */
  messages: number
  /** Inside the agent: window start → last answer (the window plus the last messages landing). */
  elapsedNs: number
  depth: number
  /** Per stream: the most of its messages in flight at one instant (a sequential sender reaches 1). */
  maxInFlight: number[]
  /** Per-message latency under this load, as means of consecutive chunks (in completion order). */
  latencyNs: number[]
}

export interface ConsensusAnswer {
  round: number
  proposal: { signal: Decision; confidence: number }
  decision: Decision
  tally: Record<Decision, number>
  counts?: Record<Decision, number>
  votes: number
  /** Inside the agent: its decision began (market generated) → decided; waits for late agents' votes included. */
  decisionNs: number
  /** Inside the agent: generating the round's market window, before the decision began. */
  marketNs?: number
  /** Monotonic stamps of the decision's start and end, and the clock they are on (see round-timing.ts). */
  beganAtNs?: number
  decidedAtNs?: number
  clock?: { id?: string | null; wallMinusMonotonicNs?: number }
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
  /** The round on one clock (round-timing.ts): decision from the last agent's start, and the dispatch skew apart. */
  timing: RoundTiming | undefined
  /** Host: dispatch to all → last answer. */
  hostMs: number
  /** Vote messages actually sent (counter deltas over all agents); NaN when countMessages was false. */
  voteMessages: number
  voteBytes: number
  /** False if the counters had not gone quiet by the deadline (then voteMessages may be short). */
  countersSettled: boolean
  /** The settled counter totals after the round (when counted and settled): the next round's `before`. */
  countersAfter?: CounterTotals
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
  /** The settled counter totals after the sync (when they settled): the next sync's `before`. */
  countersAfter?: CounterTotals
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
