import { describe, expect, it } from 'vitest'
import { runAsSide, sideNow } from '../src/duet/clock.js'
import { Lockstep, type Side } from '../src/duet/lockstep.js'

const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms))

describe('Lockstep', () => {
  it('pairs the k-th operation of each side and never overlaps the two sides', async () => {
    const gate = new Lockstep(7)
    const log: string[] = []
    let running: Side | undefined
    const op = (side: Side, i: number) =>
      gate.run(side, async () => {
        expect(running).toBeUndefined()
        running = side
        log.push(`${side}${i}`)
        await sleep(2)
        running = undefined
        return i
      })
    const side = async (s: Side, delay: number): Promise<number[]> => {
      const out: number[] = []
      for (let i = 0; i < 20; i++) {
        await sleep(delay)
        out.push(await op(s, i))
      }
      gate.finish(s)
      return out
    }
    const [b, h] = await Promise.all([side('base', 0), side('head', 3)])
    expect(b).toEqual([...Array(20).keys()])
    expect(h).toEqual(b)
    // Each pair holds the same index on both sides, in either order.
    for (let i = 0; i < 20; i++)
      expect(new Set(log.slice(2 * i, 2 * i + 2))).toEqual(new Set([`base${i}`, `head${i}`]))
    expect(gate.stats.pairs).toBe(20)
    // The order is random: both orders occur over 20 pairs.
    expect(gate.stats.headFirst).toBeGreaterThan(0)
    expect(gate.stats.headFirst).toBeLessThan(20)
  })

  it('balances which side goes first per kind of operation: never more than one pair apart, whatever the seed', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const gate = new Lockstep(seed)
      const firsts: Record<string, Side[]> = { deploy: [], ping: [] }
      const side = async (s: Side): Promise<void> => {
        // Deploys and pings alternate, as a benchmark's operations do: 7 of each, so each kind has an odd count.
        for (let i = 0; i < 14; i++) {
          const kind = i % 2 === 0 ? 'deploy' : 'ping'
          await gate.run(s, async () => void firsts[kind].push(s), { kind })
        }
        gate.finish(s)
      }
      await Promise.all([side('base'), side('head')])
      for (const order of Object.values(firsts)) {
        const heads = order.filter((s, i) => i % 2 === 0 && s === 'head').length
        expect(order).toHaveLength(14)
        expect([3, 4]).toContain(heads)
        // Every block of two pairs runs one in each order.
        for (let k = 0; k + 3 < order.length; k += 4) expect(order[k]).not.toBe(order[k + 2])
      }
    }
  })

  it('lets a side run alone once the other has finished, and passes errors to the caller', async () => {
    const gate = new Lockstep()
    gate.finish('base')
    await expect(gate.run('head', async () => 5)).resolves.toBe(5)
    await expect(
      gate.run('head', async () => {
        throw new Error('boom')
      })
    ).rejects.toThrow('boom')
    expect(gate.stats.solo).toBe(2)
  })

  it('keeps operations a side starts together concurrent within the side', async () => {
    const gate = new Lockstep()
    let inFlight = 0
    let most = 0
    const op = (s: Side) =>
      gate.run(s, async () => {
        most = Math.max(most, ++inFlight)
        await sleep(5)
        inFlight--
      })
    await Promise.all([
      Promise.all([op('base'), op('base'), op('base')]),
      Promise.all([op('head'), op('head'), op('head')])
    ])
    expect(most).toBe(3)
    expect(gate.stats.pairs).toBe(1)
  })

  it('runs a pair marked together at the same time on both sides (shared deploys), still paired', async () => {
    const gate = new Lockstep(5)
    let inFlight = 0
    let most = 0
    const op = (s: Side) =>
      gate.run(
        s,
        async () => {
          most = Math.max(most, ++inFlight)
          await sleep(20)
          inFlight--
          return s
        },
        { together: true }
      )
    // The head asks later: the base waits for it, then both run at once.
    const base = op('base')
    await sleep(10)
    expect(inFlight).toBe(0)
    expect(await Promise.all([base, op('head')])).toEqual(['base', 'head'])
    expect(most).toBe(2)
    expect(gate.stats.pairs).toBe(1)
  })

  it('concurrent pairing runs every pair at once, still pairing the k-th operations', async () => {
    const gate = new Lockstep(5, 'concurrent')
    let inFlight = 0
    let overlapped = 0
    const seen: string[] = []
    const side = async (s: Side, delay: number): Promise<void> => {
      for (let i = 0; i < 6; i++) {
        await sleep(delay)
        await gate.run(s, async () => {
          inFlight++
          seen.push(`${s}${i}`)
          await sleep(15)
          if (inFlight === 2) overlapped++
          inFlight--
        })
      }
      gate.finish(s)
    }
    await Promise.all([side('base', 0), side('head', 4)])
    // Every pair overlapped; an interleaved gate would never have two in flight.
    expect(overlapped).toBeGreaterThanOrEqual(6)
    for (let i = 0; i < 6; i++)
      expect(new Set(seen.slice(2 * i, 2 * i + 2))).toEqual(new Set([`base${i}`, `head${i}`]))
    expect(gate.stats.pairs).toBe(6)
  })

  it('the side clock leaves out the time a side was held while the other ran', async () => {
    const gate = new Lockstep(3)
    const timedOp = (side: Side, ms: number) =>
      runAsSide(gate, side, async () => {
        const t0 = sideNow()
        await gate.run(side, () => sleep(ms))
        return sideNow() - t0
      })
    // The head's operation takes 60 ms, the base's 5 ms: whichever runs second waits for the other.
    const [b, h] = await Promise.all([timedOp('base', 5), timedOp('head', 60)])
    expect(b).toBeLessThan(40)
    expect(h).toBeGreaterThanOrEqual(55)
  })
})
