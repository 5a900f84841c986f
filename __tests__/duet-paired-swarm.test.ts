// One side's paired view of a swarm (src/duet/paired-swarm.ts): timed agent requests of the two sides run back to
// back, bookkeeping reads (counters, resource readings) of a pair run on both sides at once.
import { describe, expect, it } from 'vitest'
import { pairedSwarm } from '../src/duet/paired-swarm.js'
import { Lockstep, type Side } from '../src/duet/lockstep.js'
import type { BenchContext } from '../src/bench/types.js'
import { Swarm } from '../src/swarm/swarm.js'

const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms))

function sides(): { views: (side: Side) => Promise<Swarm>; most: () => number; ops: string[] } {
  const gate = new Lockstep(3)
  let inFlight = 0
  let most = 0
  const ops: string[] = []
  // A stand-in swarm: only `request` reaches the agents, as in the real one.
  const fake = (side: Side): Swarm => {
    const s = Object.create(Swarm.prototype) as Swarm
    Object.assign(s, {
      request: async (_agent: number, op: string) => {
        ops.push(`${side}:${op}`)
        most = Math.max(most, ++inFlight)
        await sleep(10)
        inFlight--
        return {}
      }
    })
    return s
  }
  const ctx = (side: Side) =>
    ({
      swarm: async () => fake(side),
      deploy: async () => fake(side),
      progress: () => {},
      target: () => undefined,
      checkAbort: () => {},
      release: async () => {},
      discard: async () => {}
    }) as unknown as BenchContext<unknown>
  return {
    views: side => pairedSwarm(ctx(side), gate, side).swarm({ topology: 'mesh', size: 1 }),
    most: () => most,
    ops
  }
}

describe('paired swarm view', () => {
  it('runs a timed request of the base and the head back to back, never at once', async () => {
    const t = sides()
    const [b, h] = await Promise.all([t.views('base'), t.views('head')])
    t.ops.length = 0
    await Promise.all([b.request(0, 'consensus'), h.request(0, 'consensus')])
    expect(t.ops.sort()).toEqual(['base:consensus', 'head:consensus'])
    // The deploy pair ran together (shared sandboxes); the consensus pair did not.
    expect(t.most()).toBe(1)
  })

  it("never runs one side's timed request beside the other's counter read, when the two sides drift apart", async () => {
    const t = sides()
    const [b, h] = await Promise.all([t.views('base'), t.views('head')])
    await Promise.all([b.request(0, 'metrics'), h.request(0, 'state_sync')])
    expect(t.ops.filter(o => !o.endsWith('deploy'))).toHaveLength(2)
    expect(t.most()).toBe(1)
  })

  it('runs a pair of counter reads on both sides at once', async () => {
    const t = sides()
    const [b, h] = await Promise.all([t.views('base'), t.views('head')])
    await Promise.all([b.request(0, 'metrics'), h.request(0, 'metrics')])
    expect(t.most()).toBe(2)
  })
})
