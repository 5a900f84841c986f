// Finding and fetching the baseline: the newest successful run of the same workflow on the baseline branch that
// still has an unexpired results artifact (preferring the run at the pull request's base commit), downloaded as
// the artifact's zip through the REST API. Every failure becomes a reason string; nothing here throws.
import { createHash } from 'node:crypto'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { unzipSync } from 'fflate'
import { RESULTS_FILE } from '../results/schema.js'
import { describeApiError } from './errors.js'
import { createGitHubClient, type GitHubClient } from './octokit.js'
import { errorText } from '../errors.js'

export interface BaselineQuery {
  owner: string
  repo: string
  /** The current run: its workflow is the one searched, and it is never its own baseline. */
  runId?: number
  /** Skips looking up the current run's workflow (numeric id or file name such as `benchmark.yml`). */
  workflowId?: number | string
  branch: string
  /** The pull request's base commit; a run at this commit wins over newer ones. */
  baseSha?: string
  artifactName: string
  /** How many runs to inspect at most (each costs one API request). Default 30. */
  maxRuns?: number
}

export interface SkippedRun {
  runId: number
  headSha: string
  why: 'expired' | 'missing'
}

export interface BaselineRun {
  runId: number
  artifactId: number
  headSha: string
  /** When the baseline run was created (ISO 8601). */
  createdAt: string
  /** `sha256:<hex>` of the artifact archive when GitHub reports one. */
  digest?: string
  workflowId: number | string
  /** The run is at the requested base commit. */
  matchedBaseSha: boolean
  /** Newer runs passed over, and why. */
  skipped: SkippedRun[]
}

export interface BaselineMissing {
  reason: string
  skipped: SkippedRun[]
}

interface RunItem {
  id: number
  head_sha: string
  created_at: string
}

interface ArtifactItem {
  id: number
  name: string
  expired: boolean
  digest?: string | null
}

type ArtifactCheck = { artifact: ArtifactItem } | { why: SkippedRun['why'] }

/** The newest unexpired artifact named `name` of a run, or why there is none. */
async function runArtifact(
  octokit: GitHubClient,
  owner: string,
  repo: string,
  runId: number,
  name: string
): Promise<ArtifactCheck> {
  const { data } = await octokit.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}/artifacts', {
    owner,
    repo,
    run_id: runId,
    name,
    per_page: 100
  })
  const named = (data.artifacts as ArtifactItem[]).filter(a => a.name === name).sort((a, b) => b.id - a.id)
  const live = named.find(a => !a.expired)
  if (live) return { artifact: live }
  return { why: named.length > 0 ? 'expired' : 'missing' }
}

async function listRuns(
  octokit: GitHubClient,
  q: BaselineQuery,
  workflowId: number | string,
  extra: { head_sha?: string; per_page: number; page: number }
): Promise<{ runs: RunItem[]; total: number }> {
  const { data } = await octokit.request('GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs', {
    owner: q.owner,
    repo: q.repo,
    workflow_id: workflowId,
    branch: q.branch,
    status: 'success',
    exclude_pull_requests: true,
    ...extra
  })
  return { runs: data.workflow_runs as RunItem[], total: data.total_count }
}

export async function findBaselineRun(
  octokit: GitHubClient,
  q: BaselineQuery
): Promise<BaselineRun | BaselineMissing> {
  const skipped: SkippedRun[] = []
  const maxRuns = Math.max(1, q.maxRuns ?? 30)
  let step = 'looking up the current run'
  try {
    let workflowId = q.workflowId
    if (workflowId === undefined) {
      if (q.runId === undefined)
        return { reason: 'no workflow to search: neither a run id nor a workflow id', skipped }
      const { data } = await octokit.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}', {
        owner: q.owner,
        repo: q.repo,
        run_id: q.runId
      })
      workflowId = data.workflow_id
    }
    const checked = new Set<number>()
    const found = (run: RunItem, a: ArtifactItem, matchedBaseSha: boolean): BaselineRun => ({
      runId: run.id,
      artifactId: a.id,
      headSha: run.head_sha,
      createdAt: run.created_at,
      ...(a.digest ? { digest: a.digest } : {}),
      workflowId: workflowId as number | string,
      matchedBaseSha,
      skipped
    })
    const inspect = async (run: RunItem): Promise<ArtifactItem | undefined> => {
      checked.add(run.id)
      step = `listing the artifacts of run ${run.id}`
      const r = await runArtifact(octokit, q.owner, q.repo, run.id, q.artifactName)
      if ('artifact' in r) return r.artifact
      skipped.push({ runId: run.id, headSha: run.head_sha, why: r.why })
      return undefined
    }

    if (q.baseSha) {
      step = `listing runs at base commit ${q.baseSha.slice(0, 12)}`
      const { runs } = await listRuns(octokit, q, workflowId, { head_sha: q.baseSha, per_page: 10, page: 1 })
      for (const run of runs) {
        if (run.id === q.runId || checked.size >= maxRuns) continue
        const a = await inspect(run)
        if (a) return found(run, a, true)
      }
    }

    const perPage = Math.min(100, maxRuns)
    for (let page = 1; checked.size < maxRuns; page++) {
      step = `listing successful runs on ${q.branch} (page ${page})`
      const { runs, total } = await listRuns(octokit, q, workflowId, { per_page: perPage, page })
      for (const run of runs) {
        if (run.id === q.runId || checked.has(run.id) || checked.size >= maxRuns) continue
        const a = await inspect(run)
        if (a) return found(run, a, Boolean(q.baseSha) && run.head_sha === q.baseSha)
      }
      if (runs.length < perPage || page * perPage >= total) break
    }
    const expired = skipped.filter(s => s.why === 'expired').length
    const detail =
      checked.size === 0
        ? 'there is no earlier successful run'
        : `checked ${checked.size} run(s): ${expired} with an expired artifact, ${checked.size - expired} without one`
    return {
      reason: `no baseline: no successful run of workflow ${workflowId} on '${q.branch}' has an unexpired artifact '${q.artifactName}' (${detail})`,
      skipped
    }
  } catch (err) {
    return { reason: describeApiError(err, `baseline lookup failed while ${step}`).reason, skipped }
  }
}

