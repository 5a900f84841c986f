import { describe, expect, it } from 'vitest'
import { pipelineStreams, saturationPoint } from '../src/bench/saturation.js'
import { buildTopology } from '../src/swarm/topology.js'

describe('pipelineStreams: a stream per edge, to the farthest agent through it', () => {
  it('in a mesh every stream is one hop, one per neighbour', () => {
    const t = buildTopology('mesh', 4)
    expect(pipelineStreams(t)).toEqual([
      [1, 2, 3],
      [0, 2, 3],
      [0, 1, 3],
      [0, 1, 2]
    ])
  })

  it('in a ring of 6 each direction reaches as far as routing sends through that neighbour', () => {
    const t = buildTopology('ring', 6)
    const streams = pipelineStreams(t)
    for (const [a, dests] of streams.entries()) {
      expect(dests).toHaveLength(t.adjacency[a].length)
      for (const [i, d] of dests.entries()) expect(t.nextHop[a][d]).toBe(t.adjacency[a][i])
    }
    // the opposite agent (3 hops) is reached through one of agent 0's two neighbours, forwarded hop by hop
    expect(streams[0].map(d => t.hops[0][d]).sort()).toEqual([2, 3])
  })
})

describe('saturationPoint', () => {
  const steps = (...rates: number[]) => rates.map((rate, i) => ({ depth: 4 ** i, rate }))

  it('stops at the depth whose next step gained less than 5 %', () => {
    expect(saturationPoint(steps(100, 200, 209, 300))).toEqual({ index: 1, saturated: true })
    expect(saturationPoint(steps(100, 200, 211))).toEqual({ index: 2, saturated: false })
  })

  it('a falling rate is saturation too; a single step or none says what it can', () => {
    expect(saturationPoint(steps(100, 90))).toEqual({ index: 0, saturated: true })
    expect(saturationPoint(steps(100))).toEqual({ index: 0, saturated: false })
    expect(saturationPoint([])).toBeUndefined()
  })
})
