// Real local swarms: real agent processes, real sockets between them. Every assertion is on something measured
// or counted inside the agents, held against the topology math.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collectAgentFiles, type AgentFiles } from '../src/sandbox/agent-files.js'
import { LocalProvider } from '../src/sandbox/local/provider.js'
import { AgentClient, AgentCrashedError, AgentOpError, AgentTimeoutError } from '../src/swarm/agent-client.js'
import { deploySwarm } from '../src/swarm/deploy.js'
import { SwarmError, type Swarm, type SwarmOptions } from '../src/swarm/swarm.js'
import {
  predictConsensusMessages,
  predictStateSyncMessages,
  routePath,
  type TopologyName
} from '../src/swarm/topology.js'
import {
  isAlive,
  listeningAddresses,
  newRunTag,
  processesWithTag,
  waitForNoProcesses
} from './support/processes.js'

const RUN = newRunTag('swarm-local')
const provider = new LocalProvider({ runTag: RUN, killGraceMs: 500 })
let files: AgentFiles

function opts(topology: TopologyName, size: number, extra: Partial<SwarmOptions> = {}): SwarmOptions {
  return { provider, topology, size, deploy: 'parallel', runTag: RUN, files, opTimeoutMs: 20_000, ...extra }
}

/** The rejection of `p` (fails the test if it resolves). */
async function rejectionOf(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p
  } catch (err) {
    return err as Error & Record<string, unknown>
  }
  throw new Error('expected a rejection, got a result')
}

async function withSwarm<T>(o: SwarmOptions, fn: (s: Swarm) => Promise<T>): Promise<T> {
  const s = await deploySwarm(o)
  try {
    return await fn(s)
  } finally {
    await s.teardown()
  }
}

beforeAll(async () => {
  files = await collectAgentFiles()
})

afterAll(async () => {
  await provider.killAll()
  // The file's promise: nothing tagged with this run outlives it.
  expect(await waitForNoProcesses(RUN, 10_000)).toEqual([])
  expect(provider.live()).toEqual([])
})

