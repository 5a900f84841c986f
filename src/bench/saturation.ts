// The throughput benchmark's math: which streams load every edge of a topology, and where a rising rate stops
// rising. Pure functions, so the rule the report states is the rule the code applies.
import type { Topology } from '../swarm/topology.js'

/**
 * Per agent, one destination per neighbour: the farthest agent its messages reach through that neighbour (the
 * neighbour itself in a mesh), so every edge carries a stream and longer paths are forwarded hop by hop.
 * Ties go to the lowest id.
 */
export function pipelineStreams(t: Topology): number[][] {
  return t.adjacency.map((neighbours, a) =>
    neighbours.map(nb => {
      let best = nb
      for (let d = 0; d < t.n; d++) {
        if (d === a || t.nextHop[a][d] !== nb) continue
        if (t.hops[a][d] > t.hops[a][best]) best = d
      }
      return best
    })
  )
}

export interface DepthStep {
  depth: number
  /** Messages per second delivered at this depth. */
  rate: number
}

/** Below this relative gain from one depth to the next, the rate has stopped rising. */
export const SATURATION_GAIN = 0.05

/**
 * Index of the step where the rate saturates: the first whose next step gains less than `minGain` (or falls).
 * `saturated` is false when every step still gained (the last step is then the best seen, not a plateau);
 * undefined for no steps.
 */
export function saturationPoint(
  steps: readonly DepthStep[],
  minGain = SATURATION_GAIN
): { index: number; saturated: boolean } | undefined {
  if (steps.length === 0) return undefined
  for (let i = 0; i + 1 < steps.length; i++) {
    if (steps[i + 1].rate < steps[i].rate * (1 + minGain)) return { index: i, saturated: true }
  }
  return { index: steps.length - 1, saturated: false }
}

/**
 * Steps through `depths`, measuring each (`measure` returns the rate and whatever else the caller keeps), until
 * the rate saturates. `agree` turns a measured rate into the one the decision uses: in a duet both sides' rates
 * combined (src/duet/meeting.ts), so both sides stop at the same depth and their windows stay paired.
 */
export async function stepToSaturation<W>(
  depths: readonly number[],
  measure: (depth: number) => Promise<{ rate: number; window: W }>,
  agree: (rate: number) => Promise<number> = rate => Promise.resolve(rate)
): Promise<{
  depth: number
  index: number
  saturated: boolean
  own: DepthStep[]
  windows: W[]
}> {
  const steps: DepthStep[] = []
  const own: DepthStep[] = []
  const windows: W[] = []
  for (const depth of depths) {
    const { rate, window } = await measure(depth)
    own.push({ depth, rate })
    steps.push({ depth, rate: await agree(rate) })
    windows.push(window)
    if (saturationPoint(steps)?.saturated) break
  }
  const sat = saturationPoint(steps)!
  return { depth: steps[sat.index].depth, index: sat.index, saturated: sat.saturated, own, windows }
}
