// A small pool of idle swarms keyed by topology + size + deploy mode, so the matrix does not pay twice for the
// same swarm: creation benchmarks hand their freshly measured swarms over, later benchmarks borrow them. A
// borrowed swarm gets its counters reset so measurements stay separated. The pool is bounded in agents (and on
// E2B by the plan's concurrency): the least recently used idle swarm is torn down to make room.
import type { Swarm } from '../swarm/swarm.js'

export interface PoolKey {
  topology: string
  size: number
  deploy: 'parallel' | 'sequential'
  /** In a duet, the base side's swarms run the base's code: never lent to the head, nor the other way round. */
  side?: 'base' | 'head'
}

export const poolKey = (k: PoolKey): string =>
  `${k.topology}:${k.size}:${k.deploy}${k.side === 'base' ? ':base' : ''}`
/** Topology and size only: a borrower that does not name a deploy mode takes either. */
export const shapeOf = (k: { topology: string; size: number }): string => `${k.topology}:${k.size}`
const shapeKey = (s: Swarm): string => shapeOf({ topology: s.topology.name, size: s.size })

interface Entry {
  key: string
  swarm: Swarm
  lastUsed: number
}

export interface SwarmPoolOptions {
  /** Most agents kept alive in idle swarms plus swarms in use. */
  maxAgents: number
  /** Tear down a swarm; never throws (errors are passed to onError). */
  teardown?: (swarm: Swarm) => Promise<void>
  onError?: (message: string) => void
}

export class SwarmPool {
  private idle: Entry[] = []
  private readonly inUse = new Map<Swarm, string>()
  private clock = 0
  /** Agents of deploys under way: room made for them, not yet tracked. */
  private reserved = 0
  /** How many borrows were served from the pool (a reuse) and how many swarms had to be deployed. */
  readonly stats = { reused: 0, deployed: 0, evicted: 0 }

  constructor(private readonly opts: SwarmPoolOptions) {}

  get maxAgents(): number {
    return this.opts.maxAgents
  }

  /** Agents alive in swarms the pool knows of (idle and in use). */
  agentsAlive(): number {
    let n = 0
    for (const e of this.idle) n += e.swarm.size
    for (const s of this.inUse.keys()) n += s.size
    return n
  }

  idleKeys(): string[] {
    return this.idle.map(e => e.key)
  }

  /** Whether a swarm of this `topology:size` (either deploy mode) is idle. */
  hasIdle(shape: string): boolean {
    return this.idle.some(e => shapeKey(e.swarm) === shape)
  }

  /** Takes an idle, healthy swarm of this key out of the pool, or undefined. Dead swarms found are discarded. */
  async take(key: PoolKey): Promise<Swarm | undefined> {
    const k = poolKey(key)
    for (;;) {
      const i = this.idle.findIndex(e => e.key === k)
      if (i < 0) return undefined
      const [entry] = this.idle.splice(i, 1)
      if (!healthy(entry.swarm)) {
        await this.teardown(entry.swarm)
        continue
      }
      this.inUse.set(entry.swarm, k)
      this.stats.reused++
      return entry.swarm
    }
  }

  /** Tears down idle swarms whose topology:size is not about to be borrowed (they only cost money idle). */
  async prune(needed: ReadonlySet<string>): Promise<void> {
    const drop = this.idle.filter(e => !needed.has(shapeKey(e.swarm)))
    this.idle = this.idle.filter(e => needed.has(shapeKey(e.swarm)))
    this.stats.evicted += drop.length
    await Promise.all(drop.map(e => this.teardown(e.swarm)))
  }

  /** Makes room for `size` more agents by tearing down least recently used idle swarms. */
  async makeRoom(size: number): Promise<void> {
    while (this.idle.length > 0 && this.agentsAlive() + this.reserved + size > this.opts.maxAgents) {
      this.idle.sort((a, b) => a.lastUsed - b.lastUsed)
      const [victim] = this.idle.splice(0, 1)
      this.stats.evicted++
      await this.teardown(victim.swarm)
    }
  }

  /**
   * Makes room for a deploy and holds it until the returned function is called (once the swarm is tracked or
   * the deploy failed). Deploys that start together, as a duet's two sides do, then leave room for each other
   * instead of each counting only what is already alive.
   */
  async reserve(size: number): Promise<() => void> {
    this.reserved += size
    let held = true
    // makeRoom never throws (teardown reports its errors), so the room is always made before this returns.
    await this.makeRoom(0)
    return () => {
      if (held) this.reserved -= size
      held = false
    }
  }

  /** Registers a swarm the caller just deployed as in use. */
  track(swarm: Swarm, key: PoolKey): void {
    this.stats.deployed++
    this.inUse.set(swarm, poolKey(key))
  }

  /** Returns a swarm to the pool; torn down instead when unhealthy, over capacity, or a same-key one is idle. */
  async release(swarm: Swarm): Promise<void> {
    const key = this.inUse.get(swarm)
    this.inUse.delete(swarm)
    if (key === undefined) return this.teardown(swarm)
    const duplicate = this.idle.some(e => e.key === key)
    if (!healthy(swarm) || duplicate || swarm.size > this.opts.maxAgents) return this.teardown(swarm)
    this.idle.push({ key, swarm, lastUsed: ++this.clock })
    await this.makeRoom(0)
  }

  /** Tears a swarm down and forgets it. */
  async discard(swarm: Swarm): Promise<void> {
    this.inUse.delete(swarm)
    this.idle = this.idle.filter(e => e.swarm !== swarm)
    await this.teardown(swarm)
  }

  /** Every swarm the pool knows of (idle and in use). */
  all(): Swarm[] {
    return [...this.idle.map(e => e.swarm), ...this.inUse.keys()]
  }

  async drain(): Promise<void> {
    const all = this.all()
    this.idle = []
    this.inUse.clear()
    await Promise.all(all.map(s => this.teardown(s)))
  }

  private async teardown(swarm: Swarm): Promise<void> {
    try {
      await (this.opts.teardown ? this.opts.teardown(swarm) : swarm.teardown())
    } catch (err) {
      this.opts.onError?.(`teardown of a ${swarm.topology.name}-${swarm.size} swarm failed: ${String(err)}`)
    }
  }
}

function healthy(swarm: Swarm): boolean {
  return swarm.sandboxes.every(s => s.alive)
}
