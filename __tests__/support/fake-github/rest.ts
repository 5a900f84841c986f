// The slice of the GitHub REST API the action uses: repository, workflow runs, run artifacts (with the 302 to the
// blob store), and issue comments with Link-header pagination and the 65 536-character rule.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type {
  FakeArtifact,
  FakeComment,
  FakeGitHubState,
  FakeIssueEvent,
  FakeRepo,
  FakeRun
} from './state.js'
import { signBlobUrl } from './blob.js'
import { readBody, sendEmpty, sendJson } from './http.js'

export const MAX_COMMENT_BODY = 65536
const DOCS = 'https://docs.github.com/rest'

export interface RestContext {
  state: FakeGitHubState
  origin: string
}

interface Call {
  ctx: RestContext
  req: IncomingMessage
  res: ServerResponse
  url: URL
  repo: FakeRepo
  params: Record<string, string>
  access: 'write' | 'read'
}

type Handler = (call: Call) => void | Promise<void>

const ROUTES: Array<[string, RegExp, Handler]> = []
function route(method: string, pattern: string, handler: Handler): void {
  const re = new RegExp(`^${pattern.replace(/:(\w+)/g, '(?<$1>[^/]+)')}$`)
  ROUTES.push([method, re, handler])
}

export function notFound(res: ServerResponse): void {
  sendJson(res, 404, { message: 'Not Found', documentation_url: DOCS, status: '404' })
}

export function forbiddenIntegration(res: ServerResponse): void {
  sendJson(res, 403, {
    message: 'Resource not accessible by integration',
    documentation_url: `${DOCS}/issues/comments#create-an-issue-comment`,
    status: '403'
  })
}

