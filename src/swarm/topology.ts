// Pure graph math for the swarm: which agents are linked, the next hop toward every destination (computed once,
// handed to the agents at link time), hop counts, and how many messages the flooding rule of docs/protocol.md
// must produce, so tests and benchmarks can hold measured counters against a prediction.
import { SwarmBenchError } from '../errors.js'

export const TOPOLOGY_NAMES = ['mesh', 'hierarchical', 'ring', 'star'] as const
export type TopologyName = (typeof TOPOLOGY_NAMES)[number]

/** Upper bound on swarm size: the next-hop and hop tables are n × n. */
export const MAX_TOPOLOGY_SIZE = 1000

export interface Topology {
  name: TopologyName
  n: number
  /** Undirected links, each once, as [a, b] with a < b, sorted. */
  edges: [number, number][]
  /** Neighbours of every agent, ascending. */
  adjacency: number[][]
  /** nextHop[a][b]: the neighbour of `a` on a shortest path to `b` (a itself when a === b, -1 if unreachable). */
  nextHop: number[][]
  /** hops[a][b]: shortest path length in links (-1 if unreachable). */
  hops: number[][]
  /** Longest shortest path between any two agents. */
  diameter: number
}

export class TopologyError extends SwarmBenchError {
  constructor(message: string) {
    super(message)
    this.name = 'TopologyError'
  }
}

export function isTopologyName(name: unknown): name is TopologyName {
  return typeof name === 'string' && (TOPOLOGY_NAMES as readonly string[]).includes(name)
}

/** Links for each shape. Hierarchical is a binary tree rooted at 0 (children of i: 2i+1, 2i+2); star's hub is 0. */
function edgesFor(name: TopologyName, n: number): [number, number][] {
  const edges: [number, number][] = []
  switch (name) {
    case 'mesh':
      for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) edges.push([a, b])
      break
    case 'hierarchical':
      for (let i = 1; i < n; i++) edges.push([Math.floor((i - 1) / 2), i])
      break
    case 'ring':
      // n = 2 closes the ring over the same pair: one link, not two.
      for (let i = 0; i < n; i++) {
        const j = (i + 1) % n
        if (i !== j && !(n === 2 && i === 1)) edges.push([Math.min(i, j), Math.max(i, j)])
      }
      break
    case 'star':
      for (let i = 1; i < n; i++) edges.push([0, i])
      break
  }
  return edges.sort((x, y) => x[0] - y[0] || x[1] - y[1])
}

/**
 * BFS from every destination: the BFS parent of `a` in the tree rooted at `b` is a's next hop toward `b`.
 * Neighbours are visited in ascending order, so ties break toward the lowest id and the table is deterministic.
 */
function shortestPaths(adjacency: number[][]): { nextHop: number[][]; hops: number[][] } {
  const n = adjacency.length
  const nextHop = Array.from({ length: n }, () => new Array<number>(n).fill(-1))
  const hops = Array.from({ length: n }, () => new Array<number>(n).fill(-1))
  for (let dest = 0; dest < n; dest++) {
    hops[dest][dest] = 0
    nextHop[dest][dest] = dest
    const queue = [dest]
    for (let q = 0; q < queue.length; q++) {
      const v = queue[q]
      for (const u of adjacency[v]) {
        if (hops[u][dest] !== -1) continue
        hops[u][dest] = hops[v][dest] + 1
        nextHop[u][dest] = v
        queue.push(u)
      }
    }
  }
  return { nextHop, hops }
}

