// The Actions results service (Twirp, JSON flavour) that `@actions/artifact` calls for the current run's artifacts.
// Artifacts uploaded here become visible through the REST API under the run that owns the runtime token.
import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FakeArtifact, FakeGitHubState, FakeRun } from './state.js'
import { decodeRuntimeToken } from './token.js'
import { signBlobUrl } from './blob.js'
import { readBody, sendJson } from './http.js'

export const TWIRP_PREFIX = '/twirp/github.actions.results.api.v1.ArtifactService/'
const DEFAULT_RETENTION_DAYS = 90

const TWIRP_STATUS: Record<string, number> = {
  bad_route: 404,
  not_found: 404,
  already_exists: 409,
  invalid_argument: 400,
  failed_precondition: 412,
  unauthenticated: 401,
  permission_denied: 403,
  internal: 500
}

class TwirpError extends Error {
  constructor(
    readonly code: keyof typeof TWIRP_STATUS,
    msg: string
  ) {
    super(msg)
  }
}

export function sendTwirpError(res: ServerResponse, code: string, msg: string, status?: number): void {
  sendJson(res, status ?? TWIRP_STATUS[code] ?? 500, { code, msg })
}

type Json = Record<string, unknown>

const str = (v: unknown): string => (typeof v === 'string' ? v : '')
/** Wrapper types (StringValue, Int64Value) travel as bare values in proto JSON; tolerate `{value}` too. */
const wrapped = (v: unknown): string | undefined => {
  if (v === undefined || v === null) return undefined
  if (typeof v === 'object' && 'value' in (v as Json)) return String((v as Json).value)
  return String(v)
}

export interface TwirpContext {
  state: FakeGitHubState
  origin: string
  account: string
}

export async function handleTwirp(
  ctx: TwirpContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL
): Promise<void> {
  try {
    if (req.method !== 'POST') throw new TwirpError('bad_route', `unsupported method ${req.method}`)
    const method = url.pathname.slice(TWIRP_PREFIX.length)
    const ct = String(req.headers['content-type'] ?? '')
    if (!ct.startsWith('application/json'))
      throw new TwirpError('bad_route', 'the fake speaks only Twirp JSON')
    const auth = String(req.headers.authorization ?? '')
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : ''
    if (!token || !ctx.state.runtimeTokens.has(token)) {
      throw new TwirpError('unauthenticated', 'missing or unknown runtime token')
    }
    const claims = decodeRuntimeToken(token)
    if (!claims) throw new TwirpError('unauthenticated', 'runtime token has no Actions.Results scope')
    const body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as Json
    if (str(body.workflow_run_backend_id) !== claims.runBackendId) {
      throw new TwirpError('permission_denied', 'workflow_run_backend_id does not match the runtime token')
    }
    const run = ctx.state.runs.find(r => r.backendId === claims.runBackendId)
    if (!run) throw new TwirpError('not_found', `no workflow run for backend id ${claims.runBackendId}`)
    const handler = HANDLERS[method]
    if (!handler) throw new TwirpError('bad_route', `no method ${method}`)
    sendJson(res, 200, handler(ctx, run, body))
  } catch (e) {
    if (e instanceof TwirpError) sendTwirpError(res, e.code, e.message)
    else sendTwirpError(res, 'internal', e instanceof Error ? e.message : String(e))
  }
}

const live = (a: FakeArtifact): boolean => a.finalized && !a.expired && Date.parse(a.expiresAt) > Date.now()

function findByName(
  ctx: TwirpContext,
  run: FakeRun,
  name: string,
  finalized: boolean
): FakeArtifact | undefined {
  return ctx.state.artifacts.find(a => a.runId === run.id && a.name === name && a.finalized === finalized)
}

