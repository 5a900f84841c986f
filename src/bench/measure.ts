// Small helpers every benchmark shares: unit conversions, host timers, seed targets, per-swarm round/version
// counters (agents keep votes and state by round and version, so a reused swarm must never see one twice), and
// reductions over measured values. No figure is produced here that was not measured by the caller.
import type { Target } from '../results/schema.js'
import type { Swarm } from '../swarm/swarm.js'
import { sideNow } from '../duet/clock.js'
import { unwrapSwarm } from '../duet/paired-swarm.js'

export const nsToMs = (ns: number): number => ns / 1e6
export const bytesToMiB = (b: number): number => b / (1024 * 1024)

/** Host stopwatch on the monotonic clock (in a duet, the side's own: see duet/clock.ts). */
export function stopwatch(): () => number {
  const t0 = sideNow()
  return () => sideNow() - t0
}

/** Runs `fn` and returns its result with the host-observed duration in ms. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = sideNow()
  const value = await fn()
  return { value, ms: sideNow() - t0 }
}

/** A target taken from the seed's table; the `stat` says which statistic of THIS metric is held against it. */
export function seedTarget(op: Target['op'], value: number, stat: Target['stat'] = 'median'): Target {
  return { op, value, stat, source: 'seed' }
}

const rounds = new WeakMap<Swarm, number>()
const versions = new WeakMap<Swarm, number>()

/** Next unused consensus round number for this swarm. */
export function nextRound(view: Swarm): number {
  const swarm = unwrapSwarm(view)
  const r = (rounds.get(swarm) ?? 0) + 1
  rounds.set(swarm, r)
  return r
}

/** Next unused state version for this swarm. */
export function nextVersion(view: Swarm): number {
  const swarm = unwrapSwarm(view)
  const v = (versions.get(swarm) ?? 0) + 1
  versions.set(swarm, v)
  return v
}

export const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

export const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)

/** Name of the entry with the best value (lowest for 'lower'); ties go to the first in insertion order. */
export function bestOf(values: Record<string, number>, direction: 'lower' | 'higher'): string | undefined {
  let best: string | undefined
  for (const [name, v] of Object.entries(values)) {
    if (!Number.isFinite(v)) continue
    if (best === undefined || (direction === 'lower' ? v < values[best] : v > values[best])) best = name
  }
  return best
}

/** The agent farthest (in hops) from `from`, lowest id on ties; `from` itself for a swarm of one. */
export function farthestFrom(hops: number[][], from: number): number {
  let best = from
  for (let v = 0; v < hops.length; v++) if (hops[from][v] > hops[from][best]) best = v
  return best
}

/** A seeded market window the agent generates itself (same data across runs, so only timings vary). */
export function marketWindow(seed: number, length: number): { seed: number; length: number } {
  return { seed, length }
}

export const STRATEGIES = ['momentum', 'mean_reversion', 'breakout'] as const

/**
 * `count` backtest tasks on seeded windows. Built-in strategies rotate; with a user strategy (`custom`) the tasks
 * name none, so every agent backtests the strategy it was initialised with: the user's.
 */
export function backtests(
  count: number,
  seed: number,
  bars: number,
  custom: boolean
): {
  taskId: number
  window: { seed: number; length: number }
  strategy?: { name: (typeof STRATEGIES)[number] }
}[] {
  return Array.from({ length: count }, (_, i) => ({
    taskId: i,
    window: marketWindow(seed + i, bars),
    ...(custom ? {} : { strategy: { name: STRATEGIES[i % STRATEGIES.length] } })
  }))
}

/** Runs `fn` for every index with at most `limit` in flight, preserving order of results. */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>
): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i], i)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  return out
}

/** The median of `part` as a percentage of the median of `whole`, rounded to 0.1 (for "how much is the user's"). */
export function shareOf(part: number[], whole: number[]): number {
  const w = median(whole)
  return w > 0 ? Math.round((median(part) / w) * 1000) / 10 : 0
}

/** A deploy timed by the host, without the E2B requirements install (timed apart, never a benchmark figure). */
export async function timedDeploy(
  deploy: () => Promise<Swarm>
): Promise<{ value: Swarm; ms: number; installMs: number }> {
  const { value, ms } = await timed(deploy)
  const installMs = value.deployReport.installWallMs
  return { value, ms: Math.max(0, ms - installMs), installMs }
}

/**
 * Message counts are exact (the same every round of a protocol on one topology), and each costs a counter read and
 * a quiet wait: benchmarks count the first COUNTED_ROUNDS rounds and time the rest only.
 */
export const COUNTED_ROUNDS = 8
