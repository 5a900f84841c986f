// The `e2b` provider: one E2B sandbox per agent, driven with the real e2b SDK. Creation goes through the plan's
// limiter (live sandboxes + creation rate) and a retry on rate-limit/busy answers; the agent runs as a background
// command with stdin open and no command deadline; peers reach it through E2B's per-port host (or, against a
// local emulator, through `sandboxUrl` plus routing headers).
import path from 'node:path'
import { CommandExitError, E2B, type CommandHandle, type Sandbox as SdkSandbox } from 'e2b'
import { LineSplitter } from '../lines.js'
import {
  CreationLimiter,
  withRetry,
  RetryExhaustedError,
  classifyError,
  type PlanLimits,
  type ReleaseSlot,
  type RetryOptions
} from '../limits.js'
import { resolvePlanLimits, type PlanName } from './plans.js'
import type {
  AgentProcess,
  Allocation,
  CreateOptions,
  ExitInfo,
  PeerEndpoint,
  Provider,
  ProviderInfo,
  Sandbox,
  SandboxFile,
  SandboxMetrics,
  SandboxUsage,
  StartCommand
} from '../types.js'
import { errorText, SwarmBenchError } from '../../errors.js'
import { redact } from '../../secrets.js'
import { setTimeout as sleep } from 'node:timers/promises'

export const E2B_WORKDIR = '/home/user/swarm'
export const DEFAULT_E2B_TIMEOUT_MS = 10 * 60 * 1000
/** Header E2B requires on requests to a sandbox created with `allowPublicTraffic: false`. */
export const TRAFFIC_TOKEN_HEADER = 'e2b-traffic-access-token'
const STDERR_TAIL_CHARS = 4096

export interface E2BProviderOptions {
  apiKey: string
  /** Control plane URL (default `https://api.<domain>`); set with `sandboxUrl` to use a local emulator. */
  apiUrl?: string
  /** Daemon URL; when set, peers are routed through it with `E2b-Sandbox-Id`/`E2b-Sandbox-Port` headers. */
  sandboxUrl?: string
  domain?: string
  template?: string
  /** Safety lifetime: E2B kills the sandbox after it even if this process dies; extended while running. */
  timeoutMs?: number
  plan?: PlanName
  limits?: Partial<PlanLimits>
  /** Tags on every sandbox (run id, job, repository) so a sweep can find leftovers. */
  metadata?: Record<string, string>
  /** false: sandbox ports need the traffic access token (sent to peers in `peerEndpoint().headers`). */
  allowPublicTraffic?: boolean
  retry?: Partial<RetryOptions>
  /** How long a create waits for a free slot under the plan's concurrency limit. */
  slotWaitMs?: number
  requestTimeoutMs?: number
  log?: (message: string) => void
}

/** The key was refused or is missing: never retried, never printed. */
export class E2BAuthError extends SwarmBenchError {
  constructor(reason: string) {
    super(
      `${reason}. Set the \`e2b-api-key\` input or the E2B_API_KEY environment variable to a valid key ` +
        'from https://e2b.dev/dashboard?tab=keys'
    )
    this.name = 'E2BAuthError'
  }
}

/** The SDK's default request timeout (`requestTimeoutMs`). */
const SDK_REQUEST_TIMEOUT_MS = 60_000

/**
 * Runs `fn` with a signal that aborts after `ms` (a TimeoutError) or when `outer` aborts. Needed because the SDK,
 * given a caller's signal, combines it with its own request timeout through `AbortSignal.any`; on Node 20 that
 * timeout signal is then reachable only weakly, is garbage-collected, and never fires: a hung creation would wait
 * forever. A plain timer held here cannot be collected.
 */
export async function withDeadline<T>(
  ms: number,
  outer: AbortSignal | undefined,
  fn: (signal: AbortSignal) => Promise<T>
): Promise<T> {
  const ctrl = new AbortController()
  const timer = setTimeout(
    () => ctrl.abort(new DOMException(`the request timed out after ${ms} ms`, 'TimeoutError')),
    ms
  )
  const onAbort = (): void => ctrl.abort(outer?.reason)
  if (outer?.aborted) onAbort()
  else outer?.addEventListener('abort', onAbort, { once: true })
  try {
    return await fn(ctrl.signal)
  } finally {
    clearTimeout(timer)
    outer?.removeEventListener('abort', onAbort)
  }
}

