// The `local` provider: each sandbox is a temp directory and each agent a child process in its own process group,
// so a kill reaches everything the agent started. Allocation is nominal (E2B's default size) so costs read "as if
// on E2B". A process-wide registry kills every live group synchronously when the host exits: no orphans.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { RUN_TAG_ENV, RUN_TAG_METADATA } from '../agent-files.js'
import { LineSplitter } from '../lines.js'
import { E2B_DEFAULT_ALLOCATION } from '../e2b/pricing.js'
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

/** E2B's default sandbox size; nominal here, used only for cost estimates. */
export const DEFAULT_LOCAL_ALLOCATION: Allocation = E2B_DEFAULT_ALLOCATION
export const TEMP_PREFIX = 'swarm-bench-'
const STDERR_TAIL_BYTES = 8 * 1024

// ---------------------------------------------------------------------------------------------------------------
// Process-wide registry of live process groups and temp dirs, cleaned synchronously on exit.

const liveGroups = new Set<number>()
const liveDirs = new Set<string>()
let exitHookInstalled = false
let signalHooksInstalled = false

/** Kill every live agent group and remove every temp dir, synchronously (safe inside an `exit` handler). */
export function killAllLocalSync(): void {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  liveGroups.clear()
  for (const dir of liveDirs) {
    try {
      rmSync(dir, { recursive: true, force: true })
    } catch {
      // best effort: the OS cleans tmp eventually
    }
  }
  liveDirs.clear()
}

function ensureExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', killAllLocalSync)
}

/**
 * Kill every local agent when the host exits, and on SIGINT/SIGTERM (then exit 130/143, the shell convention).
 * Call once from the CLI or the action. With `exitOnSignal: false` only the cleanup runs on a signal, for hosts
 * that install their own signal handling and exit themselves.
 */
export function installExitCleanup(opts: { exitOnSignal?: boolean } = {}): void {
  ensureExitHook()
  if (signalHooksInstalled) return
  signalHooksInstalled = true
  const exitOnSignal = opts.exitOnSignal ?? true
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143]
  ] as const) {
    process.on(sig, () => {
      killAllLocalSync()
      if (exitOnSignal) process.exit(code)
    })
  }
}

// ---------------------------------------------------------------------------------------------------------------

export interface LocalProviderOptions {
  allocation?: Allocation
  /** Added as SWARM_BENCH_RUN to every process env unless the command sets it. */
  runTag?: string
  /** SIGTERM → SIGKILL grace. */
  killGraceMs?: number
  /** Parent folder for sandbox temp dirs (default os.tmpdir()). */
  tmpRoot?: string
}

function signalGroup(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, sig)
    return true
  } catch {
    return false
  }
}

class LocalProcess implements AgentProcess {
  readonly pid: number | undefined
  readonly exited: Promise<ExitInfo>
  private readonly listeners: ((line: string) => void)[] = []
  private stderr = ''
  private done = false
  private killing: Promise<void> | undefined

  constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly graceMs: number
  ) {
    this.pid = child.pid
    const pid = child.pid
    if (pid !== undefined) liveGroups.add(pid)
    const splitter = new LineSplitter({
      onLine: line => {
        for (const l of this.listeners) l(line)
      },
      onError: err => this.appendStderr(`\n[swarm-bench host] stdout: ${err.message}\n`)
    })
    child.stdout.on('data', (chunk: Buffer) => splitter.push(chunk))
    child.stdout.on('end', () => splitter.flush())
    child.stderr.on('data', (chunk: Buffer) => this.appendStderr(chunk.toString('utf8')))
    // A write to a dead process raises EPIPE on the stream; writeLine reports it, the stream must not crash us.
    child.stdin.on('error', () => {})
    this.exited = new Promise<ExitInfo>(resolveExit => {
      let info: ExitInfo | undefined
      const finish = () => {
        if (this.done || !info) return
        this.done = true
        if (pid !== undefined) liveGroups.delete(pid)
        resolveExit(info)
      }
      child.on('error', err => {
        info ??= { code: null, signal: null, error: err.message }
        // 'error' after spawn (e.g. kill failed) may come without exit/close; settle soon either way.
        setTimeout(finish, 200).unref()
      })
      child.on('exit', (code, signal) => {
        info = { code, signal }
        // Wait for stdout to drain ('close'), but a grandchild holding the pipe must not keep us waiting.
        setTimeout(finish, 1000).unref()
      })
      child.on('close', (code, signal) => {
        info ??= { code, signal }
        finish()
      })
    })
  }

  onLine(listener: (line: string) => void): void {
    this.listeners.push(listener)
  }

  writeLine(line: string): Promise<void> {
    const stdin = this.child.stdin
    if (this.done || stdin.destroyed || !stdin.writable) {
      return Promise.reject(new Error(`process ${this.pid} is not running (stdin closed)`))
    }
    return new Promise((resolveWrite, reject) => {
      stdin.write(line + '\n', err =>
        err ? reject(new Error(`write to process ${this.pid} failed: ${err.message}`)) : resolveWrite()
      )
    })
  }

  stderrTail(): string {
    return this.stderr
  }

  private appendStderr(s: string): void {
    this.stderr += s
    if (this.stderr.length > STDERR_TAIL_BYTES) this.stderr = this.stderr.slice(-STDERR_TAIL_BYTES)
  }

  /** SIGTERM to the group, SIGKILL after the grace; resolves once the process has exited. Never throws. */
  kill(): Promise<void> {
    this.killing ??= (async () => {
      const pid = this.pid
      if (pid === undefined) return
      if (!this.done) {
        signalGroup(pid, 'SIGTERM')
        let timer: NodeJS.Timeout | undefined
        const graceOver = new Promise<'timeout'>(r => (timer = setTimeout(() => r('timeout'), this.graceMs)))
        const outcome = await Promise.race([this.exited.then(() => 'exited' as const), graceOver])
        clearTimeout(timer)
        if (outcome === 'timeout') {
          signalGroup(pid, 'SIGKILL')
          await this.exited
        }
      }
      // Members of the group that outlived the leader (anything the agent forked) go too.
      if (signalGroup(pid, 0)) signalGroup(pid, 'SIGKILL')
      try {
        this.child.stdin.destroy()
      } catch {
        // ignore
      }
    })()
    return this.killing
  }
}

