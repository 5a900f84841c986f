// The runner: every selected benchmark isolated (an error is recorded and the run goes on, its sandboxes are
// killed), swarms shared through a small pool, the environment measured as the run finds it, costs from what the
// provider billed, and partial results when the run is interrupted. Benchmarks are scheduled by the swarms they
// use (turns.ts: one measures at a time; borrowers of the same swarm run back to back, and an idle swarm no
// waiting or unfinished benchmark needs is torn down at once); results are reported in catalog order.
import { setMaxListeners } from 'node:events'
import { basename } from 'node:path'
import { CATALOG, type CatalogEntry } from './catalog.js'
import { BENCHMARKS } from './registry.js'
import { EnvironmentProbe, gitInfo, toolVersion } from './environment.js'
import { InterruptedError, reasonOf } from './errors.js'
import { SwarmPool, poolKey, shapeOf, type PoolKey } from './pool.js'
import { targetFor, type TargetOverrides } from './targets.js'
import { Turns, pickNext } from './turns.js'
import type { BenchContext, BenchOutput, ProgressEvent, SwarmRequest } from './types.js'
import type { RunConfig } from '../config/config.js'
import { costOf } from '../cost/pricing.js'
import { benchmarkStatus } from '../results/metric.js'
import {
  BenchmarkResult,
  Results,
  SCHEMA_VERSION,
  type BenchmarkStatus,
  type DuetBase,
  type Pairing
} from '../results/schema.js'
import { createProvider, runMetadata } from '../sandbox/factory.js'
import { providerPlugin } from '../sandbox/registry.js'
import type { Provider } from '../sandbox/types.js'
import { collectAgentFiles, hooksSource, type AgentFiles } from '../sandbox/agent-files.js'
import { deploySwarm } from '../swarm/deploy.js'
import { type Swarm } from '../swarm/swarm.js'
import { RunnerFloor } from './floor.js'
import { Lockstep, pairingFor, type Side } from '../duet/lockstep.js'
import { Meeting } from '../duet/meeting.js'
import { runAsSide } from '../duet/clock.js'
import { pairedSwarm } from '../duet/paired-swarm.js'
import { SandboxSharing } from '../duet/shared-sandboxes.js'
import { canTwin, withTwin } from '../duet/twin.js'
import { hashSeed } from '../stats/bootstrap.js'
import { errorText } from '../errors.js'

export interface RunOptions {
  /** Use this provider instead of the one the config names (tests, the action). The runner never owns it. */
  provider?: Provider
  onProgress?: (e: ProgressEvent) => void
  /** Abort = stop: sandboxes are killed, the current benchmark is recorded as interrupted, the rest skipped. */
  signal?: AbortSignal
  /** Most agents kept alive across benchmarks (idle pooled swarms + swarms in use). */
  poolMaxAgents?: number
  /** Override (or, with null, drop) seed targets, keyed `benchmarkId/metricName`. */
  targets?: TargetOverrides
  /** How long a benchmark may keep running after the abort before it is abandoned. */
  abortGraceMs?: number
  log?: (message: string) => void
  /** A benchmark got the turn (`holding`) or gave it back: turns never overlap, so they attribute billed time. */
  onTurn?: (id: string, holding: boolean) => void
  /** Deploy the next borrower's swarm while the last user of the current one measures (default off: it overlaps
   *  a timed phase; for measuring what that costs and saves). */
  prefetch?: boolean
  /** Measure the base's code side by side with the head's (see src/duet/): every benchmark runs on both. */
  duet?: DuetRunOptions
}

export interface DuetRunOptions {
  /** The base side's agent files (its agent package and strategy module). */
  files: () => Promise<AgentFiles>
  /** What the base is, recorded in the results. */
  base: DuetBase
}

export { InterruptedError }

/** How long a duet's benchmark that gave the turn back keeps first claim on it (see Turns' claimMs). */
const DUET_CLAIM_MS = 250

