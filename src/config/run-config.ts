// What the engine runs on: the validated run configuration's shape and its closed lists. Apart from config.ts (the
// parser, which reads the benchmark catalog) so that the benchmarks can name these types without a circle.
import { TOPOLOGY_NAMES } from '../swarm/topology.js'
import type { ProviderName } from '../sandbox/types.js'
import { PAIRINGS } from '../results/schema.js'

export const PROFILES = ['quick', 'full'] as const
/** `duet-pairs`: how a duet's paired requests run; `auto` asks the provider (its `concurrentDuetPairs` trait). */
export const DUET_PAIRS = ['auto', ...PAIRINGS] as const
export const TOPOLOGIES = TOPOLOGY_NAMES

export type Profile = (typeof PROFILES)[number]
export type Topology = (typeof TOPOLOGIES)[number]
export type DuetPairs = (typeof DUET_PAIRS)[number]

export interface RunConfig {
  provider: ProviderName
  /** Why the provider was chosen, for a notice when `auto` fell back to local. */
  providerReason: string
  profile: Profile
  topologies: Topology[]
  /** Benchmark ids to run; all when the input was empty. */
  only: string[]
  outDir: string
  strategyPath?: string
  /** The user's agent hooks: a Python module (or package folder) loaded in every agent (see docs/protocol.md). */
  agentHooks?: string
  /** JSON object handed to the hooks' setup(config). */
  hooksConfig: Record<string, unknown>
  /** Budget of each hook call inside the agent. */
  hooksTimeoutMs: number
  /** A pip requirements file installed once per sandbox before its agent starts (timed apart), where the
   * provider installs requirements (its `installsRequirements` trait). */
  e2bRequirements?: string
  pricing: { usdPerVcpuSecond: number; usdPerGibSecond: number }
  /** Window over which costs.by-topology measures a workload (the seed used 60 s). */
  costWindowSeconds: number
  /**
   * Every registered provider's settings, parsed by its plug-in and keyed by its name: all of them, so a bad
   * value fails the run whichever provider it uses. Only the plug-in reads its own.
   */
  providers: Record<ProviderName, unknown>
  /** Tag put on every sandbox and agent process of this run, so sweeps find them. */
  runTag: string
  failOnTarget: boolean
  /** How a duet's paired requests run: back to back in a random order, at the same time, or as the provider says. */
  duetPairs: DuetPairs
}
