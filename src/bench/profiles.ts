// The two profiles in one table: `full` carries the seed's parameters, `quick` the smaller ones a pull request can
// afford (every benchmark well under a minute on a 2-core machine with the local provider). Benchmarks read
// their own block; nothing else decides sizes. Quick still gives each gated timing hundreds of samples, so its
// headline is known to a few percent and a 25 % change can be called (`npm run bench:detector` checks it).
import type { Profile } from '../config/run-config.js'

export interface ProfileParams {
  swarmInit: { size: number; runs: number }
  agentDeploy: { size: number; runs: number }
  parallelSpeedup: { size: number; runs: number }
  agentCount: { sizes: number[]; deploysPerSize: number; backtestsPerAgent: number; bars: number }
  linear: { sizes: number[] }
  topologyCompare: { size: number; consensusRounds: number; pings: number; sends: number }
  strategyExecution: { executions: number; throughputBatches: number; bars: number; agents: number }
  taskDistribution: { tasks: number; agents: number; repetitions: number; bars: number }
  consensus: { rounds: number; agents: number }
  interAgentLatency: { agents: number; pingsPerEdge: number; hopMessages: number; payloadBytes: number }
  stateSync: { size: number; syncs: number; stateBytes: number }
  /** depths: pipeline depths tried in order (stopping once the rate saturates); windowMs: one measured window;
   * repeats: extra windows at the saturation depth. */
  messageThroughput: {
    agents: number
    batches: number
    messagesPerBatch: number
    payloadBytes: number
    depths: number[]
    windowMs: number
    repeats: number
  }
  memory: { sizes: number[] }
  /** blocks: the workload's repeats, each read apart; the counts are per block. */
  cpu: {
    size: number
    blocks: number
    consensusRounds: number
    executionsPerAgent: number
    tasksPerAgent: number
    pings: number
    bars: number
  }
  network: { size: number; batches: number; opsPerBatch: number; stateBytes: number; payloadBytes: number }
  costPerOperation: { agents: number; batches: number; opsPerBatch: number; bars: number }
  costByTopology: { size: number; repetitions: number; consensusRounds: number; tasks: number; bars: number }
  costScaling: {
    sizes: number[]
    batches: number
    /** Backtests per batch, the same at every size. */
    tasks: number
    consensusRounds: number
    bars: number
  }
}

const FULL: ProfileParams = {
  swarmInit: { size: 3, runs: 5 },
  agentDeploy: { size: 5, runs: 2 },
  parallelSpeedup: { size: 8, runs: 3 },
  agentCount: { sizes: [1, 5, 10], deploysPerSize: 3, backtestsPerAgent: 5, bars: 500 },
  linear: { sizes: [2, 4, 8, 12, 16, 20] },
  topologyCompare: { size: 8, consensusRounds: 10, pings: 10, sends: 10 },
  strategyExecution: { executions: 50, throughputBatches: 5, bars: 500, agents: 3 },
  taskDistribution: { tasks: 100, agents: 6, repetitions: 3, bars: 400 },
  consensus: { rounds: 20, agents: 6 },
  interAgentLatency: { agents: 6, pingsPerEdge: 30, hopMessages: 100, payloadBytes: 1024 },
  stateSync: { size: 8, syncs: 10, stateBytes: 10 * 1024 },
  messageThroughput: {
    agents: 6,
    batches: 5,
    messagesPerBatch: 100,
    payloadBytes: 256,
    depths: [1, 4, 16, 64],
    windowMs: 1000,
    repeats: 4
  },
  memory: { sizes: [1, 5, 10] },
  cpu: {
    size: 8,
    blocks: 5,
    consensusRounds: 2,
    executionsPerAgent: 2,
    tasksPerAgent: 2,
    pings: 2,
    bars: 500
  },
  network: { size: 8, batches: 5, opsPerBatch: 5, stateBytes: 10 * 1024, payloadBytes: 256 },
  costPerOperation: { agents: 6, batches: 5, opsPerBatch: 10, bars: 400 },
  costByTopology: { size: 8, repetitions: 3, consensusRounds: 5, tasks: 24, bars: 400 },
  costScaling: { sizes: [2, 5, 10, 15], batches: 3, tasks: 60, consensusRounds: 3, bars: 400 }
}

