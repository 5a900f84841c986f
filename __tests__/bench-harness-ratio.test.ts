// bench:harness judges each round trip on the median of per-round ratios so a load spike or a floor that drifts
// between rounds hits both sides of a ratio; pooling every sample first lets the drift decide the ratio.
import { describe, expect, it } from 'vitest'
import { medianRoundRatio, parseCpuList } from '../scripts/bench/harness.js'

describe('bench:harness ratio', () => {
  it('a floor that drifts between rounds does not move the median per-round ratio', () => {
    // round r: floor at 15 µs or (half the rounds) 50 µs, the agent always 1.5× its round's floor
    const floor = Array.from({ length: 10 }, (_, r) =>
      Array.from({ length: 9 }, (_, i) => (r % 2 ? 50 : 15) + i / 10)
    )
    const agent = floor.map(round => round.map(x => x * 1.5))
    expect(medianRoundRatio(agent, floor)).toBeCloseTo(1.5, 9)
    // one round where a load spike hit only the agent's half moves the median by at most one rank
    const spiked = agent.map((round, r) => (r === 3 ? round.map(x => x * 10) : round))
    expect(medianRoundRatio(spiked, floor)).toBeCloseTo(1.5, 9)
  })

  it('skips rounds without samples and reads CPU lists with ranges', () => {
    expect(medianRoundRatio([[2], [], [6]], [[1], [1], [2]])).toBe(2.5)
    expect(parseCpuList(' 0,2-4\n')).toEqual([0, 2, 3, 4])
    expect(parseCpuList('1')).toEqual([1])
  })
})
