// AgentClient's deadlines: one timer per client replaced a timer per request; every request must still time out
// at its own limit with the same error, whatever else is pending, and an idle client must not hold Node open.
import { describe, expect, it } from 'vitest'
import { AgentClient, AgentCrashedError, AgentTimeoutError } from '../src/swarm/agent-client.js'
import type { AgentProcess, ExitInfo } from '../src/sandbox/types.js'

/** An in-memory agent process: lines written by the client are kept; the test answers them by hand. */
class ScriptedProcess implements AgentProcess {
  readonly pid = 4242
  readonly written: { id: number; op: string }[] = []
  private listener: ((line: string) => void) | undefined
  private exit!: (info: ExitInfo) => void
  readonly exited = new Promise<ExitInfo>(r => (this.exit = r))
  onLine(listener: (line: string) => void): void {
    this.listener = listener
  }
  writeLine(line: string): Promise<void> {
    this.written.push(JSON.parse(line) as { id: number; op: string })
    return Promise.resolve()
  }
  stderrTail(): string {
    return 'last words'
  }
  kill(): Promise<void> {
    this.exit({ code: null, signal: 'SIGKILL' })
    return Promise.resolve()
  }
  answer(op: string, result: unknown): void {
    const req = this.written.find(w => w.op === op)
    if (!req) throw new Error(`no ${op} written`)
    this.listener?.(JSON.stringify({ id: req.id, ok: true, result }))
  }
}

const settle = <T>(p: Promise<T>) =>
  p.then(
    v => ({ ok: true as const, v, at: performance.now() }),
    (e: Error) => ({ ok: false as const, e, at: performance.now() })
  )

const timers = () => process.getActiveResourcesInfo().filter(r => r === 'Timeout').length

describe('AgentClient deadlines', () => {
  it('each request times out at its own limit with the op, the limit and the stderr tail', async () => {
    const proc = new ScriptedProcess()
    const client = new AgentClient(3, proc)
    const t0 = performance.now()
    // armed for the long one first, then an earlier deadline arrives; and a later one that must not re-arm late
    const long = settle(client.request('long', {}, 2000))
    const short = settle(client.request('short', {}, 120))
    const middle = settle(client.request('middle', {}, 400))
    const answered = settle(client.request('answered', {}, 150))
    proc.answer('answered', { fine: true })
    const s = await short
    expect(s.ok).toBe(false)
    if (!s.ok) {
      expect(s.e).toBeInstanceOf(AgentTimeoutError)
      expect(s.e.message).toBe('agent 3 did not answer short within 120 ms\n--- stderr tail ---\nlast words')
    }
    expect(s.at - t0).toBeGreaterThanOrEqual(119)
    expect(await answered).toMatchObject({ ok: true, v: { fine: true } })
    const m = await middle
    expect(m.ok).toBe(false)
    if (!m.ok) expect(m.e.message).toMatch(/^agent 3 did not answer middle within 400 ms/)
    expect(m.at - t0).toBeGreaterThanOrEqual(399)
    expect(client.inFlight).toBe(1)
    proc.answer('long', 7)
    expect(await long).toMatchObject({ ok: true, v: 7 })
    expect(client.inFlight).toBe(0)
  })

  it('a late answer after the timeout is counted as junk, and a crash rejects what is pending', async () => {
    const proc = new ScriptedProcess()
    const client = new AgentClient(4, proc)
    const late = settle(client.request('late', {}, 50))
    expect((await late).ok).toBe(false)
    proc.answer('late', 1)
    expect(client.unparseableLines).toBe(1)
    const pending = settle(client.request('work', {}, 60_000))
    await proc.kill()
    const r = await pending
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.e).toBeInstanceOf(AgentCrashedError)
  })

  it('one timer per client however many requests, and none holding the process once it is idle', async () => {
    const proc = new ScriptedProcess()
    const client = new AgentClient(5, proc)
    const before = timers()
    const all = Array.from({ length: 50 }, (_, i) => client.request(`op${i}`, {}, 30_000))
    expect(timers() - before).toBe(1)
    for (let i = 0; i < 50; i++) proc.answer(`op${i}`, i)
    expect(await Promise.all(all)).toHaveLength(50)
    // the armed timer stays (no clearTimeout per request) but no longer keeps the event loop alive
    const hasRef = process.getActiveResourcesInfo().filter(r => r === 'Timeout').length
    expect(hasRef).toBe(before)
    await proc.kill()
  })
})