const QUICK: ProfileParams = {
  swarmInit: { size: 3, runs: 5 },
  agentDeploy: { size: 4, runs: 2 },
  parallelSpeedup: { size: 4, runs: 4 },
  agentCount: { sizes: [1, 2, 4], deploysPerSize: 3, backtestsPerAgent: 5, bars: 300 },
  linear: { sizes: [2, 4, 6] },
  topologyCompare: { size: 5, consensusRounds: 8, pings: 5, sends: 5 },
  strategyExecution: { executions: 200, throughputBatches: 6, bars: 300, agents: 3 },
  taskDistribution: { tasks: 30, agents: 4, repetitions: 5, bars: 200 },
  consensus: { rounds: 150, agents: 4 },
  interAgentLatency: { agents: 4, pingsPerEdge: 30, hopMessages: 100, payloadBytes: 1024 },
  stateSync: { size: 5, syncs: 8, stateBytes: 10 * 1024 },
  messageThroughput: {
    agents: 4,
    batches: 15,
    messagesPerBatch: 20,
    payloadBytes: 256,
    depths: [1, 4, 16, 64],
    windowMs: 250,
    repeats: 2
  },
  memory: { sizes: [1, 2, 4] },
  cpu: {
    size: 5,
    blocks: 4,
    consensusRounds: 1,
    executionsPerAgent: 2,
    tasksPerAgent: 2,
    pings: 1,
    bars: 300
  },
  network: { size: 5, batches: 6, opsPerBatch: 3, stateBytes: 10 * 1024, payloadBytes: 256 },
  costPerOperation: { agents: 4, batches: 6, opsPerBatch: 5, bars: 200 },
  costByTopology: { size: 5, repetitions: 4, consensusRounds: 2, tasks: 10, bars: 200 },
  costScaling: { sizes: [2, 3, 4], batches: 4, tasks: 12, consensusRounds: 2, bars: 200 }
}

export const PROFILES: Record<Profile, ProfileParams> = { quick: QUICK, full: FULL }

/** What a benchmark's parameters may depend on besides the profile: whether the run is a duet. */
export interface RunShape {
  duet: boolean
}

const SINGLE_RUN: RunShape = { duet: false }

type Minimums = { [K in keyof ProfileParams]?: Partial<Record<keyof ProfileParams[K], number>> }

/**
 * A duet judges each headline on its pairs, and an operation with few pairs cannot resolve a 20 % slowdown at
 * the gate's level however steady it is (bench:duet's MDE table). In a duet these counts are at least the numbers
 * below; a single run keeps its profile's. They are sized to keep a duet within 1.5× a single run's sandbox-seconds
 * under realistic E2B latencies, where every consensus round and state sync costs several network hops
 * (bench:plan; docs/performance.md §3b).
 */
export const DUET_MINIMUMS: Minimums = {
  // ping_rtt_ms per topology: 15 pings per edge make 3 blocks of 5 per directed edge (the ring has 10 of them).
  topologyCompare: { consensusRounds: 26, pings: 15 },
  stateSync: { syncs: 26 },
  interAgentLatency: { hopMessages: 200 },
  // saturated_msg_per_s: one pair per window at the saturation depth.
  messageThroughput: { repeats: 7 },
  // makespan_ms: one pair per repetition.
  taskDistribution: { repetitions: 16 }
}

/** The profile's parameters; in a duet, raised to DUET_MINIMUMS. */
export function profileParams(profile: Profile, run: RunShape = SINGLE_RUN): ProfileParams {
  const params = PROFILES[profile]
  if (!run.duet) return params
  const raised = { ...params } as Record<string, Record<string, unknown>>
  for (const [block, mins] of Object.entries(DUET_MINIMUMS) as [string, Record<string, number>][]) {
    const own = { ...raised[block] }
    for (const [k, min] of Object.entries(mins)) own[k] = Math.max(own[k] as number, min)
    raised[block] = own
  }
  return raised as unknown as ProfileParams
}
