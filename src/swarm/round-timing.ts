// A consensus round's times on one clock: the agents stamp when their decision began (market generated) and when
// they decided; lined up, the spread of the starts is the host's dispatch skew and the rest is the decision.

/** What one agent's `consensus` answer says about its clock (absent from agents older than these fields). */
export interface RoundStamps {
  decisionNs: number
  beganAtNs?: number
  decidedAtNs?: number
  clock?: { id?: string | null; wallMinusMonotonicNs?: number }
}

export interface RoundTiming {
  /** From the moment the last agent began its decision to the moment the last agent decided. */
  decisionNs: number
  /** Latest minus earliest start of the agents' decisions: the host reaching them at different times. */
  skewNs: number
  /** `monotonic`: every agent reads one machine's monotonic clock; `wall`: their wall clocks were lined up. */
  clock: 'monotonic' | 'wall'
}

/**
 * The round's decision time without the dispatch skew, and the skew apart; undefined when an agent did not stamp
 * its times (an older agent, e.g. a duet's base). Agents on one machine share a monotonic clock (same boot id);
 * otherwise their wall clocks are used, as exact as the sandboxes' clock sync.
 */
export function roundTiming(answers: readonly RoundStamps[]): RoundTiming | undefined {
  if (answers.length === 0) return undefined
  const stamped = answers.every(
    a =>
      a.beganAtNs !== undefined && a.decidedAtNs !== undefined && a.clock?.wallMinusMonotonicNs !== undefined
  )
  if (!stamped) return undefined
  const id = answers[0].clock?.id
  const shared = typeof id === 'string' && answers.every(a => a.clock?.id === id)
  const onClock = (a: RoundStamps, ns: number): number => (shared ? ns : ns + a.clock!.wallMinusMonotonicNs!)
  const began = answers.map(a => onClock(a, a.beganAtNs!))
  const decided = answers.map(a => onClock(a, a.decidedAtNs!))
  const lastStart = Math.max(...began)
  // No round is shorter than an agent's own begin → decided: a floor against wall clocks that disagree.
  const floor = Math.min(...answers.map(a => a.decisionNs))
  return {
    decisionNs: Math.max(Math.max(...decided) - lastStart, floor),
    skewNs: lastStart - Math.min(...began),
    clock: shared ? 'monotonic' : 'wall'
  }
}
