// The versioned results file (`swarm-bench-results.json`): the one contract between the engine, the comparison,
// the renderers and the baseline artifact. Validated on write and on read; nothing downstream trusts raw JSON.
import { z } from 'zod'

// 2: the history cap rose from 50 to MAX_HISTORY runs (nothing else changed). Readers take version 1 files as
// version 2 (see `parseResults`); a version-1 reader refuses a version-2 file as newer and runs without it.
export const SCHEMA_VERSION = 2
/** Oldest results file version this reader still takes (migrated on read). */
export const MIN_SCHEMA_VERSION = 1
export const RESULTS_FILE = 'swarm-bench-results.json'
export const REPORT_FILE = 'SWARM_BENCHMARKS_REPORT.md'
/** Raw samples kept per metric; the summary is computed from all samples before capping. */
export const MAX_SAMPLES = 1000
/** History runs a results file may carry (the `history-runs` input's maximum); version 1 allowed 50. */
export const MAX_HISTORY = 500
export const MAX_HISTORY_V1 = 50
/** History runs kept by default: enough for change points that persist over weeks of merges. */
export const DEFAULT_HISTORY_RUNS = 100

const finite = z.number().refine(Number.isFinite, 'must be a finite number')

export const Direction = z.enum(['lower', 'higher'])
export type Direction = z.infer<typeof Direction>

export const BenchmarkStatus = z.enum(['passed', 'failed', 'error', 'skipped'])
export type BenchmarkStatus = z.infer<typeof BenchmarkStatus>

export const Category = z.enum(['creation', 'scalability', 'trading', 'communication', 'resources', 'costs'])
export type Category = z.infer<typeof Category>

export const Summary = z.object({
  n: z.number().int().nonnegative(),
  mean: finite,
  median: finite,
  stddev: finite,
  min: finite,
  max: finite,
  p50: finite,
  p95: finite,
  p99: finite,
  /** Which statistic the interval is for: median for times, mean for rates. */
  headline: z.enum(['median', 'mean']),
  ci: z.object({ level: finite, low: finite, high: finite })
})
export type Summary = z.infer<typeof Summary>

export const Target = z.object({
  op: z.enum(['<', '<=', '>', '>=']),
  value: finite,
  /** Which statistic is held against the target. */
  stat: z.enum(['median', 'mean', 'p95', 'p99', 'max', 'min']),
  source: z.enum(['seed', 'user'])
})
export type Target = z.infer<typeof Target>

export const Metric = z.object({
  /** Unique within its benchmark, e.g. `host_rtt_ms` or `consensus_ms.mesh`. */
  name: z.string().min(1).max(200),
  unit: z.string().max(40),
  direction: Direction,
  /** Where the figure was taken: inside the agent, by the host, by the provider, or derived from others. */
  source: z.enum(['agent', 'host', 'provider', 'derived']),
  description: z.string().max(500).optional(),
  labels: z.record(z.string(), z.union([z.string(), finite])).optional(),
  samples: z.array(finite).max(MAX_SAMPLES),
  summary: Summary,
  target: Target.optional(),
  /** Set when a target exists: whether the run met it. */
  targetMet: z.boolean().optional(),
  /** Headline metrics take part in regression gating; context metrics are reported only. */
  gate: z.boolean().default(true)
})
export type Metric = z.infer<typeof Metric>

export const BenchmarkResult = z.object({
  id: z.string().regex(/^[a-z]+\.[a-z0-9-]+$/),
  category: Category,
  title: z.string().max(200),
  status: BenchmarkStatus,
  params: z.record(z.string(), z.unknown()),
  metrics: z.array(Metric),
  /** Measured facts that are not samples (fitted exponents, topology winners, hop counts). */
  facts: z.record(z.string(), z.union([z.string(), finite, z.boolean()])).default({}),
  error: z.string().max(4000).optional(),
  durationMs: finite
})
export type BenchmarkResult = z.infer<typeof BenchmarkResult>

