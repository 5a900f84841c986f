// One HTTP server on 127.0.0.1 that plays GitHub for the action: the REST API, the Actions results service
// (Twirp) and the blob store, plus fault switches and seeding helpers for tests. State is in memory and public.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createState,
  type FakeArtifact,
  type FakeComment,
  type FakeIssueEvent,
  type FakeFault,
  type FakeGitHubState,
  type FakeRepo,
  type FakeRun,
  type FaultKind,
  type RequestRecord
} from './state.js'
import { handleBlob, newBlob } from './blob.js'
import { handleRest } from './rest.js'
import { handleTwirp, sendTwirpError, TWIRP_PREFIX } from './twirp.js'
import { craftRuntimeToken } from './token.js'
import { makeZip } from './zip.js'
import { readBody, sendJson } from './http.js'

export interface FakeGitHubOptions {
  host?: string
  /** 0 (default) picks a free port. */
  port?: number
  /** The repository created at start, `owner/name`. */
  repo?: string
  defaultBranch?: string
  /** A REST token with write access (what `GITHUB_TOKEN` is on a same-repo pull request). */
  token?: string
  /** A REST token that may only read (what `GITHUB_TOKEN` is on a fork pull request). */
  readOnlyToken?: string
  /** First path segment of blob URLs (the storage account). */
  account?: string
}

export interface AddRunOptions {
  repo?: string
  workflowId?: number
  workflowPath?: string
  name?: string
  headBranch?: string
  headSha?: string
  event?: string
  status?: FakeRun['status']
  conclusion?: FakeRun['conclusion']
  createdAt?: string
  pullRequests?: number[]
}

export interface AddArtifactOptions {
  runId: number
  name: string
  /** Files zipped into the artifact (path inside the archive → content). */
  files: Record<string, string | Buffer>
  /** Listed with `expired: true`, download answers 410 and the blob is gone. */
  expired?: boolean
  createdAt?: string
  expiresAt?: string
}

export interface FaultOptions {
  method?: string
  path: string | RegExp
  kind: FaultKind
  status?: number
  /** Answer this many matching requests, then behave normally (default: until cleared). */
  times?: number
}

export const DEFAULT_REPO = 'octo-org/swarm-bench'
export const DEFAULT_WORKFLOW_ID = 4242
export const DEFAULT_WORKFLOW_PATH = '.github/workflows/benchmark.yml'

const FAULT_STATUS: Record<FaultKind, number> = {
  forbidden: 403,
  'rate-limit': 403,
  'rate-limit-429': 429,
  'server-error': 502,
  'not-found': 404
}

export class FakeGitHub {
  readonly state: FakeGitHubState
  readonly url: string
  readonly port: number
  readonly token: string
  readonly readOnlyToken: string
  /** The repository created at start, `owner/name`. */
  readonly repo: string
  readonly account: string
  private clock = Date.now() - 7 * 86400_000

  private constructor(
    private readonly server: Server,
    state: FakeGitHubState,
    opts: Required<FakeGitHubOptions>,
    port: number
  ) {
    this.state = state
    this.port = port
    this.url = `http://${opts.host}:${port}`
    this.token = opts.token
    this.readOnlyToken = opts.readOnlyToken
    this.repo = opts.repo
    this.account = opts.account
  }

  static async start(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
    const opts: Required<FakeGitHubOptions> = {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      repo: options.repo ?? DEFAULT_REPO,
      defaultBranch: options.defaultBranch ?? 'main',
      token: options.token ?? 'ghs_fakeWriteToken0000000000000000000000',
      readOnlyToken: options.readOnlyToken ?? 'ghs_fakeReadOnlyToken000000000000000000',
      account: options.account ?? 'fakeresults'
    }
    const state = createState(randomBytes(32))
    // The instance needs the bound port, the server needs the instance: late-bind through a holder.
    const holder: { gh?: FakeGitHub } = {}
    const server = createServer((req, res) => {
      if (!holder.gh) return res.destroy()
      holder.gh.handle(req, res).catch(err => {
        if (!res.headersSent) sendJson(res, 500, { message: `fake-github: ${String(err)}` })
        else res.destroy()
      })
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(opts.port, opts.host, () => resolve())
    })
    const port = (server.address() as AddressInfo).port
    const gh = new FakeGitHub(server, state, opts, port)
    gh.addToken(opts.token, 'write')
    gh.addToken(opts.readOnlyToken, 'read')
    gh.addRepo(opts.repo, { defaultBranch: opts.defaultBranch })
    holder.gh = gh
    return gh
  }