export async function runBenchmarks(config: RunConfig, opts: RunOptions = {}): Promise<Results> {
  const startedAt = new Date()
  const t0 = performance.now()
  // The run's own signal, following the caller's: every benchmark waits on it at once (a listener each).
  const run = new AbortController()
  setMaxListeners(0, run.signal)
  const outer = opts.signal
  const follow = (): void => run.abort(outer?.reason)
  if (outer?.aborted) follow()
  else outer?.addEventListener('abort', follow, { once: true })
  const signal = run.signal
  const emit = (e: ProgressEvent): void => {
    try {
      opts.onProgress?.(e)
    } catch {
      // a broken progress sink must not break the run
    }
  }
  const own = opts.provider ?? createProvider(config, { log: opts.log })
  // A duet's base and head agents share sandboxes, so the pool may hold twice the agents in the same sandboxes.
  const provider = opts.duet ? new SandboxSharing(own) : own
  const selected = CATALOG.filter(e => config.only.includes(e.id))
  const plugin = providerPlugin(provider.info.name)
  const pool = new SwarmPool({
    maxAgents: opts.poolMaxAgents ?? plugin.poolAgents(config.providers[plugin.name]) * (opts.duet ? 2 : 1),
    onError: m => opts.log?.(m)
  })
  const probe = new EnvironmentProbe(provider, config)
  const floor = new RunnerFloor()
  // The agent's files are read once per run and uploaded to every sandbox from memory.
  let files: Promise<AgentFiles> | undefined
  let baseFiles: Promise<AgentFiles> | undefined
  let twinFiles: Promise<AgentFiles> | undefined
  // In a duet the head's agents also hold the base's strategy (its twin) when they can run it.
  const twin = opts.duet !== undefined && canTwin(config)
  const pairing = pairingFor(config.duetPairs, plugin.traits)
  const ownFiles = (): Promise<AgentFiles> =>
    (files ??= collectAgentFiles({
      strategyPath: config.strategyPath,
      hooks: hooksSource(config),
      requirements: config.e2bRequirements
    }))
  const agentFiles = (side?: Side): Promise<AgentFiles> =>
    side === 'base' && opts.duet
      ? (baseFiles ??= opts.duet.files())
      : side === 'head' && twin
        ? (twinFiles ??= Promise.all([ownFiles(), agentFiles('base')]).then(([h, b]) => withTwin(h, b)))
        : ownFiles()
  // On abort, kill everything at once: in-flight agent requests then fail fast instead of running to the end.
  const onAbort = (): void => {
    void pool.drain()
    void provider.killAll()
  }
  signal.addEventListener('abort', onAbort, { once: true })
  // Read before the first deploy, whose timed figures would otherwise include it (in a duet, on one side only: the
  // head's twin reads the base's files from git). A failure is left for the deploys to report.
  await Promise.allSettled(opts.duet ? [agentFiles('head'), agentFiles('base')] : [agentFiles()])

  emit({
    type: 'run-start',
    provider: provider.info.name,
    profile: config.profile,
    ids: selected.map(e => e.id)
  })
  // Shapes each benchmark declared it borrows and has not borrowed yet.
  const remaining = new Map(selected.map((e, i) => [i, declaredBorrows(e.id, config)]))
  let startedCount = 0
  // 'start' follows the order benchmarks really run in (their first turn), not the catalog's.
  const emitStart = (entry: CatalogEntry): void =>
    emit({ type: 'start', id: entry.id, title: entry.title, index: startedCount++, total: selected.length })
  const firstTurn = new Map<number, number>()
  // Swarms deployed ahead of their borrower, by shape (see maybePrefetch).
  const prefetching = new Map<string, Promise<void>>()
  const turns: Turns = new Turns({
    signal,
    isIdle: shape => pool.hasIdle(shape) || prefetching.has(shape),
    awaitStarted: () => turns.inProgress().some(b => (remaining.get(b) ?? []).some(s => pool.hasIdle(s))),
    // A duet's sides ask again only once both have met at the pairing gate.
    claimMs: opts.duet ? DUET_CLAIM_MS : 0,
    onTurn: (i, holding) => {
      const entry = selected[i]
      if (holding && !firstTurn.has(i)) {
        firstTurn.set(i, performance.now())
        emitStart(entry)
      }
      try {
        opts.onTurn?.(entry.id, holding)
      } catch {
        // tracing must not break the run
      }
    }
  })
  // An idle swarm is billed while it waits: keep only what a waiting benchmark is about to borrow or what a
  // started one still needs (measured by bench:plan: idle pooled swarms cost more than creating them again).
  const pruneIdle = async (): Promise<void> => {
    const needed = turns.wantedShapes()
    for (const b of turns.inProgress()) for (const shape of remaining.get(b) ?? []) needed.add(shape)
    await pool.prune(needed)
  }
  // Deploying the next borrower's swarm while a benchmark measures (`prefetch`) saved ~4 s per quick run under
  // emulated E2B, but the deploy's uploads, starts and links run on the same host and event loop as the
  // benchmark's host-timed figures: off unless asked for (bench:plan measures both, docs/performance.md §2).
  // Never in a duet: both sides must measure on the same quiet machine.
  const prefetchOn = (opts.prefetch ?? false) && pool.maxAgents > 0 && !opts.duet
  let prefetchAgents = 0
  const maybePrefetch = (holding: string): void => {
    if (!prefetchOn || signal.aborted) return
    const others = turns.waiters()
    if (others.some(w => w.shape === holding)) return
    const i = pickNext(
      others,
      s => s === holding || pool.hasIdle(s) || prefetching.has(s),
      b => turns.hasStarted(b)
    )
    const shape = others[i]?.shape
    if (!shape || shape === holding || pool.hasIdle(shape) || prefetching.has(shape)) return
    const [topology, sizeText] = shape.split(':')
    const size = Number(sizeText)
    if (pool.agentsAlive() + prefetchAgents + size > pool.maxAgents) return
    const key: PoolKey = { topology, size, deploy: 'parallel' }
    const entry = selected[others[i].bench]
    prefetchAgents += size
    const job = (async () => {
      try {
        const swarm = await deployTracked({ config, provider, pool, probe, signal, agentFiles }, entry, key)
        await pool.release(swarm)
      } catch (err) {
        // The borrower deploys it itself.
        if (!signal.aborted) opts.log?.(`deploying ${shape} ahead for ${entry.id} failed: ${errorText(err)}`)
      } finally {
        prefetchAgents -= size
        prefetching.delete(shape)
      }
    })()
    prefetching.set(shape, job)
  }
  // Per benchmark: the head's result and, in a duet, the base's.
  let sides: [BenchmarkResult, BenchmarkResult | undefined][]
  try {
    sides = await Promise.all(
      selected.map(async (entry, index) => {
        const [r, b] = await runOne(entry, index, {
          config,
          provider,
          pool,
          probe,
          signal,
          emit,
          agentFiles,
          turns,
          remaining,
          pruneIdle,
          maybePrefetch,
          prefetched: shape => prefetching.get(shape),
          // A deploy ahead holds provider slots before the pool knows its swarm: let it land (idle, evictable)
          // before making room, or a large deploy could wait for slots that never free.
          makeRoom: async size => {
            if (pool.agentsAlive() + prefetchAgents + size > pool.maxAgents)
              await Promise.all(prefetching.values())
            return pool.reserve(size)
          },
          startedAt: () => firstTurn.get(index),
          floor,
          targets: opts.targets,
          graceMs: opts.abortGraceMs,
          duet: opts.duet !== undefined,
          pairing,
          twin,
          agentsShareCpus: plugin.traits.agentsShareCpus
        })
        if (!firstTurn.has(index) && r.status !== 'skipped') emitStart(entry)
        emit({ type: 'done', id: entry.id, status: r.status, seconds: r.durationMs / 1000, error: r.error })
        return [r, b] as [BenchmarkResult, BenchmarkResult | undefined]
      })
    )
  } finally {
    signal.removeEventListener('abort', onAbort)
    outer?.removeEventListener('abort', follow)
    await pool.drain()
    // Whatever a benchmark leaked (or the pool could not tear down) dies here; a caller's provider keeps only
    // the sandboxes it had before the run.
    await Promise.all(
      provider
        .live()
        .filter(s => !probe.preexisting.has(s))
        .map(s => s.kill())
    )
  }

  const endedAt = new Date()
  const durationMs = performance.now() - t0
  const complete = !signal.aborted
  emit({ type: 'run-done', complete, seconds: durationMs / 1000 })
  const results = {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'swarm-bench' as const, version: toolVersion() },
    run: {
      provider: provider.info.name,
      profile: config.profile,
      startedAt: startedAt.toISOString(),
      endedAt: endedAt.toISOString(),
      durationMs,
      environment: probe.environment(pool),
      git: gitInfo(),
      complete,
      floor: floor.metric()
    },
    benchmarks: sides.map(([r]) => r),
    cost: costOf(
      provider.usage().filter(u => !probe.preexistingLabels.has(u.label)),
      config.pricing,
      provider.info.nominalAllocation
    ),
    history: [],
    ...(opts.duet
      ? {
          duet: {
            base: opts.duet.base,
            pairing,
            benchmarks: sides.flatMap(([, b]) => (b ? [b] : []))
          }
        }
      : {})
  }
  return Results.parse(results)
}

