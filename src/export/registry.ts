// Every output format, in the order they are written: the results first, so a later failure never costs them.
import { bencherExporter } from './bencher.js'
import { biggerIsBetterExporter, smallerIsBetterExporter } from './github-action-benchmark.js'
import { jobSummaryExporter } from './job-summary.js'
import { prCommentExporter } from './pr-comment.js'
import { reportExporter } from './report.js'
import { resultsExporter } from './results.js'
import type { Exporter } from './types.js'

export const EXPORTERS: readonly Exporter[] = [
  resultsExporter,
  reportExporter,
  jobSummaryExporter,
  prCommentExporter,
  smallerIsBetterExporter,
  biggerIsBetterExporter,
  bencherExporter
]

export const EXPORTER_IDS = EXPORTERS.map(e => e.id)
