import { describe, expect, it } from 'vitest'
import { roundTiming, type RoundStamps } from '../src/swarm/round-timing.js'

const agent = (began: number, decided: number, id: string | null = 'boot-1', wall = 0): RoundStamps => ({
  decisionNs: decided - began,
  beganAtNs: began,
  decidedAtNs: decided,
  clock: { id, wallMinusMonotonicNs: wall }
})

describe('roundTiming', () => {
  it('on one shared clock: decision from the last start to the last decision, the spread of starts apart', () => {
    // agent 2 was reached 100 ms late; everyone decided 3 ms after it began
    const t = roundTiming([agent(0, 103e6), agent(1e6, 103e6), agent(100e6, 103e6)])
    expect(t).toEqual({ decisionNs: 3e6, skewNs: 100e6, clock: 'monotonic' })
  })

  it('on separate machines lines the agents up by their wall clocks', () => {
    // same instants as above, each machine's monotonic clock offset differently from the wall clock
    const t = roundTiming([
      agent(5e9, 5e9 + 103e6, 'a', -5e9),
      agent(1e6, 103e6, 'b', 0),
      agent(2e9, 2e9 + 3e6, 'c', -1.9e9)
    ])
    expect(t?.clock).toBe('wall')
    expect(t?.skewNs).toBeCloseTo(100e6, -3)
    expect(t?.decisionNs).toBeCloseTo(3e6, -3)
  })

  it('never reports less than an agent took on its own, and nothing without every stamp', () => {
    // wall clocks 50 ms apart the wrong way would give a negative decision time
    const t = roundTiming([agent(0, 2e6, 'a', 0), agent(0, 2e6, 'b', 50e6)])
    expect(t?.decisionNs).toBe(2e6)
    expect(roundTiming([agent(0, 1e6), { decisionNs: 1e6 }])).toBeUndefined()
    expect(roundTiming([])).toBeUndefined()
  })
})
