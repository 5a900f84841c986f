// The Markdown report, as src/report/markdown.ts renders it.
import { renderReport } from '../report/markdown.js'
import { REPORT_FILE } from '../results/schema.js'
import { identity, type Exporter } from './types.js'

export const reportExporter: Exporter = {
  id: 'report',
  fileName: REPORT_FILE,
  output: 'report-path',
  render: ({ results, comparison, report, clean = identity }) =>
    clean(renderReport(results, comparison, report))
}