let tasksetFound: boolean | undefined
/** Whether util-linux `taskset` can pin processes here (Linux with util-linux); without it nothing is pinned. */
function hasTaskset(): boolean {
  if (tasksetFound === undefined) {
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' })
      tasksetFound = true
    } catch {
      tasksetFound = false
    }
  }
  return tasksetFound
}

class LocalSandbox implements Sandbox {
  readonly provider = 'local' as const
  private readonly createdAt = performance.now()
  private killedAt: number | undefined
  private readonly processes = new Set<LocalProcess>()
  private killing: Promise<void> | undefined
  private lifetimeTimer: NodeJS.Timeout | undefined

  constructor(
    readonly id: string,
    readonly label: string,
    readonly workdir: string,
    readonly allocation: Allocation,
    private readonly opts: Required<Pick<LocalProviderOptions, 'killGraceMs'>> & {
      runTag?: string
      cpu?: number
    },
    private readonly onKilled: (s: LocalSandbox) => void,
    timeoutMs?: number
  ) {
    if (timeoutMs && timeoutMs > 0) {
      // The safety lifetime: like E2B, the sandbox dies after it even if the host forgot it.
      this.lifetimeTimer = setTimeout(() => void this.kill(), timeoutMs)
      this.lifetimeTimer.unref()
    }
  }

  get alive(): boolean {
    return this.killedAt === undefined
  }

  aliveSeconds(): number {
    return ((this.killedAt ?? performance.now()) - this.createdAt) / 1000
  }

  private inside(path: string): string {
    const full = resolve(this.workdir, path)
    const rel = relative(this.workdir, full)
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
      throw new Error(`${this.label}: path ${JSON.stringify(path)} escapes the sandbox workdir`)
    }
    return full
  }

  async writeFiles(files: SandboxFile[]): Promise<void> {
    this.assertAlive('writeFiles')
    for (const f of files) {
      const full = this.inside(f.path)
      let failure: unknown
      try {
        await mkdir(dirname(full), { recursive: true })
        await writeFile(full, f.data)
      } catch (err) {
        failure = err
      }
      // A kill during the upload removes the workdir (a write may then fail, or a mkdir re-create it): remove it
      // again so an interrupted deploy leaves no temp folder behind, and say what happened.
      if (!this.alive) {
        await rm(this.workdir, { recursive: true, force: true }).catch(() => {})
        throw new Error(`${this.label}: sandbox was killed during the upload`)
      }
      if (failure) throw failure
    }
  }

  async start(cmd: StartCommand): Promise<AgentProcess> {
    this.assertAlive('start')
    const cwd = cmd.cwd ? resolve(this.workdir, cmd.cwd) : this.workdir
    const env: Record<string, string> = { ...agentBaseEnv(process.env), ...(cmd.env ?? {}) }
    if (this.opts.runTag && !cmd.env?.[RUN_TAG_ENV]) env[RUN_TAG_ENV] = this.opts.runTag
    // Pinned through taskset, which execs the command: the pid, the group and the signals stay the agent's.
    const pin = this.opts.cpu !== undefined && hasTaskset() ? ['taskset', '-c', String(this.opts.cpu)] : []
    const argv = [...pin, resolveInterpreter(cmd.command), ...cmd.args]
    const child = spawn(argv[0], argv.slice(1), {
      cwd,
      env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe']
    })
    // Resolve only once the OS has actually started it, so a missing executable is a clear start error.
    await new Promise<void>((ok, fail) => {
      child.once('spawn', ok)
      child.once('error', err =>
        fail(
          new Error(
            `${this.label}: cannot start ${cmd.command} ${cmd.args.join(' ')} in ${cwd}: ${err.message}`
          )
        )
      )
    })
    const proc = new LocalProcess(child, this.opts.killGraceMs)
    this.processes.add(proc)
    void proc.exited.then(() => this.processes.delete(proc))
    if (!this.alive) {
      // killed while starting
      await proc.kill()
      throw new Error(`${this.label}: sandbox was killed while the process started`)
    }
    return proc
  }

  async peerEndpoint(port: number): Promise<PeerEndpoint> {
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new Error(`${this.label}: invalid peer port ${String(port)}`)
    }
    return { url: `http://127.0.0.1:${port}`, headers: {} }
  }

  async metrics(): Promise<SandboxMetrics | undefined> {
    // No provider-level readings locally: the agent's own /proc readings are the figures.
    return undefined
  }

  kill(): Promise<void> {
    this.killing ??= (async () => {
      this.killedAt = performance.now()
      if (this.lifetimeTimer) clearTimeout(this.lifetimeTimer)
      await Promise.all([...this.processes].map(p => p.kill().catch(() => {})))
      await rm(this.workdir, { recursive: true, force: true }).catch(() => {})
      liveDirs.delete(this.workdir)
      this.onKilled(this)
    })()
    return this.killing
  }

  private assertAlive(what: string): void {
    if (!this.alive) throw new Error(`${this.label}: ${what} on a killed sandbox`)
  }
}

