// Whose turn it is to measure. Every benchmark of a run is started at once, but only one holds the turn at a time,
// so measurements never overlap. A benchmark that only borrows swarms holds the turn while it holds a swarm; one
// that deploys its own (creation is what it measures) holds it for its whole run. When the turn is free it goes,
// in this order of preference, to a waiter whose swarm shape is idle right now (it is used again at once instead
// of idling), to a benchmark that already started (so it finishes and its swarms can go), to the first in the
// catalog. The effect: borrowers of the same shape run back to back — e.g. the four benchmarks that walk mesh,
// hierarchical and ring swarms of one size all run on the mesh, then all on the hierarchical one, then on the
// ring, so each swarm is alive only for its own phase instead of across every benchmark that needs it.
import { InterruptedError, reasonOf } from './errors.js'

interface Waiter {
  bench: number
  /** `topology:size` the waiter is about to borrow; undefined = the whole run (a deploying benchmark). */
  shape: string | undefined
  grant: () => void
  reject: (err: Error) => void
}

export interface TurnOptions {
  /** Whether an idle swarm of this shape is in the pool right now. */
  isIdle: (shape: string) => boolean
  /** Called when a benchmark gets the turn and when it gives it back (for tracing who billed what). */
  onTurn?: (bench: number, holding: boolean) => void
  /** The run's abort: every waiter (and every later acquire) fails with InterruptedError. */
  signal?: AbortSignal
  /**
   * Whether a benchmark that started is yet to borrow a swarm idle now: the turn then waits for it rather than
   * start a new benchmark, which would keep that swarm idle (and billed) through its whole run.
   */
  awaitStarted?: () => boolean
  /**
   * How long a benchmark that gave the turn back keeps first claim on it (default: until the next macrotask). A
   * duet's sides meet at the pairing gate before asking again, which can take longer than a macrotask.
   */
  claimMs?: number
}

export class Turns {
  private holder: number | undefined
  private depth = 0
  /** A hand-off is scheduled: new requests wait for it instead of taking the turn at once. */
  private handing = false
  /** Who gave the turn back during a hand-off: asking again before it ends, it gets the turn at once. */
  private lastHolder: number | undefined
  private handTimer: NodeJS.Timeout | NodeJS.Immediate | undefined
  private readonly waiting: Waiter[] = []
  private readonly started = new Set<number>()
  private readonly finished = new Set<number>()
  /** Milliseconds each benchmark spent waiting for the turn after it first had it. */
  readonly waitedMs = new Map<number, number>()

  constructor(private readonly opts: TurnOptions) {
    // One listener for all waiters (a run has a waiter per benchmark).
    opts.signal?.addEventListener(
      'abort',
      () => {
        const err = new InterruptedError(reasonOf(opts.signal!))
        for (const w of this.waiting.splice(0)) w.reject(err)
      },
      { once: true }
    )
  }

  /** The benchmark holding the turn, if any. */
  get current(): number | undefined {
    return this.holder
  }

  hasStarted(bench: number): boolean {
    return this.started.has(bench)
  }

  /** Who waits, and for what (in arrival order). */
  waiters(): { bench: number; shape: string | undefined }[] {
    return this.waiting.map(w => ({ bench: w.bench, shape: w.shape }))
  }

  /** Shapes waiters are about to borrow. */
  wantedShapes(): Set<string> {
    return new Set(this.waiting.flatMap(w => (w.shape === undefined ? [] : [w.shape])))
  }

  /** Benchmarks that started and are not finished (their remaining borrows are due soon). */
  inProgress(): number[] {
    return [...this.started].filter(b => !this.finished.has(b))
  }

