// The runner floor: the agent's frozen reference decision (agent/swarm_agent/calibration.py), timed inside an agent each
// time a benchmark takes a swarm, so the floor is sampled through the run at the moments that are measured. No change
// to the project's code moves it; a busier or slower machine does. The comparison uses it to tell a runner that was
// slower from a change that slows every timing alike (src/stats/compare.ts, the run-wide shift).
import { makeMetric } from '../results/metric.js'
import { FLOOR_METRIC, type Metric } from '../results/schema.js'
import type { Swarm } from '../swarm/swarm.js'
import { nsToMs } from './measure.js'

/** Timings per sample point: about 2 ms of agent time (each on a freshly built window), one control call. */
export const FLOOR_REPEAT = 10

export class RunnerFloor {
  private readonly samples: number[] = []
  private failures = 0
  private points = 0

  /** Samples the floor on one of the swarm's agents (rotating, so every agent's CPU share is read). */
  async sample(swarm: Swarm, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted || swarm.size === 0) return
    try {
      const ns = await swarm.calibrate(this.points++ % swarm.size, FLOOR_REPEAT)
      this.samples.push(...ns.map(nsToMs))
    } catch {
      // An agent that cannot answer fails the benchmark's own requests next; the floor just has fewer samples.
      this.failures++
    }
  }

  /** The floor as a context metric, or undefined when no sample was taken (no benchmark borrowed a swarm). */
  metric(): Metric | undefined {
    if (this.samples.length === 0) return undefined
    return makeMetric({
      name: FLOOR_METRIC,
      unit: 'ms',
      direction: 'lower',
      source: 'agent',
      samples: this.samples,
      gate: false,
      description:
        `frozen reference decision timed inside an agent, ${FLOOR_REPEAT} times whenever a benchmark took a swarm` +
        (this.failures ? ` (${this.failures} sample points failed)` : '')
    })
  }
}
