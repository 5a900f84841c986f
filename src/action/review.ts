// What the PR comment needs from the runner beyond the measurements: whether the pull request's accept label
// turns its regressions into accepted ones (and who applied it), and where the method is documented.
import type { GitHubClient, RunnerContext } from '../github/index.js'
import { labelAppliedBy } from '../github/index.js'
import type { Comparison } from '../stats/compare.js'

/**
 * The comparison, marked accepted when the pull request carries `label` and there is a regression to accept; who
 * applied the label comes from the issue events API when a token can ask it.
 */
export async function acceptByLabel(
  comparison: Comparison,
  ctx: RunnerContext,
  label: string,
  octokit: GitHubClient | undefined
): Promise<Comparison> {
  const pr = ctx.pullRequest
  if (!pr || !pr.labels.includes(label) || comparison.regressions.length === 0) return comparison
  const by =
    octokit && ctx.owner && ctx.repo
      ? await labelAppliedBy(octokit, { owner: ctx.owner, repo: ctx.repo, issueNumber: pr.number, label })
      : undefined
  return { ...comparison, accepted: { label, ...(by ? { by } : {}) } }
}

/**
 * docs/regressions.md of the action's own repository at the ref the workflow used (`GITHUB_ACTION_REPOSITORY`,
 * `GITHUB_ACTION_REF`); for `uses: ./` (both empty) the workflow's repository at this commit.
 */
export function methodDocUrl(ctx: RunnerContext, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const repo = env.GITHUB_ACTION_REPOSITORY?.trim()
  const ref = env.GITHUB_ACTION_REF?.trim()
  if (repo && ref) return `${ctx.serverUrl}/${repo}/blob/${encodeURIComponent(ref)}/docs/regressions.md`
  if (ctx.owner && ctx.repo && ctx.sha)
    return `${ctx.serverUrl}/${ctx.owner}/${ctx.repo}/blob/${ctx.sha}/docs/regressions.md`
  return undefined
}