export interface DownloadBaselineOptions {
  token: string
  owner: string
  repo: string
  runId: number
  /** Found by name among the run's unexpired artifacts when not given. */
  artifactId?: number
  artifactName: string
  /** Directory to extract into (created when missing). */
  dir: string
  /** The file the artifact must contain. Default: the results file. */
  fileName?: string
  /** `sha256:<hex>` of the archive; a mismatch rejects the download. */
  expectedDigest?: string
  /** Client for the lookup and the download (default: one made from `token`). */
  octokit?: GitHubClient
  /** Largest archive accepted; a results file is capped at 50 MiB on read anyway. Default 64 MiB. */
  maxBytes?: number
}

export type DownloadedBaseline = { path: string; artifactId: number } | { reason: string }

export async function downloadBaseline(opts: DownloadBaselineOptions): Promise<DownloadedBaseline> {
  const fileName = opts.fileName ?? RESULTS_FILE
  let artifactId = opts.artifactId
  let digest = opts.expectedDigest
  if (artifactId === undefined) {
    try {
      const octokit = opts.octokit ?? createGitHubClient(opts.token)
      const r = await runArtifact(octokit, opts.owner, opts.repo, opts.runId, opts.artifactName)
      if (!('artifact' in r)) {
        return {
          reason: `run ${opts.runId} has ${r.why === 'expired' ? 'only an expired' : 'no'} artifact '${opts.artifactName}'`
        }
      }
      artifactId = r.artifact.id
      digest ??= r.artifact.digest ?? undefined
    } catch (err) {
      return { reason: describeApiError(err, `listing the artifacts of run ${opts.runId}`).reason }
    }
  }
  const target = join(opts.dir, fileName)
  const what = `artifact ${artifactId} of run ${opts.runId}`
  // Downloaded here rather than with @actions/artifact's findBy: the toolkit swallows a dropped connection and
  // waits out an idle timer on each of its 5 retries (~90 s for one cut download); this client fails at once and
  // retries a GET once. The archive is small (one results file), so it is checked and unpacked in memory.
  let zip: Buffer
  try {
    mkdirSync(opts.dir, { recursive: true })
    // A file left by an earlier attempt must not pass for this download.
    rmSync(target, { force: true })
    const octokit = opts.octokit ?? createGitHubClient(opts.token)
    const res = await octokit.request(
      'GET /repos/{owner}/{repo}/actions/artifacts/{artifact_id}/{archive_format}',
      {
        owner: opts.owner,
        repo: opts.repo,
        artifact_id: artifactId,
        archive_format: 'zip'
      }
    )
    zip = Buffer.from(res.data as ArrayBuffer)
    // With no content encoding the body must be exactly Content-Length bytes; fewer means the connection was cut.
    const expected = res.headers['content-encoding'] ? NaN : Number(res.headers['content-length'])
    if (Number.isFinite(expected) && expected > 0 && zip.length !== expected) {
      return { reason: `downloading ${what} was cut short (${zip.length} of ${expected} bytes)` }
    }
  } catch (err) {
    return { reason: describeApiError(err, `downloading ${what}`).reason }
  }
  const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024
  if (zip.length > maxBytes)
    return { reason: `${what} is ${zip.length} bytes, over the ${maxBytes}-byte limit` }
  if (digest) {
    const actual = `sha256:${createHash('sha256').update(zip).digest('hex')}`
    if (actual !== digest) return { reason: `${what} does not match its digest ${digest}; not trusted` }
  }
  let entries: Record<string, Uint8Array>
  const names: string[] = []
  try {
    entries = unzipSync(new Uint8Array(zip), {
      filter: f => {
        names.push(f.name)
        return f.name === fileName && f.originalSize <= maxBytes
      }
    })
  } catch (err) {
    return {
      reason: `${what} is not a readable zip archive (${errorText(err)})`
    }
  }
  const data = entries[fileName]
  if (!data) {
    const found = names.slice(0, 10).join(', ') || 'nothing'
    return { reason: `${what} has no ${fileName} of at most ${maxBytes} bytes (found: ${found})` }
  }
  writeFileSync(target, data)
  return { path: target, artifactId }
}

/** The repository's default branch: from the event payload when known, else one API request. */
export async function resolveDefaultBranch(
  octokit: GitHubClient,
  owner: string,
  repo: string,
  fromPayload?: string
): Promise<string | { reason: string }> {
  if (fromPayload) return fromPayload
  try {
    const { data } = await octokit.request('GET /repos/{owner}/{repo}', { owner, repo })
    return data.default_branch
  } catch (err) {
    return { reason: describeApiError(err, 'reading the default branch').reason }
  }
}