function isGoneError(err: unknown): boolean {
  const name = (err as { name?: string } | undefined)?.name
  return name === 'TimeoutError' || name === 'SandboxNotFoundError'
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

/** `exec` so the agent is the command's own process: a kill by pid reaches it, not just a wrapping shell. */
export function commandLine(cmd: StartCommand): string {
  return ['exec', shellQuote(cmd.command), ...cmd.args.map(shellQuote)].join(' ')
}

/** Resolve a path relative to the workdir, refusing anything that climbs out of it. */
function inWorkdir(workdir: string, rel: string): string {
  const abs = path.posix.resolve(workdir, rel)
  if (abs !== workdir && !abs.startsWith(workdir + '/'))
    throw new Error(`path '${rel}' leaves the sandbox workdir ${workdir}`)
  return abs
}

function toUploadData(data: string | Buffer): string | ArrayBuffer {
  if (typeof data === 'string') return data
  return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer
}

class E2BAgentProcess implements AgentProcess {
  readonly exited: Promise<ExitInfo>
  private readonly listeners: ((line: string) => void)[] = []
  /** Lines that arrived before anyone listened (the ready line can beat the caller's onLine). */
  private early: string[] = []
  private tail = ''
  private done = false
  private killedByUs = false
  private writes: Promise<void> = Promise.resolve()
  private handle!: CommandHandle
  private readonly splitter: LineSplitter
  private resolveExit!: (info: ExitInfo) => void

  constructor(
    private readonly owner: E2BSandbox,
    private readonly log: (message: string) => void
  ) {
    this.splitter = new LineSplitter({
      onLine: line => this.emit(line),
      onError: err => {
        this.appendStderr(`[swarm-bench] ${err.message}\n`)
        this.log(`${owner.label}: ${err.message}`)
      }
    })
    this.exited = new Promise<ExitInfo>(resolve => (this.resolveExit = resolve))
  }

  get pid(): number | undefined {
    return this.handle?.pid
  }

  onStdout(chunk: string): void {
    this.splitter.push(chunk)
  }

  appendStderr(chunk: string): void {
    this.tail = (this.tail + chunk).slice(-STDERR_TAIL_CHARS)
  }

  attach(handle: CommandHandle): void {
    this.handle = handle
    handle.wait().then(
      () => this.finish({ code: 0, signal: null }),
      (err: unknown) => {
        if (err instanceof CommandExitError) {
          // envd reports -1 when a signal ended the process; the SDK does not say which one.
          const signaled = err.exitCode === -1
          this.finish({
            code: signaled ? null : err.exitCode,
            signal: signaled ? (this.killedByUs ? 'SIGKILL' : 'unknown') : null
          })
        } else {
          this.finish({ code: null, signal: null, error: this.owner.describe(err) })
          // The stream broke but the process may still run in a live sandbox: do not leave it behind.
          if (!isGoneError(err) && this.owner.alive) void handle.kill().catch(() => false)
        }
      }
    )
  }

  private finish(info: ExitInfo): void {
    if (this.done) return
    this.splitter.flush()
    this.done = true
    this.resolveExit(info)
  }

  private emit(line: string): void {
    if (this.listeners.length === 0) {
      this.early.push(line)
      return
    }
    for (const l of this.listeners) l(line)
  }

  onLine(listener: (line: string) => void): void {
    this.listeners.push(listener)
    if (this.early.length > 0) {
      const replay = this.early
      this.early = []
      for (const line of replay) listener(line)
    }
  }

  writeLine(line: string): Promise<void> {
    if (line.includes('\n'))
      return Promise.reject(new Error('writeLine: the line must not contain a newline'))
    // Each sendStdin is its own HTTP request: chain them so lines arrive in the order they were written.
    const next = this.writes.then(async () => {
      if (this.done) throw new Error(`${this.owner.label}: the agent process has exited`)
      try {
        await this.handle.sendStdin(line + '\n')
      } catch (err) {
        throw new Error(`${this.owner.label}: writing to the agent failed: ${this.owner.describe(err)}`, {
          cause: err
        })
      }
    })
    this.writes = next.catch(() => {})
    return next
  }

  stderrTail(): string {
    return this.tail
  }

  async kill(): Promise<void> {
    if (this.done) return
    this.killedByUs = true
    try {
      await this.handle.kill()
    } catch (err) {
      this.log(`${this.owner.label}: kill of pid ${this.pid} failed: ${this.owner.describe(err)}`)
    }
    // Bounded: if the stream never reports the end, the sandbox kill takes the process anyway.
    await Promise.race([this.exited, new Promise(r => setTimeout(r, 5000).unref())])
  }
}

class E2BSandbox implements Sandbox {
  readonly provider = 'e2b' as const
  readonly workdir = E2B_WORKDIR
  private readonly createdAt: number
  private killedAt: number | undefined
  private killing: Promise<void> | undefined
  private readonly keepAlive: NodeJS.Timeout
  private readonly processes = new Set<E2BAgentProcess>()

  constructor(
    private readonly sdk: SdkSandbox,
    readonly label: string,
    readonly allocation: Allocation,
    private readonly ctx: {
      apiKey: string
      sandboxUrl?: string
      timeoutMs: number
      log: (message: string) => void
      release: ReleaseSlot
      retry: RetryOptions
      /** When the create request that made this sandbox was sent (billing starts during it). */
      requestedAt: number
    }
  ) {
    this.createdAt = ctx.requestedAt
    // The safety lifetime is short so a crashed run leaks little; keep extending it while we are alive.
    this.keepAlive = setInterval(
      () => {
        this.sdk.setTimeout(this.ctx.timeoutMs).catch((err: unknown) => {
          this.ctx.log(`${this.label}: extending the sandbox lifetime failed: ${this.describe(err)}`)
        })
      },
      Math.max(1000, Math.floor(ctx.timeoutMs / 2))
    )
    this.keepAlive.unref()
  }

  get id(): string {
    return this.sdk.sandboxId
  }

  get alive(): boolean {
    return this.killedAt === undefined
  }

  /** An error message with this sandbox named and the key removed. */
  describe(err: unknown): string {
    let msg = errorText(err)
    if (isGoneError(err)) msg = `the sandbox is no longer running (it expired or was killed): ${msg}`
    return redact(`e2b sandbox ${this.label} (${this.id}): ${msg}`, [this.ctx.apiKey])
  }

  async writeFiles(files: SandboxFile[]): Promise<void> {
    if (files.length === 0) return
    const entries = files.map(f => ({ path: inWorkdir(this.workdir, f.path), data: toUploadData(f.data) }))
    try {
      // One multipart request per batch rather than one request per file.
      for (let i = 0; i < entries.length; i += 200) await this.sdk.files.write(entries.slice(i, i + 200))
    } catch (err) {
      throw new Error(`writing ${files.length} file(s) failed: ${this.describe(err)}`, { cause: err })
    }
  }

  async start(cmd: StartCommand): Promise<AgentProcess> {
    const proc = new E2BAgentProcess(this, this.ctx.log)
    const cwd = cmd.cwd ? path.posix.resolve(this.workdir, cmd.cwd) : this.workdir
    // The workdir exists even when no file was uploaded yet (as on the local provider); a missing cwd fails in
    // the shell with its own message on stderr instead of an opaque daemon error.
    const line = `mkdir -p ${shellQuote(this.workdir)} && cd ${shellQuote(cwd)} && ${commandLine(cmd)}`
    let handle: CommandHandle
    try {
      handle = await this.sdk.commands.run(line, {
        background: true,
        stdin: true,
        // The SDK's default 60 s would kill a long-lived agent: 0 means no deadline.
        timeoutMs: 0,
        envs: cmd.env,
        onStdout: chunk => proc.onStdout(chunk),
        onStderr: chunk => proc.appendStderr(chunk)
      })
    } catch (err) {
      throw new Error(`starting '${cmd.command}' failed: ${this.describe(err)}`, { cause: err })
    }
    proc.attach(handle)
    this.processes.add(proc)
    void proc.exited.then(() => this.processes.delete(proc))
    return proc
  }

  async peerEndpoint(port: number): Promise<PeerEndpoint> {
    const headers: Record<string, string> = {}
    if (this.sdk.trafficAccessToken) headers[TRAFFIC_TOKEN_HEADER] = this.sdk.trafficAccessToken
    if (this.ctx.sandboxUrl) {
      return {
        url: this.ctx.sandboxUrl.replace(/\/+$/, ''),
        headers: { 'E2b-Sandbox-Id': this.id, 'E2b-Sandbox-Port': String(port), ...headers }
      }
    }
    return { url: `https://${this.sdk.getHost(port)}`, headers }
  }

  async metrics(): Promise<SandboxMetrics | undefined> {
    try {
      const samples = await this.sdk.getMetrics()
      const last = samples[samples.length - 1]
      if (!last) return undefined
      return { cpuUsedPct: last.cpuUsedPct, memUsedBytes: last.memUsed, memTotalBytes: last.memTotal }
    } catch (err) {
      this.ctx.log(`${this.label}: metrics unavailable: ${this.describe(err)}`)
      return undefined
    }
  }

  aliveSeconds(): number {
    return ((this.killedAt ?? performance.now()) - this.createdAt) / 1000
  }

  kill(): Promise<void> {
    this.killing ??= this.doKill()
    return this.killing
  }

  private async doKill(): Promise<void> {
    clearInterval(this.keepAlive)
    try {
      // false = already gone (expired or swept): fine either way.
      await withRetry(() => this.sdk.kill(), { ...this.ctx.retry, deadlineMs: 30_000 })
    } catch (err) {
      this.ctx.log(`${this.label}: kill failed, the safety timeout will end it: ${this.describe(err)}`)
    }
    this.killedAt = performance.now()
    this.ctx.release()
    // The sandbox took its processes with it; settle their handles without another round trip.
    await Promise.all(
      [...this.processes].map(p => Promise.race([p.exited, sleep(2000, undefined, { ref: false })]))
    )
  }
}

export class E2BProvider implements Provider {
  readonly info: ProviderInfo
  readonly limits: PlanLimits
  private readonly client: E2B
  private readonly limiter: CreationLimiter
  private readonly template: string
  private readonly timeoutMs: number
  private readonly retry: RetryOptions
  private readonly log: (message: string) => void
  private readonly all: E2BSandbox[] = []

  constructor(private readonly opts: E2BProviderOptions) {
    if (!opts.apiKey?.trim()) throw new E2BAuthError('No E2B API key was given')
    this.template = opts.template ?? 'base'
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_E2B_TIMEOUT_MS
    this.limits = resolvePlanLimits(opts.plan ?? 'hobby', opts.limits)
    this.limiter = new CreationLimiter(this.limits)
    this.retry = { retries: 6, baseMs: 500, maxMs: 8000, deadlineMs: 90_000, ...opts.retry }
    const log = opts.log ?? (() => {})
    this.log = m => log(redact(m, [opts.apiKey]))
    this.client = new E2B({
      apiKey: opts.apiKey,
      apiUrl: opts.apiUrl,
      sandboxUrl: opts.sandboxUrl,
      domain: opts.domain,
      requestTimeoutMs: opts.requestTimeoutMs
    })
    this.info = {
      name: 'e2b',
      description: `e2b template ${this.template}`,
      nominalAllocation: false
    }
  }

  async create(opts: CreateOptions): Promise<Sandbox> {
    const release = await this.limiter.acquireSlot({ signal: opts.signal, waitMs: this.opts.slotWaitMs })
    let sdk: SdkSandbox
    // E2B bills from creation, which happens during the create request: the lifetime counts from the start of
    // the attempt that succeeded (refused attempts create nothing).
    let requestedAt = performance.now()
    try {
      const metadata = { ...this.opts.metadata, ...opts.metadata, label: opts.label }
      sdk = await withRetry(
        () =>
          this.limiter.schedule(
            () =>
              withDeadline(this.opts.requestTimeoutMs ?? SDK_REQUEST_TIMEOUT_MS, opts.signal, signal => {
                requestedAt = performance.now()
                return this.client.Sandbox.create(this.template, {
                  timeoutMs: opts.timeoutMs ?? this.timeoutMs,
                  metadata,
                  // Retries go through our limiter again (each one is a creation the plan counts), not the SDK's.
                  retries: 0,
                  signal,
                  ...(this.opts.allowPublicTraffic === false
                    ? { network: { allowPublicTraffic: false } }
                    : {})
                })
              }),
            { signal: opts.signal }
          ),
        {
          ...this.retry,
          signal: opts.signal,
          onRetry: ({ attempt, delayMs, kind }) =>
            this.log(`${opts.label}: sandbox creation refused (${kind}), retry ${attempt} in ${delayMs} ms`)
        }
      )
    } catch (err) {
      release()
      throw this.createError(err, opts.label)
    }
    let allocation: Allocation
    try {
      const info = await sdk.getInfo()
      allocation = { vcpu: info.cpuCount, memoryMiB: info.memoryMB }
    } catch (err) {
      await sdk.kill().catch(() => false)
      release()
      throw this.createError(err, opts.label)
    }
    const sandbox = new E2BSandbox(sdk, opts.label, allocation, {
      apiKey: this.opts.apiKey,
      sandboxUrl: this.opts.sandboxUrl,
      timeoutMs: opts.timeoutMs ?? this.timeoutMs,
      log: this.log,
      release,
      retry: this.retry,
      requestedAt
    })
    this.all.push(sandbox)
    return sandbox
  }

  private createError(err: unknown, label: string): Error {
    const cause = err instanceof RetryExhaustedError ? err.cause : err
    if (classifyError(cause).kind === 'auth')
      return new E2BAuthError(`E2B rejected the API key (${redact(errorText(cause), [this.opts.apiKey])})`)
    return new Error(redact(`e2b: creating sandbox ${label} failed: ${errorText(err)}`, [this.opts.apiKey]))
  }

  live(): Sandbox[] {
    return this.all.filter(s => s.alive)
  }

  async killAll(): Promise<void> {
    await Promise.all(this.live().map(s => s.kill()))
  }

  usage(): SandboxUsage[] {
    return this.all.map(s => ({ label: s.label, allocation: s.allocation, seconds: s.aliveSeconds() }))
  }
}
