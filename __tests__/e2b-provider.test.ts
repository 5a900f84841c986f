// The e2b provider through the real SDK against the local emulator: creation under limits and retries, files,
// processes and line I/O, peer routing, expiry, and the sweep.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  E2BAuthError,
  E2BProvider,
  commandLine,
  type E2BProviderOptions
} from '../src/sandbox/e2b/provider.js'
import { redact } from '../src/secrets.js'
import { sweepSandboxes, sweepSandboxesDetailed } from '../src/sandbox/e2b/sweep.js'
import type { AgentProcess, Sandbox } from '../src/sandbox/types.js'
import { startE2BEmulator, type E2BEmulator } from './support/e2b-emulator/index.js'
import { ECHO_PY, HTTP_CLIENT_PY, HTTP_SERVER_PY, waitFor } from './support/e2b-emulator/fixtures.js'

const API_KEY = 'e2b_provider_test_key_9f8e7d6c5b4a'
let emu: E2BEmulator
const providers: E2BProvider[] = []
const logs: string[] = []

function provider(extra: Partial<E2BProviderOptions> = {}): E2BProvider {
  const p = new E2BProvider({
    apiKey: API_KEY,
    apiUrl: emu.url,
    sandboxUrl: emu.url,
    plan: 'pro',
    limits: { createPerSecond: 50 },
    metadata: { 'swarm-bench-run': 'run-1', job: 'test' },
    retry: { baseMs: 10, maxMs: 50 },
    log: m => logs.push(m),
    ...extra
  })
  providers.push(p)
  return p
}

/** Collects lines; `next(pred)` resolves with the first line (already seen or future) matching. */
function lines(proc: AgentProcess) {
  const seen: string[] = []
  proc.onLine(l => seen.push(l))
  return {
    seen,
    next: (pred: (l: string) => boolean, what = 'line') => waitFor(() => seen.find(pred), what)
  }
}

async function startEcho(sb: Sandbox) {
  await sb.writeFiles([{ path: 'echo.py', data: ECHO_PY }])
  const proc = await sb.start({ command: 'python3', args: ['-u', 'echo.py'] })
  const out = lines(proc)
  await out.next(l => l.includes('"ready"'), 'ready line')
  return { proc, out }
}

beforeAll(async () => {
  emu = await startE2BEmulator({ apiKey: API_KEY })
})

afterEach(async () => {
  Object.assign(emu.faults, { rateLimitNext: 0, busyNext: 0, createDelayMs: 0, peerLatencyMs: 0 })
  await Promise.all(providers.splice(0).map(p => p.killAll()))
  expect(emu.stats().live).toBe(0)
  await waitFor(() => emu.livePids().length === 0 || undefined, 'no sandbox process left')
  // Whatever happened, the key never reached a log line.
  expect(logs.join('\n')).not.toContain(API_KEY)
})

afterAll(async () => {
  await emu.close()
})

