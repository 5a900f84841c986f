// The emulator against the real e2b SDK (no provider code): proves it speaks what e2b@2.51.0 sends and parses.
import { CommandExitError, Sandbox } from 'e2b'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startE2BEmulator, type E2BEmulator } from './support/e2b-emulator/index.js'
import { ECHO_PY, HTTP_SERVER_PY, waitFor } from './support/e2b-emulator/fixtures.js'

const API_KEY = 'e2b_test_emulator_key_0123456789'
let emu: E2BEmulator
let conn: { apiKey: string; apiUrl: string; sandboxUrl: string }

beforeAll(async () => {
  emu = await startE2BEmulator({ apiKey: API_KEY })
  conn = { apiKey: API_KEY, apiUrl: emu.url, sandboxUrl: emu.url }
})

afterEach(async () => {
  Object.assign(emu.faults, {
    rateLimitNext: 0,
    busyNext: 0,
    createDelayMs: 0,
    controlLatencyMs: 0,
    envdLatencyMs: 0,
    peerLatencyMs: 0,
    draws: undefined
  })
  for (const id of emu.sandboxIds()) await Sandbox.kill(id, conn as never)
  expect(emu.stats().live).toBe(0)
  expect(await waitFor(() => emu.livePids().length === 0 || undefined, 'sandbox processes to exit')).toBe(
    true
  )
})

afterAll(async () => {
  await emu.close()
})

const create = (opts: Record<string, unknown> = {}) => Sandbox.create('base', { ...conn, ...opts })

describe('control plane', () => {
  it('creates, describes, extends and kills a sandbox', async () => {
    const sb = await create({ timeoutMs: 60_000, metadata: { run: 'r1' } })
    const info = await sb.getInfo()
    expect(info).toMatchObject({ sandboxId: sb.sandboxId, templateId: 'base', cpuCount: 2, memoryMB: 512 })
    expect(info.metadata).toEqual({ run: 'r1' })
    const firstEnd = info.endAt.getTime()
    await sb.setTimeout(600_000)
    expect((await sb.getInfo()).endAt.getTime()).toBeGreaterThan(firstEnd + 400_000)
    expect(await sb.isRunning()).toBe(true)
    expect(await sb.kill()).toBe(true)
    // A second kill is a 404 with a JSON body, which the SDK turns into `false`.
    expect(await sb.kill()).toBe(false)
    await expect(sb.getInfo()).rejects.toMatchObject({ name: 'SandboxNotFoundError' })
  })

  it('refuses a wrong API key with 401 and does not echo it', async () => {
    const err = await Sandbox.create('base', { ...conn, apiKey: 'e2b_wrong_secret_value' }).catch(
      (e: Error) => e
    )
    expect(err).toMatchObject({ name: 'AuthenticationError' })
    expect((err as Error).message).not.toContain('e2b_wrong_secret_value')
    expect(emu.stats().rejected401).toBeGreaterThan(0)
    expect(emu.stats().live).toBe(0)
  })

  it('rejects unknown templates and over-long timeouts', async () => {
    await expect(Sandbox.create('no-such-template', conn)).rejects.toThrow(
      /template 'no-such-template' not found/
    )
    const strict = await startE2BEmulator({ apiKey: API_KEY, maxTimeoutSeconds: 3600 })
    try {
      await expect(
        Sandbox.create('base', { ...conn, apiUrl: strict.url, sandboxUrl: strict.url, timeoutMs: 7200_000 })
      ).rejects.toThrow(/greater than 3600/)
    } finally {
      await strict.close()
    }
  })

  it('lists by metadata (double-encoded, AND of tags) across x-next-token pages', async () => {
    const tag = { run: 'run 1/ä&x=y', job: 'bench' }
    const ours = await Promise.all([0, 1, 2].map(() => create({ metadata: tag })))
    const other = await create({ metadata: { run: 'another' } })
    const partial = await create({ metadata: { run: tag.run } })
    const pages = Sandbox.list({ ...conn, query: { metadata: tag }, limit: 2 } as never)
    const seen: string[][] = []
    while (pages.hasNext) seen.push((await pages.nextItems()).map(s => s.sandboxId))
    expect(seen.map(p => p.length)).toEqual([2, 1])
    expect(seen.flat().sort()).toEqual(ours.map(s => s.sandboxId).sort())
    expect(seen.flat()).not.toContain(other.sandboxId)
    expect(seen.flat()).not.toContain(partial.sandboxId)
  })

  it('serves 429 with a Retry-After the SDK honours, 503 busy, and slow creations', async () => {
    emu.faults.rateLimitNext = 1
    emu.faults.retryAfterSeconds = 1
    const before = emu.stats().createRequests
    // The SDK's own retry (default 3) only fires on 429 + integer Retry-After: it must parse ours.
    await create()
    expect(emu.stats().createRequests - before).toBe(2)

    emu.faults.rateLimitNext = 1
    await expect(create({ retries: 0 })).rejects.toMatchObject({ name: 'RateLimitError' })
    emu.faults.busyNext = 1
    await expect(create()).rejects.toMatchObject({ name: 'ServiceBusyError' })

    emu.faults.createDelayMs = 300
    const peakBefore = emu.stats().peakConcurrentCreates
    await Promise.all([create(), create(), create()])
    expect(Math.max(peakBefore, 3)).toBe(emu.stats().peakConcurrentCreates)
  })

  it('enforces a concurrent-sandbox limit with 429', async () => {
    const small = await startE2BEmulator({ apiKey: API_KEY, maxConcurrent: 1 })
    const c = { ...conn, apiUrl: small.url, sandboxUrl: small.url, retries: 0 }
    try {
      const first = await Sandbox.create('base', c)
      await expect(Sandbox.create('base', c)).rejects.toThrow(
        /maximum number of concurrent E2B sandboxes \(1\)/
      )
      await first.kill()
      await (await Sandbox.create('base', c)).kill()
    } finally {
      await small.close()
    }
  })

  it('measures metrics from the sandbox processes', async () => {
    const sb = await create()
    await sb.files.write('/home/user/spin.py', 'import time\nx = bytearray(30_000_000)\nwhile True: pass\n')
    await sb.commands.run('python3 spin.py', { background: true, timeoutMs: 0 })
    await new Promise(r => setTimeout(r, 700))
    await sb.getMetrics()
    await new Promise(r => setTimeout(r, 500))
    const [m] = await sb.getMetrics()
    expect(m.cpuCount).toBe(2)
    expect(m.memTotal).toBe(512 * 1024 * 1024)
    expect(m.memUsed).toBeGreaterThan(30_000_000)
    expect(m.cpuUsedPct).toBeGreaterThan(2)
    expect(m.diskUsed).toBeGreaterThan(0)
  })
})

