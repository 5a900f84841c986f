// Deploying a swarm: one sandbox per agent, the agent uploaded, started, initialised, then every edge of the
// topology linked with a verified handshake. On any failure everything created is killed.
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
  type AgentFiles,
  RUN_TAG_METADATA
} from '../sandbox/agent-files.js'
import { providerTraits } from '../sandbox/registry.js'
import type { PeerEndpoint, Sandbox } from '../sandbox/types.js'
import { AgentClient, AgentError, type ReadyEvent } from './agent-client.js'
import { sideNow } from '../duet/clock.js'
import { buildTopology, routingFor, type Topology } from './topology.js'
import { errorText } from '../errors.js'
import { elapsed, forEachLimited, Swarm } from './swarm.js'
import {
  type StrategySpec,
  DEFAULT_STRATEGIES,
  type SwarmOptions,
  type AgentDeployTiming,
  type LinkReport,
  type DeployReport,
  type UserHooks,
  SwarmError
} from './types.js'

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
  const progress = o.onProgress ?? (() => {})

  const run: DeployRun = {
    o,
    files,
    label,
    runTag,
    token: randomBytes(24).toString('base64url'),
    n: topology.n,
    tWall,
    opTimeoutMs,
    readyTimeoutMs,
    progress,
    created: new Array(topology.n),
    installs: new Array(topology.n)
  }
  const deployed: (Deployed | undefined)[] = new Array(topology.n)
  let hooksLoaded: UserHooks | undefined
  const deployOne = async (i: number): Promise<void> => {
    const { agent, hooks } = await deployAgent(run, i)
    deployed[i] = agent
    if (i === 0 && hooks) hooksLoaded = hooks
  }

  try {
    const tAgents = sideNow()
    progress(`deploying ${label}: ${topology.n} agents, ${o.deploy}, concurrency ${concurrency}`)
    await forEachLimited(topology.n, concurrency, deployOne, () => run.failure !== undefined)
    if (run.failure) throw run.failure
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
      installWallMs: coveredMs(run.installs)
    }
    progress(`${label} linked: ${links.length} verified handshakes in ${linkMs.toFixed(0)} ms`)
    return new Swarm(
      topology,
      parts.map(d => d.sandbox),
      parts.map(d => d.client),
      endpoints,
      report,
      opTimeoutMs,
      files.twin?.files
    )
  } catch (err) {
    const e =
      err instanceof SwarmError
        ? err
        : new SwarmError(`deploying ${label} failed: ${errorText(err)}`, undefined, '', { cause: err })
    failRun(run, e)
    await Promise.all(run.created.map(s => s?.kill().catch(() => undefined)))
    throw e
  }
}

/** What the agents of one deployment share, and its first failure, which stops the others. */
interface DeployRun {
  o: SwarmOptions
  files: AgentFiles
  label: string
  runTag: string
  /** The swarm's peer token: every agent-to-agent request carries it. */
  token: string
  n: number
  tWall: number
  opTimeoutMs: number
  readyTimeoutMs: number
  progress: (message: string) => void
  created: (Sandbox | undefined)[]
  /** Each sandbox's requirements install (E2B), timed apart and left out of every phase. */
  installs: ({ start: number; ms: number } | undefined)[]
  failure?: SwarmError
}

/** The first failure wins; killing what exists makes agents still starting or initialising give up at once. */
function failRun(run: DeployRun, err: SwarmError): void {
  if (run.failure) return
  run.failure = err
  for (const s of run.created) void s?.kill()
}

