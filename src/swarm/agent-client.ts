// JSON-lines RPC over one agent process (docs/protocol.md §1): integer ids, several requests in flight, responses
// matched by id. A crashed or hung agent rejects its callers with the agent's stderr tail; garbage on stdout is
// counted and kept for error messages, never a host crash.
import type { AgentProcess, ExitInfo } from '../sandbox/types.js'

const TAIL_LINES = 5
const TAIL_LINE_CHARS = 300

export class AgentError extends Error {
  constructor(
    message: string,
    readonly agentId: number,
    readonly stderrTail: string
  ) {
    super(message)
    this.name = 'AgentError'
  }
}

/** The agent process exited (or its stream broke) while requests were pending or before it was ready. */
export class AgentCrashedError extends AgentError {
  constructor(
    agentId: number,
    readonly exit: ExitInfo,
    stderrTail: string,
    context: string
  ) {
    super(`agent ${agentId} ${context}: ${describeExit(exit)}${tailSuffix(stderrTail)}`, agentId, stderrTail)
    this.name = 'AgentCrashedError'
  }
}

/** No answer within the time limit; the agent may be hung. */
export class AgentTimeoutError extends AgentError {
  constructor(
    agentId: number,
    readonly op: string,
    readonly ms: number,
    stderrTail: string
  ) {
    super(
      `agent ${agentId} did not answer ${op} within ${ms} ms${tailSuffix(stderrTail)}`,
      agentId,
      stderrTail
    )
    this.name = 'AgentTimeoutError'
  }
}

/** The agent answered with `ok: false`. */
export class AgentOpError extends AgentError {
  constructor(
    agentId: number,
    readonly op: string,
    readonly type: string,
    readonly detail: string,
    stderrTail = ''
  ) {
    super(`agent ${agentId} ${op} failed: ${type}: ${detail}`, agentId, stderrTail)
    this.name = 'AgentOpError'
  }
}

export function describeExit(exit: ExitInfo): string {
  if (exit.error) return `process stream broke (${exit.error})`
  if (exit.signal) return `process killed by ${exit.signal}`
  return `process exited with code ${exit.code}`
}

function tailSuffix(tail: string): string {
  const t = tail.trim()
  return t ? `\n--- stderr tail ---\n${t.slice(-2000)}` : ''
}

export interface ReadyEvent {
  event: 'ready'
  port: number
  pid: number
  python: string
  psutil?: boolean
  [k: string]: unknown
}

interface Pending {
  op: string
  resolve: (v: unknown) => void
  reject: (e: Error) => void
  timer: NodeJS.Timeout | undefined
}

export class AgentClient {
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private exitInfo: ExitInfo | undefined
  private readyEvent: ReadyEvent | undefined
  private readonly readyWaiters: { resolve: (r: ReadyEvent) => void; reject: (e: Error) => void }[] = []
  private junk = 0
  private readonly junkTail: string[] = []
  private readonly eventListeners: ((e: Record<string, unknown>) => void)[] = []

  constructor(
    readonly agentId: number,
    readonly process: AgentProcess
  ) {
    process.onLine(line => this.onLine(line))
    void process.exited.then(info => this.onExit(info))
  }

  get ready(): ReadyEvent | undefined {
    return this.readyEvent
  }

  get exited(): ExitInfo | undefined {
    return this.exitInfo
  }

  /** stdout lines that were not protocol lines (not JSON, or no matching id). */
  get unparseableLines(): number {
    return this.junk
  }

  get inFlight(): number {
    return this.pending.size
  }

  /** Events other than `ready` (the protocol has none yet; kept so new ones are not lost as junk). */
  onEvent(listener: (e: Record<string, unknown>) => void): void {
    this.eventListeners.push(listener)
  }

  stderrTail(): string {
    const junk = this.junkTail.length
      ? `\n--- unparseable stdout (${this.junk} lines, last ${this.junkTail.length}) ---\n${this.junkTail.join('\n')}`
      : ''
    return this.process.stderrTail() + junk
  }

