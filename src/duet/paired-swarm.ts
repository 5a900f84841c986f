// One side's view of a benchmark context in a duet: every swarm operation, and every swarm it borrows or deploys,
// goes through the lockstep gate, so the base's k-th operation and the head's k-th run back to back. The
// benchmark code itself is unchanged and does not know it runs twice.
import type { BenchContext } from '../bench/types.js'
import { Swarm, type PingResult, type SendResult } from '../swarm/swarm.js'
import type { Lockstep, Side } from './lockstep.js'

/**
 * Every operation of a swarm reaches its agents through `request`: pairing it pairs each agent request of one
 * side with the same request of the other (a ping over 5 agents is 5 pairs, not 1). Methods run with the view as
 * `this`, so their inner requests pass the gate.
 */
const PAIRED = 'request'

/**
 * Bookkeeping reads (message counters, resource readings) time nothing: a pair of them runs on both sides at once
 * instead of back to back, which saves one round trip to every agent per read under E2B latencies. They still
 * pair, so no timed operation of either side runs beside them.
 */
const TOGETHER_OPS: ReadonlySet<unknown> = new Set(['metrics', 'reset_counters'])

const realOf = new WeakMap<object, Swarm>()

/** The swarm behind a paired view (the view itself when it is not one). */
export const unwrapSwarm = (swarm: Swarm): Swarm => realOf.get(swarm) ?? swarm

/**
 * Messages per request in a duet. A request that sends 30 messages gives 30 samples from one moment; split into
 * requests of 5, each paired with its twin in a random order, the samples come from 6 moments, and a passing
 * disturbance hits some pairs, not a whole side (the verdict then treats each block of 5 as one unit).
 */
export const DUET_CHUNK = 5

const chunks = (count: number): number[] =>
  Array.from({ length: Math.ceil(count / DUET_CHUNK) }, (_, i) =>
    Math.min(DUET_CHUNK, count - i * DUET_CHUNK)
  )

/** `send` as requests of DUET_CHUNK messages, results joined in order. */
async function chunkedSend(
  view: Swarm,
  from: number,
  to: number,
  count: number,
  payloadBytes = 0
): Promise<SendResult> {
  const parts: SendResult[] = []
  for (const c of chunks(count)) parts.push(await Swarm.prototype.send.call(view, from, to, c, payloadBytes))
  const last = parts[parts.length - 1]
  return {
    delivered: parts.reduce((a, p) => a + p.delivered, 0),
    elapsedNs: parts.reduce((a, p) => a + p.elapsedNs, 0),
    hops: last?.hops ?? null,
    path: last?.path ?? null,
    latencyNs: parts.flatMap(p => p.latencyNs),
    ...(parts.some(p => p.hookNs) ? { hookNs: parts.flatMap(p => p.hookNs ?? []) } : {})
  }
}

/** `ping` as requests of DUET_CHUNK pings per edge, each edge's round trips joined in order. */
async function chunkedPing(view: Swarm, opts: Parameters<Swarm['ping']>[0]): Promise<PingResult> {
  const edges = new Map<string, PingResult['edges'][number]>()
  for (const c of chunks(opts.count)) {
    const r = await Swarm.prototype.ping.call(view, { ...opts, count: c })
    for (const e of r.edges) {
      const key = `${e.from}>${e.to}`
      const known = edges.get(key)
      if (known) known.rttNs.push(...e.rttNs)
      else edges.set(key, { from: e.from, to: e.to, rttNs: [...e.rttNs] })
    }
  }
  return { edges: [...edges.values()] }
}

function view(swarm: Swarm, gate: Lockstep, side: Side, views: WeakMap<Swarm, Swarm>): Swarm {
  const known = views.get(swarm)
  if (known) return known
  const proxy: Swarm = new Proxy(swarm, {
    get(target, prop, receiver) {
      if (prop === 'send') return (...a: Parameters<Swarm['send']>) => chunkedSend(proxy, ...a)
      if (prop === 'ping') return (o: Parameters<Swarm['ping']>[0]) => chunkedPing(proxy, o)
      const value: unknown = Reflect.get(target, prop, receiver)
      if (prop !== PAIRED || typeof value !== 'function') return value
      return (...args: unknown[]) =>
        gate.run(side, () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args), {
          together: TOGETHER_OPS.has(args[1]),
          kind: String(args[1])
        })
    }
  })
  views.set(swarm, proxy)
  realOf.set(proxy, swarm)
  return proxy
}

/** `ctx` as one side of a duet sees it. Swarms are got by both sides at once (their sandboxes are shared). */
export function pairedSwarm<P>(ctx: BenchContext<P>, gate: Lockstep, side: Side): BenchContext<P> {
  const views = new WeakMap<Swarm, Swarm>()
  const together = (kind: string) => ({ together: true, kind })
  return {
    ...ctx,
    progress: m => ctx.progress(m),
    target: n => ctx.target(n),
    checkAbort: () => ctx.checkAbort(),
    swarm: async req =>
      view(await gate.run(side, () => ctx.swarm(req), together('swarm')), gate, side, views),
    deploy: async req =>
      view(await gate.run(side, () => ctx.deploy(req), together('deploy')), gate, side, views),
    release: swarm => ctx.release(unwrapSwarm(swarm)),
    discard: swarm => ctx.discard(unwrapSwarm(swarm))
  }
}
