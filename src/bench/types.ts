// What a benchmark is and what the runner hands it. A benchmark measures; the runner isolates, times, reuses
// swarms and turns outputs into results. Benchmarks never touch the SDK or a provider directly: only swarms.
import type { RunConfig, Profile, Topology as TopologyName } from '../config/run-config.js'
import type { BenchmarkStatus, Category, Metric, Target } from '../results/schema.js'
import type { Swarm } from '../swarm/swarm.js'
import type { RunShape } from './profiles.js'

export type Facts = Record<string, string | number | boolean>

export interface BenchOutput {
  metrics: Metric[]
  facts?: Facts
  /** Extra parameters discovered while running (e.g. which swarms were reused); merged over the declared ones. */
  params?: Record<string, unknown>
  /**
   * In a duet, on the head side: metrics of the base's code measured in the head's own agents (the strategy twin,
   * src/duet/twin.ts). They replace the base side's metrics of the same name, sample for sample paired with the
   * head's.
   */
  baseMetrics?: Metric[]
}

export interface SwarmRequest {
  topology: TopologyName
  size: number
  deploy?: 'parallel' | 'sequential'
}

export interface BenchContext<P> {
  readonly config: RunConfig
  readonly profile: Profile
  readonly params: P
  readonly signal: AbortSignal
  /** The agents share the runner's CPUs (the provider's `agentsShareCpus` trait). */
  readonly agentsShareCpus: boolean
  /** A progress line within a long benchmark (shown by the CLI). */
  progress(message: string): void
  /**
   * In a duet: which side this run of the benchmark is, and whether the head's agents hold the base's strategy
   * as their twin (`strategyPairs`), and a way to take data-driven decisions together (src/duet/meeting.ts).
   * Undefined outside a duet.
   */
  readonly duet?: {
    side: 'base' | 'head'
    twin: boolean
    /** A decision both sides take from what each measured: both go on with `combine(base's, head's)`. */
    agree<T>(key: string, value: T, combine: (base: T, head: T) => T): Promise<T>
  }
  /** The target of this benchmark's metric `name` (the seed's, or the run's override); undefined if none. */
  target(name: string): Target | undefined
  /** Throws when the run was interrupted; call between steps. */
  checkAbort(): void
  /** A swarm of this shape: borrowed from the pool when one is idle (counters reset), deployed otherwise. */
  swarm(req: SwarmRequest): Promise<Swarm>
  /** Always deploys a new swarm (creation benchmarks must measure a real deployment). */
  deploy(req: SwarmRequest): Promise<Swarm>
  /** Hand a swarm back to the pool for later benchmarks (or tear it down when the pool is full). */
  release(swarm: Swarm): Promise<void>
  /** Tear a swarm down now (its sandboxes are killed). */
  discard(swarm: Swarm): Promise<void>
}

export interface Benchmark<P extends object = Record<string, unknown>> {
  /** `<category>.<name>`: the key of the results file, the report and the `only` input. */
  id: string
  category: Category
  /** One line for the report, the comment and the progress log. */
  title: string
  /** The metric-name patterns a duet judges, the first its primary (its row in the PR comment); see duet/headlines.ts. */
  headlines?: readonly RegExp[]
  /** `run`: whether this is a duet, which may take more rounds (profiles.ts, DUET_MINIMUMS). */
  params(profile: Profile, config: RunConfig, run?: RunShape): P
  /** Swarm shapes this benchmark borrows with ctx.swarm(); the pool keeps idle swarms only while one is due. */
  borrows?(params: P): SwarmRequest[]
  run(ctx: BenchContext<P>): Promise<BenchOutput>
}

export type ProgressEvent =
  | { type: 'run-start'; provider: string; profile: string; ids: string[] }
  | { type: 'start'; id: string; title: string; index: number; total: number }
  | { type: 'step'; id: string; message: string }
  | { type: 'done'; id: string; status: BenchmarkStatus; seconds: number; error?: string }
  | { type: 'run-done'; complete: boolean; seconds: number }

/** Every benchmark is typed on its own params; the registry only needs the erased shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyBenchmark = Benchmark<any>
