// The host clock a benchmark reads. Outside a duet it is performance.now(); inside one it leaves out the time the
// calling side was held at the lockstep gate while the other side ran, so a host-timed figure is the side's own.
import { AsyncLocalStorage } from 'node:async_hooks'
import type { Lockstep, Side } from './lockstep.js'

interface DuetScope {
  gate: Lockstep
  side: Side
}

const scope = new AsyncLocalStorage<DuetScope>()

/** Runs `fn` (one side's benchmark) so that every clock read inside it is that side's clock. */
export function runAsSide<T>(gate: Lockstep, side: Side, fn: () => Promise<T>): Promise<T> {
  return scope.run({ gate, side }, fn)
}

/** Milliseconds on the caller's side clock (monotonic). */
export function sideNow(): number {
  const now = performance.now()
  const s = scope.getStore()
  return s ? now - s.gate.heldMs(s.side, now) : now
}