describe('envd', () => {
  it('writes (multipart batch, octet-stream, gzip) and reads files under /home/user', async () => {
    const sb = await create()
    const written = await sb.files.write([
      { path: '/home/user/swarm/a.txt', data: 'alpha' },
      { path: 'swarm/pkg/b.bin', data: new Uint8Array([0, 1, 2, 255]).buffer }
    ])
    expect(written.map(w => w.path)).toEqual(['/home/user/swarm/a.txt', '/home/user/swarm/pkg/b.bin'])
    expect(await sb.files.read('/home/user/swarm/a.txt')).toBe('alpha')
    expect([...(await sb.files.read('/home/user/swarm/pkg/b.bin', { format: 'bytes' }))]).toEqual([
      0, 1, 2, 255
    ])
    await sb.files.write('/home/user/c.txt', 'gamma', { useOctetStream: true, gzip: true })
    expect(await sb.files.read('c.txt')).toBe('gamma')
    // `..` cannot climb out of the sandbox's root.
    await sb.files.write('/../../../escape.txt', 'x')
    expect(await sb.files.read('/escape.txt')).toBe('x')
    await expect(sb.files.read('/home/user/missing.txt')).rejects.toMatchObject({ name: 'FileNotFoundError' })
  })

  it('runs bash -l commands with cwd, envs, exit codes and the /home/user mapping', async () => {
    const sb = await create({ envs: { FROM_SANDBOX: 'yes' } })
    await sb.files.write('/home/user/work/marker', 'm')
    const ok = await sb.commands.run('cat marker; echo " $FROM_SANDBOX $FROM_CMD"; python3 -c "print(1+1)"', {
      cwd: '/home/user/work',
      envs: { FROM_CMD: 'also' }
    })
    expect(ok.stdout).toBe('m yes also\n2\n')
    const fail = await sb.commands.run('echo oops >&2; exit 7').catch((e: unknown) => e)
    expect(fail).toBeInstanceOf(CommandExitError)
    expect((fail as CommandExitError).exitCode).toBe(7)
    expect((fail as CommandExitError).stderr).toBe('oops\n')
    await expect(sb.commands.run('true', { cwd: '/home/user/nowhere' })).rejects.toThrow(/does not exist/)
  })

  it('streams a background process with stdin, lists it, closes stdin and reports the exit', async () => {
    const sb = await create()
    await sb.files.write('/home/user/echo.py', ECHO_PY)
    let out = ''
    const h = await sb.commands.run('python3 -u echo.py', {
      background: true,
      stdin: true,
      timeoutMs: 0,
      onStdout: d => {
        out += d
      }
    })
    await waitFor(() => out.includes('"ready"'), 'ready line')
    await h.sendStdin('one\n')
    await h.sendStdin('two\n')
    await waitFor(() => out.includes('echo:two\n'), 'echoes')
    expect(out).toContain('echo:one\necho:two\n')
    expect(h.stderr).toContain('seen one')
    const listed = await sb.commands.list()
    expect(listed.map(p => p.pid)).toContain(h.pid)
    expect(listed.find(p => p.pid === h.pid)?.args).toEqual(['-l', '-c', 'python3 -u echo.py'])
    await h.closeStdin()
    expect((await h.wait()).exitCode).toBe(0)
    await expect(h.sendStdin('late\n')).rejects.toThrow(/not found/)
  })

  it('attaches a second stream to a running process with Connect', async () => {
    const sb = await create()
    await sb.files.write('/home/user/echo.py', ECHO_PY)
    const first = await sb.commands.run('python3 -u echo.py', { background: true, stdin: true, timeoutMs: 0 })
    let seen = ''
    const second = await sb.commands.connect(first.pid, {
      timeoutMs: 0,
      onStdout: d => {
        seen += d
      }
    })
    await first.sendStdin('via-first\n')
    await waitFor(() => seen.includes('echo:via-first'), 'output on the attached stream')
    await second.disconnect()
    await expect(sb.commands.connect(999_999)).rejects.toThrow(/not found/)
    await first.kill()
  })

  it('kills a process by signal and on its Connect-Timeout-Ms deadline', async () => {
    const sb = await create()
    const h = await sb.commands.run('sleep 60', { background: true, timeoutMs: 0 })
    expect(await h.kill()).toBe(true)
    const killed = await h.wait().catch((e: unknown) => e)
    expect((killed as CommandExitError).exitCode).toBe(-1)

    const started = Date.now()
    const deadline = await sb.commands.run('sleep 60', { timeoutMs: 400 }).catch((e: unknown) => e)
    expect(deadline).toMatchObject({ name: 'TimeoutError' })
    expect(Date.now() - started).toBeLessThan(30_000)
    await waitFor(() => emu.sandbox(sb.sandboxId)?.pids.length === 0 || undefined, 'deadline kill')
  })

  it('makes every call fail once the sandbox expires, and breaks its open streams', async () => {
    const sb = await create()
    const h = await sb.commands.run('sleep 60', { background: true, timeoutMs: 0 })
    expect(await emu.expire(sb.sandboxId)).toBe(true)
    const err = await h.wait().catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'TimeoutError' })
    expect((err as Error).message).toMatch(/killed or reached its end of life/)
    await expect(sb.files.read('/home/user/x')).rejects.toThrow(/was expired/)
    await expect(sb.commands.run('true')).rejects.toThrow()
    expect(await sb.isRunning()).toBe(false)
    expect(emu.stats().expired).toBeGreaterThan(0)
  })

  it('expires a sandbox when its own timeout passes', async () => {
    const sb = await create({ timeoutMs: 1000 })
    await sb.commands.run('sleep 60', { background: true, timeoutMs: 0 })
    await waitFor(() => !emu.sandboxIds().includes(sb.sandboxId), 'expiry')
    expect(await sb.isRunning()).toBe(false)
  })

  it('adds the configured latency to control-plane and daemon calls', async () => {
    const sb = await create()
    emu.faults.controlLatencyMs = 250
    let t0 = performance.now()
    await sb.getInfo()
    expect(performance.now() - t0).toBeGreaterThanOrEqual(245)
    emu.faults.controlLatencyMs = 0
    emu.faults.envdLatencyMs = 250
    t0 = performance.now()
    await sb.isRunning()
    expect(performance.now() - t0).toBeGreaterThanOrEqual(245)
  })

  it('takes each latency from its draw when one is set, instead of the fixed value', async () => {
    const drawn = { create: 0, control: 0, envd: 0 }
    // Fixed latencies that would make this test take minutes if the draws were ignored.
    Object.assign(emu.faults, { createDelayMs: 600_000, controlLatencyMs: 600_000, envdLatencyMs: 600_000 })
    emu.faults.draws = {
      create: () => (drawn.create++, 0),
      control: () => (drawn.control++, 0),
      envd: () => (drawn.envd++, 0)
    }
    const sb = await create()
    expect(drawn).toMatchObject({ create: 1, control: 1 })
    await sb.getInfo()
    expect(drawn.control).toBe(2)
    await sb.isRunning()
    expect(drawn.envd).toBe(1)
  })

  it('exposes state and fault switches over HTTP for standalone use', async () => {
    const headers = { 'X-API-KEY': API_KEY, 'content-type': 'application/json' }
    expect((await fetch(`${emu.url}/_emulator/state`)).status).toBe(401)
    const set = await fetch(`${emu.url}/_emulator/faults`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ busyNext: 1, bogus: 5 })
    })
    expect(await set.json()).toMatchObject({ busyNext: 1 })
    await expect(create()).rejects.toMatchObject({ name: 'ServiceBusyError' })
    const sb = await create()
    const state = (await (await fetch(`${emu.url}/_emulator/state`, { headers })).json()) as {
      stats: { live: number }
      sandboxes: string[]
    }
    expect(state.sandboxes).toEqual([sb.sandboxId])
    expect(state.stats.live).toBe(1)
    await fetch(`${emu.url}/_emulator/sandboxes/${sb.sandboxId}/expire`, { method: 'POST', headers })
    expect(await sb.isRunning()).toBe(false)
  })

  it('refuses daemon calls without the sandbox access token', async () => {
    const sb = await create()
    const res = await fetch(`${emu.url}/health`, { headers: { 'E2b-Sandbox-Id': sb.sandboxId } })
    expect(res.status).toBe(401)
  })
})