  async close(): Promise<void> {
    const closed = new Promise<void>(resolve => this.server.close(() => resolve()))
    // Clients keep connections alive; without this, close() waits for their idle timeout.
    this.server.closeAllConnections()
    await closed
  }

  // ---- seeding -------------------------------------------------------------------------------------------------

  addRepo(full: string, opts: { defaultBranch?: string; private?: boolean } = {}): FakeRepo {
    const [owner, name] = full.split('/')
    if (!owner || !name) throw new Error(`repo must be owner/name, got ${full}`)
    const repo: FakeRepo = {
      id: ++this.state.seq.repo,
      owner,
      name,
      defaultBranch: opts.defaultBranch ?? 'main',
      private: opts.private ?? false
    }
    this.state.repos.set(full, repo)
    return repo
  }

  addToken(token: string, access: 'write' | 'read'): void {
    this.state.tokens.set(token, access)
  }

  /** Adds a workflow run; each call is one minute newer than the previous unless `createdAt` is given. */
  addRun(opts: AddRunOptions = {}): FakeRun {
    this.clock += 60_000
    const run: FakeRun = {
      id: ++this.state.seq.run,
      repo: opts.repo ?? this.repo,
      workflowId: opts.workflowId ?? DEFAULT_WORKFLOW_ID,
      workflowPath: opts.workflowPath ?? DEFAULT_WORKFLOW_PATH,
      name: opts.name ?? 'benchmark',
      headBranch: opts.headBranch ?? 'main',
      headSha: opts.headSha ?? randomBytes(20).toString('hex'),
      event: opts.event ?? 'push',
      status: opts.status ?? 'completed',
      conclusion: opts.conclusion === undefined ? 'success' : opts.conclusion,
      runNumber: ++this.state.seq.runNumber,
      runAttempt: 1,
      createdAt: opts.createdAt ?? new Date(this.clock).toISOString(),
      backendId: randomUUID(),
      pullRequests: opts.pullRequests ?? []
    }
    this.state.runs.push(run)
    return run
  }

  /** Seeds a finalized artifact (a real zip in the blob store), as if `runId` had uploaded it. */
  addArtifact(opts: AddArtifactOptions): FakeArtifact {
    const run = this.runById(opts.runId)
    const zip = makeZip(opts.files)
    const createdAt = opts.createdAt ?? new Date(Date.parse(run.createdAt) + 30_000).toISOString()
    const expiresAt =
      opts.expiresAt ??
      (opts.expired
        ? new Date(Date.now() - 86400_000).toISOString()
        : new Date(Date.parse(createdAt) + 90 * 86400_000).toISOString())
    const id = ++this.state.seq.artifact
    const blobPath = `/${this.account}/actions-results/${run.backendId}/seeded-${id}/${encodeURIComponent(opts.name)}.zip`
    if (!opts.expired) this.state.blobs.set(blobPath, newBlob(zip, 'application/zip', true))
    const artifact: FakeArtifact = {
      id,
      repo: run.repo,
      runId: run.id,
      backendRunId: run.backendId,
      backendJobId: `seeded-${id}`,
      name: opts.name,
      blobPath,
      size: zip.length,
      digest: `sha256:${createHash('sha256').update(zip).digest('hex')}`,
      mimeType: 'application/zip',
      createdAt,
      expiresAt,
      finalized: true,
      expired: opts.expired ?? false
    }
    this.state.artifacts.push(artifact)
    return artifact
  }

  /** Marks an artifact expired and drops its blob, like GitHub's retention sweep. */
  expireArtifact(id: number): void {
    const a = this.state.artifacts.find(x => x.id === id)
    if (!a) throw new Error(`no artifact ${id}`)
    a.expired = true
    a.expiresAt = new Date(Date.now() - 1000).toISOString()
    this.state.blobs.delete(a.blobPath)
  }