export function buildTopology(name: string, n: number): Topology {
  if (!isTopologyName(name)) {
    throw new TopologyError(
      `unknown topology ${JSON.stringify(name)}; valid topologies: ${TOPOLOGY_NAMES.join(', ')}`
    )
  }
  if (!Number.isInteger(n) || n < 1 || n > MAX_TOPOLOGY_SIZE) {
    throw new TopologyError(
      `invalid swarm size ${String(n)} for topology ${name}; valid sizes: integers 1..${MAX_TOPOLOGY_SIZE}`
    )
  }
  const edges = edgesFor(name, n)
  const adjacency = Array.from({ length: n }, () => [] as number[])
  for (const [a, b] of edges) {
    adjacency[a].push(b)
    adjacency[b].push(a)
  }
  for (const list of adjacency) list.sort((x, y) => x - y)
  const { nextHop, hops } = shortestPaths(adjacency)
  let diameter = 0
  for (const row of hops) for (const h of row) diameter = Math.max(diameter, h)
  return { name, n, edges, adjacency, nextHop, hops, diameter }
}

/** Agents visited from `from` to `to` along next hops, both ends included. */
export function routePath(t: Topology, from: number, to: number): number[] {
  checkAgent(t, from)
  checkAgent(t, to)
  const path = [from]
  let at = from
  while (at !== to) {
    at = t.nextHop[at][to]
    if (at < 0) throw new TopologyError(`agent ${to} is unreachable from agent ${from} in ${t.name}-${t.n}`)
    path.push(at)
  }
  return path
}

/** Depth of the hierarchical tree (root at depth 0); for other shapes, the eccentricity of agent 0. */
export function depthFromRoot(t: Topology): number {
  return Math.max(...t.hops[0])
}

/**
 * Messages one flood from `origin` sends under the protocol's rule: the origin sends to all its neighbours; on
 * first receipt from `s`, an agent forwards to every neighbour that is neither `s` nor a neighbour of `s`.
 * Simulated with messages delivered in send order (first receipt = first message in FIFO order). For the four
 * shapes here the count does not depend on delivery order: trees have unique paths, a mesh never forwards, and
 * on a ring every non-origin agent forwards exactly once whichever side reaches it first.
 */
export function predictFloodMessages(t: Topology, origin: number): number {
  checkAgent(t, origin)
  const neighbourSets = t.adjacency.map(list => new Set(list))
  const seen = new Array<boolean>(t.n).fill(false)
  seen[origin] = true
  const queue: [from: number, to: number][] = t.adjacency[origin].map(v => [origin, v])
  let messages = 0
  for (let q = 0; q < queue.length; q++) {
    const [s, v] = queue[q]
    messages++
    if (seen[v]) continue
    seen[v] = true
    for (const w of t.adjacency[v]) if (w !== s && !neighbourSets[s].has(w)) queue.push([v, w])
  }
  return messages
}

/** Vote messages of one consensus round: every agent floods its own vote. */
export function predictConsensusMessages(t: Topology): number {
  let total = 0
  for (let o = 0; o < t.n; o++) total += predictFloodMessages(t, o)
  return total
}

/** A state sync from `origin`: the flood of `state` messages plus each other agent's ack routed hop by hop back. */
export function predictStateSyncMessages(t: Topology, origin: number): { state: number; ack: number } {
  const state = predictFloodMessages(t, origin)
  let ack = 0
  for (let v = 0; v < t.n; v++) if (v !== origin) ack += t.hops[v][origin]
  return { state, ack }
}

/** What the agent `id` receives in `link` (besides neighbour URLs): its next hops and the whole adjacency. */
export function routingFor(
  t: Topology,
  id: number
): { nextHop: Record<string, number>; adjacency: Record<string, number[]> } {
  checkAgent(t, id)
  const nextHop: Record<string, number> = {}
  for (let dest = 0; dest < t.n; dest++)
    if (dest !== id && t.nextHop[id][dest] >= 0) nextHop[dest] = t.nextHop[id][dest]
  const adjacency: Record<string, number[]> = {}
  t.adjacency.forEach((list, i) => (adjacency[i] = [...list]))
  return { nextHop, adjacency }
}

function checkAgent(t: Topology, id: number): void {
  if (!Number.isInteger(id) || id < 0 || id >= t.n) {
    throw new TopologyError(`agent id ${String(id)} is outside ${t.name}-${t.n} (valid: 0..${t.n - 1})`)
  }
}