export async function handleRest(ctx: RestContext, req: IncomingMessage, res: ServerResponse, url: URL) {
  const auth = String(req.headers.authorization ?? '')
  const m = /^(?:token|bearer)\s+(.+)$/i.exec(auth)
  const access = m ? ctx.state.tokens.get(m[1]) : undefined
  if (!access) {
    sendJson(res, 401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' })
    return
  }
  const method = req.method ?? 'GET'
  const path = url.pathname.replace(/\/+$/, '')
  for (const [rm, re, handler] of ROUTES) {
    const hit = re.exec(path)
    if (!hit || rm !== method) continue
    const params = hit.groups ?? {}
    const repo = ctx.state.repos.get(`${params.owner}/${params.repo}`)
    if (!repo) return notFound(res)
    // GITHUB_TOKEN of a fork pull request is read-only: every write is refused the same way GitHub does.
    if (method !== 'GET' && method !== 'HEAD' && access !== 'write') return forbiddenIntegration(res)
    return handler({ ctx, req, res, url, repo, params, access })
  }
  notFound(res)
}

const fullName = (repo: FakeRepo): string => `${repo.owner}/${repo.name}`
const apiRepo = (call: Call): string => `${call.ctx.origin}/repos/${fullName(call.repo)}`

/** Slices `items` per `per_page`/`page` and returns the GitHub-style Link header for the other pages. */
function paginate<T>(
  call: Call,
  items: T[],
  defaultPerPage = 30
): { page: T[]; headers: Record<string, string> } {
  const perPage = Math.min(100, Math.max(1, Number(call.url.searchParams.get('per_page')) || defaultPerPage))
  const page = Math.max(1, Number(call.url.searchParams.get('page')) || 1)
  const last = Math.max(1, Math.ceil(items.length / perPage))
  const link = (p: number): string => {
    const q = new URLSearchParams(call.url.searchParams)
    q.set('per_page', String(perPage))
    q.set('page', String(p))
    return `<${call.ctx.origin}${call.url.pathname}?${q.toString()}>`
  }
  const rels: string[] = []
  if (page > 1) rels.push(`${link(page - 1)}; rel="prev"`)
  if (page < last) rels.push(`${link(page + 1)}; rel="next"`)
  if (page < last) rels.push(`${link(last)}; rel="last"`)
  if (page > 1) rels.push(`${link(1)}; rel="first"`)
  return {
    page: items.slice((page - 1) * perPage, page * perPage),
    headers: rels.length ? { link: rels.join(', ') } : {}
  }
}

function repoJson(ctx: RestContext, repo: FakeRepo) {
  return {
    id: repo.id,
    node_id: `R_${repo.id}`,
    name: repo.name,
    full_name: fullName(repo),
    private: repo.private,
    fork: false,
    owner: { login: repo.owner, type: 'Organization' },
    html_url: `https://github.com/${fullName(repo)}`,
    url: `${ctx.origin}/repos/${fullName(repo)}`,
    default_branch: repo.defaultBranch
  }
}

function runJson(call: Call, run: FakeRun, excludePrs: boolean) {
  const base = `${apiRepo(call)}/actions/runs/${run.id}`
  const repo = repoJson(call.ctx, call.repo)
  return {
    id: run.id,
    name: run.name,
    node_id: `WFR_${run.id}`,
    head_branch: run.headBranch,
    head_sha: run.headSha,
    path: run.workflowPath,
    display_title: run.name,
    run_number: run.runNumber,
    run_attempt: run.runAttempt,
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    workflow_id: run.workflowId,
    url: base,
    html_url: `https://github.com/${run.repo}/actions/runs/${run.id}`,
    artifacts_url: `${base}/artifacts`,
    workflow_url: `${apiRepo(call)}/actions/workflows/${run.workflowId}`,
    pull_requests: excludePrs
      ? []
      : run.pullRequests.map(n => ({ number: n, url: `${apiRepo(call)}/pulls/${n}` })),
    created_at: run.createdAt,
    updated_at: run.createdAt,
    run_started_at: run.createdAt,
    repository: repo,
    head_repository: repo
  }
}

export const isExpired = (a: FakeArtifact): boolean => a.expired || Date.parse(a.expiresAt) <= Date.now()

function artifactJson(call: Call, a: FakeArtifact) {
  const run = call.ctx.state.runs.find(r => r.id === a.runId)
  return {
    id: a.id,
    node_id: `MDg6QXJ0aWZhY3Q${a.id}`,
    name: a.name,
    size_in_bytes: a.size,
    url: `${apiRepo(call)}/actions/artifacts/${a.id}`,
    archive_download_url: `${apiRepo(call)}/actions/artifacts/${a.id}/zip`,
    expired: isExpired(a),
    digest: a.digest,
    created_at: a.createdAt,
    updated_at: a.createdAt,
    expires_at: a.expiresAt,
    workflow_run: run
      ? {
          id: run.id,
          repository_id: call.repo.id,
          head_repository_id: call.repo.id,
          head_branch: run.headBranch,
          head_sha: run.headSha
        }
      : null
  }
}

function commentJson(call: Call, c: FakeComment) {
  return {
    id: c.id,
    node_id: `IC_${c.id}`,
    url: `${apiRepo(call)}/issues/comments/${c.id}`,
    html_url: `https://github.com/${c.repo}/pull/${c.issueNumber}#issuecomment-${c.id}`,
    issue_url: `${apiRepo(call)}/issues/${c.issueNumber}`,
    body: c.body,
    user: { login: c.user, type: c.user.endsWith('[bot]') ? 'Bot' : 'User' },
    author_association: 'NONE',
    created_at: c.createdAt,
    updated_at: c.updatedAt
  }
}

async function jsonBody(call: Call): Promise<Record<string, unknown> | undefined> {
  try {
    const v = JSON.parse((await readBody(call.req)).toString('utf8')) as unknown
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined
  } catch {
    sendJson(call.res, 400, { message: 'Problems parsing JSON', documentation_url: DOCS, status: '400' })
    return undefined
  }
}

/** Validates a comment body the way GitHub does; answers 422 and returns undefined when it is refused. */
function commentBody(call: Call, body: Record<string, unknown>): string | undefined {
  const text = body.body
  if (typeof text !== 'string' || text.length === 0) {
    sendJson(call.res, 422, {
      message: 'Invalid request.\n\n"body" wasn\'t supplied.',
      documentation_url: DOCS,
      status: '422'
    })
    return undefined
  }
  if (text.length > MAX_COMMENT_BODY) {
    sendJson(call.res, 422, {
      message: 'Validation Failed',
      errors: [
        {
          resource: 'IssueComment',
          code: 'unprocessable',
          field: 'data',
          message: `Body is too long (maximum is ${MAX_COMMENT_BODY} characters)`
        }
      ],
      documentation_url: `${DOCS}/issues/comments`,
      status: '422'
    })
    return undefined
  }
  return text
}

const repoRuns = (call: Call): FakeRun[] =>
  call.ctx.state.runs
    .filter(r => r.repo === fullName(call.repo))
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id - a.id)

