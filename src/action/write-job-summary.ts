// The job summary: written at the end of every main step, whatever failed before it, so a run always explains
// itself on the run page. Off a runner (no GITHUB_STEP_SUMMARY) it goes to the log instead.
import * as core from '@actions/core'
import { escapeMd, renderJobSummary, type JobSummaryOptions } from '../report/index.js'
import type { Results } from '../results/schema.js'
import type { Comparison } from '../stats/compare.js'
import { errorText } from '../errors.js'

export async function writeJobSummary(opts: {
  results?: Results
  comparison?: Comparison
  /** One line per publishing step; plain text, escaped here. */
  publishing: string[]
  fatal?: string
  links: JobSummaryOptions
  clean: (s: string) => string
}): Promise<void> {
  const parts: string[] = []
  if (opts.fatal) parts.push(`## ❌ swarm-bench failed\n\n${escapeMd(opts.fatal, 2000)}\n`)
  if (opts.results) parts.push(renderJobSummary(opts.results, opts.comparison, opts.links))
  if (opts.publishing.length > 0) {
    parts.push(`### Publishing\n\n${opts.publishing.map(l => `- ${escapeMd(l, 500)}`).join('\n')}\n`)
  }
  const text = opts.clean(parts.join('\n'))
  if (!process.env.GITHUB_STEP_SUMMARY) {
    core.info(`No GITHUB_STEP_SUMMARY (not on a runner); the summary would have been:\n${text}`)
    return
  }
  try {
    await core.summary.addRaw(text, true).write()
  } catch (err) {
    core.warning(`Could not write the job summary: ${opts.clean(errorText(err))}`)
  }
}