  /** A runtime token for `runId` that the results service accepts (unsigned JWT with the `scp` claim). */
  runtimeToken(runId: number, jobBackendId: string = randomUUID()): string {
    const token = craftRuntimeToken(this.runById(runId).backendId, jobBackendId)
    this.state.runtimeTokens.add(token)
    return token
  }

  /** The environment a runner gives a job of `runId`, pointed at this fake. */
  actionsEnv(runId: number, opts: { readOnly?: boolean } = {}): Record<string, string> {
    return {
      GITHUB_API_URL: this.url,
      GITHUB_SERVER_URL: 'https://github.com',
      ACTIONS_RESULTS_URL: `${this.url}/`,
      ACTIONS_RUNTIME_TOKEN: this.runtimeToken(runId),
      GITHUB_REPOSITORY: this.runById(runId).repo,
      GITHUB_RUN_ID: String(runId),
      GITHUB_TOKEN: opts.readOnly ? this.readOnlyToken : this.token
    }
  }

  addComment(opts: { issueNumber: number; body: string; user?: string; repo?: string }): FakeComment {
    const now = new Date().toISOString()
    const c: FakeComment = {
      id: ++this.state.seq.comment,
      repo: opts.repo ?? this.repo,
      issueNumber: opts.issueNumber,
      body: opts.body,
      user: opts.user ?? 'octocat',
      createdAt: now,
      updatedAt: now
    }
    this.state.comments.push(c)
    return c
  }

  /** Records an issue event, e.g. `labeled` with the label's name, as if `actor` had done it now. */
  addIssueEvent(opts: {
    issueNumber: number
    event: string
    actor: string
    label?: string
    repo?: string
  }): FakeIssueEvent {
    const e: FakeIssueEvent = {
      id: ++this.state.seq.issueEvent,
      repo: opts.repo ?? this.repo,
      issueNumber: opts.issueNumber,
      event: opts.event,
      actor: opts.actor,
      label: opts.label,
      createdAt: new Date().toISOString()
    }
    this.state.issueEvents.push(e)
    return e
  }

  comments(issueNumber: number, repo = this.repo): FakeComment[] {
    return this.state.comments.filter(c => c.repo === repo && c.issueNumber === issueNumber)
  }

  artifactsOf(runId: number): FakeArtifact[] {
    return this.state.artifacts.filter(a => a.runId === runId && a.finalized)
  }

  injectFault(opts: FaultOptions): number {
    const fault: FakeFault = {
      id: ++this.state.seq.fault,
      method: opts.method?.toUpperCase(),
      path: opts.path,
      kind: opts.kind,
      status: opts.status ?? FAULT_STATUS[opts.kind],
      remaining: opts.times ?? Infinity,
      hits: 0
    }
    this.state.faults.push(fault)
    return fault.id
  }

  clearFaults(): void {
    this.state.faults = []
  }

  /** Requests seen so far, optionally only those whose method and pathname match. */
  requests(method?: string, path?: string | RegExp): RequestRecord[] {
    return this.state.requests.filter(
      r => (!method || r.method === method.toUpperCase()) && (!path || pathMatches(path, r.path))
    )
  }

  runById(runId: number): FakeRun {
    const run = this.state.runs.find(r => r.id === runId)
    if (!run) throw new Error(`no run ${runId}`)
    return run
  }

  // ---- serving -------------------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url)
    const path = url.pathname
    const surface: RequestRecord['surface'] = path.startsWith('/_fake/')
      ? 'control'
      : path.startsWith('/twirp/')
        ? 'twirp'
        : path.startsWith(`/${this.account}/`)
          ? 'blob'
          : 'rest'
    const record: RequestRecord = { method: req.method ?? 'GET', path, query: url.search, status: 0, surface }
    if (surface !== 'control') this.state.requests.push(record)
    res.on('finish', () => (record.status = res.statusCode))

