// A deployed swarm (deploy.ts makes one): the protocol's operations over its agents, their counters, teardown.
// Every figure returned here is either taken inside the agents (…Ns, monotonic clock) or observed by the host with
// sideNow() (…Ms), labelled so. The types it hands the benchmarks are in types.ts.
import type { PeerEndpoint, Sandbox, SandboxFile } from '../sandbox/types.js'
import { AgentClient, type ReadyEvent } from './agent-client.js'
import { sideNow } from '../duet/clock.js'
import type { Topology } from './topology.js'
import { errorText } from '../errors.js'
import { kindOf, sumCounters } from './counters.js'
import { roundTiming } from './round-timing.js'
import {
  type Window,
  type Task,
  type DeployReport,
  type KindCounters,
  type CounterTotals,
  type AgentReading,
  type AgentMetrics,
  type SendResult,
  type PipelineResult,
  type ConsensusAnswer,
  type ConsensusResult,
  type StateSyncResult,
  type TaskResultBody,
  type TaskOutcome,
  type RunTasksResult,
  type PingResult,
  SwarmError
} from './types.js'
import { setTimeout as sleep } from 'node:timers/promises'

export { AgentCrashedError, AgentError, AgentOpError, AgentTimeoutError } from './agent-client.js'
export type { Topology, TopologyName } from './topology.js'
export * from './types.js'
export { sumCounters } from './counters.js'

export const elapsed = (t0: number): number => sideNow() - t0

/** Runs `fn` over 0..n-1 with at most `limit` at once; stops starting new items once `stop()` is true. */
export async function forEachLimited(
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
    private readonly opTimeoutMs: number,
    /** A duet head's twin: the base's strategy code, not uploaded yet (see uploadTwin). */
    private readonly twinFiles?: SandboxFile[]
  ) {}

  private twinUploaded: Promise<void> | undefined

  /**
   * A duet head's twin (the base's strategy code) into every sandbox, once per swarm: the benchmark that decides
   * with it calls this before its first pair, while the base side waits at the gate for that pair. Uploaded in
   * the deploy, it was work the base's deploy did not do, and it slowed the base's links that ran beside it.
   */
  uploadTwin(): Promise<void> {
    const files = this.twinFiles
    this.twinUploaded ??= files
      ? Promise.all(this.sandboxes.map(s => s.writeFiles(files))).then(() => undefined)
      : Promise.resolve()
    return this.twinUploaded
  }

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

  /**
   * A duet's head agent: `pairs` decisions of its own strategy and of the base's (its twin) on the same bars, in a
   * random order per pair drawn from `seed` (agent/swarm_agent/twin.py).
   */
  strategyPairs(
    agentId: number,
    window: Window,
    opts: { pairs: number; seed: number; reference?: boolean }
  ): Promise<Record<string, unknown>> {
    return this.request(agentId, 'strategy_pairs', { window, ...opts })
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
   * Pipelined messages from `from` to each of `to` (one stream per destination, forwarded hop by hop), `depth` in
   * flight per stream for `durationMs`, timed in the agent; `latencyChunks` latency samples come back.
   */
  pipeline(
    from: number,
    opts: { to: number[]; depth: number; durationMs: number; payloadBytes?: number; latencyChunks?: number }
  ): Promise<PipelineResult> {
    return this.request<PipelineResult>(from, 'pipeline', opts)
  }

  /**
   * One consensus round: `consensus` goes to every agent at once; each proposes, floods its vote and decides
   * once it holds all n votes. Agreement is checked from the answers; vote messages are counter deltas.
   * Use a fresh round number each time: agents keep the votes of past rounds and would answer at once.
   */
  async consensusRound(
    round: number,
    opts: {
      window?: Window
      timeoutMs?: number
      countMessages?: boolean
      before?: CounterTotals
      /** Tests only: wait this long between dispatching to agent i and agent i + 1 (a slow host). */
      dispatchGapMs?: number
    } = {}
  ): Promise<ConsensusResult> {
    const hostTimeout = opts.timeoutMs ?? this.opTimeoutMs
    // The agent gives up a little before the host, so a slow round is reported by the agent (with vote counts).
    const agentTimeout = Math.max(500, Math.floor(hostTimeout * 0.9))
    // Counting costs a few metrics round trips and a quiet wait after the round; latency loops may skip it. A
    // caller holding the settled totals of the round it just ran passes them as `before` (nothing moved since).
    const before = (opts.countMessages ?? true) ? (opts.before ?? (await this.counters())) : undefined
    const args: Record<string, unknown> = { round, timeoutMs: agentTimeout }
    if (opts.window) args.window = opts.window
    const t0 = sideNow()
    const gap = opts.dispatchGapMs ?? 0
    const answers = await Promise.all(
      this.clients.map(async (_, i) => {
        if (gap > 0) await sleep(gap * i)
        return this.request<ConsensusAnswer>(i, 'consensus', args, hostTimeout)
      })
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
      timing: roundTiming(answers),
      hostMs,
      voteMessages: before && after ? kindOf(after, 'vote').sent - kindOf(before, 'vote').sent : Number.NaN,
      voteBytes:
        before && after ? kindOf(after, 'vote').bytesSent - kindOf(before, 'vote').bytesSent : Number.NaN,
      countersSettled: settled,
      ...(after && settled ? { countersAfter: after } : {}),
      answers
    }
  }

  /** Flood a `sizeBytes` blob from `origin`; every other agent stores it and acks back hop by hop. */
  async stateSync(
    origin: number,
    version: number,
    sizeBytes: number,
    opts: { timeoutMs?: number; countMessages?: boolean; before?: CounterTotals } = {}
  ): Promise<StateSyncResult> {
    const hostTimeout = opts.timeoutMs ?? this.opTimeoutMs
    // Counting costs a counter read before (none when the caller passes the settled totals of the sync it just
    // ran: nothing moved since) and a quiet wait after; callers that read only times skip it.
    const count = opts.countMessages ?? true
    const before = count ? (opts.before ?? (await this.counters())) : undefined
    const t0 = sideNow()
    const res = await this.request<{ version: number; acks: number; syncNs: number }>(
      origin,
      'state_sync',
      { version, sizeBytes, timeoutMs: Math.max(500, Math.floor(hostTimeout * 0.9)) },
      hostTimeout
    )
    const timed = { version: res.version, origin, syncNs: res.syncNs, acks: res.acks, hostMs: elapsed(t0) }
    if (!before)
      return {
        ...timed,
        messages: Number.NaN,
        stateMessages: Number.NaN,
        ackMessages: Number.NaN,
        bytes: Number.NaN,
        countersSettled: false
      }
    const { totals: after, settled } = await this.settledCounters(['state', 'ack'])
    const d = (kind: string, f: keyof KindCounters) => kindOf(after, kind)[f] - kindOf(before, kind)[f]
    const stateMessages = d('state', 'sent')
    const ackMessages = d('ack', 'sent')
    return {
      ...timed,
      messages: stateMessages + ackMessages,
      stateMessages,
      ackMessages,
      bytes: d('state', 'bytesSent') + d('ack', 'bytesSent'),
      countersSettled: settled,
      ...(settled ? { countersAfter: after } : {})
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
