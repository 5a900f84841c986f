// The benchmark matrix: six categories × three benchmarks, with the ids the results file and report key on.
import type { Category } from '../results/schema.js'

export interface CatalogEntry {
  id: string
  category: Category
  title: string
}

export const CATALOG: readonly CatalogEntry[] = [
  {
    id: 'creation.swarm-init',
    category: 'creation',
    title: 'Swarm initialization (mesh of 3: created, linked, ready)'
  },
  {
    id: 'creation.agent-deploy',
    category: 'creation',
    title: 'Agent deployment phases (create, upload, start, first answer)'
  },
  {
    id: 'creation.parallel-speedup',
    category: 'creation',
    title: 'Parallel vs sequential deployment of the same swarm'
  },
  {
    id: 'scalability.agent-count',
    category: 'scalability',
    title: 'Agent count scaling (creation and strategy time per agent)'
  },
  {
    id: 'scalability.linear-2-20',
    category: 'scalability',
    title: 'Scaling from 2 to 20 agents (creation and resources per agent)'
  },
  { id: 'scalability.topology-compare', category: 'scalability', title: 'Topology comparison at equal size' },
  {
    id: 'trading.strategy-execution',
    category: 'trading',
    title: 'Strategy execution latency and throughput'
  },
  { id: 'trading.task-distribution', category: 'trading', title: 'Task distribution over the swarm' },
  {
    id: 'trading.consensus',
    category: 'trading',
    title: 'Consensus rounds: decision time and verified agreement'
  },
  {
    id: 'communication.inter-agent-latency',
    category: 'communication',
    title: 'Agent-to-agent round trip over real links'
  },
  {
    id: 'communication.state-sync',
    category: 'communication',
    title: 'State synchronization flooded to all agents'
  },
  {
    id: 'communication.message-throughput',
    category: 'communication',
    title: 'Message throughput over real links'
  },
  { id: 'resources.memory', category: 'resources', title: 'Memory per agent' },
  { id: 'resources.cpu', category: 'resources', title: 'CPU per agent for a fixed workload, per topology' },
  { id: 'resources.network', category: 'resources', title: 'Bytes and messages per operation' },
  { id: 'costs.per-operation', category: 'costs', title: 'Cost per operation' },
  { id: 'costs.by-topology', category: 'costs', title: 'Cost of the same workload per topology' },
  { id: 'costs.scaling', category: 'costs', title: 'Cost per operation as the swarm grows' }
]

export const BENCHMARK_IDS: readonly string[] = CATALOG.map(e => e.id)
export const CATEGORIES: readonly Category[] = [
  'creation',
  'scalability',
  'trading',
  'communication',
  'resources',
  'costs'
]