/** Deploys a swarm of `key`'s shape for `entry`, known to the pool and to the environment probe from then on. */
async function deployTracked(
  d: Pick<RunOneDeps, 'config' | 'provider' | 'pool' | 'probe' | 'signal' | 'agentFiles'>,
  entry: CatalogEntry,
  key: PoolKey,
  pair?: string
): Promise<Swarm> {
  const files = await d.agentFiles(key.side)
  const swarm = await deploySwarm({
    provider: d.provider,
    topology: key.topology as SwarmRequest['topology'],
    size: key.size,
    deploy: key.deploy,
    strategyPath: files.strategyPath ? d.config.strategyPath : undefined,
    files,
    label: `${entry.id}/${poolKey(key)}`,
    runTag: d.config.runTag,
    pinCpus: key.side !== undefined,
    ...(pair && key.side ? { pair: { key: pair, side: key.side } } : {}),
    metadata: runMetadata(d.config),
    signal: d.signal
  })
  d.pool.track(swarm, key)
  d.probe.observe(swarm)
  return swarm
}

interface RunOneDeps {
  config: RunConfig
  provider: Provider
  pool: SwarmPool
  probe: EnvironmentProbe
  signal: AbortSignal
  emit: (e: ProgressEvent) => void
  agentFiles: (side?: Side) => Promise<AgentFiles>
  turns: Turns
  remaining: Map<number, string[]>
  pruneIdle: () => Promise<void>
  /** Called when a borrower got the turn for a swarm of this shape. */
  maybePrefetch: (holding: string) => void
  /** The deploy under way ahead of time for this shape, if any. */
  prefetched: (shape: string) => Promise<void> | undefined
  /** Makes room for a deploy of `size` agents; call the returned function once it is tracked or failed. */
  makeRoom: (size: number) => Promise<() => void>
  /** When this benchmark first had the turn. */
  startedAt: () => number | undefined
  floor: RunnerFloor
  targets?: TargetOverrides
  graceMs?: number
  /** Run the benchmark on both sides of a duet, paired operation by operation. */
  duet: boolean
  /** How a duet's pairs run (see src/duet/lockstep.ts). */
  pairing: Pairing
  /** In a duet, the head's agents hold the base's strategy as their twin (src/duet/twin.ts). */
  twin: boolean
  agentsShareCpus: boolean
}

