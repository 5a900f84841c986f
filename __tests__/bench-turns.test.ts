// The runner's turn-taking: one benchmark measures at a time; a free turn goes to a waiter whose swarm is idle,
// then to a benchmark already under way, then to the first in the catalog; waiting ends on abort.
import { describe, expect, it } from 'vitest'
import { InterruptedError } from '../src/bench/errors.js'
import { Turns, pickNext } from '../src/bench/turns.js'

describe('pickNext', () => {
  const w = (bench: number, shape?: string) => ({ bench, shape })
  it('prefers a waiter whose shape is idle, then one already started, then the lowest index', () => {
    const waiting = [w(5, 'mesh:5'), w(1), w(9, 'ring:5'), w(7, 'mesh:4')]
    expect(
      pickNext(
        waiting,
        s => s === 'mesh:4',
        () => false
      )
    ).toBe(3)
    expect(
      pickNext(
        waiting,
        s => s === 'mesh:4' || s === 'mesh:5',
        () => false
      )
    ).toBe(0)
    expect(
      pickNext(
        waiting,
        () => false,
        b => b === 9 || b === 7
      )
    ).toBe(3)
    expect(
      pickNext(
        waiting,
        () => false,
        () => false
      )
    ).toBe(1)
    // A whole-run waiter (no shape) is never "warm".
    expect(
      pickNext(
        [w(0), w(3, 'mesh:3')],
        () => true,
        () => false
      )
    ).toBe(1)
  })
})