    if (surface === 'control') return this.handleControl(req, res, url)
    if (this.applyFault(req, res, path, surface)) return
    if (surface === 'twirp') {
      if (!path.startsWith(TWIRP_PREFIX)) return sendTwirpError(res, 'bad_route', `no route ${path}`)
      return handleTwirp({ state: this.state, origin: this.url, account: this.account }, req, res, url)
    }
    if (surface === 'blob') {
      await handleBlob(this.state, req, res, url)
      return
    }
    return handleRest({ state: this.state, origin: this.url }, req, res, url)
  }

  private applyFault(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    surface: RequestRecord['surface']
  ): boolean {
    const fault = this.state.faults.find(
      f => f.remaining > 0 && (!f.method || f.method === req.method) && pathMatches(f.path, path)
    )
    if (!fault) return false
    fault.remaining--
    fault.hits++
    req.resume()
    if (surface === 'twirp') {
      sendTwirpError(
        res,
        fault.status >= 500 ? 'internal' : 'permission_denied',
        `injected ${fault.kind}`,
        fault.status
      )
      return true
    }
    const docs = 'https://docs.github.com/rest'
    switch (fault.kind) {
      case 'forbidden':
        sendJson(res, fault.status, {
          message: 'Resource not accessible by integration',
          documentation_url: docs,
          status: '403'
        })
        break
      case 'rate-limit': {
        const reset = Math.floor(Date.now() / 1000) + 600
        sendJson(
          res,
          fault.status,
          {
            message: 'API rate limit exceeded for installation ID 4242.',
            documentation_url: docs,
            status: '403'
          },
          {
            'x-ratelimit-limit': '1000',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-used': '1000',
            'x-ratelimit-reset': String(reset),
            'x-ratelimit-resource': 'core'
          }
        )
        break
      }
      case 'rate-limit-429':
        sendJson(
          res,
          fault.status,
          {
            message:
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
            documentation_url: docs,
            status: '429'
          },
          { 'retry-after': '60' }
        )
        break
      case 'not-found':
        sendJson(res, fault.status, { message: 'Not Found', documentation_url: docs, status: '404' })
        break
      default:
        sendJson(res, fault.status, { message: 'Server Error' })
    }
    return true
  }

  // A JSON control surface so a fake started as its own process (see the CLI) can be seeded and inspected.
  private async handleControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method === 'GET' && url.pathname === '/_fake/state') {
      const { blobs, sasKey: _k, ...rest } = this.state
      const blobSizes = Object.fromEntries([...blobs].map(([k, b]) => [k, b.data.length]))
      return sendJson(res, 200, {
        ...rest,
        repos: Object.fromEntries(rest.repos),
        tokens: [...rest.tokens.keys()],
        runtimeTokens: rest.runtimeTokens.size,
        blobs: blobSizes,
        faults: rest.faults.map(f => ({ ...f, path: String(f.path) }))
      })
    }
    if (req.method === 'POST' && url.pathname === '/_fake/call') {
      const { method, args = [] } = JSON.parse((await readBody(req)).toString('utf8')) as {
        method: string
        args?: unknown[]
      }
      const allowed = [
        'addRepo',
        'addToken',
        'addRun',
        'addArtifact',
        'expireArtifact',
        'runtimeToken',
        'actionsEnv',
        'addComment',
        'addIssueEvent',
        'comments',
        'artifactsOf',
        'injectFault',
        'clearFaults',
        'requests'
      ]
      if (!allowed.includes(method))
        return sendJson(res, 404, { message: `unknown control method ${method}` })
      if (method === 'injectFault') {
        const f = args[0] as FaultOptions & { pathRegex?: string }
        if (f.pathRegex) f.path = new RegExp(f.pathRegex)
      }
      try {
        const fn = (this as unknown as Record<string, (...a: unknown[]) => unknown>)[method]
        return sendJson(res, 200, { result: fn.apply(this, args) ?? null })
      } catch (e) {
        return sendJson(res, 400, { message: e instanceof Error ? e.message : String(e) })
      }
    }
    sendJson(res, 404, { message: 'unknown control route' })
  }
}

function pathMatches(pattern: string | RegExp, path: string): boolean {
  if (pattern instanceof RegExp) return pattern.test(path)
  if (pattern.endsWith('*')) return path.startsWith(pattern.slice(0, -1))
  return path === pattern
}

export const startFakeGitHub = (opts?: FakeGitHubOptions): Promise<FakeGitHub> => FakeGitHub.start(opts)
