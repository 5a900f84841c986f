// Action-only inputs (GitHub side) on top of the engine's RunConfig; same validation rules and messages.
import { parseRunConfig, type ParseOptions, type RunConfig } from './config.js'
import { DEFAULT_HISTORY_RUNS, MAX_HISTORY } from '../results/schema.js'
import { readBoolean, readEnum, readNumber, readString, type InputReader } from './input-table.js'
import { readThresholds } from './thresholds.js'
import { COMMENT_MODES, type CommentMode } from '../github/sticky-comment.js'

export { COMMENT_MODES, type CommentMode }

export const DUET_MODES = ['auto', 'off'] as const
export type DuetMode = (typeof DUET_MODES)[number]

const ARTIFACT_NAME = {
  pattern: /^[^"<>:|*?\\/\r\n]{1,200}$/,
  accepted: 'an artifact name without " < > : | * ? \\ /'
}

export interface ActionConfig extends RunConfig {
  githubToken: string
  baselineArtifact: string
  /** Empty: the repository's default branch, resolved later from the event or the API. */
  baselineBranch: string
  regressionThresholdPct: number
  /** Per-benchmark or per-metric overrides of `regressionThresholdPct` (input `thresholds`). */
  thresholds: Record<string, number>
  /** A pull request carrying this label passes the regression gate; its regressions are reported as accepted. */
  acceptLabel: string
  failOnRegression: boolean
  comment: CommentMode
  artifactName: string
  retentionDays: number
  /** Earlier default-branch runs the baseline artifact carries (condensed) for trends and change points. */
  historyRuns: number
  /** `auto`: on a pull request, measure the base commit's code beside the head's (a duet); `off`: never. */
  duet: DuetMode
  /** A folder holding the base's checkout, made by the workflow; empty: a git worktree of the base commit. */
  basePath: string
  /**
   * Budget in USD for the run's measured cost (confirm runs included); undefined: none. On the local provider the
   * cost is the estimate "as if on E2B", and the budget applies to it too.
   */
  maxCostUsd?: number
  /** Re-measurements of the benchmarks with a regression verdict before the gate fails (0: none). */
  confirmRuns: number
}

export function parseActionConfig(
  read: InputReader,
  env: NodeJS.ProcessEnv = process.env,
  opts: ParseOptions = {}
): ActionConfig {
  // The action writes into a subfolder by default so the workspace root stays clean.
  const readWithDefaults: InputReader = name => (name === 'out' ? read(name) || 'swarm-bench' : read(name))
  return {
    ...parseRunConfig(readWithDefaults, env, opts),
    githubToken: read('github-token').trim() || env.GITHUB_TOKEN || '',
    baselineArtifact: readString(read, 'baseline-artifact', 'swarm-bench-baseline', ARTIFACT_NAME),
    baselineBranch: readString(read, 'baseline-branch', '', {
      pattern: /^[^\s~^:?*[\\]{1,250}$/,
      accepted: 'a git branch name'
    }),
    regressionThresholdPct: readNumber(read, 'regression-threshold', 10, { min: 0, max: 1000 }),
    thresholds: readThresholds(read),
    acceptLabel: readString(read, 'accept-label', 'swarm-bench:accept', {
      maxLength: 50,
      pattern: /^[^\r\n,]{1,50}$/,
      accepted: 'a pull request label name (1-50 characters, no comma)'
    }),
    failOnRegression: readBoolean(read, 'fail-on-regression', true),
    comment: readEnum(read, 'comment', COMMENT_MODES, 'always'),
    artifactName: readString(read, 'artifact-name', 'swarm-bench-results', ARTIFACT_NAME),
    retentionDays: readNumber(read, 'retention-days', 30, { min: 1, max: 90, integer: true }),
    historyRuns: readNumber(read, 'history-runs', DEFAULT_HISTORY_RUNS, {
      min: 0,
      max: MAX_HISTORY,
      integer: true
    }),
    duet: readEnum(read, 'duet', DUET_MODES, 'auto'),
    basePath: readString(read, 'base-path', '', { maxLength: 4096 }),
    maxCostUsd: read('max-cost-usd').trim()
      ? readNumber(read, 'max-cost-usd', 0, { min: 0, max: 100_000 })
      : undefined,
    confirmRuns: readNumber(read, 'confirm-runs', 0, { min: 0, max: 5, integer: true })
  }
}
