// On a pull request, the comment exactly as it would be posted (its first line the marker), as data: a `workflow_run`
// workflow with a write token only has to post it (the fork pattern in docs/workflows.md).
import { renderComment } from '../report/comment-body.js'
import { identity, type Exporter } from './types.js'

export const COMMENT_FILE = 'swarm-bench-comment.json'

export const prCommentExporter: Exporter = {
  id: 'comment',
  fileName: COMMENT_FILE,
  output: 'comment-path',
  render: ({ results, comparison, pullRequest: pr, clean = identity }) => {
    if (!pr) return undefined
    const rendered = renderComment(results, comparison, {
      runUrl: pr.runUrl,
      marker: pr.marker,
      maxChars: pr.maxChars,
      prNumber: pr.number,
      methodUrl: pr.methodUrl
    })
    const body = clean(rendered)
    const payload = { issueNumber: pr.number, headSha: pr.headSha, marker: pr.marker, body }
    return JSON.stringify(payload, null, 2) + '\n'
  }
}
