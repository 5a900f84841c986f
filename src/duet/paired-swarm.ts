// One side's view of a benchmark context in a duet: every swarm operation, and every swarm it borrows or deploys,
// goes through the lockstep gate, so the base's k-th operation and the head's k-th run back to back. The
// benchmark code itself is unchanged and does not know it runs twice.
import type { BenchContext } from '../bench/types.js'
import type { Swarm } from '../swarm/swarm.js'
import type { Lockstep, Side } from './lockstep.js'

/**
 * Every operation of a swarm reaches its agents through `request`: pairing it pairs each agent request of one
 * side with the same request of the other (a ping over 5 agents is 5 pairs, not 1). Methods run with the view as
 * `this`, so their inner requests pass the gate.
 */
const PAIRED = 'request'

const realOf = new WeakMap<object, Swarm>()

/** The swarm behind a paired view (the view itself when it is not one). */
export const unwrapSwarm = (swarm: Swarm): Swarm => realOf.get(swarm) ?? swarm

function view(swarm: Swarm, gate: Lockstep, side: Side, views: WeakMap<Swarm, Swarm>): Swarm {
  const known = views.get(swarm)
  if (known) return known
  const proxy = new Proxy(swarm, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver)
      if (prop !== PAIRED || typeof value !== 'function') return value
      return (...args: unknown[]) =>
        gate.run(side, () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args))
    }
  })
  views.set(swarm, proxy)
  realOf.set(proxy, swarm)
  return proxy
}

/** `ctx` as one side of a duet sees it. */
export function pairedSwarm<P>(ctx: BenchContext<P>, gate: Lockstep, side: Side): BenchContext<P> {
  const views = new WeakMap<Swarm, Swarm>()
  return {
    ...ctx,
    progress: m => ctx.progress(m),
    target: n => ctx.target(n),
    checkAbort: () => ctx.checkAbort(),
    swarm: async req => view(await gate.run(side, () => ctx.swarm(req)), gate, side, views),
    deploy: async req => view(await gate.run(side, () => ctx.deploy(req)), gate, side, views),
    release: swarm => ctx.release(unwrapSwarm(swarm)),
    discard: swarm => ctx.discard(unwrapSwarm(swarm))
  }
}
