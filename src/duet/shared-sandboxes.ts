// In a duet a base agent and its head twin share one sandbox: the same placement for both sides (CPU, kernel,
// network path) at the cost in sandboxes of a single run. Wraps any provider; creates that name a pair slot are
// matched across the two sides, everything else passes through.
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ForwardingProvider } from '../sandbox/forwarding.js'
import type {
  AgentProcess,
  CreateOptions,
  PeerEndpoint,
  Sandbox,
  SandboxFile,
  SandboxMetrics,
  StartCommand
} from '../sandbox/types.js'

type PairSide = NonNullable<CreateOptions['pair']>['side']

interface Slot {
  real: Promise<Sandbox>
  /** How long the platform took to create it, from the first side's request (set once created). */
  createMs?: number
  joined: Set<PairSide>
  refs: number
}

/** One side's view of a shared sandbox: its own subfolder and processes; the sandbox dies with its last view. */
class SharedSandbox implements Sandbox {
  private killed = false
  private killing: Promise<void> | undefined
  private readonly processes = new Set<AgentProcess>()

  constructor(
    private readonly real: Sandbox,
    readonly label: string,
    private readonly side: PairSide,
    private readonly release: () => Promise<void>
  ) {}

  get id(): string {
    return this.real.id
  }
  get provider(): Sandbox['provider'] {
    return this.real.provider
  }
  get allocation(): Sandbox['allocation'] {
    return this.real.allocation
  }
  get workdir(): string {
    return path.posix.join(this.real.workdir, this.side)
  }
  get alive(): boolean {
    return !this.killed && this.real.alive
  }
  writeFiles(files: SandboxFile[]): Promise<void> {
    return this.real.writeFiles(files.map(f => ({ ...f, path: path.posix.join(this.side, f.path) })))
  }

  async start(cmd: StartCommand): Promise<AgentProcess> {
    if (this.killed) throw new Error(`${this.label}: the sandbox was killed`)
    const proc = await this.real.start({ ...cmd, cwd: path.posix.resolve(this.workdir, cmd.cwd ?? '.') })
    this.processes.add(proc)
    void proc.exited.then(() => this.processes.delete(proc))
    return proc
  }

  peerEndpoint(port: number): Promise<PeerEndpoint> {
    return this.real.peerEndpoint(port)
  }

  /** The whole sandbox's readings: both sides' agents are in them. */
  metrics(): Promise<SandboxMetrics | undefined> {
    return this.real.metrics()
  }

  aliveSeconds(): number {
    return this.real.aliveSeconds()
  }

  kill(): Promise<void> {
    this.killing ??= (async () => {
      this.killed = true
      await Promise.all([...this.processes].map(p => p.kill().catch(() => undefined)))
      await this.release()
    })()
    return this.killing
  }
}

export class SandboxSharing extends ForwardingProvider {
  private readonly slots = new Map<string, Slot>()
  private readonly views = new Set<Sandbox>()

  override async create(opts: CreateOptions): Promise<Sandbox> {
    const { pair, ...rest } = opts
    if (!pair) return this.track(await this.inner.create(rest))
    const open = this.slots.get(pair.key)
    if (open && !open.joined.has(pair.side)) {
      open.joined.add(pair.side)
      // Counted from the join: the other side may be done with the sandbox before this side's view exists.
      open.refs++
      // Both sides are in: nobody else joins this sandbox.
      if (open.joined.size === 2) this.slots.delete(pair.key)
      const requested = performance.now()
      try {
        const real = await open.real
        // The side that asked later waits the platform's creation time from its own request too: with sequential
        // deploys the sides drift apart, and the later one would otherwise record a creation it half skipped.
        // Not under a millisecond, a timer's resolution: asked together, that wait overshot and put the joining
        // side behind in every later phase of its deploy.
        const left = requested + (open.createMs ?? 0) - performance.now()
        if (left >= 1) await sleep(left)
        return this.view(open, real, opts.label, pair.side)
      } catch {
        // The other side's create failed: this side makes its own.
        open.refs--
        return this.create(rest)
      }
    }
    const started = performance.now()
    const slot: Slot = { real: this.inner.create(rest), joined: new Set([pair.side]), refs: 1 }
    this.slots.set(pair.key, slot)
    let real: Sandbox
    try {
      real = await slot.real
      slot.createMs = performance.now() - started
    } catch (err) {
      if (this.slots.get(pair.key) === slot) this.slots.delete(pair.key)
      throw err
    }
    return this.view(slot, real, opts.label, pair.side)
  }

  /** One side's view; the slot already counts it (refs). */
  private view(slot: Slot, real: Sandbox, label: string, side: PairSide): Sandbox {
    const v: Sandbox = new SharedSandbox(real, label, side, async () => {
      this.views.delete(v)
      if (--slot.refs > 0) return
      for (const [k, s] of this.slots) if (s === slot) this.slots.delete(k)
      await real.kill()
    })
    return this.track(v)
  }

  private track(s: Sandbox): Sandbox {
    this.views.add(s)
    return s
  }

  /** This run's views (the runner kills leftovers through them, so a shared sandbox dies with its last view). */
  override live(): Sandbox[] {
    return [...this.views].filter(s => s.alive)
  }

  override async killAll(): Promise<void> {
    await Promise.all(this.live().map(s => s.kill().catch(() => undefined)))
    await this.inner.killAll()
  }
  // usage() is the inner provider's: billed once per real sandbox, however many sides shared it.
}
