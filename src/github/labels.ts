// Who applied a pull request's label, from the issue events API (`labeled` events, newest wins). Never throws:
// without the answer the comment just does not name anyone.
import type { GitHubClient } from './octokit.js'

export interface LabelQuery {
  owner: string
  repo: string
  issueNumber: number
  label: string
}

/** The login of whoever applied `label` last, or undefined when the API does not say (or cannot be asked). */
export async function labelAppliedBy(octokit: GitHubClient, q: LabelQuery): Promise<string | undefined> {
  try {
    const events = await octokit.paginate(octokit.rest.issues.listEvents, {
      owner: q.owner,
      repo: q.repo,
      issue_number: q.issueNumber,
      per_page: 100
    })
    let by: string | undefined
    for (const e of events as {
      event?: string
      label?: { name?: string }
      actor?: { login?: string } | null
    }[])
      if (e.event === 'labeled' && e.label?.name === q.label && e.actor?.login) by = e.actor.login
    return by
  } catch {
    return undefined
  }
}