  waitReady(timeoutMs: number): Promise<ReadyEvent> {
    if (this.readyEvent) return Promise.resolve(this.readyEvent)
    if (this.exitInfo) {
      return Promise.reject(
        new AgentCrashedError(this.agentId, this.exitInfo, this.stderrTail(), 'exited before ready')
      )
    }
    return new Promise<ReadyEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.readyWaiters.indexOf(waiter)
        if (i >= 0) this.readyWaiters.splice(i, 1)
        reject(new AgentTimeoutError(this.agentId, 'ready', timeoutMs, this.stderrTail()))
      }, timeoutMs)
      const waiter = {
        resolve: (r: ReadyEvent) => (clearTimeout(timer), resolve(r)),
        reject: (e: Error) => (clearTimeout(timer), reject(e))
      }
      this.readyWaiters.push(waiter)
    })
  }

  /** Send one request; resolves with `result`, rejects with AgentOpError / AgentTimeoutError / AgentCrashedError. */
  request<T = unknown>(op: string, args: object = {}, timeoutMs = 30_000): Promise<T> {
    if (this.exitInfo) {
      return Promise.reject(
        new AgentCrashedError(this.agentId, this.exitInfo, this.stderrTail(), `cannot run ${op}`)
      )
    }
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { op, resolve: resolve as (v: unknown) => void, reject, timer: undefined }
      if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        entry.timer = setTimeout(() => {
          this.pending.delete(id)
          reject(new AgentTimeoutError(this.agentId, op, timeoutMs, this.stderrTail()))
        }, timeoutMs)
      }
      this.pending.set(id, entry)
      this.process.writeLine(JSON.stringify({ id, op, args })).catch((err: Error) => {
        if (!this.pending.delete(id)) return
        clearTimeout(entry.timer)
        // The exit usually follows a failed write; prefer the crash error when it is already known.
        const info = this.exitInfo ?? { code: null, signal: null, error: err.message }
        reject(new AgentCrashedError(this.agentId, info, this.stderrTail(), `could not receive ${op}`))
      })
    })
  }

  private noteJunk(line: string): void {
    this.junk++
    this.junkTail.push(line.length > TAIL_LINE_CHARS ? line.slice(0, TAIL_LINE_CHARS) + '…' : line)
    if (this.junkTail.length > TAIL_LINES) this.junkTail.shift()
  }

  private onLine(line: string): void {
    if (line.trim() === '') return
    let msg: unknown
    try {
      msg = JSON.parse(line)
    } catch {
      this.noteJunk(line)
      return
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.noteJunk(line)
      return
    }
    const m = msg as Record<string, unknown>
    if (typeof m.event === 'string') {
      if (m.event === 'ready' && !this.readyEvent) {
        this.readyEvent = m as ReadyEvent
        for (const w of this.readyWaiters.splice(0)) w.resolve(this.readyEvent)
      } else {
        for (const l of this.eventListeners) l(m)
      }
      return
    }
    const id = m.id
    const entry = typeof id === 'number' ? this.pending.get(id) : undefined
    if (!entry) {
      // An id-less error answer (the agent could not read our line) or a reply that arrived after its timeout.
      this.noteJunk(line)
      return
    }
    this.pending.delete(id as number)
    clearTimeout(entry.timer)
    if (m.ok === true) {
      entry.resolve(m.result)
    } else {
      const err = (m.error ?? {}) as { type?: unknown; message?: unknown }
      entry.reject(
        new AgentOpError(
          this.agentId,
          entry.op,
          typeof err.type === 'string' ? err.type : 'Unknown',
          typeof err.message === 'string' ? err.message : JSON.stringify(m.error ?? null)
        )
      )
    }
  }

  private onExit(info: ExitInfo): void {
    this.exitInfo = info
    const tail = this.stderrTail()
    for (const w of this.readyWaiters.splice(0)) {
      w.reject(new AgentCrashedError(this.agentId, info, tail, 'exited before ready'))
    }
    for (const [id, entry] of this.pending) {
      this.pending.delete(id)
      clearTimeout(entry.timer)
      entry.reject(new AgentCrashedError(this.agentId, info, tail, `crashed during ${entry.op}`))
    }
  }
}