describe('peer routing', () => {
  async function serve(sb: Sandbox): Promise<number> {
    await sb.files.write('/home/user/srv.py', HTTP_SERVER_PY)
    let out = ''
    await sb.commands.run('python3 -u srv.py', {
      background: true,
      timeoutMs: 0,
      onStdout: d => {
        out += d
      }
    })
    const line = await waitFor(() => out.split('\n').find(l => l.includes('"port"')), 'server port')
    return (JSON.parse(line) as { port: number }).port
  }

  it("proxies to the sandbox's own port only, over kept-alive upstream connections", async () => {
    const a = await create()
    const b = await create()
    const port = await serve(a)
    const call = (id: string, p: number, body = 'ping') =>
      fetch(`${emu.url}/hello?x=1`, {
        method: 'POST',
        headers: { 'E2b-Sandbox-Id': id, 'E2b-Sandbox-Port': String(p), 'X-Swarm-Token': 't' },
        body
      })
    const r1 = await call(a.sandboxId, port)
    expect(r1.status).toBe(200)
    const j1 = (await r1.json()) as {
      path: string
      body: string
      sandbox: string
      clientPort: number
      headers: object
    }
    expect(j1).toMatchObject({ path: '/hello?x=1', body: 'ping', sandbox: a.sandboxId })
    expect(j1.headers).toMatchObject({ 'x-swarm-token': 't', 'e2b-sandbox-port': String(port) })
    const j2 = (await (await call(a.sandboxId, port, 'again')).json()) as { clientPort: number }
    expect(j2.clientPort).toBe(j1.clientPort)
    // Sandbox b does not own that port: the emulator must not let b's host name reach a's service.
    const wrong = await call(b.sandboxId, port)
    expect(wrong.status).toBe(502)
    expect(await wrong.text()).toMatch(/no service running on port/)
    const closed = await call(a.sandboxId, 1)
    expect(closed.status).toBe(502)
  })

  it('requires the traffic access token when public traffic is restricted', async () => {
    const sb = await create({ network: { allowPublicTraffic: false } })
    expect(sb.trafficAccessToken).toBeTruthy()
    const port = await serve(sb)
    const headers = { 'E2b-Sandbox-Id': sb.sandboxId, 'E2b-Sandbox-Port': String(port) }
    expect((await fetch(emu.url, { headers })).status).toBe(403)
    const ok = await fetch(emu.url, {
      headers: { ...headers, 'e2b-traffic-access-token': sb.trafficAccessToken! }
    })
    expect(ok.status).toBe(200)
    // The token is the proxy's business; the service never sees it.
    expect(((await ok.json()) as { headers: Record<string, string> }).headers).not.toHaveProperty(
      'e2b-traffic-access-token'
    )
    const open = await create()
    expect(open.trafficAccessToken).toBeUndefined()
  })

  it('adds the configured latency to peer requests', async () => {
    const sb = await create()
    const port = await serve(sb)
    const headers = { 'E2b-Sandbox-Id': sb.sandboxId, 'E2b-Sandbox-Port': String(port) }
    await fetch(emu.url, { headers })
    emu.faults.peerLatencyMs = 300
    const t0 = performance.now()
    await fetch(emu.url, { headers })
    expect(performance.now() - t0).toBeGreaterThanOrEqual(295)
  })
})
