// Creation limits for sandbox providers: how many sandboxes may be alive at once, how fast they may be created, and
// how to retry the creations the service pushes back on (a provider's plans and their figures live in its folder). Built on p-queue so the timing logic is not ours.
import PQueue from 'p-queue'
import { errorText, SwarmBenchError } from '../errors.js'

export interface PlanLimits {
  /** Sandboxes alive at the same time. */
  maxConcurrency: number
  /** Sandbox creations per second (may be fractional, e.g. 0.5). */
  createPerSecond: number
}

/**
 * p-queue rate settings for a creations-per-second figure. Whole rates keep E2B's burst (5 per rolling second);
 * fractional ones become one creation per 1/rate seconds. Strict (sliding window) so no rolling second is over.
 */
export function rateWindow(createPerSecond: number): { intervalCap: number; interval: number } {
  if (Number.isInteger(createPerSecond)) return { intervalCap: createPerSecond, interval: 1000 }
  return { intervalCap: 1, interval: Math.ceil(1000 / createPerSecond) }
}

export class SlotWaitError extends SwarmBenchError {
  constructor(maxConcurrency: number, waitedMs: number) {
    super(
      `no sandbox slot became free within ${Math.round(waitedMs / 1000)} s: ${maxConcurrency} sandboxes are alive, ` +
        `the plan's concurrency limit (raise e2b-max-concurrency if your plan allows more)`
    )
    this.name = 'SlotWaitError'
  }
}

/** Releases a sandbox slot; calling it more than once is harmless. */
export type ReleaseSlot = () => void

/**
 * Two queues: `slots` holds one running task per live sandbox (the plan's concurrency limit), `creations` spaces
 * out the create calls (the plan's rate limit). A creation takes a slot first, then a rate token.
 */
export class CreationLimiter {
  readonly limits: PlanLimits
  private readonly slots: PQueue
  private readonly creations: PQueue

  constructor(limits: PlanLimits) {
    this.limits = limits
    this.slots = new PQueue({ concurrency: limits.maxConcurrency })
    this.creations = new PQueue({
      concurrency: limits.maxConcurrency,
      ...rateWindow(limits.createPerSecond),
      strict: true
    })
  }

  /** Slots held (sandboxes alive or being created). */
  get held(): number {
    return this.slots.pending
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.slots.size
  }

  /**
   * Wait for a free slot (a sandbox that may be alive). Rejects with SlotWaitError after `waitMs`, or with the
   * signal's reason when aborted, so a swarm larger than the plan fails clearly instead of hanging.
   */
  acquireSlot(opts: { signal?: AbortSignal; waitMs?: number } = {}): Promise<ReleaseSlot> {
    const waitMs = opts.waitMs ?? 120_000
    // p-queue also aborts *running* tasks on their signal, which would free a slot still in use: this signal
    // only ever fires while the caller is still waiting.
    const waiting = new AbortController()
    let granted = false
    const timer = setTimeout(
      () => waiting.abort(new SlotWaitError(this.limits.maxConcurrency, waitMs)),
      waitMs
    )
    const onAbort = () => waiting.abort(opts.signal?.reason)
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    if (opts.signal?.aborted) onAbort()
    const stopWaiting = () => {
      clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
    }
    return new Promise<ReleaseSlot>((resolve, reject) => {
      let release: () => void = () => {}
      const held = new Promise<void>(r => (release = r))
      this.slots
        .add(
          async () => {
            granted = true
            stopWaiting()
            let released = false
            resolve(() => {
              if (released) return
              released = true
              release()
            })
            await held
          },
          { signal: waiting.signal }
        )
        .catch((err: unknown) => {
          stopWaiting()
          if (!granted) reject(err)
        })
    })
  }

  /** Run one create call within the plan's creation rate. */
  schedule<T>(fn: () => Promise<T>, opts: { signal?: AbortSignal } = {}): Promise<T> {
    return this.creations.add(fn, { signal: opts.signal }) as Promise<T>
  }