async function runOne(
  entry: CatalogEntry,
  index: number,
  d: RunOneDeps
): Promise<[BenchmarkResult, BenchmarkResult | undefined]> {
  const t0 = performance.now()
  const bench = BENCHMARKS.get(entry.id)
  const base = { id: entry.id, category: entry.category, title: entry.title }
  if (!bench) {
    d.turns.finish(index)
    const missing: BenchmarkResult = {
      ...base,
      status: 'error',
      params: {},
      metrics: [],
      facts: {},
      error: 'no implementation registered',
      durationMs: 0
    }
    return [missing, d.duet ? missing : undefined]
  }
  const { config, provider, pool, signal, turns } = d
  const held = new Set<Swarm>()
  // A benchmark that deploys its own swarms measures creation: nothing else may run during any of it. One that
  // only borrows measures only while it holds a swarm, so it gives the turn back between swarms.
  const whole = !bench.borrows
  let params: Record<string, unknown> = {}
  const counts = { reused: 0, deployed: 0 }
  const deploys = new Map<string, number>()

  const checkAbort = (): void => {
    if (signal.aborted) throw new InterruptedError(reasonOf(signal))
  }
  /** Takes one hold of the turn for a swarm this benchmark is about to hold. */
  const hold = async (shape: string): Promise<void> => {
    checkAbort()
    await turns.acquire(index, shape)
    const left = d.remaining.get(index)
    const i = left?.indexOf(shape) ?? -1
    if (left && i >= 0) left.splice(i, 1)
  }
  /** Gives a swarm's hold back after the pool kept or tore down the swarm, and idle swarms nobody wants. */
  const unhold = async (swarm: Swarm, how: 'release' | 'discard'): Promise<void> => {
    if (!held.delete(swarm)) return
    try {
      await (how === 'release' ? pool.release(swarm) : pool.discard(swarm))
      await d.pruneIdle()
    } finally {
      turns.release(index)
    }
  }
  const deployHeld = async (req: SwarmRequest, side: Side | undefined): Promise<Swarm> => {
    checkAbort()
    const key: PoolKey = { topology: req.topology, size: req.size, deploy: req.deploy ?? 'parallel', side }
    const room = await d.makeRoom(req.size)
    // The k-th deploy of a shape on one side shares its sandboxes with the k-th of the same shape on the other.
    const shape = poolKey({ ...key, side: undefined })
    const k = (deploys.get(`${side}|${shape}`) ?? 0) + 1
    deploys.set(`${side}|${shape}`, k)
    const swarm = await deployTracked(d, entry, key, side ? `${entry.id}/${shape}#${k}` : undefined).finally(
      room
    )
    held.add(swarm)
    counts.deployed++
    checkAbort()
    return swarm
  }
  const withHold = async (req: SwarmRequest, get: () => Promise<Swarm>): Promise<Swarm> => {
    await hold(shapeOf(req))
    try {
      const swarm = await get()
      // Only now: a deploy ahead must not compete with this one for the creation rate.
      if (!whole) d.maybePrefetch(shapeOf(req))
      return swarm
    } catch (err) {
      turns.release(index)
      throw err
    }
  }
  // Where a duet's two sides decide together from what each measured (unused outside a duet).
  const meeting = new Meeting()
  /** The context one side's run of the benchmark sees (outside a duet, `side` is undefined). */
  const contextFor = (side: Side | undefined): BenchContext<object> => ({
    config,
    profile: config.profile,
    params,
    signal,
    agentsShareCpus: d.agentsShareCpus,
    progress: message => {
      if (side !== 'base') d.emit({ type: 'step', id: entry.id, message })
    },
    target: name => targetFor(`${entry.id}/${name}`, d.targets),
    ...(side
      ? {
          duet: {
            side,
            twin: d.twin,
            agree: (key, value, combine) => meeting.agree(side, key, value, combine)
          }
        }
      : {}),
    checkAbort,
    deploy: req => withHold(req, () => deployHeld(req, side)),
    swarm(req) {
      return withHold(req, async () => {
        await d.prefetched(shapeOf(req))
        const mode = req.deploy ?? 'parallel'
        const other = mode === 'parallel' ? 'sequential' : 'parallel'
        const found =
          (await pool.take({ topology: req.topology, size: req.size, deploy: mode, side })) ??
          (req.deploy
            ? undefined
            : await pool.take({ topology: req.topology, size: req.size, deploy: other, side }))
        const swarm = found ?? (await deployHeld(req, side))
        if (found) {
          held.add(found)
          counts.reused++
          // Counters belong to the benchmark that reads them: start from zero.
          await found.resetCounters()
        }
        // With the turn held, just before this benchmark measures: the runner floor at this moment.
        if (side !== 'base') await d.floor.sample(swarm, signal)
        return swarm
      })
    },
    release: swarm => unhold(swarm, 'release'),
    discard: swarm => unhold(swarm, 'discard')
  })

  const outcomes: Outcome[] = []
  let duetFacts: Record<string, unknown> = {}
  try {
    params = { ...bench.params(config.profile, config, { duet: d.duet }) }
    if (whole) await turns.acquire(index, undefined)
    if (!d.duet) outcomes.push(await outcomeOf(settle(bench.run(contextFor(undefined)), signal, graceOf(d))))
    else {
      // Both sides run the same benchmark code at once; the gate pairs their swarm operations one by one.
      // Seeded per run: which side goes first in a block's first pair differs from one run to the next.
      const gate = new Lockstep(hashSeed(`${config.runTag}/${entry.id}`), d.pairing)
      const sides = (['head', 'base'] as const).map(side =>
        outcomeOf(
          settle(
            runAsSide(gate, side, () => bench.run(pairedSwarm(contextFor(side), gate, side))),
            signal,
            graceOf(d)
          )
        ).finally(() => {
          gate.finish(side)
          meeting.finish(side)
        })
      )
      outcomes.push(...(await Promise.all(sides)))
      duetFacts = { duetPairs: gate.stats.pairs, duetSolo: gate.stats.solo }
      // What the head measured of the base's code in its own agents (the strategy twin) stands for the base.
      const [head, baseSide] = outcomes
      const twinned = head.out?.baseMetrics
      if (twinned && baseSide.out) {
        const own = baseSide.out.metrics
        const byName = new Map(twinned.map(m => [m.name, m]))
        const kept = own.map(m => byName.get(m.name) ?? m)
        const added = twinned.filter(m => !own.some(o => o.name === m.name))
        baseSide.out = { ...baseSide.out, metrics: [...kept, ...added] }
      }
    }
  } catch (err) {
    outcomes.push({ error: errorText(err) })
  } finally {
    const error = outcomes.some(o => o.error !== undefined)
    // A benchmark that ended cleanly hands its swarms back; after an error their state is unknown: kill them.
    for (const s of [...held]) {
      held.delete(s)
      await (error ? pool.discard(s) : pool.release(s))
    }
    // Sandboxes of this benchmark's own deploys (labels start with its id) that no pooled swarm holds.
    const pooled = new Set(pool.all().flatMap(s => s.sandboxes))
    await Promise.all(
      provider
        .live()
        .filter(s => s.label.startsWith(`${entry.id}/`) && !pooled.has(s))
        .map(s => s.kill())
    )
    d.remaining.delete(index)
    if (turns.current === index || turns.current === undefined) await d.pruneIdle()
    turns.finish(index)
  }
  // Never had the turn and the run was interrupted: it did not run.
  if (signal.aborted && d.startedAt() === undefined) {
    const skipped = notRun(entry, `not run: the run was interrupted (${reasonOf(signal)})`)
    return [skipped, d.duet ? skipped : undefined]
  }
  // Time spent waiting for other benchmarks' turns is not this benchmark's.
  const durationMs = Math.max(0, performance.now() - (d.startedAt() ?? t0) - (turns.waitedMs.get(index) ?? 0))
  const extra = {
    strategy: config.strategyPath ? `custom (${basename(config.strategyPath)})` : 'built-in rotation',
    swarmsReused: counts.reused,
    swarmsDeployed: counts.deployed,
    ...duetFacts
  }
  const resultOf = (o: Outcome | undefined): BenchmarkResult =>
    toResult(entry, { ...params, ...(o?.out?.params ?? {}), ...extra }, o ?? { error: 'not run' }, durationMs)
  return [resultOf(outcomes[0]), d.duet ? resultOf(outcomes[1] ?? outcomes[0]) : undefined]
}

