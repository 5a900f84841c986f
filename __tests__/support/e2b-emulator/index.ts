// A local E2B emulator: the control plane API and the in-sandbox daemon ("envd") on one 127.0.0.1 port, speaking
// exactly what e2b@2.51.0 sends (see /work/shared/notes/e2b-sdk.md, checked against the SDK's sources). Sandboxes
// are directories; their processes are real child processes; peers reach each other through the emulator's
// routing (`E2b-Sandbox-Id` + `E2b-Sandbox-Port`), like `https://PORT-ID.e2b.app` on the real service.
// Used in-process by tests (`startE2BEmulator`) and standalone (`cli.ts`).
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import {
  ConnectFailure,
  decodeEnvelopes,
  encodeEnvelope,
  endStream,
  sendUnary,
  sendUnaryError,
  streamError
} from './connect.js'
import type { LatencyDraw } from './latency.js'
import { ownsListeningPort, processesInGroups } from './procfs.js'
import { resolveInterpreter } from '../../../src/sandbox/local/provider.js'

/** envd listens on this port inside every E2B sandbox; the SDK sends it as `E2b-Sandbox-Port` on daemon calls. */
export const ENVD_PORT = 49983
const HOME = '/home/user'
const TRAFFIC_TOKEN_HEADER = 'e2b-traffic-access-token'

export interface EmulatorTemplate {
  cpuCount: number
  memoryMB: number
  diskSizeMB: number
}

export interface E2BEmulatorOptions {
  apiKey: string
  /** 0 (default) picks a free port. */
  port?: number
  /** Reported envd version; at least 0.6 so the SDK enables stdin, closeStdin and octet-stream uploads. */
  envdVersion?: string
  /** Templates that exist; default `{ base: 2 vCPU, 512 MiB }` (E2B's default sandbox size). */
  templates?: Record<string, EmulatorTemplate>
  /** Server default lifetime when a create carries no timeout (E2B: 300 s). */
  defaultTimeoutSeconds?: number
  /** Longest lifetime accepted (E2B: 1 h Hobby, 24 h Pro). */
  maxTimeoutSeconds?: number
  /** Concurrent sandbox limit; over it creates get 429 like the real plan limit. Default unlimited. */
  maxConcurrent?: number
  log?: (line: string) => void
}

/** Fault switches; mutate them directly. Counters (`...Next`) decrement as faults are served. */
export interface EmulatorFaults {
  /** Answer the next N creates with 429 + `Retry-After: retryAfterSeconds`. */
  rateLimitNext: number
  retryAfterSeconds: number
  /** Answer the next N creates with 503. */
  busyNext: number
  /** Delay every accepted create by this long (slow placement). */
  createDelayMs: number
  /** Added latency per control-plane call, per envd call, per proxied peer request. */
  controlLatencyMs: number
  envdLatencyMs: number
  peerLatencyMs: number
  /**
   * Drawn latencies (`latencyDraw` in ./latency.ts) that replace the fixed ones above while set: `create` is the
   * whole time a create takes from its arrival (its control-plane latency included), the others one draw per
   * request. A draw is the round trip the caller sees: the emulator answers at once after it.
   */
  draws?: { create?: LatencyDraw; control?: LatencyDraw; envd?: LatencyDraw; peer?: LatencyDraw }
}

export interface EmulatorStats {
  live: number
  created: number
  killed: number
  expired: number
  createRequests: number
  rejected401: number
  rejected429: number
  rejected503: number
  /** Most sandboxes alive (or being created) at once. */
  peakLive: number
  /** Most create requests being served at once. */
  peakConcurrentCreates: number
  processesStarted: number
  peerRequests: number
  peerRejected: number
  envdRequests: number
  controlRequests: number
}

interface Subscriber {
  res: ServerResponse
  keepalive?: NodeJS.Timeout
}

interface EmuProcess {
  pid: number
  tag?: string
  config: { cmd: string; args: string[]; envs: Record<string, string>; cwd: string }
  child: ChildProcess
  stdin: boolean
  subscribers: Set<Subscriber>
  closed: boolean
  deadline?: NodeJS.Timeout
  /** The Connect-Timeout-Ms the Start call carried (undefined = no deadline). */
  deadlineMs?: number
  deadlineHit: boolean
}

interface EmuSandbox {
  id: string
  templateID: string
  template: EmulatorTemplate
  metadata: Record<string, string>
  envVars: Record<string, string>
  startedAt: Date
  endAt: Date
  envdAccessToken: string
  trafficAccessToken?: string
  network?: Record<string, unknown>
  allowInternetAccess?: boolean
  root: string
  hostHome: string
  processes: Map<number, EmuProcess>
  /** Process groups started here (one per command): what kill and metrics look at. */
  groups: Set<number>
  expiry?: NodeJS.Timeout
  cpuPrev: Map<number, number>
  cpuPrevAt: number
  portsSeen: Set<number>
}

const DEFAULT_TEMPLATES: Record<string, EmulatorTemplate> = {
  base: { cpuCount: 2, memoryMB: 512, diskSizeMB: 10_240 }
}

const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms))

/** The latency to add for one request: a draw when the fault switches carry one, else the fixed value. */
function latencyOf(faults: EmulatorFaults, kind: 'control' | 'envd' | 'peer'): number {
  const draw = faults.draws?.[kind]
  if (draw) return draw()
  return kind === 'control'
    ? faults.controlLatencyMs
    : kind === 'envd'
      ? faults.envdLatencyMs
      : faults.peerLatencyMs
}

function newId(len: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  const bytes = randomBytes(len)
  let out = ''
  for (const b of bytes) out += alphabet[b % alphabet.length]
  return out
}