describe('E2BProvider', () => {
  it('creates a tagged sandbox, uploads files, runs an agent and talks to it line by line', async () => {
    const p = provider()
    expect(p.info).toEqual({ name: 'e2b', description: 'e2b template base', nominalAllocation: false })
    const sb = await p.create({ label: 'mesh-3/agent-0', metadata: { topology: 'mesh' } })
    expect(sb.provider).toBe('e2b')
    expect(sb.allocation).toEqual({ vcpu: 2, memoryMiB: 512 })
    expect(sb.workdir).toBe('/home/user/swarm')
    expect(emu.sandbox(sb.id)?.metadata).toEqual({
      'swarm-bench-run': 'run-1',
      job: 'test',
      topology: 'mesh',
      label: 'mesh-3/agent-0'
    })
    await sb.writeFiles([
      { path: 'echo.py', data: ECHO_PY },
      { path: 'pkg/data.bin', data: Buffer.from([1, 2, 3]) }
    ])
    await expect(sb.writeFiles([{ path: '../outside.txt', data: 'x' }])).rejects.toThrow(/leaves the sandbox/)

    const proc = await sb.start({ command: 'python3', args: ['-u', 'echo.py'], env: { X: '1' } })
    expect(proc.pid).toBeGreaterThan(0)
    // What the daemon was asked for: bash -l -c, stdin open, and no deadline (the SDK default would be 60 s).
    expect(emu.sandbox(sb.id)?.processes).toEqual([
      {
        pid: proc.pid,
        args: ['-l', '-c', 'mkdir -p /home/user/swarm && cd /home/user/swarm && exec python3 -u echo.py'],
        stdin: true,
        deadlineMs: undefined
      }
    ])
    // Subscribe late: the ready line printed before anyone listened must still arrive, exactly once.
    await new Promise(r => setTimeout(r, 300))
    const out = lines(proc)
    await out.next(l => l.includes('"ready"'), 'ready line')
    // Several writes in flight at once still arrive in order.
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map(s => proc.writeLine(s)))
    await out.next(l => l === 'echo:e')
    expect(out.seen.filter(l => l.startsWith('echo:'))).toEqual([
      'echo:a',
      'echo:b',
      'echo:c',
      'echo:d',
      'echo:e'
    ])
    expect(out.seen.filter(l => l.includes('"ready"'))).toHaveLength(1)
    // A 100 kB line arrives in several chunks and is re-assembled.
    await proc.writeLine('big')
    const big = await out.next(l => l.startsWith('xxx'))
    expect(big.length).toBe(100_000)
    expect(proc.stderrTail()).toContain('seen a')
    await expect(proc.writeLine('two\nlines')).rejects.toThrow(/newline/)

    const m = await sb.metrics()
    expect(m?.memUsedBytes).toBeGreaterThan(1_000_000)
    expect(m?.memTotalBytes).toBe(512 * 1024 * 1024)

    await proc.writeLine('exit 3')
    expect(await proc.exited).toEqual({ code: 3, signal: null })
    await expect(proc.writeLine('late')).rejects.toThrow(/has exited/)

    expect(p.live()).toHaveLength(1)
    await sb.kill()
    await sb.kill()
    expect(sb.alive).toBe(false)
    expect(p.live()).toHaveLength(0)
    const [usage] = p.usage()
    expect(usage).toMatchObject({ label: 'mesh-3/agent-0', allocation: { vcpu: 2, memoryMiB: 512 } })
    expect(usage.seconds).toBeGreaterThan(0)
    const frozen = sb.aliveSeconds()
    await new Promise(r => setTimeout(r, 30))
    expect(sb.aliveSeconds()).toBe(frozen)
  })

  it('kills a running agent and reports the signal', async () => {
    const sb = await provider().create({ label: 'a' })
    const { proc } = await startEcho(sb)
    await proc.kill()
    expect(await proc.exited).toEqual({ code: null, signal: 'SIGKILL' })
    expect(emu.sandbox(sb.id)?.pids).toEqual([])
  })

  it('starts commands with no deadline (an agent outlives the SDK default) and quotes arguments', async () => {
    expect(commandLine({ command: 'python3', args: ['-u', '-m', 'swarm_agent'] })).toBe(
      'exec python3 -u -m swarm_agent'
    )
    expect(commandLine({ command: 'echo', args: ["it's", 'a b', '$HOME'] })).toBe(
      `exec echo 'it'\\''s' 'a b' '$HOME'`
    )
    const sb = await provider().create({ label: 'q' })
    const proc = await sb.start({
      command: 'python3',
      args: ['-c', 'import sys; print(sys.argv[1:])', "it's", 'a b']
    })
    const out = lines(proc)
    await out.next(l => l.startsWith('['))
    expect(out.seen[0]).toBe(`["it's", 'a b']`)
    expect(await proc.exited).toEqual({ code: 0, signal: null })
    // A cwd that does not exist fails in the shell, with the reason in the stderr tail.
    const lost = await sb.start({ command: 'true', args: [], cwd: 'no/such/dir' })
    expect(await lost.exited).toEqual({ code: 1, signal: null })
    expect(lost.stderrTail()).toMatch(/no\/such\/dir: No such file or directory/)
  })

  it('retries 429 and 503 answers through the limiter, then succeeds', async () => {
    const p = provider()
    emu.faults.rateLimitNext = 2
    emu.faults.busyNext = 1
    const before = emu.stats()
    const sb = await p.create({ label: 'retry' })
    const after = emu.stats()
    expect(after.rejected429 - before.rejected429).toBe(2)
    expect(after.rejected503 - before.rejected503).toBe(1)
    // Exactly four requests: our retries, not the SDK's hidden ones on top.
    expect(after.createRequests - before.createRequests).toBe(4)
    expect(sb.alive).toBe(true)
    expect(logs.filter(l => l.startsWith('retry: sandbox creation refused'))).toHaveLength(3)
  })

  it('bills a sandbox from its create request, the time E2B spends creating it included', async () => {
    emu.faults.createDelayMs = 400
    const p = provider()
    const sb = await p.create({ label: 'billed' })
    await sb.kill()
    // Counted from when create returned, this would be a few milliseconds.
    expect(p.usage()[0].seconds).toBeGreaterThanOrEqual(0.4)
  })

  it('gives up with a clear error when the service stays busy', async () => {
    const p = provider({ retry: { retries: 2, baseMs: 5, maxMs: 10 } })
    emu.faults.busyNext = 10
    await expect(p.create({ label: 'busy' })).rejects.toThrow(
      /creating sandbox busy failed: .*Service temporarily unavailable.*gave up after 3 attempts/
    )
    expect(p.live()).toHaveLength(0)
  })

  it('fails fast on a wrong key with a message naming the input, never the key', async () => {
    const wrongKey = 'e2b_this_key_is_wrong_123456'
    const p = provider({ apiKey: wrongKey })
    const before = emu.stats().rejected401
    const err = await p.create({ label: 'auth' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(E2BAuthError)
    const msg = (err as Error).message
    expect(msg).toContain('`e2b-api-key` input')
    expect(msg).toContain('E2B_API_KEY')
    expect(msg).not.toContain(wrongKey)
    expect(JSON.stringify(err)).not.toContain(wrongKey)
    expect(String((err as Error).stack)).not.toContain(wrongKey)
    expect(emu.stats().rejected401 - before).toBe(1)
    expect(logs.join('\n')).not.toContain(wrongKey)
    expect(() => new E2BProvider({ apiKey: ' ' })).toThrow(/No E2B API key.*e2b-api-key/)
    expect(redact(`a ${wrongKey} b ${wrongKey}`, [wrongKey])).toBe('a *** b ***')
  })

  it("holds creations at the plan's concurrency limit until a sandbox is killed", async () => {
    const p = provider({ limits: { maxConcurrency: 2, createPerSecond: 50 }, slotWaitMs: 20_000 })
    const a = await p.create({ label: 'a' })
    await p.create({ label: 'b' })
    const before = emu.stats().createRequests
    let third: Sandbox | undefined
    const pending = p.create({ label: 'c' }).then(s => (third = s))
    await new Promise(r => setTimeout(r, 300))
    expect(third).toBeUndefined()
    expect(emu.stats().createRequests).toBe(before)
    await a.kill()
    await pending
    expect(third?.alive).toBe(true)
    expect(
      p
        .live()
        .map(s => s.label)
        .sort()
    ).toEqual(['b', 'c'])

    const tight = provider({ limits: { maxConcurrency: 1, createPerSecond: 50 }, slotWaitMs: 50 })
    await tight.create({ label: 'only' })
    await expect(tight.create({ label: 'over' })).rejects.toThrow(
      /no sandbox slot became free.*max-concurrency/
    )
  })

  it('keeps a sandbox alive past its safety timeout while it is in use', async () => {
    // 4 s lifetime, extended every 2 s: the slack keeps this safe on a loaded machine.
    const sb = await provider({ timeoutMs: 4000 }).create({ label: 'long' })
    const firstEnd = emu.sandbox(sb.id)!.endAt.getTime()
    await waitFor(() => emu.sandbox(sb.id)!.endAt.getTime() > firstEnd || undefined, 'a lifetime extension')
    await waitFor(() => Date.now() > firstEnd + 500 || undefined, 'the original end of life to pass')
    expect(emu.sandboxIds()).toContain(sb.id)
    expect(sb.alive).toBe(true)
  })

  it('ends a process and fails every call clearly once the sandbox expires', async () => {
    const sb = await provider().create({ label: 'doomed' })
    const { proc } = await startEcho(sb)
    await emu.expire(sb.id)
    const info = await proc.exited
    expect(info.code).toBeNull()
    expect(info.error).toMatch(/doomed .*no longer running \(it expired or was killed\)/)
    await expect(proc.writeLine('hello')).rejects.toThrow(/has exited/)
    await expect(sb.writeFiles([{ path: 'x', data: 'y' }])).rejects.toThrow(
      /sandbox doomed .*no longer running.*was expired/
    )
    await expect(sb.start({ command: 'true', args: [] })).rejects.toThrow(/no longer running/)
    expect(await sb.metrics()).toBeUndefined()
    await sb.kill() // already gone on the service: still resolves
    expect(sb.alive).toBe(false)
  })

  it('survives its sandbox being killed from elsewhere', async () => {
    const sb = await provider().create({ label: 'swept' })
    const { proc } = await startEcho(sb)
    expect(await emu.kill(sb.id)).toBe(true)
    expect((await proc.exited).error).toMatch(/swept .*no longer running/)
    await expect(proc.writeLine('x')).rejects.toThrow(/has exited/)
    await sb.kill()
    expect(sb.alive).toBe(false)
  })

  it('reports a broken process stream and does not leave the process running', async () => {
    const sb = await provider().create({ label: 'flaky' })
    const { proc } = await startEcho(sb)
    expect(emu.dropStreams(sb.id)).toBe(1)
    const info = await proc.exited
    expect(info).toMatchObject({ code: null, signal: null })
    expect(info.error).toMatch(/flaky/)
    await waitFor(() => emu.sandbox(sb.id)?.pids.length === 0 || undefined, 'the orphaned agent to be killed')
  })

  it('gives peers an endpoint that reaches the process port through the emulator', async () => {
    const p = provider()
    const [a, b] = await Promise.all([p.create({ label: 'a' }), p.create({ label: 'b' })])
    await a.writeFiles([{ path: 'srv.py', data: HTTP_SERVER_PY }])
    const server = lines(await a.start({ command: 'python3', args: ['-u', 'srv.py'] }))
    const port = (JSON.parse(await server.next(l => l.includes('"port"'))) as { port: number }).port
    const ep = await a.peerEndpoint(port)
    expect(ep).toEqual({
      url: emu.url,
      headers: { 'E2b-Sandbox-Id': a.id, 'E2b-Sandbox-Port': String(port) }
    })

    // From the host...
    const res = await fetch(`${ep.url}/hello`, { method: 'POST', headers: ep.headers, body: 'from host' })
    expect(await res.json()).toMatchObject({ path: '/hello', body: 'from host', sandbox: a.id })
    // ...and from an agent in another sandbox, which is what the swarm does.
    await b.writeFiles([{ path: 'client.py', data: HTTP_CLIENT_PY }])
    const client = await b.start({
      command: 'python3',
      args: ['client.py', ep.url, JSON.stringify(ep.headers)]
    })
    const answer = JSON.parse(await lines(client).next(l => l.startsWith('{'))) as Record<string, unknown>
    expect(answer).toMatchObject({ path: '/from-peer', body: 'hello from a peer', sandbox: a.id })
    expect(await client.exited).toEqual({ code: 0, signal: null })
    // b's address with a's port goes nowhere: peers must use the endpoint of the sandbox they talk to.
    const wrong = await fetch(ep.url, { headers: { ...ep.headers, 'E2b-Sandbox-Id': b.id } })
    expect(wrong.status).toBe(502)
  })

  it('adds the traffic token to peer headers when public traffic is restricted', async () => {
    const sb = await provider({ allowPublicTraffic: false }).create({ label: 'private' })
    expect(emu.sandbox(sb.id)?.restricted).toBe(true)
    await sb.writeFiles([{ path: 'srv.py', data: HTTP_SERVER_PY }])
    const server = lines(await sb.start({ command: 'python3', args: ['-u', 'srv.py'] }))
    const port = (JSON.parse(await server.next(l => l.includes('"port"'))) as { port: number }).port
    const ep = await sb.peerEndpoint(port)
    expect(ep.headers['e2b-traffic-access-token']).toMatch(/^[a-z0-9]{32}$/)
    expect((await fetch(ep.url, { headers: ep.headers })).status).toBe(200)
    const { ['e2b-traffic-access-token']: _token, ...withoutToken } = ep.headers
    expect((await fetch(ep.url, { headers: withoutToken })).status).toBe(403)
  })

  it('uses https://PORT-ID.DOMAIN endpoints when no sandboxUrl is configured', async () => {
    // Creation and info only touch the control plane, so the emulator serves them; the peer URL is E2B's form.
    const p = provider({ sandboxUrl: undefined, domain: 'example.test' })
    const sb = await p.create({ label: 'public' })
    expect(await sb.peerEndpoint(8080)).toEqual({ url: `https://8080-${sb.id}.example.test`, headers: {} })
  })
})

describe('sweepSandboxes', () => {
  it('kills every sandbox carrying the run tags and nothing else', async () => {
    const run = provider({ metadata: { 'swarm-bench-run': 'sweep-me', repo: 'o/r' } })
    const other = provider({ metadata: { 'swarm-bench-run': 'keep-me', repo: 'o/r' } })
    await Promise.all([0, 1, 2].map(i => run.create({ label: `s${i}` })))
    const kept = await other.create({ label: 'k' })
    const opts = {
      apiKey: API_KEY,
      apiUrl: emu.url,
      metadata: { 'swarm-bench-run': 'sweep-me', repo: 'o/r' }
    }
    expect(await sweepSandboxes(opts)).toBe(3)
    expect(emu.sandboxIds()).toEqual([kept.id])
    // Nothing left to sweep the second time.
    expect(await sweepSandboxesDetailed(opts)).toEqual({ found: 0, killed: 0, alreadyGone: 0, failed: [] })
    // The provider's own kill of an already-swept sandbox is harmless.
    await run.killAll()
  })

  it('refuses an empty filter and fails clearly on a wrong key', async () => {
    await expect(sweepSandboxes({ apiKey: API_KEY, apiUrl: emu.url, metadata: {} })).rejects.toThrow(
      /refusing to sweep without a metadata filter/
    )
    const wrongKey = 'e2b_sweep_wrong_key_777'
    const err = await sweepSandboxes({ apiKey: wrongKey, apiUrl: emu.url, metadata: { a: 'b' } }).catch(
      (e: unknown) => e
    )
    expect(err).toBeInstanceOf(E2BAuthError)
    expect((err as Error).message).toMatch(/E2B_API_KEY/)
    expect((err as Error).message).not.toContain(wrongKey)
  })
})
