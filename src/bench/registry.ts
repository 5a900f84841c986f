// Every benchmark, in report order: adding one is its file and one line here (the catalog is derived from this).
import * as communication from './communication.js'
import * as costs from './costs.js'
import * as creation from './creation.js'
import * as resources from './resources.js'
import * as scalability from './scalability.js'
import * as trading from './trading.js'
import type { AnyBenchmark } from './types.js'

export const ALL_BENCHMARKS: readonly AnyBenchmark[] = [
  creation.swarmInit,
  creation.agentDeploy,
  creation.parallelSpeedup,
  scalability.agentCount,
  scalability.linear,
  scalability.topologyCompare,
  trading.strategyExecution,
  trading.taskDistribution,
  trading.consensus,
  communication.interAgentLatency,
  communication.stateSync,
  communication.messageThroughput,
  resources.memory,
  resources.cpu,
  resources.network,
  costs.perOperation,
  costs.byTopology,
  costs.scaling
]

export const BENCHMARKS: ReadonlyMap<string, AnyBenchmark> = new Map(ALL_BENCHMARKS.map(b => [b.id, b]))