function sameSecret(a: string | undefined, b: string): boolean {
  if (a === undefined) return false
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()]
  return Array.isArray(v) ? v[0] : v
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  extra: Record<string, string> = {}
): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  if (status === 204) {
    res.writeHead(204, extra)
    res.end()
    return
  }
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...extra
  })
  res.end(text)
}

const apiError = (res: ServerResponse, status: number, message: string, extra?: Record<string, string>) =>
  sendJson(res, status, { code: status, message }, extra)

/**
 * PATH inside a sandbox: the real Python's folder first, as in an E2B template where `python3` is a plain binary.
 * A version manager's shim (pyenv, on this project's machines) runs `pyenv rehash` after every `pip install`, and
 * sandboxes installing at once raced on its lock: pip then "exited 1" with nothing wrong in the install.
 */
function sandboxPath(): string {
  const host = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'
  const python = resolveInterpreter('python3')
  return python.includes('/') ? `${path.dirname(python)}:${host}` : host
}

/** Go's os.ProcessState.String() for a signal, which is what envd reports as `status`. */
const GO_SIGNAL_NAMES: Record<string, string> = {
  SIGKILL: 'killed',
  SIGTERM: 'terminated',
  SIGINT: 'interrupt',
  SIGHUP: 'hangup',
  SIGPIPE: 'broken pipe',
  SIGSEGV: 'segmentation fault',
  SIGABRT: 'aborted'
}

function dirSize(dir: string): number {
  let total = 0
  let entries: import('node:fs').Dirent[]
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return 0
  }
  for (const e of entries) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) total += dirSize(p)
    else if (e.isFile()) {
      try {
        total += statSync(p).size
      } catch {
        // removed while scanning
      }
    }
  }
  return total
}

export class E2BEmulator {
  readonly faults: EmulatorFaults = {
    rateLimitNext: 0,
    retryAfterSeconds: 1,
    busyNext: 0,
    createDelayMs: 0,
    controlLatencyMs: 0,
    envdLatencyMs: 0,
    peerLatencyMs: 0
  }
  private readonly server: http.Server
  private readonly sandboxes = new Map<string, EmuSandbox>()
  /** Why a sandbox id stopped existing, for clear 502/404 messages. */
  private readonly gone = new Map<string, 'killed' | 'expired'>()
  /** Every process group ever started, so tests can check nothing outlives its sandbox. */
  private readonly allGroups = new Set<number>()
  private readonly peerAgent = new http.Agent({ keepAlive: true, maxSockets: Infinity })
  private readonly opts: Required<Omit<E2BEmulatorOptions, 'port' | 'log' | 'maxConcurrent'>> & {
    maxConcurrent: number
  }
  private readonly log: (line: string) => void
  private readonly counters: EmulatorStats = {
    live: 0,
    created: 0,
    killed: 0,
    expired: 0,
    createRequests: 0,
    rejected401: 0,
    rejected429: 0,
    rejected503: 0,
    peakLive: 0,
    peakConcurrentCreates: 0,
    processesStarted: 0,
    peerRequests: 0,
    peerRejected: 0,
    envdRequests: 0,
    controlRequests: 0
  }
  private creating = 0
  private closed = false
  private baseUrl = ''

  constructor(options: E2BEmulatorOptions) {
    this.opts = {
      apiKey: options.apiKey,
      envdVersion: options.envdVersion ?? '0.6.4',
      templates: options.templates ?? DEFAULT_TEMPLATES,
      defaultTimeoutSeconds: options.defaultTimeoutSeconds ?? 300,
      maxTimeoutSeconds: options.maxTimeoutSeconds ?? 86_400,
      maxConcurrent: options.maxConcurrent ?? Infinity
    }
    this.log = options.log ?? (() => {})
    this.server = http.createServer(
      { keepAliveTimeout: 30_000, requestTimeout: 0, headersTimeout: 60_000 },
      (req, res) => {
        this.handle(req, res).catch((err: unknown) => {
          this.log(`emulator: internal error ${String(err)}`)
          if (!res.headersSent) apiError(res, 500, `emulator internal error: ${String(err)}`)
          else res.destroy()
        })
      }
    )
  }

  /** `http://127.0.0.1:PORT`: use it as both `apiUrl` and `sandboxUrl`. */
  get url(): string {
    return this.baseUrl
  }