function listRuns(call: Call, runs: FakeRun[]): void {
  const q = call.url.searchParams
  const branch = q.get('branch')
  const status = q.get('status')
  const event = q.get('event')
  const headSha = q.get('head_sha')
  const filtered = runs.filter(
    r =>
      (!branch || r.headBranch === branch) &&
      (!event || r.event === event) &&
      (!headSha || r.headSha === headSha) &&
      (!status || r.status === status || r.conclusion === status)
  )
  const { page, headers } = paginate(call, filtered)
  const exclude = q.get('exclude_pull_requests') === 'true'
  sendJson(
    call.res,
    200,
    { total_count: filtered.length, workflow_runs: page.map(r => runJson(call, r, exclude)) },
    headers
  )
}

route('GET', '/repos/:owner/:repo', call => sendJson(call.res, 200, repoJson(call.ctx, call.repo)))

route('GET', '/repos/:owner/:repo/actions/runs', call => listRuns(call, repoRuns(call)))

route('GET', '/repos/:owner/:repo/actions/runs/:run_id', call => {
  const run = repoRuns(call).find(r => String(r.id) === call.params.run_id)
  if (!run) return notFound(call.res)
  sendJson(call.res, 200, runJson(call, run, false))
})

route('GET', '/repos/:owner/:repo/actions/workflows/:workflow_id/runs', call => {
  const wf = decodeURIComponent(call.params.workflow_id)
  const runs = repoRuns(call).filter(
    r => String(r.workflowId) === wf || r.workflowPath === wf || r.workflowPath.split('/').pop() === wf
  )
  listRuns(call, runs)
})

route('GET', '/repos/:owner/:repo/actions/runs/:run_id/artifacts', call => {
  const run = repoRuns(call).find(r => String(r.id) === call.params.run_id)
  if (!run) return notFound(call.res)
  const name = call.url.searchParams.get('name')
  // Expired artifacts stay listed (with `expired: true`), exactly like GitHub.
  const artifacts = call.ctx.state.artifacts.filter(
    a => a.runId === run.id && a.finalized && (!name || a.name === name)
  )
  const { page, headers } = paginate(call, artifacts)
  sendJson(
    call.res,
    200,
    { total_count: artifacts.length, artifacts: page.map(a => artifactJson(call, a)) },
    headers
  )
})

const findArtifact = (call: Call): FakeArtifact | undefined =>
  call.ctx.state.artifacts.find(
    a => String(a.id) === call.params.artifact_id && a.repo === fullName(call.repo) && a.finalized
  )

route('GET', '/repos/:owner/:repo/actions/artifacts/:artifact_id', call => {
  const a = findArtifact(call)
  if (!a) return notFound(call.res)
  sendJson(call.res, 200, artifactJson(call, a))
})

route('DELETE', '/repos/:owner/:repo/actions/artifacts/:artifact_id', call => {
  const a = findArtifact(call)
  if (!a) return notFound(call.res)
  call.ctx.state.artifacts = call.ctx.state.artifacts.filter(x => x !== a)
  call.ctx.state.blobs.delete(a.blobPath)
  sendEmpty(call.res, 204)
})

