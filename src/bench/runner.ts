// The runner: selected benchmarks in catalog order, each isolated (an error is recorded and the run goes on, its
// sandboxes are killed), swarms shared through a small pool, the environment measured as the run finds it, costs
// from what the provider billed, and partial results when the run is interrupted.
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CATALOG, type CatalogEntry } from './catalog.js'
import { BENCHMARKS } from './registry.js'
import { SwarmPool, poolKey, shapeOf, type PoolKey } from './pool.js'
import { targetFor, type TargetOverrides } from './targets.js'
import type { BenchContext, BenchOutput, ProgressEvent, SwarmRequest } from './types.js'
import type { RunConfig } from '../config/config.js'
import { costOf } from '../cost/pricing.js'
import { benchmarkStatus } from '../results/metric.js'
import {
  BenchmarkResult,
  Results,
  SCHEMA_VERSION,
  type BenchmarkStatus,
  type Environment
} from '../results/schema.js'
import { createProvider, runMetadata } from '../sandbox/factory.js'
import type { Provider, Sandbox } from '../sandbox/types.js'
import { collectAgentFiles, type AgentFiles } from '../sandbox/agent-files.js'
import { deploySwarm, type Swarm } from '../swarm/swarm.js'

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
}

/** Thrown inside a benchmark when the run was interrupted. */
export class InterruptedError extends Error {
  constructor(reason: string) {
    super(`interrupted (${reason}) before this benchmark finished`)
    this.name = 'InterruptedError'
  }
}

const LOCAL_POOL_AGENTS = 64

export async function runBenchmarks(config: RunConfig, opts: RunOptions = {}): Promise<Results> {
  const startedAt = new Date()
  const t0 = performance.now()
  const signal = opts.signal ?? new AbortController().signal
  const emit = (e: ProgressEvent): void => {
    try {
      opts.onProgress?.(e)
    } catch {
      // a broken progress sink must not break the run
    }
  }
  const provider = opts.provider ?? createProvider(config, { log: opts.log })
  const selected = CATALOG.filter(e => config.only.includes(e.id))
  const pool = new SwarmPool({
    maxAgents:
      opts.poolMaxAgents ?? (provider.info.name === 'e2b' ? config.e2b.maxConcurrency : LOCAL_POOL_AGENTS),
    onError: m => opts.log?.(m)
  })
  const probe = new EnvironmentProbe(provider, config)
  // The agent's files are read once per run and uploaded to every sandbox from memory.
  let files: Promise<AgentFiles> | undefined
  const agentFiles = (): Promise<AgentFiles> =>
    (files ??= collectAgentFiles({ strategyPath: config.strategyPath }))
  // On abort, kill everything at once: in-flight agent requests then fail fast instead of running to the end.
  const onAbort = (): void => {
    void pool.drain()
    void provider.killAll()
  }
  signal.addEventListener('abort', onAbort, { once: true })

  emit({
    type: 'run-start',
    provider: provider.info.name,
    profile: config.profile,
    ids: selected.map(e => e.id)
  })
  const benchmarks: BenchmarkResult[] = []
  const borrows = selected.map(e => declaredBorrows(e.id, config))
  try {
    for (const [index, entry] of selected.entries()) {
      if (signal.aborted) {
        const r = notRun(entry, `not run: the run was interrupted (${reasonOf(signal)})`)
        benchmarks.push(r)
        emit({ type: 'done', id: entry.id, status: r.status, seconds: 0, error: r.error })
        continue
      }
      emit({ type: 'start', id: entry.id, title: entry.title, index, total: selected.length })
      const r = await runOne(entry, {
        config,
        provider,
        pool,
        probe,
        signal,
        emit,
        agentFiles,
        targets: opts.targets,
        graceMs: opts.abortGraceMs
      })
      benchmarks.push(r)
      emit({ type: 'done', id: entry.id, status: r.status, seconds: r.durationMs / 1000, error: r.error })
      // An idle swarm is billed while it waits, and creating one again costs far less than keeping it alive
      // across unrelated benchmarks (measured by bench:plan): keep only what the very next benchmark borrows.
      await pool.prune(new Set(borrows[index + 1] ?? []))
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
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
      complete
    },
    benchmarks,
    cost: costOf(
      provider.usage().filter(u => !probe.preexistingLabels.has(u.label)),
      config.pricing,
      provider.info.nominalAllocation
    ),
    history: []
  }
  return Results.parse(results)
}

interface RunOneDeps {
  config: RunConfig
  provider: Provider
  pool: SwarmPool
  probe: EnvironmentProbe
  signal: AbortSignal
  emit: (e: ProgressEvent) => void
  agentFiles: () => Promise<AgentFiles>
  targets?: TargetOverrides
  graceMs?: number
}