describe('swarms of each topology', () => {
  const cases: [TopologyName, number][] = [
    ['mesh', 4],
    ['hierarchical', 7],
    ['ring', 5],
    ['star', 5]
  ]
  for (const [name, n] of cases) {
    it(`${name}-${n}: deploys, verifies every link, measures RTTs inside agents, consensus counts match`, async () => {
      await withSwarm(opts(name, n), async s => {
        const r = s.deployReport
        expect(r.agents).toHaveLength(n)
        for (const a of r.agents) {
          expect(a.totalMs).toBeGreaterThan(0)
          expect(a.readyMs).toBeGreaterThanOrEqual(a.startMs)
          expect(a.totalMs).toBeGreaterThanOrEqual(a.createMs + a.uploadMs + a.readyMs + a.initMs - 1)
          expect(isAlive(a.pid!)).toBe(true)
        }
        // each undirected edge is verified from both ends, with a hello RTT taken inside the agent
        expect(r.links).toHaveLength(2 * s.topology.edges.length)
        for (const l of r.links) {
          expect(s.topology.adjacency[l.from]).toContain(l.to)
          expect(Number.isInteger(l.rttNs) && l.rttNs > 0).toBe(true)
        }

        const ping = await s.ping({ count: 3, payloadBytes: 64 })
        expect(ping.edges).toHaveLength(2 * s.topology.edges.length)
        for (const e of ping.edges) {
          expect(s.topology.adjacency[e.from]).toContain(e.to)
          expect(e.rttNs).toHaveLength(3)
          // a loopback HTTP round trip between two Python processes: above 1 µs, far below 5 s
          for (const ns of e.rttNs) expect(ns > 1_000 && ns < 5e9).toBe(true)
        }

        for (const round of [1, 2]) {
          const c = await s.consensusRound(round)
          expect(c.agreed).toBe(true)
          expect(new Set(c.decisions).size).toBe(1)
          expect(c.decision).toBe(c.decisions[0])
          expect(c.answers.every(a => a.votes === n)).toBe(true)
          expect(c.countersSettled).toBe(true)
          expect(c.voteMessages).toBe(predictConsensusMessages(s.topology))
          expect(c.decisionNs.every(ns => ns > 0)).toBe(true)
        }
      })
    })
  }

  it('mesh n(n-1) and ring n(n+1) vote messages, as docs/protocol.md predicts', async () => {
    await withSwarm(opts('ring', 6), async s => {
      const c = await s.consensusRound(7)
      expect(c.voteMessages).toBe(6 * 7)
      expect(c.agreed).toBe(true)
    })
    await withSwarm(opts('mesh', 5), async s => {
      const c = await s.consensusRound(7)
      expect(c.voteMessages).toBe(5 * 4)
      // a round started from the settled totals of the one before counts the same votes, without its own read
      expect(c.countersAfter).toBeDefined()
      const chained = await s.consensusRound(9, { before: c.countersAfter })
      expect(chained.voteMessages).toBe(5 * 4)
      // and from older totals, both rounds' votes: `before` is what the delta starts from
      const both = await s.consensusRound(10, { before: c.countersAfter })
      expect(both.voteMessages).toBe(2 * 5 * 4)
      // latency-only rounds skip the counting
      const quick = await s.consensusRound(8, { countMessages: false })
      expect(quick.agreed).toBe(true)
      expect(quick.voteMessages).toBeNaN()
    })
  })

  it('a slow host dispatch shows in dispatch skew, not in the round decision time', async () => {
    await withSwarm(opts('mesh', 4), async s => {
      // 40 ms between reaching one agent and the next: the last starts ~120 ms after the first.
      const c = await s.consensusRound(9, { countMessages: false, dispatchGapMs: 40 })
      expect(c.agreed).toBe(true)
      const t = c.timing!
      expect(t.clock).toBe('monotonic') // local agents share the machine's clock
      expect(t.skewNs / 1e6).toBeGreaterThan(60)
      // The early agents' own times waited for the late one's vote; the round's decision time does not.
      expect(Math.max(...c.decisionNs)).toBeGreaterThan(t.skewNs / 2)
      expect(t.decisionNs).toBeLessThan(t.skewNs / 3)
      expect(c.answers.every(a => a.marketNs! > 0 && a.decidedAtNs! >= a.beganAtNs!)).toBe(true)
    })
  })
})