route('GET', '/repos/:owner/:repo/actions/artifacts/:artifact_id/:format', call => {
  if (call.params.format !== 'zip') return notFound(call.res)
  const a = findArtifact(call)
  if (!a) return notFound(call.res)
  if (isExpired(a)) {
    sendJson(call.res, 410, { message: 'Artifact has expired', documentation_url: DOCS, status: '410' })
    return
  }
  // GitHub answers with a short-lived signed URL to the blob; the client follows it without the API token.
  sendEmpty(call.res, 302, {
    location: signBlobUrl(call.ctx.state, call.ctx.origin, a.blobPath, 'r', 60_000)
  })
})

route('GET', '/repos/:owner/:repo/issues/:issue_number/comments', call => {
  const n = Number(call.params.issue_number)
  const comments = call.ctx.state.comments
    .filter(c => c.repo === fullName(call.repo) && c.issueNumber === n)
    .sort((a, b) => a.id - b.id)
  const { page, headers } = paginate(call, comments)
  sendJson(
    call.res,
    200,
    page.map(c => commentJson(call, c)),
    headers
  )
})

route('POST', '/repos/:owner/:repo/issues/:issue_number/comments', async call => {
  const body = await jsonBody(call)
  if (!body) return
  const text = commentBody(call, body)
  if (text === undefined) return
  const now = new Date().toISOString()
  const c: FakeComment = {
    id: ++call.ctx.state.seq.comment,
    repo: fullName(call.repo),
    issueNumber: Number(call.params.issue_number),
    body: text,
    user: 'github-actions[bot]',
    createdAt: now,
    updatedAt: now
  }
  call.ctx.state.comments.push(c)
  sendJson(call.res, 201, commentJson(call, c), { location: `${apiRepo(call)}/issues/comments/${c.id}` })
})

const findComment = (call: Call): FakeComment | undefined =>
  call.ctx.state.comments.find(c => String(c.id) === call.params.comment_id && c.repo === fullName(call.repo))

route('GET', '/repos/:owner/:repo/issues/comments/:comment_id', call => {
  const c = findComment(call)
  if (!c) return notFound(call.res)
  sendJson(call.res, 200, commentJson(call, c))
})

route('PATCH', '/repos/:owner/:repo/issues/comments/:comment_id', async call => {
  const c = findComment(call)
  if (!c) return notFound(call.res)
  const body = await jsonBody(call)
  if (!body) return
  const text = commentBody(call, body)
  if (text === undefined) return
  c.body = text
  c.updatedAt = new Date().toISOString()
  sendJson(call.res, 200, commentJson(call, c))
})

route('DELETE', '/repos/:owner/:repo/issues/comments/:comment_id', call => {
  const c = findComment(call)
  if (!c) return notFound(call.res)
  call.ctx.state.comments = call.ctx.state.comments.filter(x => x !== c)
  sendEmpty(call.res, 204)
})

function issueEventJson(call: Call, e: FakeIssueEvent) {
  return {
    id: e.id,
    node_id: `LE_${e.id}`,
    url: `${apiRepo(call)}/issues/events/${e.id}`,
    actor: { login: e.actor, type: e.actor.endsWith('[bot]') ? 'Bot' : 'User' },
    event: e.event,
    commit_id: null,
    commit_url: null,
    created_at: e.createdAt,
    ...(e.label !== undefined ? { label: { name: e.label, color: 'ededed' } } : {})
  }
}

// The issue events API, oldest first and paginated like GitHub's: who labeled a pull request, and when.
route('GET', '/repos/:owner/:repo/issues/:issue_number/events', call => {
  const n = Number(call.params.issue_number)
  const events = call.ctx.state.issueEvents
    .filter(e => e.repo === fullName(call.repo) && e.issueNumber === n)
    .sort((a, b) => a.id - b.id)
  const { page, headers } = paginate(call, events)
  sendJson(
    call.res,
    200,
    page.map(e => issueEventJson(call, e)),
    headers
  )
})
