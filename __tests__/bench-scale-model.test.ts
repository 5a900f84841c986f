// bench:scale does not start a mesh predicted to need over half the machine's pids; the prediction fits threads
// per agent from the meshes it measured (the agent's peer server used to run one thread per neighbour).
import { describe, expect, it } from 'vitest'
import { largestWithin, threadModel } from '../scripts/bench/scale.js'

describe('bench:scale thread model', () => {
  it('fits a + b·n through the last two meshes and solves n·(a + b·n) ≤ limit', () => {
    // one server thread per neighbour: n − 1 + 8 threads
    const perNeighbour = threadModel([
      { n: 20, threads: 27 },
      { n: 60, threads: 67 },
      { n: 100, threads: 107 }
    ])
    expect(perNeighbour).toEqual({ a: 7, b: 1 })
    expect(largestWithin(perNeighbour.a, perNeighbour.b, 32768)).toBe(177)
    // one thread for all connections: constant, bounded by pids only far away
    const flat = threadModel([
      { n: 60, threads: 8 },
      { n: 100, threads: 8 }
    ])
    expect(flat).toEqual({ a: 8, b: 0 })
    expect(largestWithin(8, 0, 32768)).toBe(4096)
    // fewer threads in the bigger mesh never predicts a negative slope
    expect(
      threadModel([
        { n: 20, threads: 10 },
        { n: 60, threads: 8 }
      ]).b
    ).toBe(0)
    expect(threadModel([{ n: 40, threads: 9 }])).toEqual({ a: 9, b: 0 })
  })
})