  /** Waits for the turn (re-entrant: the holder gets it again at once, counted). Rejects once the run aborts. */
  acquire(bench: number, shape: string | undefined): Promise<void> {
    if (this.holder === bench) {
      this.depth++
      return Promise.resolve()
    }
    const signal = this.opts.signal
    if (signal?.aborted) return Promise.reject(new InterruptedError(reasonOf(signal)))
    return new Promise<void>((resolve, reject) => {
      const t0 = performance.now()
      this.waiting.push({
        bench,
        shape,
        reject,
        grant: () => {
          if (this.started.has(bench))
            this.waitedMs.set(bench, (this.waitedMs.get(bench) ?? 0) + performance.now() - t0)
          this.started.add(bench)
          const already = this.holder === bench
          this.holder = bench
          this.depth = already ? this.depth + 1 : 1
          if (!already) this.opts.onTurn?.(bench, true)
          resolve()
        }
      })
      // The one that just gave the turn back asks again within its claim: the pick is made now, as it would have
      // been on the next macrotask (a waiter whose swarm is idle still goes first).
      if (this.handing && this.holder === undefined && this.lastHolder === bench) this.endHandOff()
      else this.next()
    })
  }

  /** Gives one hold back; the turn passes on when the holder holds nothing more. */
  release(bench: number): void {
    if (this.holder !== bench) return
    if (--this.depth > 0) return
    this.handOff()
  }

  /** The benchmark ended: whatever it held is given back and it never waits again. */
  finish(bench: number): void {
    this.finished.add(bench)
    // It will not ask again: no claim, and a newcomer held back for it (awaitStarted) is picked now.
    if (this.handing && this.lastHolder === bench) this.stopHandOff()
    if (this.holder === bench || this.holder === undefined) this.handOff(false)
  }

  private next(): void {
    if (this.holder !== undefined || this.handing || this.waiting.length === 0) return
    let i = pickNext(this.waiting, this.opts.isIdle, b => this.started.has(b))
    if (!this.started.has(this.waiting[i].bench) && this.opts.awaitStarted?.()) {
      // Only benchmarks under way may take it; if none waits, the one awaited asks soon (acquire calls next) or
      // finishes (finish hands the turn off).
      i = this.waiting.findIndex(w => this.started.has(w.bench))
      if (i < 0) return
    }
    this.grantAll(this.waiting[i].bench)
  }

  /** Grants every hold `bench` asked for: a duet's two sides get their swarms together, and one side waiting for
   * the turn while the other waits for it at the pairing gate would never end. */
  private grantAll(bench: number): void {
    for (const w of this.waiting.filter(x => x.bench === bench)) {
      this.waiting.splice(this.waiting.indexOf(w), 1)
      w.grant()
    }
  }

  private handOff(claim = true): void {
    const was = this.holder
    this.holder = undefined
    this.depth = 0
    if (was !== undefined) this.opts.onTurn?.(was, false)
    // Picked on the next macrotask (or after claimMs): a benchmark that gave the turn back and asks for its next
    // swarm by then keeps its place instead of losing it to a newcomer.
    if (this.handing) return
    this.handing = true
    this.lastHolder = claim ? was : undefined
    const ms = claim ? (this.opts.claimMs ?? 0) : 0
    this.handTimer = ms > 0 ? setTimeout(() => this.endHandOff(), ms) : setImmediate(() => this.endHandOff())
  }

  private endHandOff(): void {
    if (!this.handing) return
    this.stopHandOff()
    this.next()
  }

  private stopHandOff(): void {
    this.handing = false
    this.lastHolder = undefined
    clearTimeout(this.handTimer as NodeJS.Timeout)
    clearImmediate(this.handTimer as NodeJS.Immediate)
    this.handTimer = undefined
  }
}

/**
 * Index of the waiter that gets the turn: one whose shape is idle (lowest bench first), else one that already
 * started, else the lowest bench.
 */
export function pickNext(
  waiting: readonly { bench: number; shape: string | undefined }[],
  isIdle: (shape: string) => boolean,
  started: (bench: number) => boolean
): number {
  const best = (ok: (w: { bench: number; shape: string | undefined }) => boolean): number => {
    let i = -1
    waiting.forEach((w, j) => {
      if (ok(w) && (i < 0 || w.bench < waiting[i].bench)) i = j
    })
    return i
  }
  const warm = best(w => w.shape !== undefined && isIdle(w.shape))
  if (warm >= 0) return warm
  const going = best(w => started(w.bench))
  if (going >= 0) return going
  return best(() => true)
}