/** One agent: create its sandbox, upload, start, wait for ready, init. Any failure fails the whole deployment. */
async function deployAgent(run: DeployRun, i: number): Promise<{ agent: Deployed; hooks?: UserHooks }> {
  const agentLabel = `${run.label}/agent-${i}`
  let sandbox: Sandbox | undefined
  let client: AgentClient | undefined
  try {
    run.o.signal?.throwIfAborted()
    const t0 = sideNow()
    sandbox =
      run.o.sandboxes?.[i] ??
      (await run.o.provider.create({
        label: agentLabel,
        metadata: { ...run.o.metadata, [RUN_TAG_METADATA]: run.runTag, swarm: run.label, agent: String(i) },
        timeoutMs: run.o.sandboxTimeoutMs,
        signal: run.o.signal,
        ...(run.o.pinCpus ? { cpu: i % os.availableParallelism() } : {}),
        ...(run.o.pair ? { pair: { key: `${run.o.pair.key}/agent-${i}`, side: run.o.pair.side } } : {})
      }))
    run.created[i] = sandbox
    if (run.failure) throw run.failure
    const createMs = run.o.sandboxes ? 0 : elapsed(t0)
    const t1 = sideNow()
    await sandbox.writeFiles(run.files.files)
    const uploadMs = elapsed(t1)
    if (run.failure) throw run.failure
    // The user's requirements where the provider installs them (E2B), once per sandbox, timed apart
    // (run.installs[i]) and left out of every phase.
    const traits = providerTraits(sandbox.provider)
    const install = run.files.requirements && traits.installsRequirements ? run.files.requirements : undefined
    if (install) run.installs[i] = await installRequirements(sandbox, install, run.o.python)
    if (run.failure) throw run.failure
    const t2 = sideNow()
    const cmd = agentStartCommand(run.runTag, run.o.python, peerBindHost(traits))
    if (install) cmd.env = { ...cmd.env, PYTHONPATH: posix.join('..', PYDEPS_DIR) }
    const proc = await sandbox.start(cmd)
    const startMs = elapsed(t2)
    client = new AgentClient(i, proc)
    const ready = await client.waitReady(run.readyTimeoutMs)
    const readyMs = elapsed(t2)
    if (run.failure) throw run.failure
    if (!Number.isInteger(ready.port) || ready.port <= 0) {
      throw new SwarmError(
        `agent ${i} reported an invalid peer port ${String(ready.port)}`,
        i,
        client.stderrTail()
      )
    }
    const init = initParams(run, i, sandbox)
    const t3 = sideNow()
    const initAnswer = await client.request<{ hooks?: UserHooks }>('init', init, run.opTimeoutMs)
    const initMs = elapsed(t3)
    const agent: Deployed = {
      sandbox,
      client,
      timing: {
        agentId: i,
        label: agentLabel,
        sandboxId: sandbox.id,
        pid: ready.pid,
        offsetMs: t0 - run.tWall,
        createMs,
        uploadMs,
        startMs,
        readyMs,
        initMs,
        totalMs: elapsed(t0) - (run.installs[i]?.ms ?? 0),
        ...(run.installs[i] ? { installMs: run.installs[i].ms } : {})
      }
    }
    run.progress(`${agentLabel} ready in ${elapsed(t0).toFixed(0)} ms`)
    return { agent, hooks: initAnswer.hooks }
  } catch (err) {
    // Collateral of another agent's failure (we killed its sandbox): the first failure is the one reported.
    if (run.failure) throw run.failure
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
    failRun(run, e)
    throw e
  }
}

/** The agent's `init`: its id, the swarm's token and size, its strategy, and where its user code lies. */
function initParams(run: DeployRun, i: number, sandbox: Sandbox): Record<string, unknown> {
  const { o, files } = run
  const init: Record<string, unknown> = {
    agentId: i,
    token: run.token,
    agentCount: run.n,
    strategy: strategyFor(o, i),
    peerTimeoutMs: run.opTimeoutMs
  }
  if (files.strategyPath) init.strategyPath = `${sandbox.workdir.replace(/\/+$/, '')}/${files.strategyPath}`
  if (files.hooks) {
    // Relative to the agent's working directory (the uploaded agent folder): right on every provider, whatever
    // the sandbox's home is called on the host (the E2B emulator maps /home/user only in command lines).
    init.hooksPath = posix.relative(AGENT_UPLOAD_DIR, files.hooks.path)
    init.hooksConfig = files.hooks.config
    init.hooksTimeoutMs = files.hooks.timeoutMs
  }
  if (files.twin) {
    // A duet's head agent: the base's strategy beside its own (src/duet/twin.ts), relative like the hooks.
    const rel = (p: string | undefined) => (p ? posix.relative(AGENT_UPLOAD_DIR, p) : undefined)
    init.twin = { agentDir: rel(files.twin.agentDir), strategyPath: rel(files.twin.strategyPath) }
  }
  if (o.capital !== undefined) init.capital = o.capital
  return init
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
