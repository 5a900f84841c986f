import { describe, expect, it } from 'vitest'
import {
  buildTopology,
  depthFromRoot,
  predictConsensusMessages,
  predictFloodMessages,
  predictStateSyncMessages,
  routePath,
  routingFor,
  TOPOLOGY_NAMES,
  type Topology
} from '../src/swarm/topology.js'

/** Every next-hop walk is a real path along edges with exactly hops[a][b] links. */
function checkRouting(t: Topology): void {
  const linked = new Set(t.edges.map(([a, b]) => `${a}-${b}`))
  for (let a = 0; a < t.n; a++) {
    for (let b = 0; b < t.n; b++) {
      const path = routePath(t, a, b)
      expect(path.length - 1).toBe(t.hops[a][b])
      for (let i = 1; i < path.length; i++) {
        const [x, y] = [path[i - 1], path[i]].sort((p, q) => p - q)
        expect(linked.has(`${x}-${y}`)).toBe(true)
      }
      expect(t.hops[a][b]).toBe(t.hops[b][a])
    }
  }
}

describe('buildTopology: the seed figures', () => {
  it('mesh: n(n-1)/2 links, max hop 1', () => {
    for (const n of [3, 5, 8, 20]) {
      const t = buildTopology('mesh', n)
      expect(t.edges).toHaveLength((n * (n - 1)) / 2)
      expect(t.diameter).toBe(1)
      checkRouting(t)
    }
  })

  it('hierarchical (binary tree): n-1 links, depth floor(log2 n); for 7 agents max hop between leaves is 4', () => {
    const t7 = buildTopology('hierarchical', 7)
    expect(t7.edges).toEqual([
      [0, 1],
      [0, 2],
      [1, 3],
      [1, 4],
      [2, 5],
      [2, 6]
    ])
    expect(depthFromRoot(t7)).toBe(2) // root to any leaf
    expect(t7.hops[3][6]).toBe(4) // leaf 3 → 1 → 0 → 2 → 6
    expect(t7.diameter).toBe(4) // "max hops" = longest shortest path between any two agents
    expect(routePath(t7, 3, 6)).toEqual([3, 1, 0, 2, 6])
    for (const n of [2, 3, 4, 8, 15, 16, 20]) {
      const t = buildTopology('hierarchical', n)
      expect(t.edges).toHaveLength(n - 1)
      expect(depthFromRoot(t)).toBe(Math.floor(Math.log2(n)))
      checkRouting(t)
    }
  })

  it('ring: n links, max hop floor(n/2)', () => {
    for (const n of [3, 4, 5, 6, 7, 20]) {
      const t = buildTopology('ring', n)
      expect(t.edges).toHaveLength(n)
      expect(t.diameter).toBe(Math.floor(n / 2))
      for (const list of t.adjacency) expect(list).toHaveLength(2)
      checkRouting(t)
    }
  })

  it('star: n-1 links, max hop 2 (leaf to leaf through the hub)', () => {
    for (const n of [3, 5, 20]) {
      const t = buildTopology('star', n)
      expect(t.edges).toHaveLength(n - 1)
      expect(t.diameter).toBe(2)
      expect(t.adjacency[0]).toHaveLength(n - 1)
      expect(routePath(t, 1, n - 1)).toEqual([1, 0, n - 1])
      checkRouting(t)
    }
  })
})

describe('buildTopology: edge cases and errors', () => {
  it('n = 1 has no links and diameter 0 for every shape', () => {
    for (const name of TOPOLOGY_NAMES) {
      const t = buildTopology(name, 1)
      expect(t.edges).toEqual([])
      expect(t.diameter).toBe(0)
      expect(t.nextHop).toEqual([[0]])
      expect(predictConsensusMessages(t)).toBe(0)
    }
  })

  it('n = 2 is one link for every shape (the ring does not double it)', () => {
    for (const name of TOPOLOGY_NAMES) {
      const t = buildTopology(name, 2)
      expect(t.edges).toEqual([[0, 1]])
      expect(t.diameter).toBe(1)
      expect(predictConsensusMessages(t)).toBe(2)
    }
  })

  it('invalid names and sizes throw errors naming the value and the valid values', () => {
    expect(() => buildTopology('torus', 4)).toThrow(/"torus".*mesh, hierarchical, ring, star/)
    expect(() => buildTopology('mesh', 0)).toThrow(/invalid swarm size 0 .*1\.\.1000/)
    expect(() => buildTopology('ring', 2.5)).toThrow(/2\.5/)
    expect(() => buildTopology('star', Number.NaN)).toThrow(/NaN/)
    expect(() => buildTopology('mesh', 1001)).toThrow(/1001/)
    const t = buildTopology('mesh', 3)
    expect(() => routePath(t, 0, 3)).toThrow(/agent id 3 .*0\.\.2/)
  })
})

describe('flooding predictions (docs/protocol.md)', () => {
  it('mesh sends n(n-1) votes per round, each origin n-1', () => {
    for (const n of [2, 3, 5, 10]) {
      const t = buildTopology('mesh', n)
      expect(predictFloodMessages(t, 0)).toBe(n - 1)
      expect(predictConsensusMessages(t)).toBe(n * (n - 1))
    }
  })

  it('trees and stars send n(n-1) (n-1 per origin, forwarded over several hops)', () => {
    for (const n of [3, 7, 10]) {
      for (const name of ['hierarchical', 'star'] as const) {
        const t = buildTopology(name, n)
        for (let o = 0; o < n; o++) expect(predictFloodMessages(t, o)).toBe(n - 1)
        expect(predictConsensusMessages(t)).toBe(n * (n - 1))
      }
    }
  })

  it('ring of n >= 4 sends n(n+1); a ring of 3 is a triangle and sends n(n-1)', () => {
    for (const n of [4, 5, 6, 9]) expect(predictConsensusMessages(buildTopology('ring', n))).toBe(n * (n + 1))
    expect(predictConsensusMessages(buildTopology('ring', 3))).toBe(6)
  })

  it('state sync: flood plus acks routed back over hops', () => {
    const t = buildTopology('hierarchical', 7)
    // acks from 1,2 (1 hop) and 3,4,5,6 (2 hops) to the root
    expect(predictStateSyncMessages(t, 0)).toEqual({ state: 6, ack: 2 + 4 * 2 })
    const ring = buildTopology('ring', 6)
    expect(predictStateSyncMessages(ring, 0)).toEqual({ state: 7, ack: 1 + 2 + 3 + 2 + 1 })
  })
})

describe('routingFor', () => {
  it('gives an agent its next hop toward every other agent and the whole adjacency', () => {
    const t = buildTopology('ring', 6)
    const r = routingFor(t, 0)
    expect(r.nextHop).toEqual({ '1': 1, '2': 1, '3': 1, '4': 5, '5': 5 })
    expect(r.adjacency['3']).toEqual([2, 4])
    expect(Object.keys(r.adjacency)).toHaveLength(6)
  })
})
