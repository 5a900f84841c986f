// Publishing phases: the artifact (the next baseline on the baseline branch) and the sticky PR comment. Neither
// can fail the step: a failure is a warning and a line in the job summary, and the results stay on disk.
import * as core from '@actions/core'
import {
  uploadRunArtifact,
  upsertStickyComment,
  type GitHubClient,
  type RunnerContext
} from '../github/index.js'
import type { CommentMode } from '../config/action-config.js'

export interface Published {
  /** One line for the job summary. */
  line: string
  url?: string
}

export async function publishArtifact(opts: {
  name: string
  files: string[]
  rootDirectory: string
  retentionDays: number
  /** What the artifact is, for the log: results, or the new baseline. */
  role: string
  ctx: RunnerContext
  clean: (s: string) => string
}): Promise<Published> {
  const up = await uploadRunArtifact({
    name: opts.name,
    files: opts.files,
    rootDirectory: opts.rootDirectory,
    retentionDays: opts.retentionDays
  })
  if ('reason' in up) {
    // Off a runner (a local try-out) there is nowhere to upload to: not worth a warning.
    if (process.env.GITHUB_ACTIONS === 'true')
      core.warning(opts.clean(up.reason), { title: 'Artifact not uploaded' })
    else core.info(opts.clean(up.reason))
    return { line: `Artifact '${opts.name}': not uploaded (${opts.clean(up.reason)})` }
  }
  core.info(`Uploaded artifact '${opts.name}' (id ${up.id}, ${up.size} bytes): ${opts.role}`)
  const { owner, repo, runId, serverUrl } = opts.ctx
  const url =
    owner && repo && runId
      ? `${serverUrl}/${owner}/${repo}/actions/runs/${runId}/artifacts/${up.id}`
      : undefined
  return { line: `Artifact '${opts.name}' uploaded: ${opts.role}`, url }
}

export async function publishComment(opts: {
  octokit: GitHubClient | undefined
  ctx: RunnerContext
  marker: string
  body: string
  mode: CommentMode
  changed: boolean
  /** `on-regression`: what an existing comment says once its regression is gone. */
  resolvedBody?: string
  clean: (s: string) => string
}): Promise<Published> {
  const { ctx, octokit } = opts
  if (!ctx.pullRequest) return { line: 'PR comment: not a pull request run' }
  if (!octokit || !ctx.owner || !ctx.repo) return { line: 'PR comment: no github-token, nothing posted' }
  const res = await upsertStickyComment(octokit, {
    owner: ctx.owner,
    repo: ctx.repo,
    issueNumber: ctx.pullRequest.number,
    marker: opts.marker,
    body: opts.body,
    mode: opts.mode,
    changed: opts.changed,
    resolvedBody: opts.resolvedBody
  })
  if (res.action === 'failed') {
    const hint = res.forbidden
      ? ' The token is read-only, as on pull requests from forks: the results are in the job summary and the ' +
        'artifact; the workflow_run pattern in the docs comments on fork pull requests.'
      : ''
    core.warning(opts.clean(`PR comment not posted: ${res.reason}.${hint}`), {
      title: 'PR comment not posted'
    })
    return { line: `PR comment: not posted (${opts.clean(res.reason)})` }
  }
  if (res.action === 'skipped') {
    core.info(`PR comment skipped: ${res.reason}`)
    return { line: `PR comment: skipped (${res.reason})`, url: res.url }
  }
  core.info(`PR comment ${res.action}: ${res.url}`)
  return { line: `PR comment ${res.action}`, url: res.url }
}
