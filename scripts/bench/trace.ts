// A provider wrapper that remembers when each sandbox was created and how long it lived, so the plan can say
// which benchmark paid for which sandbox-seconds. It only observes: every call goes to the wrapped provider.
import { performance } from 'node:perf_hooks'
import { ForwardingProvider } from '../../src/sandbox/forwarding.js'
import type { CreateOptions, Provider, Sandbox } from '../../src/sandbox/types.js'

export interface SandboxSpan {
  label: string
  /** performance.now() when the create resolved (the provider's own lifetime clock starts about then). */
  start: number
  sandbox: Sandbox
}

export class TracingProvider extends ForwardingProvider {
  readonly spans: SandboxSpan[] = []

  constructor(inner: Provider) {
    super(inner)
  }

  override async create(opts: CreateOptions): Promise<Sandbox> {
    const sandbox = await this.inner.create(opts)
    this.spans.push({ label: opts.label, start: performance.now(), sandbox })
    return sandbox
  }
}

export interface Interval {
  id: string
  start: number
  end: number
}

export interface IntervalCost {
  id: string
  wallS: number
  /** Sandboxes whose create resolved inside the interval. */
  created: number
  /** Σ over sandboxes of the part of their life inside the interval. */
  sandboxSeconds: number
  /** Most sandboxes alive at once inside the interval (sampled at every create and kill). */
  peakLive: number
}

/** Splits every sandbox's billed life over the intervals (benchmarks); what falls outside goes to `between`. */
export function attribute(spans: readonly SandboxSpan[], intervals: readonly Interval[]): IntervalCost[] {
  const lives = spans.map(s => ({ start: s.start, end: s.start + s.sandbox.aliveSeconds() * 1000 }))
  const out = intervals.map(iv => {
    let seconds = 0
    let created = 0
    const events: [number, number][] = []
    for (const l of lives) {
      const a = Math.max(l.start, iv.start)
      const b = Math.min(l.end, iv.end)
      if (b > a) {
        seconds += (b - a) / 1000
        events.push([a, 1], [b, -1])
      }
      if (l.start >= iv.start && l.start < iv.end) created++
    }
    events.sort((x, y) => x[0] - y[0] || x[1] - y[1])
    let live = 0
    let peak = 0
    for (const [, d] of events) peak = Math.max(peak, (live += d))
    return { id: iv.id, wallS: (iv.end - iv.start) / 1000, created, sandboxSeconds: seconds, peakLive: peak }
  })
  return out
}

/** One row per benchmark (in `order`) from its turns: times, creations and sandbox-seconds add, peaks take the max. */
export function sumById(costs: readonly IntervalCost[], order: readonly string[]): IntervalCost[] {
  const out: IntervalCost[] = []
  for (const id of order) {
    const mine = costs.filter(c => c.id === id)
    if (mine.length === 0) continue
    out.push({
      id,
      wallS: mine.reduce((s, c) => s + c.wallS, 0),
      created: mine.reduce((s, c) => s + c.created, 0),
      sandboxSeconds: mine.reduce((s, c) => s + c.sandboxSeconds, 0),
      peakLive: Math.max(...mine.map(c => c.peakLive))
    })
  }
  return out
}
