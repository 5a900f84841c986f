// id → implementation, for every entry of the catalog (a test checks none is missing).
import * as communication from './communication.js'
import * as costs from './costs.js'
import * as creation from './creation.js'
import * as resources from './resources.js'
import * as scalability from './scalability.js'
import * as trading from './trading.js'
import type { AnyBenchmark } from './types.js'

const ALL: AnyBenchmark[] = [
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

export const BENCHMARKS: ReadonlyMap<string, AnyBenchmark> = new Map(ALL.map(b => [b.id, b]))
