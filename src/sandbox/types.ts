// The provider contract: everything the swarm needs from a place that runs one agent process.
// A provider never knows about topologies or benchmarks; a benchmark never talks to a provider directly.

/** Size a sandbox is billed for (E2B bills allocation, not use). */
export interface Allocation {
  vcpu: number
  memoryMiB: number
}

/** A registered provider's name (src/sandbox/registry.ts). */
export type ProviderName = string

export interface CreateOptions {
  /** Human-readable label, e.g. `mesh-3/agent-0`; used in logs and errors. */
  label: string
  /** Tags so a later sweep can find every sandbox of a run (E2B metadata). */
  metadata?: Record<string, string>
  /** Safety lifetime; the provider kills the sandbox after it even if we crash. */
  timeoutMs?: number
  signal?: AbortSignal
  /**
   * Run the sandbox's processes on this CPU where the provider shares one machine between sandboxes (local): a
   * duet gives a base agent and its head twin the same CPU, so neither side gets a faster core or mode.
   */
  cpu?: number
  /**
   * A duet slot: the base and head agents whose creates name the same key share one sandbox, each side in its own
   * subfolder (see src/duet/shared-sandboxes.ts). Providers themselves ignore it.
   */
  pair?: { key: string; side: 'head' | 'base' }
}

export interface StartCommand {
  /** Executable, e.g. `python3`. */
  command: string
  args: string[]
  /** Relative to the sandbox's workdir when not absolute. */
  cwd?: string
  env?: Record<string, string>
}

export interface ExitInfo {
  code: number | null
  signal: string | null
  /** Set when the process stream broke rather than the process exiting normally. */
  error?: string
}

/** A long-lived process inside a sandbox, driven over stdin/stdout lines. */
export interface AgentProcess {
  readonly pid: number | undefined
  /** Subscribe to complete stdout lines (without the newline). Lines are re-assembled from chunks. */
  onLine(listener: (line: string) => void): void
  /** Write one line (a newline is appended). Rejects if the process is gone. */
  writeLine(line: string): Promise<void>
  /** Last few KiB of stderr, for error messages. */
  stderrTail(): string
  /** Resolves once, when the process has exited or its stream broke. Never rejects. */
  readonly exited: Promise<ExitInfo>
  kill(): Promise<void>
}

export interface PeerEndpoint {
  /** Base URL another agent uses to reach this sandbox's port. */
  url: string
  /** Headers a peer must send (routing and traffic tokens); never logged. */
  headers: Record<string, string>
}

/** What the provider itself can measure about a sandbox, alongside the agent's own readings. */
export interface SandboxMetrics {
  cpuUsedPct?: number
  memUsedBytes?: number
  memTotalBytes?: number
}

export interface SandboxFile {
  /** Path relative to the sandbox workdir. */
  path: string
  data: string | Buffer
}

export interface Sandbox {
  readonly id: string
  readonly label: string
  readonly provider: ProviderName
  readonly allocation: Allocation
  /** Absolute directory inside the sandbox where files are written and commands run. */
  readonly workdir: string
  writeFiles(files: SandboxFile[]): Promise<void>
  start(cmd: StartCommand): Promise<AgentProcess>
  peerEndpoint(port: number): Promise<PeerEndpoint>
  metrics(): Promise<SandboxMetrics | undefined>
  /** Seconds from creation until kill (or now, while alive): the billable lifetime. */
  aliveSeconds(): number
  readonly alive: boolean
  /** Idempotent; never throws. */
  kill(): Promise<void>
}

export interface SandboxUsage {
  label: string
  allocation: Allocation
  seconds: number
}

export interface ProviderInfo {
  name: ProviderName
  /** e.g. `local child processes` or `e2b template base`. */
  description: string
  /** True when the allocation is nominal (not billed): costs are then estimates, "as if on E2B". */
  nominalAllocation: boolean
}

export interface Provider {
  readonly info: ProviderInfo
  create(opts: CreateOptions): Promise<Sandbox>
  /** Sandboxes created and not yet killed. */
  live(): Sandbox[]
  /** Kill everything still alive; never throws. */
  killAll(): Promise<void>
  /** Billable lifetime of every sandbox this provider created (alive or not), for the cost model. */
  usage(): SandboxUsage[]
}
