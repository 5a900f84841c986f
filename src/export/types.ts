// One output format = one Exporter: an id, the file it writes and a pure render. writeOutputs (./write.ts) writes
// whatever the registry (./registry.ts) lists, for the action and the CLI alike. A new format is one file here and
// one registry line (as hyperfine's src/export/).
import type { FileOutput } from '../action/outcome.js'
import type { ReportOptions } from '../report/markdown.js'
import type { Results } from '../results/schema.js'
import type { Comparison } from '../stats/compare.js'

/** Where the action would post its sticky comment; present only on a pull request. */
export interface PullRequestTarget {
  number: number
  headSha: string
  /** The sticky comment's hidden marker. */
  marker: string
  runUrl?: string
  /** The body's cap, marker included; default GitHub's limit. */
  maxChars?: number
  /** Link to docs/regressions.md of the action's repository, for the evidence lines. */
  methodUrl?: string
}

export interface ExportInput {
  results: Results
  comparison?: Comparison
  /** Applied to every string a file carries (secrets → ***); the caller redacts `results` itself. */
  clean?: (text: string) => string
  /** Options of the Markdown report (the CLI's reproduce line). */
  report?: ReportOptions
  pullRequest?: PullRequestTarget
}

export interface Exporter {
  /** Short stable name, used to pick or skip exporters and in error messages. */
  id: string
  /** Written beside `swarm-bench-results.json`. */
  fileName: string
  /** The action output that carries the written file's path (empty when the file was not written). */
  output: FileOutput
  /** The file's text, or undefined when this run has nothing for the format (the file is then not written). */
  render(input: ExportInput): string | undefined
}

export const identity = (text: string): string => text