  async listen(port = 0): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, '127.0.0.1', () => resolve())
    })
    const addr = this.server.address() as AddressInfo
    this.baseUrl = `http://127.0.0.1:${addr.port}`
  }

  stats(): EmulatorStats {
    return { ...this.counters, live: this.sandboxes.size }
  }

  sandboxIds(): string[] {
    return [...this.sandboxes.keys()]
  }

  /** Inspect one live sandbox (tests): metadata, lifetime, host directory, running process ids. */
  sandbox(id: string):
    | {
        id: string
        metadata: Record<string, string>
        endAt: Date
        root: string
        pids: number[]
        processes: { pid: number; args: string[]; stdin: boolean; deadlineMs?: number }[]
        restricted: boolean
      }
    | undefined {
    const sb = this.sandboxes.get(id)
    if (!sb) return undefined
    return {
      id,
      metadata: { ...sb.metadata },
      endAt: sb.endAt,
      root: sb.root,
      pids: [...sb.processes.values()].filter(p => !p.closed).map(p => p.pid),
      processes: [...sb.processes.values()]
        .filter(p => !p.closed)
        .map(p => ({ pid: p.pid, args: p.config.args, stdin: p.stdin, deadlineMs: p.deadlineMs })),
      restricted: sb.trafficAccessToken !== undefined
    }
  }

  /** Live OS processes started in any sandbox, alive or gone: must be empty once sandboxes are killed. */
  livePids(): number[] {
    return processesInGroups(this.allGroups).map(p => p.pid)
  }

  /** Fault: the sandbox reaches its end of life now (processes killed, daemon calls answer 502). */
  async expire(id: string): Promise<boolean> {
    const sb = this.sandboxes.get(id)
    if (!sb) return false
    await this.destroy(sb, 'expired')
    return true
  }

  /** Fault: the sandbox is killed now, as if by someone else (another job's sweep, the dashboard). */
  async kill(id: string): Promise<boolean> {
    const sb = this.sandboxes.get(id)
    if (!sb) return false
    await this.destroy(sb, 'killed')
    return true
  }

  /** Fault: break the open process streams of a sandbox (all, or one pid's) without ending the process. */
  dropStreams(id: string, pid?: number): number {
    const sb = this.sandboxes.get(id)
    if (!sb) return 0
    let dropped = 0
    for (const proc of sb.processes.values()) {
      if (pid !== undefined && proc.pid !== pid) continue
      for (const sub of proc.subscribers) {
        clearInterval(sub.keepalive)
        sub.res.destroy()
        dropped++
      }
      proc.subscribers.clear()
    }
    return dropped
  }

  /** Kill every sandbox (and its processes) and stop listening. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all([...this.sandboxes.values()].map(sb => this.destroy(sb, 'killed')))
    this.peerAgent.destroy()
    this.server.closeAllConnections()
    await new Promise<void>(resolve => this.server.close(() => resolve()))
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Routing

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const sandboxId = header(req, 'e2b-sandbox-id')
    if (sandboxId !== undefined) {
      const port = header(req, 'e2b-sandbox-port')
      if (port !== undefined && port !== String(ENVD_PORT)) return this.proxyPeer(req, res, sandboxId, port)
      return this.envd(req, res, sandboxId)
    }
    return this.control(req, res)
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Control plane (api.e2b.app)

  private async control(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.counters.controlRequests++
    const arrived = performance.now()
    const latency = latencyOf(this.faults, 'control')
    if (latency > 0) await sleep(latency)
    if (!sameSecret(header(req, 'x-api-key'), this.opts.apiKey)) {
      this.counters.rejected401++
      await readBody(req)
      // Never echo the key that was sent.
      return apiError(res, 401, 'Invalid API key, please visit https://e2b.dev/docs/api-key')
    }
    const url = new URL(req.url ?? '/', 'http://emulator')
    const parts = url.pathname.split('/').filter(Boolean)
    const method = req.method ?? 'GET'
    const body = await readBody(req)
    const json = (): Record<string, unknown> => {
      if (body.length === 0) return {}
      try {
        return JSON.parse(body.toString('utf8')) as Record<string, unknown>
      } catch {
        throw new BadRequest('request body is not valid JSON')
      }
    }
    try {
      if (method === 'POST' && url.pathname === '/v2/sandboxes')
        return await this.createSandbox(res, json(), arrived)
      if (method === 'GET' && url.pathname === '/v2/sandboxes') return this.listSandboxes(res, url)
      if (parts[0] === '_emulator') return await this.admin(res, method, parts.slice(1), json)
      if (method === 'POST' && parts[0] === 'v2' && parts[1] === 'sandboxes' && parts[3] === 'connect')
        return this.connectSandbox(res, parts[2], json())
      if (parts[0] === 'sandboxes' && parts.length >= 2) {
        const id = parts[1]
        if (parts.length === 2 && method === 'GET') return this.getSandbox(res, id)
        if (parts.length === 2 && method === 'DELETE') return await this.killSandbox(res, id)
        if (parts[2] === 'timeout' && method === 'POST') return this.setTimeoutRoute(res, id, json())
        if (parts[2] === 'metrics' && method === 'GET') return this.metrics(res, id)
      }
    } catch (err) {
      if (err instanceof BadRequest) return apiError(res, 400, err.message)
      throw err
    }
    return apiError(res, 404, `emulator: no route for ${method} ${url.pathname}`)
  }

  private async createSandbox(
    res: ServerResponse,
    body: Record<string, unknown>,
    arrived = performance.now()
  ): Promise<void> {
    this.counters.createRequests++
    if (this.faults.rateLimitNext > 0) {
      this.faults.rateLimitNext--
      this.counters.rejected429++
      return apiError(res, 429, 'Rate limit exceeded, please try again later', {
        'retry-after': String(this.faults.retryAfterSeconds)
      })
    }
    if (this.faults.busyNext > 0) {
      this.faults.busyNext--
      this.counters.rejected503++
      return apiError(res, 503, 'No capacity to place the sandbox right now, please retry')
    }
    if (this.sandboxes.size + this.creating >= this.opts.maxConcurrent) {
      this.counters.rejected429++
      return apiError(
        res,
        429,
        `You have reached the maximum number of concurrent E2B sandboxes (${this.opts.maxConcurrent})`
      )
    }
    const templateID = body.templateID
    if (typeof templateID !== 'string' || templateID === '') throw new BadRequest('templateID is required')
    const template = this.opts.templates[templateID]
    if (!template) return apiError(res, 404, `template '${templateID}' not found`)
    const timeout = body.timeout ?? this.opts.defaultTimeoutSeconds
    if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 0)
      throw new BadRequest('timeout must be a non-negative integer (seconds)')
    if (timeout > this.opts.maxTimeoutSeconds)
      throw new BadRequest(`Timeout cannot be greater than ${this.opts.maxTimeoutSeconds} seconds`)
    const metadata = (body.metadata ?? {}) as Record<string, string>
    const envVars = (body.envVars ?? {}) as Record<string, string>
    for (const [k, v] of Object.entries({ ...metadata, ...envVars }))
      if (typeof v !== 'string') throw new BadRequest(`metadata/envVars value for '${k}' must be a string`)
    const network = body.network as Record<string, unknown> | undefined
    // `allowPublicTraffic` defaults to true: only an explicit false restricts the sandbox URLs.
    const restricted = network?.allowPublicTraffic === false

    this.creating++
    this.counters.peakConcurrentCreates = Math.max(this.counters.peakConcurrentCreates, this.creating)
    this.counters.peakLive = Math.max(this.counters.peakLive, this.sandboxes.size + this.creating)
    try {
      const draw = this.faults.draws?.create
      // A drawn creation time counts from the request's arrival: the control latency already slept is part of it.
      const delay = draw ? draw() - (performance.now() - arrived) : this.faults.createDelayMs
      if (delay > 0) await sleep(delay)
      if (this.closed) return apiError(res, 503, 'emulator is shutting down')
      const id = newId(20)
      const root = mkdtempSync(path.join(tmpdir(), `e2b-emu-${id}-`))
      const hostHome = path.join(root, HOME)
      mkdirSync(hostHome, { recursive: true })
      // `commands.run` always goes through `bash -l`, whose /etc/profile resets PATH; the template image's
      // profile puts the tools back, as E2B's base image does.
      writeFileSync(path.join(hostHome, '.bash_profile'), `export PATH=${shellQuote(sandboxPath())}\n`)
      const now = new Date()
      const sb: EmuSandbox = {
        id,
        templateID,
        template,
        metadata: { ...metadata },
        envVars: { ...envVars },
        startedAt: now,
        endAt: new Date(now.getTime() + timeout * 1000),
        envdAccessToken: newId(32),
        trafficAccessToken: restricted ? newId(32) : undefined,
        network,
        allowInternetAccess:
          typeof body.allow_internet_access === 'boolean' ? body.allow_internet_access : undefined,
        root,
        hostHome,
        processes: new Map(),
        groups: new Set(),
        cpuPrev: new Map(),
        cpuPrevAt: performance.now(),
        portsSeen: new Set()
      }
      this.sandboxes.set(id, sb)
      this.armExpiry(sb)
      this.counters.created++
      this.log(`emulator: created ${id} (${templateID}, ${timeout}s)`)
      return sendJson(res, 201, {
        sandboxID: id,
        templateID,
        clientID: 'emulator',
        envdVersion: this.opts.envdVersion,
        envdAccessToken: sb.envdAccessToken,
        trafficAccessToken: sb.trafficAccessToken ?? null,
        domain: null
      })
    } finally {
      this.creating--
    }
  }

  private armExpiry(sb: EmuSandbox): void {
    clearTimeout(sb.expiry)
    const ms = Math.max(0, sb.endAt.getTime() - Date.now())
    sb.expiry = setTimeout(() => void this.destroy(sb, 'expired'), ms)
    sb.expiry.unref()
  }

  private listed(sb: EmuSandbox) {
    return {
      sandboxID: sb.id,
      templateID: sb.templateID,
      alias: sb.templateID,
      clientID: 'emulator',
      startedAt: sb.startedAt.toISOString(),
      endAt: sb.endAt.toISOString(),
      cpuCount: sb.template.cpuCount,
      memoryMB: sb.template.memoryMB,
      diskSizeMB: sb.template.diskSizeMB,
      metadata: sb.metadata,
      state: 'running',
      envdVersion: this.opts.envdVersion
    }
  }

  private listSandboxes(res: ServerResponse, url: URL): void {
    // The SDK sends `metadata` as an urlencoded `k=v&k2=v2` string whose keys and values were
    // encodeURIComponent'ed first (so the value is encoded twice on the wire).
    const filter: [string, string][] = []
    const rawMeta = url.searchParams.get('metadata')
    if (rawMeta) {
      for (const [k, v] of new URLSearchParams(rawMeta))
        filter.push([decodeURIComponent(k), decodeURIComponent(v)])
    }
    const states = (url.searchParams.get('state') ?? 'running,paused').split(',')
    const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 100) || 100, 1), 100)
    const token = url.searchParams.get('nextToken')
    const offset = token ? Number(Buffer.from(token, 'base64url').toString('utf8')) || 0 : 0
    const all = [...this.sandboxes.values()]
      .filter(() => states.includes('running'))
      .filter(sb => filter.every(([k, v]) => sb.metadata[k] === v))
      .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || a.id.localeCompare(b.id))
    const page = all.slice(offset, offset + limit)
    const extra: Record<string, string> = {}
    if (offset + limit < all.length)
      extra['x-next-token'] = Buffer.from(String(offset + limit)).toString('base64url')
    sendJson(
      res,
      200,
      page.map(sb => this.listed(sb)),
      extra
    )
  }

  private notFound(res: ServerResponse, id: string): void {
    const why = this.gone.get(id)
    apiError(
      res,
      404,
      why ? `sandbox "${id}" was ${why}` : `sandbox "${id}" doesn't exist or you don't have access to it`
    )
  }

  private getSandbox(res: ServerResponse, id: string): void {
    const sb = this.sandboxes.get(id)
    if (!sb) return this.notFound(res, id)
    sendJson(res, 200, {
      ...this.listed(sb),
      envdAccessToken: sb.envdAccessToken,
      domain: null,
      allowInternetAccess: sb.allowInternetAccess ?? null,
      ...(sb.network ? { network: sb.network } : {}),
      lifecycle: { onTimeout: 'kill', autoResume: false }
    })
  }

  private async killSandbox(res: ServerResponse, id: string): Promise<void> {
    const sb = this.sandboxes.get(id)
    if (!sb) return this.notFound(res, id)
    await this.destroy(sb, 'killed')
    sendJson(res, 204, undefined)
  }

  private setTimeoutRoute(res: ServerResponse, id: string, body: Record<string, unknown>): void {
    const sb = this.sandboxes.get(id)
    if (!sb) return this.notFound(res, id)
    const t = body.timeout
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 0)
      throw new BadRequest('timeout must be an integer')
    if (t > this.opts.maxTimeoutSeconds)
      throw new BadRequest(`Timeout cannot be greater than ${this.opts.maxTimeoutSeconds} seconds`)
    sb.endAt = new Date(Date.now() + t * 1000)
    this.armExpiry(sb)
    sendJson(res, 204, undefined)
  }

  private connectSandbox(res: ServerResponse, id: string, body: Record<string, unknown>): void {
    const sb = this.sandboxes.get(id)
    if (!sb) return this.notFound(res, id)
    const t = body.timeout
    // For a running sandbox, connect only ever extends the lifetime.
    if (typeof t === 'number' && Date.now() + t * 1000 > sb.endAt.getTime()) {
      sb.endAt = new Date(Date.now() + t * 1000)
      this.armExpiry(sb)
    }
    sendJson(res, 200, {
      sandboxID: sb.id,
      templateID: sb.templateID,
      clientID: 'emulator',
      envdVersion: this.opts.envdVersion,
      envdAccessToken: sb.envdAccessToken,
      trafficAccessToken: sb.trafficAccessToken ?? null,
      domain: null
    })
  }

  /** One fresh sample measured from /proc: CPU over the interval since the previous sample, RSS, disk. */
  private metrics(res: ServerResponse, id: string): void {
    const sb = this.sandboxes.get(id)
    if (!sb) return this.notFound(res, id)
    const procs = processesInGroups(sb.groups)
    const now = performance.now()
    let cpuDelta = 0
    const next = new Map<number, number>()
    for (const p of procs) {
      cpuDelta += Math.max(0, p.cpuSeconds - (sb.cpuPrev.get(p.pid) ?? 0))
      next.set(p.pid, p.cpuSeconds)
    }
    const wallS = Math.max((now - sb.cpuPrevAt) / 1000, 1e-3)
    sb.cpuPrev = next
    sb.cpuPrevAt = now
    const at = new Date()
    sendJson(res, 200, [
      {
        timestamp: at.toISOString(),
        timestampUnix: Math.floor(at.getTime() / 1000),
        cpuCount: sb.template.cpuCount,
        cpuUsedPct: Math.min(100, (cpuDelta / (wallS * sb.template.cpuCount)) * 100),
        memUsed: procs.reduce((s, p) => s + p.rssBytes, 0),
        memTotal: sb.template.memoryMB * 1024 * 1024,
        memCache: 0,
        diskUsed: dirSize(sb.root),
        diskTotal: sb.template.diskSizeMB * 1024 * 1024
      }
    ])
  }

  /** Admin routes for standalone use (same API key): state, faults, expire, drop streams. */
  private async admin(
    res: ServerResponse,
    method: string,
    parts: string[],
    json: () => Record<string, unknown>
  ): Promise<void> {
    if (method === 'GET' && parts[0] === 'state')
      return sendJson(res, 200, { stats: this.stats(), faults: this.faults, sandboxes: this.sandboxIds() })
    if (method === 'POST' && parts[0] === 'faults') {
      const patch = json()
      for (const key of Object.keys(this.faults) as (keyof EmulatorFaults)[]) {
        const v = patch[key]
        if (typeof v === 'number' && Number.isFinite(v) && v >= 0) this.faults[key] = v
      }
      return sendJson(res, 200, this.faults)
    }
    if (method === 'POST' && parts[0] === 'sandboxes' && parts[2] === 'expire')
      return sendJson(res, 200, { expired: await this.expire(parts[1]) })
    if (method === 'POST' && parts[0] === 'sandboxes' && parts[2] === 'drop-streams')
      return sendJson(res, 200, { dropped: this.dropStreams(parts[1]) })
    return apiError(res, 404, 'emulator: unknown admin route')
  }

  /** Kill a sandbox: break its streams (the VM is gone), kill its process groups, wait for them, remove files. */
  private async destroy(sb: EmuSandbox, why: 'killed' | 'expired'): Promise<void> {
    if (!this.sandboxes.has(sb.id)) return
    this.sandboxes.delete(sb.id)
    this.gone.set(sb.id, why)
    clearTimeout(sb.expiry)
    for (const proc of sb.processes.values()) {
      clearTimeout(proc.deadline)
      for (const sub of proc.subscribers) {
        clearInterval(sub.keepalive)
        sub.res.destroy()
      }
      proc.subscribers.clear()
    }
    for (const g of sb.groups) killGroup(g, 'SIGKILL')
    const until = Date.now() + 5000
    while (Date.now() < until) {
      const exited = [...sb.processes.values()].every(p => p.closed)
      if (exited && processesInGroups(sb.groups).length === 0) break
      await sleep(10)
    }
    rmSync(sb.root, { recursive: true, force: true })
    if (why === 'killed') this.counters.killed++
    else this.counters.expired++
    this.log(`emulator: ${why} ${sb.id}`)
  }

  // ---------------------------------------------------------------------------------------------------------------
  // envd (the daemon inside each sandbox)

  private async envd(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    this.counters.envdRequests++
    const latency = latencyOf(this.faults, 'envd')
    if (latency > 0) await sleep(latency)
    const sb = this.sandboxes.get(id)
    if (!sb) {
      await readBody(req)
      // What E2B's edge answers for a sandbox that is gone; the SDK maps 502 to a TimeoutError.
      const why = this.gone.get(id)
      return apiError(res, 502, why ? `The sandbox ${id} was ${why}` : `The sandbox ${id} was not found`)
    }
    if (!sameSecret(header(req, 'x-access-token'), sb.envdAccessToken)) {
      await readBody(req)
      return apiError(res, 401, 'invalid access token')
    }
    const url = new URL(req.url ?? '/', 'http://envd')
    const method = req.method ?? 'GET'
    if (url.pathname === '/health' && method === 'GET') {
      await readBody(req)
      return sendJson(res, 204, undefined)
    }
    if (url.pathname === '/files') {
      if (method === 'GET') return this.readFile(req, res, sb, url)
      if (method === 'POST') return this.writeFiles(req, res, sb, url)
    }
    if (url.pathname.startsWith('/process.Process/') && method === 'POST') {
      const rpc = url.pathname.slice('/process.Process/'.length)
      return this.processRpc(req, res, sb, rpc)
    }
    await readBody(req)
    return apiError(res, 404, `emulator envd: no route for ${method} ${url.pathname}`)
  }

  /** Sandbox path → host path; relative paths are relative to the user's home, `..` cannot leave the root. */
  private hostPath(sb: EmuSandbox, p: string): { abs: string; host: string } {
    const abs = path.posix.resolve(HOME, p)
    return { abs, host: path.join(sb.root, abs) }
  }

  private async readFile(req: IncomingMessage, res: ServerResponse, sb: EmuSandbox, url: URL): Promise<void> {
    await readBody(req)
    const p = url.searchParams.get('path')
    if (!p) return apiError(res, 400, 'path is required')
    const { abs, host } = this.hostPath(sb, p)
    let data: Buffer
    try {
      data = readFileSync(host)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT') return apiError(res, 404, `path '${abs}' does not exist`)
      if (code === 'EISDIR') return apiError(res, 400, `path '${abs}' is a directory`)
      throw err
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': data.length,
      'content-disposition': `attachment; filename="${path.posix.basename(abs)}"`
    })
    res.end(data)
  }

  private async writeFiles(
    req: IncomingMessage,
    res: ServerResponse,
    sb: EmuSandbox,
    url: URL
  ): Promise<void> {
    const body = await readBody(req)
    const ct = header(req, 'content-type') ?? ''
    const queryPath = url.searchParams.get('path')
    const items: { target: string; data: Buffer }[] = []
    if (ct.startsWith('multipart/form-data')) {
      const form = await new Response(body, { headers: { 'content-type': ct } }).formData()
      for (const [field, value] of form.entries()) {
        if (field !== 'file' || typeof value === 'string') continue
        // With several parts, each part's filename is its path; a single upload may name it in the query.
        const target = queryPath ?? value.name
        items.push({ target, data: Buffer.from(await value.arrayBuffer()) })
      }
    } else if (ct.startsWith('application/octet-stream')) {
      if (!queryPath) return apiError(res, 400, 'path is required for octet-stream uploads')
      const gz = (header(req, 'content-encoding') ?? '').toLowerCase() === 'gzip'
      items.push({ target: queryPath, data: gz ? gunzipSync(body) : body })
    } else {
      return apiError(res, 400, `unsupported content type '${ct}'`)
    }
    if (items.length === 0) return apiError(res, 400, 'no file in the upload')
    const out: { path: string; name: string; type: 'file' }[] = []
    for (const item of items) {
      const { abs, host } = this.hostPath(sb, item.target)
      mkdirSync(path.dirname(host), { recursive: true })
      writeFileSync(host, item.data)
      out.push({ path: abs, name: path.posix.basename(abs), type: 'file' })
    }
    sendJson(res, 200, out)
  }

  private async processRpc(
    req: IncomingMessage,
    res: ServerResponse,
    sb: EmuSandbox,
    rpc: string
  ): Promise<void> {
    const body = await readBody(req)
    const streaming = rpc === 'Start' || rpc === 'Connect'
    let msg: Record<string, unknown>
    try {
      if (streaming) {
        const frames = decodeEnvelopes(body)
        if (frames.length !== 1)
          throw new ConnectFailure('invalid_argument', 'expected exactly one request message')
        msg = frames[0].json as Record<string, unknown>
      } else {
        msg = (body.length ? JSON.parse(body.toString('utf8')) : {}) as Record<string, unknown>
      }
    } catch (err) {
      const f =
        err instanceof ConnectFailure ? err : new ConnectFailure('invalid_argument', 'malformed request')
      return streaming ? streamError(res, f.code, f.message) : sendUnaryError(res, f.code, f.message)
    }
    try {
      switch (rpc) {
        case 'Start':
          return this.startProcess(req, res, sb, msg)
        case 'Connect':
          return this.connectProcess(req, res, sb, msg)
        case 'SendInput': {
          const proc = this.selectProcess(sb, msg)
          if (!proc.stdin || !proc.child.stdin || proc.child.stdin.destroyed)
            throw new ConnectFailure('failed_precondition', `stdin of process ${proc.pid} is not open`)
          const input = (msg.input ?? {}) as { stdin?: string; pty?: string }
          const data = Buffer.from(input.stdin ?? input.pty ?? '', 'base64')
          await new Promise<void>((resolve, reject) =>
            proc.child.stdin!.write(data, err => (err ? reject(err) : resolve()))
          ).catch((err: unknown) => {
            throw new ConnectFailure('failed_precondition', `writing stdin failed: ${String(err)}`)
          })
          return sendUnary(res, {})
        }
        case 'CloseStdin': {
          const proc = this.selectProcess(sb, msg)
          proc.child.stdin?.end()
          return sendUnary(res, {})
        }
        case 'SendSignal': {
          const proc = this.selectProcess(sb, msg)
          const sig = msg.signal === 'SIGNAL_SIGTERM' || msg.signal === 15 ? 'SIGTERM' : 'SIGKILL'
          killGroup(proc.pid, sig)
          return sendUnary(res, {})
        }
        case 'List':
          return sendUnary(res, {
            processes: [...sb.processes.values()]
              .filter(p => !p.closed)
              .map(p => ({
                config: { cmd: p.config.cmd, args: p.config.args, envs: p.config.envs, cwd: p.config.cwd },
                pid: p.pid,
                ...(p.tag ? { tag: p.tag } : {})
              }))
          })
        default:
          throw new ConnectFailure('unimplemented', `process.Process/${rpc} is not emulated`)
      }
    } catch (err) {
      if (!(err instanceof ConnectFailure)) throw err
      return streaming ? streamError(res, err.code, err.message) : sendUnaryError(res, err.code, err.message)
    }
  }

  private selectProcess(sb: EmuSandbox, msg: Record<string, unknown>): EmuProcess {
    const sel = (msg.process ?? {}) as { pid?: number; tag?: string }
    for (const p of sb.processes.values()) {
      if (p.closed) continue
      if (sel.pid !== undefined && p.pid === Number(sel.pid)) return p
      if (sel.tag !== undefined && p.tag === sel.tag) return p
    }
    throw new ConnectFailure('not_found', `process ${sel.pid ?? sel.tag ?? '?'} not found`)
  }

  private openStream(req: IncomingMessage, res: ServerResponse, proc: EmuProcess): Subscriber {
    res.writeHead(200, { 'content-type': 'application/connect+json' })
    const sub: Subscriber = { res }
    const interval = Number(header(req, 'keepalive-ping-interval'))
    if (Number.isFinite(interval) && interval > 0) {
      sub.keepalive = setInterval(() => {
        if (!res.destroyed) res.write(encodeEnvelope(0, { event: { keepalive: {} } }))
      }, interval * 1000)
      sub.keepalive.unref()
    }
    proc.subscribers.add(sub)
    res.on('close', () => {
      clearInterval(sub.keepalive)
      proc.subscribers.delete(sub)
    })
    return sub
  }

  private broadcast(proc: EmuProcess, event: unknown): boolean {
    let drained = true
    const frame = encodeEnvelope(0, { event })
    for (const sub of proc.subscribers) {
      if (sub.res.destroyed || sub.res.writableEnded) continue
      if (!sub.res.write(frame)) drained = false
    }
    return drained
  }

  private startProcess(
    req: IncomingMessage,
    res: ServerResponse,
    sb: EmuSandbox,
    msg: Record<string, unknown>
  ): void {
    const cfg = (msg.process ?? {}) as {
      cmd?: string
      args?: string[]
      envs?: Record<string, string>
      cwd?: string
    }
    if (!cfg.cmd) return streamError(res, 'invalid_argument', 'process.cmd is required')
    const { abs: cwd, host: hostCwd } = this.hostPath(sb, cfg.cwd ?? HOME)
    try {
      if (!statSync(hostCwd).isDirectory()) throw new Error('not a directory')
    } catch {
      return streamError(res, 'invalid_argument', `cwd '${cwd}' does not exist or is not a directory`)
    }
    // Absolute /home/user paths inside the command line point into this sandbox's home.
    const mapHome = (s: string) => s.split(HOME).join(sb.hostHome)
    const envs = cfg.envs ?? {}
    const env: Record<string, string> = {
      PATH: sandboxPath(),
      HOME: sb.hostHome,
      USER: 'user',
      LANG: 'C.UTF-8',
      E2B_SANDBOX: 'true',
      E2B_SANDBOX_ID: sb.id
    }
    for (const [k, v] of Object.entries({ ...sb.envVars, ...envs })) env[k] = mapHome(v)
    const stdin = msg.stdin === true
    let child: ChildProcess
    try {
      child = spawn(
        mapHome(cfg.cmd),
        (cfg.args ?? []).map(a => mapHome(a)),
        // Its own process group, so kill reaches everything the command forks.
        { cwd: hostCwd, env, detached: true, stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] }
      )
    } catch (err) {
      return streamError(res, 'internal', `failed to start: ${String(err)}`)
    }
    const spawnFailed = (err: Error) => {
      if (child.pid === undefined) streamError(res, 'internal', `failed to start process: ${err.message}`)
    }
    child.once('error', spawnFailed)
    child.stdin?.on('error', () => {}) // EPIPE after the process exits is not our crash
    child.once('spawn', () => {
      const pid = child.pid!
      this.counters.processesStarted++
      sb.groups.add(pid)
      this.allGroups.add(pid)
      const proc: EmuProcess = {
        pid,
        tag: typeof msg.tag === 'string' ? msg.tag : undefined,
        config: { cmd: cfg.cmd!, args: cfg.args ?? [], envs, cwd },
        child,
        stdin,
        subscribers: new Set(),
        closed: false,
        deadlineHit: false
      }
      sb.processes.set(pid, proc)
      const started = this.openStream(req, res, proc)
      started.res.write(encodeEnvelope(0, { event: { start: { pid } } }))
      // Connect-Timeout-Ms on Start is the process deadline: envd kills the command when it passes.
      const deadlineMs = Number(header(req, 'connect-timeout-ms'))
      if (Number.isFinite(deadlineMs) && deadlineMs > 0) {
        proc.deadlineMs = deadlineMs
        proc.deadline = setTimeout(() => {
          proc.deadlineHit = true
          killGroup(pid, 'SIGKILL')
        }, deadlineMs)
        proc.deadline.unref()
      }
      const pump = (stream: NodeJS.ReadableStream, key: 'stdout' | 'stderr') => {
        stream.on('data', (chunk: Buffer) => {
          if (!this.broadcast(proc, { data: { [key]: chunk.toString('base64') } })) {
            // Backpressure: hold the pipe until every open stream has drained.
            stream.pause()
            const waiting = [...proc.subscribers].filter(s => s.res.writableNeedDrain)
            let left = waiting.length
            if (left === 0) stream.resume()
            for (const s of waiting)
              s.res.once('drain', () => {
                if (--left === 0) stream.resume()
              })
            for (const s of waiting)
              s.res.once('close', () => {
                if (--left === 0) stream.resume()
              })
          }
        })
      }
      pump(child.stdout!, 'stdout')
      pump(child.stderr!, 'stderr')
      child.once('close', (code, signal) => {
        proc.closed = true
        clearTimeout(proc.deadline)
        const end = signal
          ? { exitCode: -1, exited: false, status: `signal: ${GO_SIGNAL_NAMES[signal] ?? signal}` }
          : { exitCode: code ?? -1, exited: true, status: `exit status ${code ?? -1}` }
        this.broadcast(proc, { end })
        for (const sub of proc.subscribers) {
          clearInterval(sub.keepalive)
          endStream(
            sub.res,
            proc.deadlineHit
              ? { code: 'deadline_exceeded', message: 'the process deadline passed' }
              : undefined
          )
        }
        proc.subscribers.clear()
      })
    })
  }

  private connectProcess(
    req: IncomingMessage,
    res: ServerResponse,
    sb: EmuSandbox,
    msg: Record<string, unknown>
  ): void {
    const proc = this.selectProcess(sb, msg)
    const sub = this.openStream(req, res, proc)
    sub.res.write(encodeEnvelope(0, { event: { start: { pid: proc.pid } } }))
    // On Connect the deadline only bounds this stream, not the process.
    const deadlineMs = Number(header(req, 'connect-timeout-ms'))
    if (Number.isFinite(deadlineMs) && deadlineMs > 0) {
      const t = setTimeout(() => {
        proc.subscribers.delete(sub)
        clearInterval(sub.keepalive)
        endStream(res, { code: 'deadline_exceeded', message: 'stream deadline passed' })
      }, deadlineMs)
      t.unref()
      res.on('close', () => clearTimeout(t))
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Peer routing: `https://PORT-ID.e2b.app` → the sandbox process listening on PORT

  private async proxyPeer(
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
    portRaw: string
  ): Promise<void> {
    this.counters.peerRequests++
    const reject = async (status: number, message: string) => {
      this.counters.peerRejected++
      await readBody(req)
      apiError(res, status, message)
    }
    const port = Number(portRaw)
    if (!Number.isInteger(port) || port < 1 || port > 65_535) return reject(400, `invalid port '${portRaw}'`)
    const sb = this.sandboxes.get(id)
    if (!sb) return reject(502, `The sandbox ${id} was ${this.gone.get(id) ?? 'not found'}`)
    if (
      sb.trafficAccessToken !== undefined &&
      !sameSecret(header(req, TRAFFIC_TOKEN_HEADER), sb.trafficAccessToken)
    )
      return reject(403, `sandbox ${id} requires the ${TRAFFIC_TOKEN_HEADER} header`)
    // Only ports opened by this sandbox's own processes are reachable through its host name.
    if (!sb.portsSeen.has(port)) {
      const pids = processesInGroups(sb.groups).map(p => p.pid)
      if (!ownsListeningPort(pids, port))
        return reject(502, `The sandbox ${id} is running but there is no service running on port ${port}`)
      sb.portsSeen.add(port)
    }
    const latency = latencyOf(this.faults, 'peer')
    if (latency > 0) await sleep(latency)
    const headers: http.OutgoingHttpHeaders = {}
    for (const [k, v] of Object.entries(req.headers)) {
      if (HOP_BY_HOP.has(k) || k === TRAFFIC_TOKEN_HEADER) continue
      headers[k] = v
    }
    const upstream = http.request({
      host: '127.0.0.1',
      port,
      method: req.method,
      path: req.url,
      headers,
      agent: this.peerAgent
    })
    upstream.on('response', ures => {
      const out: http.OutgoingHttpHeaders = {}
      for (const [k, v] of Object.entries(ures.headers)) if (!HOP_BY_HOP.has(k)) out[k] = v
      res.writeHead(ures.statusCode ?? 502, out)
      ures.pipe(res)
      ures.on('error', () => res.destroy())
    })
    upstream.on('error', err => {
      sb.portsSeen.delete(port)
      if (!res.headersSent) {
        this.counters.peerRejected++
        apiError(res, 502, `The sandbox ${id} is running but port ${port} did not answer: ${err.message}`)
      } else res.destroy()
    })
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy()
    })
    req.pipe(upstream)
  }
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'proxy-authorization',
  'proxy-authenticate'
])

class BadRequest extends Error {}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal)
  } catch {
    // already gone
  }
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`
}

/** Start an emulator on 127.0.0.1 (port 0 = any free port). Always `close()` it. */
export async function startE2BEmulator(options: E2BEmulatorOptions): Promise<E2BEmulator> {
  const emu = new E2BEmulator(options)
  await emu.listen(options.port ?? 0)
  return emu
}