export const Environment = z.object({
  node: z.string(),
  python: z.string().optional(),
  platform: z.string(),
  arch: z.string(),
  cpus: z.number().int().positive(),
  cpuModel: z.string(),
  memoryTotalBytes: finite,
  providerDetails: z.record(z.string(), z.union([z.string(), finite, z.boolean()])),
  /** The user's agent hooks module and the hooks it defines (the rest ran built in). */
  hooks: z.object({ module: z.string(), user: z.array(z.string()) }).optional()
})
export type Environment = z.infer<typeof Environment>

export const Pricing = z.object({
  usdPerVcpuSecond: finite,
  usdPerGibSecond: finite
})
export type Pricing = z.infer<typeof Pricing>

export const CostTotals = z.object({
  pricing: Pricing,
  sandboxes: z.number().int().nonnegative(),
  sandboxSeconds: finite,
  vcpuSeconds: finite,
  gibSeconds: finite,
  usd: finite,
  /** True on the local provider: allocation is nominal, figures are "estimated as if on E2B". */
  estimated: z.boolean()
})
export type CostTotals = z.infer<typeof CostTotals>

/** One earlier default-branch run, condensed: what between-run noise is estimated from. */
export const HistoryEntry = z.object({
  runId: z.string().optional(),
  sha: z.string().optional(),
  startedAt: z.string(),
  /** `benchmarkId/metricName` → headline statistic of that run. */
  values: z.record(z.string(), finite)
})
export type HistoryEntry = z.infer<typeof HistoryEntry>

export const RunInfo = z.object({
  /** A provider's name; readers check it is one this build registers (src/sandbox/registry.ts). */
  provider: z.string().min(1),
  profile: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  durationMs: finite,
  environment: Environment,
  git: z
    .object({ sha: z.string().optional(), ref: z.string().optional(), runId: z.string().optional() })
    .optional(),
  /** False when the run was interrupted or a fatal error stopped it: the results are partial. */
  complete: z.boolean(),
  /**
   * The runner floor: fixed interpreter work timed inside an agent through the run, which no change to the code can
   * move. How much it moved between two runs is how much the machine did (see src/bench/floor.ts).
   */
  floor: Metric.optional()
})
export type RunInfo = z.infer<typeof RunInfo>

/** What the base side of a duet ran: the code under test as of the base commit. */
export const DuetBase = z.object({
  /** The ref asked for (`origin/main`, a SHA) and the commit it resolved to. */
  ref: z.string(),
  sha: z.string().optional(),
  /** Which code under test differs between the sides (`agent`, `strategy`); empty: an A/A duet. */
  changed: z.array(z.string()),
  /** Anything the reader must know about how the base was built (a strategy new in the head, ...). */
  notes: z.array(z.string()).default([])
})
export type DuetBase = z.infer<typeof DuetBase>

/** How a duet's pairs of requests run: one after the other in a random order, or both at once. */
export const PAIRINGS = ['interleaved', 'concurrent'] as const
export type Pairing = (typeof PAIRINGS)[number]

/** A duet: the base's code measured in the same run, operation by operation beside the head's. */
export const DuetRun = z.object({
  base: DuetBase,
  /** How each pair of requests ran: back to back in a random order, or both at once (absent: interleaved). */
  pairing: z.enum(PAIRINGS).optional(),
  /** The base side's results, benchmark by benchmark; `benchmarks` at the top level are the head's. */
  benchmarks: z.array(BenchmarkResult)
})
export type DuetRun = z.infer<typeof DuetRun>

export const Results = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  tool: z.object({ name: z.literal('swarm-bench'), version: z.string() }),
  run: RunInfo,
  benchmarks: z.array(BenchmarkResult),
  cost: CostTotals,
  /** Rolling history of earlier baseline runs (newest first), carried forward by baseline uploads. */
  history: z.array(HistoryEntry).max(MAX_HISTORY).default([]),
  /** Present when the run was a duet (base and head side by side). */
  duet: DuetRun.optional()
})
export type Results = z.infer<typeof Results>

/** Key of a metric across runs. */
export const metricKey = (benchmarkId: string, metricName: string): string => `${benchmarkId}/${metricName}`

/** The runner floor's name, and its key among a history entry's values. */
export const FLOOR_METRIC = 'cpu_floor_ms'
export const FLOOR_KEY = metricKey('run', FLOOR_METRIC)
