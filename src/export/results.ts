// The results file itself, validated before it is written (src/results/io.ts).
import { serializeResults } from '../results/io.js'
import { RESULTS_FILE } from '../results/schema.js'
import type { Exporter } from './types.js'

export const resultsExporter: Exporter = {
  id: 'results',
  fileName: RESULTS_FILE,
  output: 'results-path',
  // Not passed through `clean`: redacting JSON text could break it, so the caller hands in redacted results.
  render: ({ results }) => serializeResults(results)
}