describe('routing, state sync, tasks, security', () => {
  let s: Swarm
  beforeAll(async () => {
    s = await deploySwarm(opts('hierarchical', 7, { label: 'tree' }))
  })
  afterAll(async () => {
    await s?.teardown()
  })

  it('a send to a non-neighbour arrives over the hop count and path of the topology', async () => {
    expect(s.topology.adjacency[3]).not.toContain(6)
    await s.resetCounters()
    const res = await s.send(3, 6, 4, 128)
    expect(res.delivered).toBe(4)
    expect(res.hops).toBe(s.topology.hops[3][6])
    expect(res.hops).toBe(4)
    expect(res.path).toEqual(routePath(s.topology, 3, 6))
    expect(res.latencyNs).toHaveLength(4)
    const { totals } = await s.settledCounters(['msg'])
    // one HTTP request per hop per message, and the three middle agents forwarded each one
    expect(totals.byKind.msg.sent).toBe(4 * 4)
    expect(totals.forwarded).toBe(3 * 4)
  })

  it('state sync floods to every agent and acks come back hop by hop: counted messages match the prediction', async () => {
    const res = await s.stateSync(3, 1, 4096)
    const p = predictStateSyncMessages(s.topology, 3)
    expect(res.acks).toBe(6)
    expect(res.countersSettled).toBe(true)
    expect(res.stateMessages).toBe(p.state)
    expect(res.ackMessages).toBe(p.ack)
    expect(res.bytes).toBeGreaterThan(6 * 4096) // every agent received the blob (base64 makes it larger)
    const m = await s.metrics()
    expect(m.map(x => x.agent.stateVersion)).toEqual(new Array(7).fill(1))
    expect(m.every(x => x.provider === undefined && (x.agent.rssBytes ?? 0) > 0)).toBe(true)
  })

  it('state syncs chained on the settled totals of the one before count the same messages; uncounted ones skip it', async () => {
    const start = await s.counters()
    const first = await s.stateSync(3, 2, 4096)
    expect(first.countersAfter).toBeDefined()
    // the totals passed as `before` are what the deltas start from: from before the first sync, both are counted
    const both = await s.stateSync(3, 3, 4096, { before: start })
    expect(both.stateMessages).toBe(2 * first.stateMessages)
    // started from the previous sync's settled totals, no counter read of its own: the same counts as a fresh one
    const chained = await s.stateSync(3, 4, 4096, { before: both.countersAfter })
    expect(chained.stateMessages).toBe(first.stateMessages)
    expect(chained.ackMessages).toBe(first.ackMessages)
    expect(chained.bytes).toBe(first.bytes)
    const quick = await s.stateSync(3, 5, 4096, { countMessages: false })
    expect(quick.acks).toBe(6)
    expect(quick.bytes).toBeNaN()
    expect(quick.countersAfter).toBeUndefined()
  })

  it('runTasks: a work queue spreads backtests over agents and keeps every result', async () => {
    const tasks = Array.from({ length: 21 }, (_, i) => ({
      taskId: i,
      window: { seed: 100 + i, length: 150 }
    }))
    const res = await s.runTasks(tasks)
    expect(res.results.map(r => r.taskId)).toEqual(tasks.map(t => t.taskId))
    expect(res.results.every(r => r.error === undefined && typeof r.result?.pnl === 'number')).toBe(true)
    expect(res.perAgent.reduce((a, p) => a + p.tasks, 0)).toBe(21)
    expect(res.perAgent.filter(p => p.tasks > 0).length).toBeGreaterThanOrEqual(2)
    expect(res.makespanMs).toBeGreaterThan(0)
  })

  it('a raw peer request without the swarm token is refused (401) and counted', async () => {
    const before = (await s.counters()).perAgent[2].refused
    const url = s.peerEndpoint(2).url
    const noToken = await fetch(`${url}/ping`, { method: 'POST', body: '{"from":0,"payload":""}' })
    expect(noToken.status).toBe(401)
    const wrong = await fetch(`${url}/hello`, {
      method: 'POST',
      headers: { 'X-Swarm-Token': 'not-the-token' },
      body: '{"from":0}'
    })
    expect(wrong.status).toBe(401)
    expect((await s.counters()).perAgent[2].refused).toBe(before + 2)
  })

  it("every local agent's peer server listens on 127.0.0.1 only, as it reports and as the kernel shows", async () => {
    for (let i = 0; i < s.topology.n; i++) {
      const ready = s.readyInfo(i)
      expect(ready.host).toBe('127.0.0.1')
      // The kernel's table is the proof: no socket on this port listens on 0.0.0.0 or another interface.
      expect(listeningAddresses(ready.port)).toEqual(['127.0.0.1'])
    }
  })

  it('agent errors surface as AgentOpError with the agent type', async () => {
    await expect(s.request(0, 'no_such_op')).rejects.toMatchObject({
      name: 'AgentOpError',
      type: 'UnknownOp'
    })
    await expect(s.send(0, 0, 1)).rejects.toBeInstanceOf(AgentOpError)
    expect(() => s.peerEndpoint(9)).toThrow(/agent 9 is not in this swarm of 7/)
  })
})

