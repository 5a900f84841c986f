// Security checks on real processes: E2B sandboxes are created with public traffic restricted and peers present
// the traffic token AND the swarm token (nothing else gets in); the agent's peer server bounds what it reads; the
// API key and every token stay out of logs, results, reports and the agents' environment. The end-to-end part runs
// the real CLI with `--provider e2b` against the emulator with a distinctive key and greps everything it produced.
import { connect } from 'node:net'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collectAgentFiles } from '../src/sandbox/agent-files.js'
import { E2BProvider, TRAFFIC_TOKEN_HEADER } from '../src/sandbox/e2b/provider.js'
import { LocalProvider } from '../src/sandbox/local/provider.js'
import { deploySwarm } from '../src/swarm/deploy.js'
import { type Swarm } from '../src/swarm/swarm.js'
import { startE2BEmulator, type E2BEmulator } from './support/e2b-emulator/index.js'
import { runCli, startCli, type CliResult } from './support/faults/cli-process.js'
import { faultAgent, removeFaultAgentDirs, spied, type FaultAgent } from './support/faults/fault-agent.js'
import { expectOutputs } from './support/faults/outputs.js'
import { newRunTag, waitForNoProcesses } from './support/processes.js'

const KEY = 'e2b_securitySuite_7a6b5c4d3e2f1a0b9c8d'
const out = mkdtempSync(join(tmpdir(), 'security-'))

afterAll(() => {
  removeFaultAgentDirs()
  rmSync(out, { recursive: true, force: true })
})

/** Every file under `dir`, as text. */
function filesUnder(dir: string): [string, string][] {
  const found: [string, string][] = []
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) {
      const p = join(e.parentPath, e.name)
      found.push([p, readFileSync(p, 'utf8')])
    }
  }
  return found
}

describe('an e2b run end to end: restricted traffic, both tokens on every peer request, no secret anywhere', () => {
  let emu: E2BEmulator
  let spy: FaultAgent
  let run: CliResult
  let dir: string
  const restricted = new Map<string, boolean>()
  const extraOutputs: [string, string][] = []

  beforeAll(async () => {
    emu = await startE2BEmulator({ apiKey: KEY })
    spy = faultAgent({ mode: 'spy' })
    dir = join(out, 'e2b-run')
    const cli = startCli(
      [
        'run',
        ...['--provider', 'e2b', '--e2b-api-url', emu.url, '--e2b-sandbox-url', emu.url],
        ...['--e2b-plan', 'pro', '--e2b-create-rate', '50', '--out', dir, '--run-tag', newRunTag('sec')],
        ...['--only', 'trading.consensus,communication.inter-agent-latency']
      ],
      // The key comes from the environment, as the docs recommend (argv is visible to every local user).
      { E2B_API_KEY: KEY, SWARM_BENCH_AGENT_DIR: spy.dir }
    )
    // Record how every sandbox was created while it is alive.
    const poll = setInterval(() => {
      for (const id of emu.sandboxIds()) {
        const sb = emu.sandbox(id)
        if (sb && !restricted.has(id)) restricted.set(id, sb.restricted)
      }
    }, 10)
    run = await cli.done
    clearInterval(poll)
    // What a user does next with the files: re-render and compare; their output is checked too.
    const rendered = join(dir, 'again.md')
    const report = await runCli(['report', join(dir, 'swarm-bench-results.json'), '--out', rendered])
    const compare = await runCli([
      'compare',
      join(dir, 'swarm-bench-results.json'),
      join(dir, 'swarm-bench-results.json')
    ])
    extraOutputs.push(
      ['report stdout+stderr', report.stdout + report.stderr],
      ['compare stdout+stderr', compare.stdout + compare.stderr]
    )
  }, 120_000)

  afterAll(async () => {
    await emu?.close()
  })

  it('the run passed', () => {
    expect(run.code, run.stderr).toBe(0)
    const o = expectOutputs(dir, run.stderr)
    expect(o.results.benchmarks.map(b => b.status)).toEqual(['passed', 'passed'])
    expect(emu.stats().live).toBe(0)
  })

  it('every sandbox was created with public traffic restricted', () => {
    expect(restricted.size).toBeGreaterThanOrEqual(4)
    const open = [...restricted].filter(([, r]) => !r).map(([id]) => id)
    expect(open, `${open.length} of ${restricted.size} sandboxes accept traffic from anyone`).toEqual([])
  })

  it('peers present the traffic token and the swarm token; nothing was refused', () => {
    const links = spied(spy, 'link')
    expect(links.length).toBeGreaterThanOrEqual(4)
    for (const l of links) {
      for (const h of l.headers as Record<string, string>[]) {
        expect(Object.keys(h).map(k => k.toLowerCase())).toContain(TRAFFIC_TOKEN_HEADER)
        // The swarm token travels separately (X-Swarm-Token, added by the agent), never among provider headers.
        expect(Object.keys(h).map(k => k.toLowerCase())).not.toContain('x-swarm-token')
      }
    }
    const s = emu.stats()
    expect(s.peerRequests).toBeGreaterThan(100)
    expect(s.peerRejected).toBe(0)
  })

  it('neither the key nor any swarm or traffic token appears in any output', () => {
    const inits = spied(spy, 'init')
    const tokens = [...new Set(inits.map(i => i.token as string))]
    expect(tokens.length).toBeGreaterThanOrEqual(1) // one per swarm
    const trafficTokens = [
      ...new Set(
        spied(spy, 'link').flatMap(l =>
          (l.headers as Record<string, string>[]).map(h => h[TRAFFIC_TOKEN_HEADER]).filter(Boolean)
        )
      )
    ]
    expect(trafficTokens.length).toBeGreaterThanOrEqual(4)
    const texts: [string, string][] = [
      ['cli stdout', run.stdout],
      ['cli stderr', run.stderr],
      ...filesUnder(dir),
      ...extraOutputs
    ]
    expect(texts.length).toBeGreaterThanOrEqual(6)
    for (const [where, text] of texts) {
      expect(text.includes(KEY), `the API key is in ${where}`).toBe(false)
      for (const t of tokens) expect(text.includes(t), `a swarm token is in ${where}`).toBe(false)
      for (const t of trafficTokens) expect(text.includes(t), `a traffic token is in ${where}`).toBe(false)
    }
  })

  it('the key never reaches a sandbox: not in the agents’ environment', () => {
    for (const i of spied(spy, 'init')) {
      const env = i.env as Record<string, string>
      expect(Object.values(env).some(v => v.includes(KEY))).toBe(false)
    }
  })
})