const HANDLERS: Record<string, (ctx: TwirpContext, run: FakeRun, body: Json) => Json> = {
  CreateArtifact(ctx, run, body) {
    const name = str(body.name)
    if (!name) throw new TwirpError('invalid_argument', 'name is required')
    if (findByName(ctx, run, name, true)) {
      throw new TwirpError('already_exists', `an artifact with this name already exists on the workflow run`)
    }
    // A retried upload replaces the unfinalized attempt.
    ctx.state.artifacts = ctx.state.artifacts.filter(a => !(a.runId === run.id && a.name === name))
    const mimeType = wrapped(body.mime_type) ?? 'application/zip'
    const fileName = mimeType === 'application/zip' ? `${name}.zip` : name
    const jobId = str(body.workflow_job_run_backend_id)
    const blobPath = `/${ctx.account}/actions-results/${run.backendId}/${jobId}/${encodeURIComponent(fileName)}`
    const expiresAt =
      typeof body.expires_at === 'string'
        ? new Date(body.expires_at).toISOString()
        : new Date(Date.now() + DEFAULT_RETENTION_DAYS * 86400_000).toISOString()
    ctx.state.artifacts.push({
      id: ++ctx.state.seq.artifact,
      repo: run.repo,
      runId: run.id,
      backendRunId: run.backendId,
      backendJobId: jobId,
      name,
      blobPath,
      size: 0,
      digest: null,
      mimeType,
      createdAt: new Date().toISOString(),
      expiresAt,
      finalized: false,
      expired: false
    })
    return { ok: true, signed_upload_url: signBlobUrl(ctx.state, ctx.origin, blobPath, 'cw') }
  },

  FinalizeArtifact(ctx, run, body) {
    const name = str(body.name)
    const artifact = findByName(ctx, run, name, false)
    if (!artifact) throw new TwirpError('not_found', `no pending artifact named ${name}`)
    const blob = ctx.state.blobs.get(artifact.blobPath)
    if (!blob || !blob.committed)
      throw new TwirpError('failed_precondition', 'nothing was uploaded to the blob')
    const size = Number(wrapped(body.size) ?? '0')
    if (size !== blob.data.length) {
      throw new TwirpError(
        'invalid_argument',
        `size ${size} does not match the ${blob.data.length} bytes stored`
      )
    }
    const digest = `sha256:${createHash('sha256').update(blob.data).digest('hex')}`
    const claimed = wrapped(body.hash)
    if (claimed !== undefined && claimed !== digest) {
      throw new TwirpError('invalid_argument', `hash ${claimed} does not match the stored ${digest}`)
    }
    artifact.size = size
    artifact.digest = digest
    artifact.finalized = true
    artifact.createdAt = new Date().toISOString()
    return { ok: true, artifact_id: String(artifact.id) }
  },

  ListArtifacts(ctx, run, body) {
    const nameFilter = wrapped(body.name_filter)
    const idFilter = wrapped(body.id_filter)
    const artifacts = ctx.state.artifacts
      .filter(a => a.runId === run.id && live(a))
      .filter(a => nameFilter === undefined || a.name === nameFilter)
      .filter(a => idFilter === undefined || String(a.id) === idFilter)
      .map(a => ({
        workflow_run_backend_id: a.backendRunId,
        workflow_job_run_backend_id: a.backendJobId,
        database_id: String(a.id),
        name: a.name,
        size: String(a.size),
        created_at: a.createdAt,
        ...(a.digest ? { digest: a.digest } : {})
      }))
    return { artifacts }
  },

  GetSignedArtifactURL(ctx, run, body) {
    const artifact = findByName(ctx, run, str(body.name), true)
    if (!artifact || !live(artifact)) throw new TwirpError('not_found', `no artifact named ${str(body.name)}`)
    return { signed_url: signBlobUrl(ctx.state, ctx.origin, artifact.blobPath, 'r') }
  },

  DeleteArtifact(ctx, run, body) {
    const artifact = findByName(ctx, run, str(body.name), true)
    if (!artifact) throw new TwirpError('not_found', `no artifact named ${str(body.name)}`)
    ctx.state.artifacts = ctx.state.artifacts.filter(a => a !== artifact)
    ctx.state.blobs.delete(artifact.blobPath)
    return { ok: true, artifact_id: String(artifact.id) }
  }
}