interface Outcome {
  out?: BenchOutput
  error?: string
}

const graceOf = (d: RunOneDeps): number => d.graceMs ?? 5000

/** A benchmark's output, or its error as text (an empty output is an error too). */
async function outcomeOf(p: Promise<BenchOutput>): Promise<Outcome> {
  try {
    const out = await p
    return out.metrics.length === 0 ? { error: 'the benchmark produced no metrics' } : { out }
  } catch (err) {
    return { error: errorText(err) }
  }
}

/** The validated result of one benchmark's run (of one side, in a duet). */
function toResult(
  entry: CatalogEntry,
  params: Record<string, unknown>,
  o: Outcome,
  durationMs: number
): BenchmarkResult {
  const base = { id: entry.id, category: entry.category, title: entry.title }
  const { error } = o
  const metrics = o.out?.metrics ?? []
  const result = {
    ...base,
    status: (error ? 'error' : benchmarkStatus(metrics)) as BenchmarkStatus,
    params,
    metrics: error ? [] : metrics,
    facts: error ? {} : (o.out?.facts ?? {}),
    error: error ? error.slice(0, 4000) : undefined,
    durationMs
  }
  const parsed = BenchmarkResult.safeParse(result)
  if (parsed.success) return parsed.data
  // A benchmark bug (a NaN, a duplicate name) must not cost the whole results file.
  const why = parsed.error.issues
    .slice(0, 3)
    .map(i => `${i.path.join('.')}: ${i.message}`)
    .join('; ')
  return {
    ...base,
    status: 'error',
    params: {},
    metrics: [],
    facts: {},
    error: `invalid result: ${why}`,
    durationMs
  }
}

/** `topology:size` shapes a benchmark declares it borrows (none when its params cannot be built). */
function declaredBorrows(id: string, config: RunConfig): string[] {
  const bench = BENCHMARKS.get(id)
  try {
    return bench?.borrows ? bench.borrows(bench.params(config.profile, config)).map(shapeOf) : []
  } catch {
    return []
  }
}

/** The benchmark's outcome, or an InterruptedError once the abort's grace period is over. */
function settle<T>(p: Promise<T>, signal: AbortSignal, graceMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined
    const onAbort = (): void => {
      timer = setTimeout(() => reject(new InterruptedError(reasonOf(signal))), graceMs)
    }
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
    }
    p.then(
      v => {
        done()
        if (signal.aborted) reject(new InterruptedError(reasonOf(signal)))
        else resolve(v)
      },
      (err: unknown) => {
        done()
        reject(signal.aborted ? new InterruptedError(reasonOf(signal)) : err)
      }
    )
  })
}

function notRun(entry: CatalogEntry, why: string): BenchmarkResult {
  return {
    id: entry.id,
    category: entry.category,
    title: entry.title,
    status: 'skipped',
    params: {},
    metrics: [],
    facts: {},
    error: why,
    durationMs: 0
  }
}