describe('a restricted sandbox lets in only requests with the traffic token AND the swarm token', () => {
  let emu: E2BEmulator
  let swarm: Swarm
  let spy: FaultAgent

  beforeAll(async () => {
    emu = await startE2BEmulator({ apiKey: KEY })
    spy = faultAgent({ mode: 'spy' })
    const provider = new E2BProvider({
      apiKey: KEY,
      apiUrl: emu.url,
      sandboxUrl: emu.url,
      plan: 'pro',
      limits: { createPerSecond: 50 },
      allowPublicTraffic: false
    })
    swarm = await deploySwarm({
      provider,
      topology: 'mesh',
      size: 2,
      deploy: 'parallel',
      files: await collectAgentFiles({ agentDir: spy.dir })
    })
  }, 60_000)

  afterAll(async () => {
    await swarm?.teardown()
    await emu?.close()
  })

  it('no traffic token: the platform refuses (403) before the agent sees it; no swarm token: the agent refuses (401)', async () => {
    const { url, headers } = swarm.peerEndpoint(0)
    const token = spied(spy, 'init')[0].token as string
    const traffic = headers[TRAFFIC_TOKEN_HEADER]
    expect(traffic).toBeTruthy()
    const routing = Object.fromEntries(Object.entries(headers).filter(([k]) => k !== TRAFFIC_TOKEN_HEADER))
    const hello = (extra: Record<string, string>) =>
      fetch(`${url}/hello`, {
        method: 'POST',
        headers: { ...routing, 'content-type': 'application/json', ...extra },
        body: JSON.stringify({ from: 1 })
      })
    const before = await swarm.counters()
    const rejectedBefore = emu.stats().peerRejected
    expect((await hello({})).status).toBe(403)
    expect((await hello({ 'x-swarm-token': token })).status).toBe(403)
    expect(emu.stats().peerRejected - rejectedBefore).toBe(2)
    expect((await hello({ [TRAFFIC_TOKEN_HEADER]: traffic })).status).toBe(401)
    expect((await hello({ [TRAFFIC_TOKEN_HEADER]: traffic, 'x-swarm-token': `${token}x` })).status).toBe(401)
    // Another sandbox's traffic token does not open this one.
    const other = swarm.peerEndpoint(1).headers[TRAFFIC_TOKEN_HEADER]
    expect((await hello({ [TRAFFIC_TOKEN_HEADER]: other, 'x-swarm-token': token })).status).toBe(403)
    const ok = await hello({ [TRAFFIC_TOKEN_HEADER]: traffic, 'x-swarm-token': token })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ id: 0 })
    // Only the two 401s reached an agent, and it counted them.
    const after = await swarm.counters()
    expect(after.refused - before.refused).toBe(2)
  })
})

/** One raw HTTP exchange: what the server answered before closing (or within `ms`). */
function rawExchange(
  port: number,
  request: Buffer | string,
  ms = 5000
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1')
    let text = ''
    let closed = false
    const timer = setTimeout(() => {
      sock.destroy()
      resolve({ text, closed })
    }, ms)
    sock.on('data', d => (text += d.toString('latin1')))
    sock.on('error', err => (text ? undefined : reject(err)))
    sock.on('close', () => {
      closed = true
      clearTimeout(timer)
      resolve({ text, closed })
    })
    sock.write(request, () => undefined)
  })
}

