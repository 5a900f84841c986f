// Where the two sides of a duet take a decision from what they measured (how deep to load, when to stop), each
// would decide on its own figures and the sides would run different steps, their pairs no longer alike. Each side
// offers its figure and both go on with one combined value.
import type { Side } from './lockstep.js'

interface Offer {
  side: Side
  value: unknown
  resolve: (v: unknown) => void
}

export class Meeting {
  private readonly offers = new Map<string, Offer>()
  private readonly calls = new Map<string, number>()
  private readonly done = new Set<Side>()

  /**
   * The value both sides go on with for the k-th `key` each asks about: `combine(base's, head's)`. A side whose
   * partner has finished (an error, or a different code path) goes on with its own.
   */
  agree<T>(side: Side, key: string, value: T, combine: (base: T, head: T) => T): Promise<T> {
    const n = (this.calls.get(`${side}|${key}`) ?? 0) + 1
    this.calls.set(`${side}|${key}`, n)
    const id = `${key}#${n}`
    const other = this.offers.get(id)
    if (other && other.side !== side) {
      this.offers.delete(id)
      const v = side === 'base' ? combine(value, other.value as T) : combine(other.value as T, value)
      other.resolve(v)
      return Promise.resolve(v)
    }
    if (this.done.has(side === 'base' ? 'head' : 'base')) return Promise.resolve(value)
    return new Promise<T>(resolve =>
      this.offers.set(id, { side, value, resolve: resolve as (v: unknown) => void })
    )
  }

  /** This side asks nothing more: whoever waits for it goes on with its own value. */
  finish(side: Side): void {
    this.done.add(side)
    for (const [id, o] of this.offers) {
      if (o.side === side) continue
      this.offers.delete(id)
      o.resolve(o.value)
    }
  }
}
