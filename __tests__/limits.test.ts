import { describe, expect, it } from 'vitest'
import {
  CreationLimiter,
  RetryExhaustedError,
  SlotWaitError,
  backoffDelay,
  classifyError,
  parseRetryAfter,
  rateWindow,
  withRetry
} from '../src/sandbox/limits.js'
import { PLAN_PRESETS, resolvePlanLimits } from '../src/sandbox/e2b/plans.js'

const statusError = (name: string, statusCode: number, extra: object = {}) =>
  Object.assign(new Error(`${name} ${statusCode}`), { name, statusCode, ...extra })

describe('plan limits', () => {
  it('has the published presets and lets a team override them', () => {
    expect(PLAN_PRESETS.hobby).toEqual({ maxConcurrency: 20, createPerSecond: 1 })
    expect(PLAN_PRESETS.pro).toEqual({ maxConcurrency: 100, createPerSecond: 5 })
    expect(resolvePlanLimits('pro', { maxConcurrency: 250 })).toEqual({
      maxConcurrency: 250,
      createPerSecond: 5
    })
    expect(resolvePlanLimits()).toEqual({ maxConcurrency: 20, createPerSecond: 1 })
  })

  it('rejects nonsense limits', () => {
    expect(() => resolvePlanLimits('hobby', { maxConcurrency: 0 })).toThrow(/maxConcurrency/)
    expect(() => resolvePlanLimits('hobby', { createPerSecond: -1 })).toThrow(/createPerSecond/)
    expect(() => resolvePlanLimits('team' as never)).toThrow(/unknown plan/)
  })

  it('maps whole and fractional rates to p-queue windows', () => {
    expect(rateWindow(5)).toEqual({ intervalCap: 5, interval: 1000 })
    expect(rateWindow(1)).toEqual({ intervalCap: 1, interval: 1000 })
    expect(rateWindow(0.5)).toEqual({ intervalCap: 1, interval: 2000 })
    expect(rateWindow(2.5)).toEqual({ intervalCap: 1, interval: 400 })
  })
})

describe('CreationLimiter', () => {
  it('never holds more slots than the concurrency limit, and a release lets the next one in', async () => {
    const limiter = new CreationLimiter({ maxConcurrency: 2, createPerSecond: 100 })
    const a = await limiter.acquireSlot()
    const b = await limiter.acquireSlot()
    let thirdGranted = false
    const third = limiter.acquireSlot().then(release => {
      thirdGranted = true
      return release
    })
    // Let every queued microtask and timer of p-queue run: the third must still wait.
    await new Promise(r => setTimeout(r, 50))
    expect(thirdGranted).toBe(false)
    expect(limiter.held).toBe(2)
    expect(limiter.waiting).toBe(1)
    a()
    a() // releasing twice must not free a second slot
    const c = await third
    expect(thirdGranted).toBe(true)
    expect(limiter.held).toBe(2)
    b()
    c()
    await new Promise(r => setTimeout(r, 0))
    expect(limiter.held).toBe(0)
  })

  it('gives up waiting for a slot with a clear error, and an abort stops the wait', async () => {
    const limiter = new CreationLimiter({ maxConcurrency: 1, createPerSecond: 100 })
    const held = await limiter.acquireSlot()
    const err = await limiter.acquireSlot({ waitMs: 30 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SlotWaitError)
    expect((err as Error).message).toMatch(/1 sandboxes are alive.*max-concurrency/)
    const ctl = new AbortController()
    const waiting = limiter.acquireSlot({ signal: ctl.signal, waitMs: 10_000 })
    ctl.abort(new Error('run cancelled'))
    await expect(waiting).rejects.toThrow('run cancelled')
    // The timed-out and aborted waiters left no slot behind.
    held()
    const next = await limiter.acquireSlot({ waitMs: 1000 })
    expect(limiter.held).toBe(1)
    next()
  })

  it('keeps a granted slot even after its wait timer would have fired', async () => {
    const limiter = new CreationLimiter({ maxConcurrency: 1, createPerSecond: 100 })
    const release = await limiter.acquireSlot({ waitMs: 20 })
    await new Promise(r => setTimeout(r, 60))
    expect(limiter.held).toBe(1)
    const err = await limiter.acquireSlot({ waitMs: 20 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SlotWaitError)
    release()
  })

  it('spaces creations so no rolling interval holds more than the rate allows', async () => {
    const limiter = new CreationLimiter({ maxConcurrency: 50, createPerSecond: 4 })
    const starts: number[] = []
    await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        limiter.schedule(async () => {
          starts.push(performance.now())
          return i
        })
      )
    )
    expect(starts).toHaveLength(9)
    starts.sort((x, y) => x - y)
    // Sliding window: the (i+4)th start is at least one interval after the ith. Lower bounds only, so a slow
    // machine cannot make this fail; a limiter that bursts (no rate limit) would start all 9 at once.
    for (let i = 0; i + 4 < starts.length; i++) expect(starts[i + 4] - starts[i]).toBeGreaterThanOrEqual(995)
  })

  it('bounds creations in flight at the concurrency limit', async () => {
    const limiter = new CreationLimiter({ maxConcurrency: 3, createPerSecond: 1000 })
    let inFlight = 0
    let peak = 0
    await Promise.all(
      Array.from({ length: 12 }, () =>
        limiter.schedule(async () => {
          inFlight++
          peak = Math.max(peak, inFlight)
          await new Promise(r => setTimeout(r, 10))
          inFlight--
        })
      )
    )
    expect(peak).toBe(3)
  })
})