  /** Drop queued (not yet started) work; what already runs finishes. */
  clear(): void {
    this.slots.clear()
    this.creations.clear()
  }
}

export type ErrorKind = 'rate-limit' | 'busy' | 'auth' | 'other'

/**
 * What kind of failure an error is, by name and HTTP status (the e2b SDK's RateLimitError / ServiceBusyError /
 * AuthenticationError, or anything carrying `statusCode`), plus a Retry-After delay when the error knows one.
 */
export function classifyError(err: unknown): { kind: ErrorKind; retryAfterMs?: number } {
  const e = (err ?? {}) as {
    name?: unknown
    statusCode?: unknown
    status?: unknown
    retryAfterMs?: unknown
    retryAfter?: unknown
    headers?: { get?: (k: string) => string | null }
  }
  const status =
    typeof e.statusCode === 'number' ? e.statusCode : typeof e.status === 'number' ? e.status : undefined
  let retryAfterMs: number | undefined
  if (typeof e.retryAfterMs === 'number' && e.retryAfterMs >= 0) retryAfterMs = e.retryAfterMs
  else if (typeof e.retryAfter === 'number' && e.retryAfter >= 0) retryAfterMs = e.retryAfter * 1000
  else if (typeof e.headers?.get === 'function') retryAfterMs = parseRetryAfter(e.headers.get('retry-after'))
  if (e.name === 'AuthenticationError' || status === 401) return { kind: 'auth' }
  if (e.name === 'RateLimitError' || status === 429) return { kind: 'rate-limit', retryAfterMs }
  if (e.name === 'ServiceBusyError' || status === 503) return { kind: 'busy', retryAfterMs }
  return { kind: 'other' }
}

/** `Retry-After` as delta-seconds or an HTTP date, in ms; undefined when absent or malformed. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined
  const v = value.trim()
  if (/^\d+$/.test(v)) return Number(v) * 1000
  const at = Date.parse(v)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/** Exponential backoff with "equal jitter": half the step is fixed, half random, so retries never bunch up. */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random
) {
  const step = Math.min(maxMs, baseMs * 2 ** attempt)
  return Math.round(step / 2 + (step / 2) * random())
}

export interface RetryOptions {
  /** Retries after the first attempt. */
  retries: number
  baseMs: number
  maxMs: number
  /** Give up when the next wait would end after this many ms since the first attempt. */
  deadlineMs?: number
  signal?: AbortSignal
  onRetry?: (info: { attempt: number; delayMs: number; kind: ErrorKind; error: unknown }) => void
  /** Injectable for unit tests. */
  random?: () => number
}

/** Thrown when retries or the deadline run out; `cause` is the last error. */
export class RetryExhaustedError extends SwarmBenchError {
  constructor(
    readonly attempts: number,
    readonly kind: ErrorKind,
    override readonly cause: unknown
  ) {
    super(`${errorMessage(cause)} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'})`)
    this.name = 'RetryExhaustedError'
  }
}

function errorMessage(err: unknown): string {
  return errorText(err)
}

/**
 * Run `fn`, retrying only rate-limit (waiting Retry-After when known) and service-busy errors with exponential
 * backoff and jitter. Auth and every other error are thrown at once, unchanged.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const started = performance.now()
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (err) {
      const { kind, retryAfterMs } = classifyError(err)
      if (kind !== 'rate-limit' && kind !== 'busy') throw err
      if (attempt >= opts.retries) throw new RetryExhaustedError(attempt + 1, kind, err)
      const delayMs = retryAfterMs ?? backoffDelay(attempt, opts.baseMs, opts.maxMs, opts.random)
      if (opts.deadlineMs !== undefined && performance.now() - started + delayMs > opts.deadlineMs)
        throw new RetryExhaustedError(attempt + 1, kind, err)
      opts.onRetry?.({ attempt: attempt + 1, delayMs, kind, error: err })
      await sleep(delayMs, opts.signal)
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(t)
      reject(signal?.reason)
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
