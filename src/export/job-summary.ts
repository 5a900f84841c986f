// The job summary's text as a file: the digest, statuses, missed targets and trend the action writes to the run page,
// for CLI runs and for workflows that post it elsewhere. The action's page adds its publishing lines and links.
import { renderJobSummary } from '../report/job-summary.js'
import { identity, type Exporter } from './types.js'

export const SUMMARY_FILE = 'swarm-bench-summary.md'

export const jobSummaryExporter: Exporter = {
  id: 'summary',
  fileName: SUMMARY_FILE,
  output: 'summary-path',
  render: ({ results, comparison, pullRequest: pr, clean = identity }) =>
    clean(
      renderJobSummary(results, comparison, {
        runUrl: pr?.runUrl,
        prNumber: pr?.number,
        methodUrl: pr?.methodUrl
      })
    )
}