describe('classifyError / parseRetryAfter / backoffDelay', () => {
  it('classifies the SDK error names and plain HTTP statuses', () => {
    expect(classifyError(statusError('RateLimitError', 429)).kind).toBe('rate-limit')
    expect(classifyError(statusError('ServiceBusyError', 503)).kind).toBe('busy')
    expect(classifyError(Object.assign(new Error('x'), { name: 'AuthenticationError' })).kind).toBe('auth')
    expect(classifyError({ status: 429 }).kind).toBe('rate-limit')
    expect(classifyError(new Error('boom')).kind).toBe('other')
    expect(classifyError(undefined).kind).toBe('other')
  })

  it('reads a Retry-After the error carries', () => {
    expect(classifyError(statusError('RateLimitError', 429, { retryAfterMs: 1500 })).retryAfterMs).toBe(1500)
    expect(classifyError(statusError('RateLimitError', 429, { retryAfter: 2 })).retryAfterMs).toBe(2000)
    const headers = new Headers({ 'retry-after': '3' })
    expect(classifyError({ status: 503, headers }).retryAfterMs).toBe(3000)
    expect(parseRetryAfter('7')).toBe(7000)
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000)
    expect(parseRetryAfter('soon')).toBeUndefined()
    expect(parseRetryAfter(null)).toBeUndefined()
  })

  it('grows exponentially up to the cap, with jitter inside [step/2, step]', () => {
    expect(backoffDelay(0, 100, 10_000, () => 0)).toBe(50)
    expect(backoffDelay(0, 100, 10_000, () => 1)).toBe(100)
    expect(backoffDelay(3, 100, 10_000, () => 1)).toBe(800)
    expect(backoffDelay(20, 100, 1000, () => 1)).toBe(1000)
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(2, 100, 10_000)
      expect(d).toBeGreaterThanOrEqual(200)
      expect(d).toBeLessThanOrEqual(400)
    }
  })
})

describe('withRetry', () => {
  const fast = { retries: 5, baseMs: 1, maxMs: 5 }

  it('retries rate-limit and busy errors, then returns the success', async () => {
    const failures = [statusError('RateLimitError', 429), statusError('ServiceBusyError', 503)]
    const kinds: string[] = []
    let calls = 0
    const result = await withRetry(
      async attempt => {
        calls++
        expect(attempt).toBe(calls - 1)
        const f = failures.shift()
        if (f) throw f
        return 'created'
      },
      { ...fast, onRetry: ({ kind }) => kinds.push(kind) }
    )
    expect(result).toBe('created')
    expect(calls).toBe(3)
    expect(kinds).toEqual(['rate-limit', 'busy'])
  })

  it('fails fast on auth errors and anything it does not know', async () => {
    let calls = 0
    const auth = Object.assign(new Error('Unauthorized'), { name: 'AuthenticationError' })
    await expect(
      withRetry(async () => {
        calls++
        throw auth
      }, fast)
    ).rejects.toBe(auth)
    expect(calls).toBe(1)
    const other = new Error('template not found')
    await expect(withRetry(() => Promise.reject(other), fast)).rejects.toBe(other)
  })

  it('waits the Retry-After the error names instead of its own backoff', async () => {
    const delays: number[] = []
    let calls = 0
    await withRetry(
      async () => {
        if (calls++ === 0) throw statusError('RateLimitError', 429, { retryAfterMs: 120 })
        return 'ok'
      },
      { ...fast, onRetry: ({ delayMs }) => delays.push(delayMs) }
    )
    expect(delays).toEqual([120])
  })

  it('gives up after its retries with the last error as the cause', async () => {
    let calls = 0
    const err = await withRetry(
      async () => {
        calls++
        throw statusError('ServiceBusyError', 503)
      },
      { retries: 2, baseMs: 1, maxMs: 2 }
    ).catch((e: unknown) => e)
    expect(calls).toBe(3)
    expect(err).toBeInstanceOf(RetryExhaustedError)
    expect((err as RetryExhaustedError).attempts).toBe(3)
    expect((err as RetryExhaustedError).kind).toBe('busy')
    expect((err as Error).message).toMatch(/ServiceBusyError 503 \(gave up after 3 attempts\)/)
  })

  it('gives up early when the next wait would pass the deadline', async () => {
    let calls = 0
    const err = await withRetry(
      async () => {
        calls++
        throw statusError('RateLimitError', 429, { retryAfterMs: 5000 })
      },
      { retries: 10, baseMs: 1, maxMs: 2, deadlineMs: 1000 }
    ).catch((e: unknown) => e)
    expect(calls).toBe(1)
    expect(err).toBeInstanceOf(RetryExhaustedError)
  })

  it('stops waiting when aborted', async () => {
    const ctl = new AbortController()
    const run = withRetry(
      async () => {
        throw statusError('RateLimitError', 429, { retryAfterMs: 60_000 })
      },
      { ...fast, signal: ctl.signal }
    )
    setTimeout(() => ctl.abort(new Error('cancelled')), 10)
    await expect(run).rejects.toThrow('cancelled')
  })
})