describe('the peer server bounds what it reads', () => {
  let swarm: Swarm
  let spy: FaultAgent
  let port = 0
  let token = ''
  const MiB = 1024 * 1024

  beforeAll(async () => {
    spy = faultAgent({ mode: 'spy' })
    swarm = await deploySwarm({
      provider: new LocalProvider({ runTag: newRunTag('sec-bounds') }),
      topology: 'mesh',
      size: 2,
      deploy: 'parallel',
      files: await collectAgentFiles({ agentDir: spy.dir })
    })
    port = swarm.readyInfo(0).port
    token = spied(spy, 'init')[0].token as string
  }, 60_000)

  afterAll(async () => {
    await swarm?.teardown()
  })

  const head = (path: string, headers: Record<string, string | number>) =>
    `POST ${path} HTTP/1.1\r\nHost: x\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}\r\n`

  it('refuses an oversized body by its declared length, before reading it, and closes', async () => {
    const before = (await swarm.counters()).refused
    const t0 = performance.now()
    const r = await rawExchange(port, head('/ping', { 'X-Swarm-Token': token, 'Content-Length': 17 * MiB }))
    expect(r.text).toMatch(/^HTTP\/1\.1 413 /)
    expect(r.text).toMatch(/over limit 16777216/)
    expect(r.closed).toBe(true)
    // Answered without waiting for 17 MiB that were never sent.
    expect(performance.now() - t0).toBeLessThan(4000)
    expect((await swarm.counters()).refused - before).toBe(1)
  })

  it('refuses a chunked body that grows past the limit', async () => {
    const chunk = Buffer.alloc(MiB, 0x61)
    const parts: Buffer[] = [
      Buffer.from(head('/ping', { 'X-Swarm-Token': token, 'Transfer-Encoding': 'chunked' }))
    ]
    for (let i = 0; i < 17; i++)
      parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'))
    parts.push(Buffer.from('0\r\n\r\n'))
    const r = await rawExchange(port, Buffer.concat(parts), 15_000)
    expect(r.text).toMatch(/^HTTP\/1\.1 413 /)
  })

  it('refuses a header block over 64 KiB', async () => {
    const big = 'a'.repeat(70 * 1024)
    const r = await rawExchange(
      port,
      head('/ping', { 'X-Swarm-Token': token, 'X-Filler': big, 'Content-Length': 0 })
    )
    expect(r.text).toMatch(/^HTTP\/1\.1 413 /)
    expect(r.closed).toBe(true)
  })

  it('answers a request without the token 401 without reading its (huge) body, and closes', async () => {
    const r = await rawExchange(port, head('/msg', { 'Content-Length': 1024 * MiB }))
    expect(r.text).toMatch(/^HTTP\/1\.1 401 /)
    expect(r.closed).toBe(true)
  })

  it('rejects a malformed request line and unknown paths, and keeps serving', async () => {
    expect((await rawExchange(port, 'GARBAGE\r\n\r\n')).text).toMatch(/^HTTP\/1\.1 400 /)
    const unknown = await rawExchange(
      port,
      head('/admin', { 'X-Swarm-Token': token, 'Content-Length': 0, Connection: 'close' })
    )
    expect(unknown.text).toMatch(/^HTTP\/1\.1 404 /)
    // The server is still there for real peers.
    const ping = await swarm.ping({ count: 3 })
    expect(ping.edges.length).toBe(2)
  })
})

describe('local agents never see the runner’s credentials', () => {
  it('E2B key, GitHub tokens and action inputs are not in an agent’s environment', async () => {
    const spy = faultAgent({ mode: 'spy' })
    const tag = newRunTag('sec-env')
    const secrets = {
      E2B_API_KEY: KEY,
      GITHUB_TOKEN: 'ghs_securitySuiteToken000000000000000',
      ACTIONS_RUNTIME_TOKEN: 'eyJsecuritySuiteRuntimeToken.x.y',
      'INPUT_E2B-API-KEY': KEY,
      'INPUT_GITHUB-TOKEN': 'ghs_securitySuiteToken000000000000000'
    }
    const res = await runCli(
      [
        'run',
        '--provider',
        'local',
        '--only',
        'trading.strategy-execution',
        '--out',
        join(out, 'env'),
        '--run-tag',
        tag
      ],
      { ...secrets, SWARM_BENCH_AGENT_DIR: spy.dir }
    )
    expect(res.code, res.stderr).toBe(0)
    const inits = spied(spy, 'init')
    expect(inits.length).toBe(3)
    for (const i of inits) {
      const env = i.env as Record<string, string>
      for (const name of Object.keys(secrets)) expect(Object.keys(env)).not.toContain(name)
      for (const v of Object.values(secrets))
        expect(
          Object.values(env).some(x => x.includes(v)),
          'a secret value in the agent env'
        ).toBe(false)
      // What the agent does need is there.
      expect(env.SWARM_BENCH_RUN).toBe(tag)
      expect(env.PATH).toBeTruthy()
    }
    expect(await waitForNoProcesses(tag, 5000)).toEqual([])
  }, 60_000)
})
