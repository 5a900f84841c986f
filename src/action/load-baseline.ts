// Phase "baseline": which branch provides it, find the run, download its artifact, validate the file. Every
// failure (no run, expired, API error, corrupt or newer-schema file) becomes a reason that the report and summary
// show; the run then continues without verdicts. Nothing unvalidated is ever returned.
import { mkdtempSync } from 'node:fs'
import * as core from '@actions/core'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  downloadBaseline,
  findBaselineRun,
  resolveDefaultBranch,
  type GitHubClient,
  type RunnerContext
} from '../github/index.js'
import { readResults } from '../results/io.js'
import type { Results } from '../results/schema.js'

export type BaselineOutcome =
  | {
      ok: true
      results: Results
      runId: number
      headSha: string
      createdAt: string
      /** Facts worth a line in the report (walked past expired artifacts, base commit not found, ...). */
      notes: string[]
    }
  | { ok: false; reason: string; runId?: number; notes: string[] }

export interface LoadBaselineOptions {
  ctx: RunnerContext
  /** Undefined when there is no token: nothing can be looked up. */
  octokit?: GitHubClient
  token: string
  branch: string
  artifactName: string
  /** Where to extract the artifact; a fresh folder under RUNNER_TEMP by default. */
  dir?: string
}

/** The baseline branch: the input, else the repository's default branch (event payload, else the API). */
export async function baselineBranchOf(
  input: string,
  ctx: RunnerContext,
  octokit: GitHubClient | undefined
): Promise<string | { reason: string }> {
  if (input) return input
  if (ctx.defaultBranch) return ctx.defaultBranch
  if (!octokit || !ctx.owner || !ctx.repo) {
    return { reason: 'the default branch is unknown (no event payload and no GitHub access)' }
  }
  return resolveDefaultBranch(octokit, ctx.owner, ctx.repo)
}

export async function loadBaseline(opts: LoadBaselineOptions): Promise<BaselineOutcome> {
  const { ctx, octokit, token } = opts
  const notes: string[] = []
  if (!ctx.owner || !ctx.repo || !ctx.runId) {
    return {
      ok: false,
      reason:
        'no baseline: not running in a GitHub Actions workflow run (GITHUB_REPOSITORY or GITHUB_RUN_ID unset)',
      notes
    }
  }
  if (!octokit || !token) {
    return { ok: false, reason: 'no baseline: no github-token to look it up with', notes }
  }
  const baseSha = ctx.pullRequest?.baseSha || undefined
  const found = await findBaselineRun(octokit, {
    owner: ctx.owner,
    repo: ctx.repo,
    runId: ctx.runId,
    branch: opts.branch,
    baseSha,
    artifactName: opts.artifactName
  })
  const expired = found.skipped.filter(s => s.why === 'expired').length
  if (expired > 0) {
    notes.push(
      `${expired} newer run(s) on ${opts.branch} had only an expired '${opts.artifactName}' artifact (raise retention-days to keep baselines longer)`
    )
  }
  if ('reason' in found) return { ok: false, reason: found.reason, notes }
  if (baseSha && !found.matchedBaseSha) {
    notes.push(
      `no baseline at the pull request's base commit ${baseSha.slice(0, 7)}; compared with the newest one (${found.headSha.slice(0, 7)})`
    )
  }
  const dir = opts.dir ?? mkdtempSync(join(process.env.RUNNER_TEMP || tmpdir(), 'swarm-bench-baseline-'))
  const downloaded = await downloadBaseline({
    token,
    owner: ctx.owner,
    repo: ctx.repo,
    runId: found.runId,
    artifactId: found.artifactId,
    artifactName: opts.artifactName,
    expectedDigest: found.digest,
    dir,
    octokit
  })
  if ('reason' in downloaded) {
    return { ok: false, reason: `no baseline: ${downloaded.reason}`, runId: found.runId, notes }
  }
  const read = readResults(downloaded.path)
  if (!read.ok) {
    return {
      ok: false,
      reason: `baseline of run ${found.runId} ignored, it cannot be trusted: ${read.reason}`,
      runId: found.runId,
      notes
    }
  }
  return {
    ok: true,
    results: read.results,
    runId: found.runId,
    headSha: found.headSha,
    createdAt: found.createdAt,
    notes
  }
}

export interface BaselinePhase {
  previous?: Results
  runId?: number
  /** Why there is nothing to compare against (empty when there is a baseline), without a "no baseline" prefix. */
  noBaselineReason: string
  notes: string[]
}

/** The whole phase, logged in its own group: branch, lookup, download, validation. */
export async function baselinePhase(
  opts: Omit<LoadBaselineOptions, 'branch'> & { branchInput: string; clean: (s: string) => string }
): Promise<BaselinePhase> {
  if (!opts.ctx.owner || !opts.ctx.repo || !opts.ctx.runId) {
    core.info('Not in a GitHub Actions workflow run: no baseline to look up')
    return {
      noBaselineReason:
        'not running in a GitHub Actions workflow run (GITHUB_REPOSITORY or GITHUB_RUN_ID unset)',
      notes: []
    }
  }
  const branch = await baselineBranchOf(opts.branchInput, opts.ctx, opts.octokit)
  if (typeof branch !== 'string') {
    core.warning(opts.clean(branch.reason), { title: 'No baseline: continuing without verdicts' })
    return { noBaselineReason: stripPrefix(branch.reason), notes: [] }
  }
  return core.group(`Baseline from ${branch}`, async () => {
    const b = await loadBaseline({ ...opts, branch })
    for (const n of b.notes) core.info(opts.clean(n))
    if (!b.ok) {
      core.warning(opts.clean(b.reason), { title: 'No baseline: continuing without verdicts' })
      return { noBaselineReason: stripPrefix(b.reason), notes: b.notes }
    }
    core.info(
      `Baseline: run ${b.runId} at ${b.headSha.slice(0, 7)} (${b.createdAt}), ${b.results.history.length} run(s) of history`
    )
    return { previous: b.results, runId: b.runId, noBaselineReason: '', notes: b.notes }
  })
}

/** The renderers head the reason with "no baseline:" themselves. */
const stripPrefix = (reason: string): string => reason.replace(/^no baseline:\s*/i, '')