async function runOne(entry: CatalogEntry, d: RunOneDeps): Promise<BenchmarkResult> {
  const t0 = performance.now()
  const bench = BENCHMARKS.get(entry.id)
  const base = { id: entry.id, category: entry.category, title: entry.title }
  if (!bench)
    return {
      ...base,
      status: 'error',
      params: {},
      metrics: [],
      facts: {},
      error: 'no implementation registered',
      durationMs: 0
    }
  const { config, provider, pool, signal } = d
  const held = new Set<Swarm>()
  const before = new Set<Sandbox>(provider.live())
  let params: Record<string, unknown> = {}
  let reused = 0
  let deployed = 0

  const checkAbort = (): void => {
    if (signal.aborted) throw new InterruptedError(reasonOf(signal))
  }
  const deploy = async (req: SwarmRequest): Promise<Swarm> => {
    checkAbort()
    const key: PoolKey = { topology: req.topology, size: req.size, deploy: req.deploy ?? 'parallel' }
    await pool.makeRoom(req.size)
    const swarm = await deploySwarm({
      provider,
      topology: req.topology,
      size: req.size,
      deploy: key.deploy,
      strategyPath: config.strategyPath,
      files: await d.agentFiles(),
      label: `${entry.id}/${poolKey(key)}`,
      runTag: config.runTag,
      metadata: runMetadata(config),
      signal
    })
    checkAbort()
    pool.track(swarm, key)
    held.add(swarm)
    d.probe.observe(swarm)
    deployed++
    return swarm
  }
  const ctx: BenchContext<object> = {
    config,
    profile: config.profile,
    params: {},
    signal,
    progress: message => d.emit({ type: 'step', id: entry.id, message }),
    target: name => targetFor(`${entry.id}/${name}`, d.targets),
    checkAbort,
    deploy,
    async swarm(req) {
      checkAbort()
      const mode = req.deploy ?? 'parallel'
      const other = mode === 'parallel' ? 'sequential' : 'parallel'
      const found =
        (await pool.take({ topology: req.topology, size: req.size, deploy: mode })) ??
        (req.deploy ? undefined : await pool.take({ topology: req.topology, size: req.size, deploy: other }))
      if (!found) return deploy(req)
      held.add(found)
      reused++
      // Counters belong to the benchmark that reads them: start from zero.
      await found.resetCounters()
      return found
    },
    async release(swarm) {
      held.delete(swarm)
      await pool.release(swarm)
    },
    async discard(swarm) {
      held.delete(swarm)
      await pool.discard(swarm)
    }
  }

  let out: BenchOutput | undefined
  let error: string | undefined
  try {
    params = { ...bench.params(config.profile, config) }
    ;(ctx as { params: object }).params = params
    out = await settle(bench.run(ctx), signal, d.graceMs ?? 5000)
    if (out.metrics.length === 0) error = 'the benchmark produced no metrics'
  } catch (err) {
    error = errorText(err)
  } finally {
    // A benchmark that ended cleanly hands its swarms back; after an error their state is unknown: kill them.
    for (const s of held) await (error ? pool.discard(s) : pool.release(s))
    const pooled = new Set(pool.all().flatMap(s => s.sandboxes))
    await Promise.all(
      provider
        .live()
        .filter(s => !before.has(s) && !pooled.has(s))
        .map(s => s.kill())
    )
  }
  const durationMs = performance.now() - t0
  const metrics = out?.metrics ?? []
  const result = {
    ...base,
    status: (error ? 'error' : benchmarkStatus(metrics)) as BenchmarkStatus,
    params: {
      ...params,
      ...(out?.params ?? {}),
      strategy: config.strategyPath ? `custom (${basename(config.strategyPath)})` : 'built-in rotation',
      swarmsReused: reused,
      swarmsDeployed: deployed
    },
    metrics: error ? [] : metrics,
    facts: error ? {} : (out?.facts ?? {}),
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

function reasonOf(signal: AbortSignal): string {
  const r: unknown = signal.reason
  if (typeof r === 'string') return r
  if (r instanceof Error && r.name !== 'AbortError') return r.message
  return 'aborted'
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name
  return String(err)
}

/** Measures the machine and the provider as this run finds them. */
class EnvironmentProbe {
  readonly preexisting: Set<Sandbox>
  readonly preexistingLabels: Set<string>
  private python: string | undefined
  private allocation: { vcpu: number; memoryMiB: number } | undefined

  constructor(
    private readonly provider: Provider,
    private readonly config: RunConfig
  ) {
    this.preexisting = new Set(provider.live())
    this.preexistingLabels = new Set(provider.usage().map(u => u.label))
  }

  observe(swarm: Swarm): void {
    this.python ??= swarm.deployReport.python
    this.allocation ??= swarm.sandboxes[0]?.allocation
  }

  environment(pool: SwarmPool): Environment {
    const cpus = os.cpus()
    const details: Environment['providerDetails'] = {
      name: this.provider.info.name,
      description: this.provider.info.description,
      nominalAllocation: this.provider.info.nominalAllocation,
      runTag: this.config.runTag,
      swarmsDeployed: pool.stats.deployed,
      swarmsReused: pool.stats.reused
    }
    if (this.allocation) {
      details.allocationVcpu = this.allocation.vcpu
      details.allocationMemoryMiB = this.allocation.memoryMiB
    }
    if (this.provider.info.name === 'e2b') {
      details.template = this.config.e2b.template
      details.plan = this.config.e2b.plan
      details.maxConcurrency = this.config.e2b.maxConcurrency
      details.createPerSecond = this.config.e2b.createPerSecond
    }
    return {
      node: process.version,
      python: this.python,
      platform: process.platform,
      arch: process.arch,
      cpus: Math.max(1, cpus.length || os.availableParallelism()),
      cpuModel: cpus[0]?.model?.trim() || 'unknown',
      memoryTotalBytes: os.totalmem(),
      providerDetails: details
    }
  }
}

function gitInfo(): Results['run']['git'] {
  const e = process.env
  if (!e.GITHUB_SHA && !e.GITHUB_REF && !e.GITHUB_RUN_ID) return undefined
  return { sha: e.GITHUB_SHA, ref: e.GITHUB_REF, runId: e.GITHUB_RUN_ID }
}

let cachedVersion: string | undefined
/** Version from our package.json, found by walking up from this module (works from src/ and from dist/). */
export function toolVersion(): string {
  if (cachedVersion) return cachedVersion
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string
        version?: string
      }
      if (pkg.name === 'swarm-bench-action' && pkg.version) return (cachedVersion = pkg.version)
    } catch {
      // not here
    }
    const up = dirname(dir)
    if (up === dir) break
    dir = up
  }
  return (cachedVersion = '0.0.0-unknown')
}
