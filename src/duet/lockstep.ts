// The duet's pairing: the base and the head run the same benchmark code side by side, and every swarm operation
// of one side is paired with the same operation of the other. `interleaved` pairs run back to back, in a random
// order, never overlapping, so both sides see the same machine a few milliseconds apart (Laaber et al.,
// randomized interleaved trials, EMSE 2019); `concurrent` pairs run at the same time (Bulej et al., "Duet
// benchmarking", ICPE 2020), for round trips over a network, where back to back would pay each one twice. Time a
// side spends held at the gate is not its own: the side clock (clock.ts) takes it out of every host-timed figure.
import type { Pairing } from '../results/schema.js'
import { mulberry32 } from '../stats/bootstrap.js'

export type Side = 'base' | 'head'

/** The `duet-pairs` choice made concrete: `auto` takes the provider's (its `concurrentDuetPairs` trait). */
export const pairingFor = (choice: Pairing | 'auto', traits: { concurrentDuetPairs: boolean }): Pairing =>
  choice !== 'auto' ? choice : traits.concurrentDuetPairs ? 'concurrent' : 'interleaved'

/** For the log line that opens a duet: `pairs concurrent (duet-pairs auto)`. */
export const pairingLine = (choice: Pairing | 'auto', traits: { concurrentDuetPairs: boolean }): string =>
  `pairs ${pairingFor(choice, traits)}${choice === 'auto' ? ' (duet-pairs auto)' : ''}`

interface Pending {
  /** Run at the same time as the other side's operation instead of back to back (deploys: see `run`). */
  together: boolean
  /** What the operation is (a deploy, an agent op): the order of the two sides is balanced per kind. */
  kind: string
  fn: () => Promise<unknown>
  resolve: (v: unknown) => void
  reject: (e: unknown) => void
}

interface SideState {
  queue: Pending[]
  running: number
  done: boolean
  /** Milliseconds this side spent held at the gate with nothing of its own running. */
  heldMs: number
  heldSince: number | undefined
}

export interface LockstepStats {
  pairs: number
  /** Operations one side ran alone because the other had finished (an error, or different code paths). */
  solo: number
  /** How many pairs ran (or, concurrent, started) the head first. */
  headFirst: number
}

export class Lockstep {
  private readonly sides: Record<Side, SideState> = {
    base: { queue: [], running: 0, done: false, heldMs: 0, heldSince: undefined },
    head: { queue: [], running: 0, done: false, heldMs: 0, heldSince: undefined }
  }
  private busy = false
  private scheduled = false
  private readonly random: () => number
  /** Per kind of operation: pairs run so far, and how many of them ran the head first. */
  private readonly orders = new Map<string, { pairs: number; headFirst: number }>()
  readonly stats: LockstepStats = { pairs: 0, solo: 0, headFirst: 0 }

  constructor(
    seed = 1,
    readonly pairing: Pairing = 'interleaved'
  ) {
    this.random = mulberry32(seed)
  }

  /**
   * Runs `fn` as this side's next operation, once the other side has its own to pair it with. `together` runs
   * the pair at the same time: two deploys into shared sandboxes then wait for the same creations, so neither
   * side finds its sandboxes already made by the other.
   */
  run<T>(side: Side, fn: () => Promise<T>, opts: { together?: boolean; kind?: string } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const s = this.sides[side]
      s.queue.push({
        fn,
        together: opts.together ?? false,
        kind: opts.kind ?? 'op',
        resolve: resolve as (v: unknown) => void,
        reject
      })
      this.updateHeld(side)
      this.schedule()
    })
  }

  /** This side will issue no more operations (its benchmark ended): the other side runs alone from now on. */
  finish(side: Side): void {
    this.sides[side].done = true
    this.schedule()
  }

  /** Milliseconds `side` has spent held at the gate so far (what the side clock subtracts). */
  heldMs(side: Side, now = performance.now()): number {
    const s = this.sides[side]
    return s.heldMs + (s.heldSince !== undefined ? now - s.heldSince : 0)
  }

  private updateHeld(side: Side): void {
    const s = this.sides[side]
    const held = s.queue.length > 0 && s.running === 0
    const now = performance.now()
    if (held && s.heldSince === undefined) s.heldSince = now
    else if (!held && s.heldSince !== undefined) {
      s.heldMs += now - s.heldSince
      s.heldSince = undefined
    }
  }

  // Batches form over one turn of the event loop, so operations a side starts together (Promise.all) stay
  // concurrent within the side.
  private schedule(): void {
    if (this.busy || this.scheduled) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      void this.step()
    })
  }

  private async step(): Promise<void> {
    if (this.busy) return
    const { base, head } = this.sides
    let order: Side[]
    if (base.queue.length > 0 && head.queue.length > 0) {
      const headFirst = this.nextHeadFirst(head.queue[0].kind)
      order = headFirst ? ['head', 'base'] : ['base', 'head']
      this.stats.pairs++
      if (headFirst) this.stats.headFirst++
    } else if (base.queue.length > 0 && head.done) order = ['base']
    else if (head.queue.length > 0 && base.done) order = ['head']
    else return
    if (order.length === 1) this.stats.solo++
    this.busy = true
    const batches = order.map(side => [side, this.sides[side].queue.splice(0)] as const)
    // Interleaved, together only when every operation of the pair asked for it: a timed operation never runs beside
    // the other side's work, even when the two sides drift apart (one side's bookkeeping paired with the other's
    // timed op). Concurrent, a pair always runs together: each side's timing then includes the other's load alike.
    const together =
      (this.pairing === 'concurrent' && batches.length === 2) ||
      batches.every(([, batch]) => batch.every(p => p.together))
    try {
      if (together) await Promise.all(batches.map(([side, batch]) => this.runBatch(side, batch)))
      else for (const [side, batch] of batches) await this.runBatch(side, batch)
    } finally {
      this.busy = false
    }
    this.schedule()
  }

  /**
   * Counterbalanced per kind of operation, in blocks of two pairs, one in each order, the block's first drawn at
   * random. A side that goes first can be favoured (it creates the shared sandboxes; it links while the other's
   * agents still start), and by chance alone one side would go first in most of a benchmark's few deploys.
   */
  private nextHeadFirst(kind: string): boolean {
    const o = this.orders.get(kind) ?? { pairs: 0, headFirst: 0 }
    this.orders.set(kind, o)
    const headFirst = o.pairs % 2 === 1 ? o.headFirst * 2 < o.pairs : this.random() < 0.5
    o.pairs++
    if (headFirst) o.headFirst++
    return headFirst
  }

  private async runBatch(side: Side, batch: Pending[]): Promise<void> {
    const s = this.sides[side]
    s.running += batch.length
    this.updateHeld(side)
    await Promise.all(
      batch.map(async p => {
        try {
          p.resolve(await p.fn())
        } catch (err) {
          p.reject(err)
        } finally {
          s.running--
        }
      })
    )
    this.updateHeld(side)
  }
}