describe('failures', () => {
  it('killing an agent mid-operation yields AgentCrashedError with a clear message and leaves no process', async () => {
    const tag = newRunTag('crash')
    const s = await deploySwarm(opts('ring', 4, { runTag: tag }))
    try {
      // A consensus sent to agent 0 alone waits for votes that never come: a long-running op to crash into.
      const pending = s.request(0, 'consensus', { round: 1, timeoutMs: 15_000 }, 20_000)
      await new Promise(r => setTimeout(r, 200))
      process.kill(s.agentProcess(0).pid!, 'SIGKILL')
      const err = await rejectionOf(pending)
      expect(err).toBeInstanceOf(AgentCrashedError)
      expect(err.message).toMatch(/agent 0 crashed during consensus: process killed by SIGKILL/)
      expect(err.agentId).toBe(0)
      // later requests to the dead agent fail at once with the same kind of error
      await expect(s.request(0, 'metrics')).rejects.toBeInstanceOf(AgentCrashedError)
      const health = await s.health(2000)
      expect(health.map(h => h.ok)).toEqual([false, true, true, true])
    } finally {
      await s.teardown()
    }
    expect(await waitForNoProcesses(tag, 5000)).toEqual([])
  })

  it('a hung agent is reported by timeout with the op and the limit; teardown still cleans it up', async () => {
    const tag = newRunTag('hung')
    const s = await deploySwarm(opts('mesh', 2, { runTag: tag }))
    const pid = s.agentProcess(1).pid!
    try {
      process.kill(pid, 'SIGSTOP')
      const err = await rejectionOf(s.request(1, 'metrics', {}, 400))
      expect(err).toBeInstanceOf(AgentTimeoutError)
      expect(err.message).toMatch(/agent 1 did not answer metrics within 400 ms/)
    } finally {
      await s.teardown({ shutdownTimeoutMs: 300 })
    }
    expect(await waitForNoProcesses(tag, 5000)).toEqual([])
  })

  it('a failing deployment kills everything it created and names the agent and the cause', async () => {
    const tag = newRunTag('baddeploy')
    const dir = mkdtempSync(join(tmpdir(), 'swarm-bench-badstrategy-'))
    const bad = join(dir, 'broken.py')
    writeFileSync(bad, 'import sys\nraise RuntimeError("broken on purpose")\n')
    const liveBefore = provider.live().length
    try {
      const err = await rejectionOf(
        deploySwarm({ ...opts('mesh', 3, { runTag: tag, strategyPath: bad }), files: undefined })
      )
      expect(err).toBeInstanceOf(SwarmError)
      expect(err.message).toMatch(/agent-\d.*StrategyError/)
      expect(err.message).toMatch(/broken on purpose/)
      expect(typeof err.agentId).toBe('number')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    expect(provider.live().length).toBe(liveBefore)
    expect(await waitForNoProcesses(tag, 5000)).toEqual([])
  })

  it('an agent that dies before ready is a SwarmError with its stderr tail', async () => {
    const tag = newRunTag('noready')
    const broken: AgentFiles = {
      files: [
        {
          path: 'agent/swarm_agent/__main__.py',
          data: 'import sys\nsys.stderr.write("no agent here\\n")\nsys.exit(7)\n'
        }
      ],
      bytes: 0
    }
    const err = await rejectionOf(deploySwarm(opts('star', 3, { runTag: tag, files: broken })))
    expect(err).toBeInstanceOf(SwarmError)
    expect(err.message).toMatch(/agent \d exited before ready: process exited with code 7/)
    expect(err.stderrTail).toMatch(/no agent here/)
    expect(await waitForNoProcesses(tag, 5000)).toEqual([])
  })
})

describe('deploy modes and scale', () => {
  it('sequential deployment starts each agent after the previous one is initialised', async () => {
    await withSwarm(opts('ring', 4, { deploy: 'sequential' }), async s => {
      const a = s.deployReport.agents
      expect(s.deployReport.concurrency).toBe(1)
      for (let i = 1; i < a.length; i++)
        expect(a[i].offsetMs).toBeGreaterThanOrEqual(a[i - 1].offsetMs + a[i - 1].totalMs)
    })
  })

  it('deploys into sandboxes created beforehand and kills them on teardown', async () => {
    const pre = await Promise.all([0, 1, 2].map(i => provider.create({ label: `pre-${i}` })))
    await withSwarm(opts('star', 3, { sandboxes: pre }), async s => {
      expect(s.sandboxes).toEqual(pre)
      expect(s.deployReport.agents.map(a => a.createMs)).toEqual([0, 0, 0])
      expect((await s.consensusRound(1)).agreed).toBe(true)
    })
    expect(pre.every(sb => !sb.alive)).toBe(true)
    await expect(deploySwarm(opts('star', 3, { sandboxes: pre.slice(0, 2) }))).rejects.toThrow(
      /2 sandboxes given for a swarm of 3/
    )
  })

  it('a swarm of 20 agents deploys, links, agrees and tears down', async () => {
    const tag = newRunTag('twenty')
    const s = await deploySwarm(opts('ring', 20, { runTag: tag, concurrency: 8 }))
    try {
      expect(processesWithTag(tag)).toHaveLength(20)
      expect(s.deployReport.links).toHaveLength(40)
      // parallel: some agents started before others finished
      const a = s.deployReport.agents
      expect(a.some((x, i) => i > 0 && x.offsetMs < a[0].offsetMs + a[0].totalMs)).toBe(true)
      const c = await s.consensusRound(1)
      expect(c.agreed).toBe(true)
      expect(c.voteMessages).toBe(20 * 21)
      const far = await s.send(0, 10, 1)
      expect(far.hops).toBe(10)
    } finally {
      await s.teardown()
    }
    expect(await waitForNoProcesses(tag, 5000)).toEqual([])
  })
})

describe('AgentClient over a real process', () => {
  it('matches out-of-order answers by id, counts junk lines, and rejects on timeout and crash', async () => {
    const sb = await provider.create({ label: 'client' })
    // A tiny stand-in that speaks the control protocol badly on purpose: junk lines, answers in reverse order.
    const script = `
import json, sys
print("not json at all", flush=True)
print(json.dumps({"event": "ready", "port": 1, "pid": 0, "python": "x"}), flush=True)
held = []
for raw in sys.stdin:
    m = json.loads(raw)
    if m["op"] == "hold":
        held.append(m)
        continue
    if m["op"] == "release":
        print("[1, 2]", flush=True)
        for h in reversed(held):
            print(json.dumps({"id": h["id"], "ok": True, "result": h["args"]}), flush=True)
        held = []
        print(json.dumps({"id": m["id"], "ok": False, "error": {"type": "BadRequest", "message": "no"}}), flush=True)
    if m["op"] == "die":
        sys.stderr.write("dying now\\n")
        sys.exit(9)
`
    await sb.writeFiles([{ path: 'fake.py', data: script }])
    const client = new AgentClient(5, await sb.start({ command: 'python3', args: ['-u', 'fake.py'] }))
    try {
      const ready = await client.waitReady(5000)
      expect(ready.python).toBe('x')
      const a = client.request('hold', { n: 1 }, 5000)
      const b = client.request('hold', { n: 2 }, 5000)
      const c = client.request('release', {}, 5000)
      expect(client.inFlight).toBe(3)
      expect(await a).toEqual({ n: 1 })
      expect(await b).toEqual({ n: 2 })
      await expect(c).rejects.toMatchObject({ name: 'AgentOpError', type: 'BadRequest', detail: 'no' })
      expect(client.unparseableLines).toBe(2)
      expect(client.stderrTail()).toMatch(/not json at all/)

      const slow = await rejectionOf(client.request('hold', {}, 150))
      expect(slow).toBeInstanceOf(AgentTimeoutError)
      expect(slow.message).toMatch(/agent 5 did not answer hold within 150 ms/)

      const waiting = client.request('hold', {}, 10_000)
      const died = await rejectionOf(client.request('die', {}, 10_000))
      expect(died).toBeInstanceOf(AgentCrashedError)
      expect(died.message).toMatch(/agent 5 crashed during die: process exited with code 9[\s\S]*dying now/)
      await expect(waiting).rejects.toBeInstanceOf(AgentCrashedError)
      await expect(client.request('echo')).rejects.toThrow(/agent 5 cannot run echo/)
    } finally {
      await sb.kill()
    }
  })
})
