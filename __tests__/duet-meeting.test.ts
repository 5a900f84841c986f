import { describe, expect, it } from 'vitest'
import { Lockstep, type Side } from '../src/duet/lockstep.js'
import { Meeting } from '../src/duet/meeting.js'
import { stepToSaturation } from '../src/bench/saturation.js'

const DEPTHS = [1, 2, 4, 8, 16, 32]
// The base saturates after depth 2, the head only after depth 8 (as an A/A duet's two sides did by chance).
const RATES: Record<Side, number[]> = {
  base: [100, 150, 152, 153, 154, 155],
  head: [100, 150, 220, 320, 330, 331]
}

/** One side of a duet stepping its load through the gate, as communication.message-throughput does. */
async function side(gate: Lockstep, meeting: Meeting | undefined, s: Side) {
  const windows: number[] = []
  const r = await stepToSaturation(
    DEPTHS,
    depth =>
      gate.run(s, async () => {
        windows.push(depth)
        return { rate: RATES[s][DEPTHS.indexOf(depth)], window: depth }
      }),
    meeting ? rate => meeting.agree(s, 'rate', rate, (b, h) => Math.sqrt(b * h)) : undefined
  )
  // The loaded windows that follow, paired with the other side's.
  for (let i = 0; i < 3; i++) await gate.run(s, async () => windows.push(r.depth))
  gate.finish(s)
  meeting?.finish(s)
  return { depth: r.depth, windows, own: r.own.map(x => x.rate) }
}

describe('a duet decides its load together', () => {
  it('both sides stop at the same depth, so every pair holds the same load on both sides', async () => {
    const gate = new Lockstep(3)
    const meeting = new Meeting()
    const [base, head] = await Promise.all([side(gate, meeting, 'base'), side(gate, meeting, 'head')])
    expect(base.depth).toBe(head.depth)
    expect(base.windows).toEqual(head.windows)
    expect(gate.stats.solo).toBe(0)
    // Each side still reports the rates it measured itself.
    expect(base.own).toEqual(RATES.base.slice(0, base.own.length))
    expect(head.own).toEqual(RATES.head.slice(0, head.own.length))
  })

  it('deciding alone, the sides load differently (what the A/A duets showed)', async () => {
    const gate = new Lockstep(3)
    const [base, head] = await Promise.all([side(gate, undefined, 'base'), side(gate, undefined, 'head')])
    expect(base.depth).toBe(2)
    expect(head.depth).toBe(8)
    expect(base.windows).not.toEqual(head.windows)
  })
})

describe('Meeting', () => {
  it('gives both sides combine(base, head) for the k-th call of a key, whichever side asks first', async () => {
    const m = new Meeting()
    const a = m.agree('head', 'x', 10, (b, h) => b - h)
    const b = m.agree('base', 'x', 3, (b, h) => b - h)
    expect(await Promise.all([a, b])).toEqual([-7, -7])
    const c = m.agree('base', 'x', 5, (b, h) => b * 100 + h)
    const d = m.agree('head', 'x', 1, (b, h) => b * 100 + h)
    expect(await Promise.all([c, d])).toEqual([501, 501])
  })

  it('a side whose partner finished goes on with its own value, waiting or not', async () => {
    const m = new Meeting()
    const waiting = m.agree('base', 'x', 4, (b, h) => b + h)
    m.finish('head')
    expect(await waiting).toBe(4)
    expect(await m.agree('base', 'y', 9, (b, h) => b + h)).toBe(9)
  })
})