export class LocalProvider implements Provider {
  readonly info: ProviderInfo = {
    name: 'local',
    description: 'local child processes (one temp dir + one process group per agent)',
    nominalAllocation: true
  }
  private readonly allocation: Allocation
  private readonly killGraceMs: number
  private readonly tmpRoot: string
  private readonly runTag: string | undefined
  private readonly all: LocalSandbox[] = []
  private readonly liveSet = new Set<LocalSandbox>()

  constructor(opts: LocalProviderOptions = {}) {
    this.allocation = { ...(opts.allocation ?? DEFAULT_LOCAL_ALLOCATION) }
    if (!(this.allocation.vcpu > 0) || !(this.allocation.memoryMiB > 0)) {
      throw new Error(`local allocation must be positive, got ${JSON.stringify(this.allocation)}`)
    }
    this.killGraceMs = opts.killGraceMs ?? 1500
    this.tmpRoot = opts.tmpRoot ?? tmpdir()
    this.runTag = opts.runTag
    ensureExitHook()
  }

  async create(opts: CreateOptions): Promise<Sandbox> {
    opts.signal?.throwIfAborted()
    const workdir = await mkdtemp(join(this.tmpRoot, TEMP_PREFIX))
    liveDirs.add(workdir)
    const id = `local-${randomBytes(4).toString('hex')}`
    const sandbox = new LocalSandbox(
      id,
      opts.label,
      workdir,
      { ...this.allocation },
      {
        killGraceMs: this.killGraceMs,
        runTag: this.runTag ?? opts.metadata?.[RUN_TAG_METADATA],
        cpu: opts.cpu
      },
      s => this.liveSet.delete(s),
      opts.timeoutMs
    )
    this.all.push(sandbox)
    this.liveSet.add(sandbox)
    if (opts.signal?.aborted) {
      await sandbox.kill()
      opts.signal.throwIfAborted()
    }
    return sandbox
  }

  live(): Sandbox[] {
    return [...this.liveSet]
  }

  async killAll(): Promise<void> {
    await Promise.all([...this.liveSet].map(s => s.kill().catch(() => {})))
  }

  usage(): SandboxUsage[] {
    return this.all.map(s => ({ label: s.label, allocation: { ...s.allocation }, seconds: s.aliveSeconds() }))
  }
}

/**
 * The environment a local agent starts with: what a Python process needs, never the host's credentials. On a
 * runner the host env holds `INPUT_E2B-API-KEY`, `INPUT_GITHUB-TOKEN` and `ACTIONS_RUNTIME_TOKEN`, and a user's
 * strategy module runs inside the agent — an E2B sandbox would not see them either.
 */
export function agentBaseEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const keep = /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|TZ|TMPDIR|TEMP|TMP|LC_[A-Z]+|SWARM_[A-Z0-9_]+)$/
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined && keep.test(k)) out[k] = v
  return out
}

const resolvedInterpreters = new Map<string, string>()

/**
 * `python3` resolved once to the interpreter it runs (`sys.executable`). On machines where `python3` on PATH is a
 * version-manager shim (pyenv), every start pays for the shim: measured 164 ms vs 51 ms per agent start here
 * (bench:scale). Anything that is not a bare `python…` name, or that cannot be resolved, is used as given.
 */
export function resolveInterpreter(command: string): string {
  if (!/^python[0-9.]*$/.test(command)) return command
  let resolved = resolvedInterpreters.get(command)
  if (resolved === undefined) {
    try {
      resolved = execFileSync(command, ['-c', 'import sys; print(sys.executable)'], {
        encoding: 'utf8',
        timeout: 10_000,
        stdio: ['ignore', 'pipe', 'ignore']
      }).trim()
    } catch {
      resolved = ''
    }
    resolved = resolved || command
    resolvedInterpreters.set(command, resolved)
  }
  return resolved
}