describe('Turns', () => {
  it('never grants two holders at once and is re-entrant for the holder', async () => {
    const idle = new Set<string>()
    const log: string[] = []
    const turns = new Turns({ isIdle: s => idle.has(s), onTurn: (b, h) => log.push(`${b}${h ? '+' : '-'}`) })
    await turns.acquire(0, undefined)
    const order: number[] = []
    const b = turns.acquire(2, 'mesh:5').then(() => order.push(2))
    const c = turns.acquire(1, 'ring:5').then(() => order.push(1))
    await turns.acquire(0, 'mesh:3') // re-entrant: held twice
    turns.release(0)
    await Promise.resolve()
    expect(order).toEqual([])
    expect(turns.current).toBe(0)
    // While 0 held the turn a mesh of 5 became idle: its waiter goes first although its index is higher.
    idle.add('mesh:5')
    turns.finish(0)
    await b
    expect(turns.current).toBe(2)
    expect(order).toEqual([2])
    turns.release(2)
    await c
    expect(order).toEqual([2, 1])
    expect(log).toEqual(['0+', '0-', '2+', '2-', '1+'])
    expect(turns.wantedShapes()).toEqual(new Set())
  })

  it("grants a benchmark's holds asked at once together (a duet's two sides), counted as two holds", async () => {
    const log: string[] = []
    const turns = new Turns({ isIdle: () => false, onTurn: (b, h) => log.push(`${b}${h ? '+' : '-'}`) })
    await turns.acquire(0, undefined)
    const granted: string[] = []
    const head = turns.acquire(3, 'mesh:4').then(() => granted.push('head'))
    const base = turns.acquire(3, 'mesh:4').then(() => granted.push('base'))
    const other = turns.acquire(5, 'ring:4').then(() => granted.push('other'))
    turns.release(0)
    await Promise.all([head, base])
    expect(granted.sort()).toEqual(['base', 'head'])
    // One side done: the turn stays until the other gives its hold back too.
    turns.release(3)
    await new Promise(r => setImmediate(r))
    expect(granted).not.toContain('other')
    turns.release(3)
    await other
    expect(log).toEqual(['0+', '0-', '3+', '3-', '5+'])
  })

  it('hands the turn to a benchmark already under way before a new one', async () => {
    const turns = new Turns({ isIdle: () => false })
    await turns.acquire(3, 'mesh:5')
    turns.release(3)
    await turns.acquire(5, 'mesh:4')
    const got: number[] = []
    const p1 = turns.acquire(1, 'mesh:2').then(() => got.push(1))
    const p3 = turns.acquire(3, 'ring:5').then(() => got.push(3))
    expect(turns.wantedShapes()).toEqual(new Set(['mesh:2', 'ring:5']))
    expect(turns.inProgress().sort()).toEqual([3, 5])
    turns.finish(5)
    await p3
    turns.release(3)
    await p1
    expect(got).toEqual([3, 1])
    expect(turns.waitedMs.get(3)).toBeGreaterThanOrEqual(0)
    expect(turns.waitedMs.has(1)).toBe(false) // waiting before its first turn is not its time
  })

  it('a benchmark that gives the turn back and asks again at once keeps its place over a newcomer', async () => {
    const turns = new Turns({ isIdle: () => false })
    await turns.acquire(4, 'mesh:5')
    const got: number[] = []
    const newcomer = turns.acquire(1, 'mesh:2').then(() => got.push(1))
    turns.release(4)
    const again = turns.acquire(4, 'ring:5').then(() => got.push(4))
    await again
    expect(got).toEqual([4])
    turns.finish(4)
    await newcomer
    expect(got).toEqual([4, 1])
  })

  it('keeps the turn for a started benchmark that will borrow an idle swarm, however long it takes to ask', async () => {
    // Benchmark 4 started and will borrow mesh:4, idle now (a duet's side may first wait for its partner).
    let pending = true
    const turns: Turns = new Turns({
      isIdle: () => false,
      awaitStarted: () => pending && turns.hasStarted(4)
    })
    await turns.acquire(4, 'mesh:2')
    const got: number[] = []
    const newcomer = turns.acquire(1, undefined).then(() => got.push(1))
    turns.release(4)
    await new Promise(r => setTimeout(r, 20))
    expect(got).toEqual([])
    expect(turns.current).toBeUndefined()
    const again = turns.acquire(4, 'mesh:4').then(() => got.push(4))
    await again
    pending = false
    turns.release(4)
    await newcomer
    expect(got).toEqual([4, 1])
  })

  it('while a started one is awaited, another started waiter still gets the turn before a warm newcomer', async () => {
    const turns: Turns = new Turns({
      isIdle: s => s === 'mesh:4',
      awaitStarted: () => turns.inProgress().includes(4)
    })
    await turns.acquire(4, 'mesh:2')
    turns.release(4)
    const got: number[] = []
    const warm = turns.acquire(1, 'mesh:4').then(() => got.push(1))
    const own = turns.acquire(4, 'mesh:1').then(() => got.push(4))
    await own
    expect(got).toEqual([4])
    turns.finish(4)
    await warm
    expect(got).toEqual([4, 1])
  })

  it('with claimMs, the one that gave the turn back and asks again within it keeps the turn over a newcomer', async () => {
    const turns = new Turns({ isIdle: () => false, claimMs: 200 })
    await turns.acquire(4, 'mesh:2')
    const got: number[] = []
    const newcomer = turns.acquire(1, undefined).then(() => got.push(1))
    turns.release(4)
    await new Promise(r => setTimeout(r, 30))
    await turns.acquire(4, 'mesh:4').then(() => got.push(4))
    expect(got).toEqual([4])
    turns.release(4)
    // Not asked again: after its claim, the newcomer gets it.
    await newcomer
    expect(got).toEqual([4, 1])
  })

  it('a started benchmark that ends without asking again frees the waiting newcomer', async () => {
    // As the runner asks: only benchmarks under way (started, not finished) are waited for.
    const turns: Turns = new Turns({
      isIdle: () => false,
      awaitStarted: () => turns.inProgress().includes(4)
    })
    await turns.acquire(4, 'mesh:2')
    let granted = false
    const newcomer = turns.acquire(1, undefined).then(() => (granted = true))
    turns.release(4)
    await new Promise(r => setTimeout(r, 5))
    expect(granted).toBe(false)
    turns.finish(4)
    await newcomer
    expect(turns.current).toBe(1)
  })

  it('an abort ends the wait with InterruptedError and the waiter never gets the turn', async () => {
    const ctrl = new AbortController()
    const turns = new Turns({ isIdle: () => false, signal: ctrl.signal })
    await turns.acquire(0, undefined)
    const waiting = turns.acquire(1, 'mesh:3')
    ctrl.abort('SIGINT')
    await expect(waiting).rejects.toBeInstanceOf(InterruptedError)
    await expect(waiting).rejects.toThrow(/interrupted \(SIGINT\)/)
    turns.finish(0)
    expect(turns.current).toBeUndefined()
    expect(turns.hasStarted(1)).toBe(false)
    await expect(turns.acquire(2, undefined)).rejects.toBeInstanceOf(InterruptedError)
  })
})
