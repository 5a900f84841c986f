// Reading and writing the results file. Writes are validated and atomic (temp file + rename), so a crash never
// leaves half a file where the baseline step would look. Reads never throw and never trust the file: a missing,
// truncated, corrupt, foreign, newer or absurdly large file comes back as a reason, and the caller runs without it.
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  MAX_SAMPLES,
  RESULTS_FILE,
  Results,
  SCHEMA_VERSION,
  type HistoryEntry,
  type Results as ResultsT
} from './schema.js'
import { headlineValue } from '../stats/summary.js'

/** Bigger than any honest results file (18 benchmarks × a few hundred metrics × 1000 samples). */
export const MAX_RESULTS_BYTES = 50 * 1024 * 1024
export const MAX_BENCHMARKS = 500
export const MAX_METRICS = 50_000
export const MAX_TOTAL_SAMPLES = 5_000_000

export type ReadOutcome = { ok: true; results: ResultsT } | { ok: false; reason: string }

function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  const shown = issues.slice(0, 3).map(i => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
  const more = issues.length > 3 ? ` (+${issues.length - 3} more)` : ''
  return `${shown.join('; ')}${more}`
}

/** Validates and writes `<dir>/swarm-bench-results.json` atomically; returns its path. Throws on invalid results. */
export function writeResults(dir: string, results: ResultsT, fileName = RESULTS_FILE): string {
  const parsed = Results.safeParse(results)
  if (!parsed.success)
    throw new Error(`refusing to write invalid results: ${describeIssues(parsed.error.issues)}`)
  mkdirSync(dir, { recursive: true })
  const path = join(dir, fileName)
  const tmp = join(dir, `.${fileName}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    writeFileSync(tmp, JSON.stringify(parsed.data, null, 2) + '\n', { flush: true })
    renameSync(tmp, path)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
  return path
}

/** Reads and validates a results file. Never throws. */
export function readResults(path: string): ReadOutcome {
  let size: number
  try {
    const st = statSync(path)
    if (!st.isFile()) return { ok: false, reason: `${path} is not a file` }
    size = st.size
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return {
      ok: false,
      reason: code === 'ENOENT' ? `${path} does not exist` : `cannot stat ${path}: ${(err as Error).message}`
    }
  }
  if (size > MAX_RESULTS_BYTES) {
    return { ok: false, reason: `${path} is ${size} bytes, more than the ${MAX_RESULTS_BYTES}-byte limit` }
  }
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    return { ok: false, reason: `cannot read ${path}: ${(err as Error).message}` }
  }
  const outcome = parseResults(text)
  return outcome.ok ? outcome : { ok: false, reason: `${path}: ${outcome.reason}` }
}

/** Parses and validates results JSON text. Never throws. */
export function parseResults(text: string): ReadOutcome {
  if (text.length > MAX_RESULTS_BYTES) {
    return { ok: false, reason: `results text is ${text.length} characters, more than the limit` }
  }
  if (text.trim() === '') return { ok: false, reason: 'the file is empty' }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    return { ok: false, reason: describeJsonError(text, err as Error) }
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, reason: 'not a results object (the JSON is not an object)' }
  }
  const obj = data as Record<string, unknown>
  const version = obj.schemaVersion
  if (version === undefined) return { ok: false, reason: 'no schemaVersion: not a swarm-bench results file' }
  if (typeof version !== 'number' || !Number.isInteger(version)) {
    return { ok: false, reason: `schemaVersion ${JSON.stringify(version)} is not an integer` }
  }
  if (version > SCHEMA_VERSION) {
    return {
      ok: false,
      reason: `written by a newer version of swarm-bench (schemaVersion ${version}; this version reads ${SCHEMA_VERSION})`
    }
  }
  if (version < SCHEMA_VERSION) {
    return {
      ok: false,
      reason: `written by an older version of swarm-bench (schemaVersion ${version}; this version reads ${SCHEMA_VERSION})`
    }
  }
  const sizeProblem = checkSizes(obj)
  if (sizeProblem) return { ok: false, reason: sizeProblem }
  const parsed = Results.safeParse(data)
  if (!parsed.success) return { ok: false, reason: `invalid results: ${describeIssues(parsed.error.issues)}` }
  return { ok: true, results: parsed.data }
}

function describeJsonError(text: string, err: Error): string {
  // JSON.parse reports the end of input differently across engines; check the text itself.
  if (/unexpected end|end of (json )?input|unterminated/i.test(err.message)) {
    return `truncated: the JSON ends early (${text.length} characters read)`
  }
  if (/(^|[\s:,[])-?(NaN|Infinity)\b/.test(text)) {
    return 'contains NaN or Infinity, which JSON does not allow (a writer bug)'
  }
  return `not valid JSON: ${err.message.slice(0, 200)}`
}

/** Cheap structural counts before zod walks everything: an absurd file is rejected, not validated for minutes. */
function checkSizes(obj: Record<string, unknown>): string | undefined {
  const benchmarks = obj.benchmarks
  if (!Array.isArray(benchmarks)) return undefined
  if (benchmarks.length > MAX_BENCHMARKS) {
    return `${benchmarks.length} benchmarks, more than the limit of ${MAX_BENCHMARKS}`
  }
  let metrics = 0
  let samples = 0
  for (const b of benchmarks) {
    const ms = (b as { metrics?: unknown } | null)?.metrics
    if (!Array.isArray(ms)) continue
    metrics += ms.length
    for (const m of ms) {
      const s = (m as { samples?: unknown } | null)?.samples
      if (!Array.isArray(s)) continue
      if (s.length > MAX_SAMPLES)
        return `a metric has ${s.length} samples, more than the limit of ${MAX_SAMPLES}`
      samples += s.length
    }
  }
  if (metrics > MAX_METRICS) return `${metrics} metrics, more than the limit of ${MAX_METRICS}`
  if (samples > MAX_TOTAL_SAMPLES)
    return `${samples} samples in total, more than the limit of ${MAX_TOTAL_SAMPLES}`
  return undefined
}

/** The headline value of every measured metric of a run, keyed `benchmarkId/metric`. */
export function condense(results: ResultsT): HistoryEntry {
  const values: Record<string, number> = {}
  for (const b of results.benchmarks) {
    if (b.status === 'error' || b.status === 'skipped') continue
    for (const m of b.metrics) if (m.summary.n > 0) values[`${b.id}/${m.name}`] = headlineValue(m.summary)
  }
  const entry: HistoryEntry = { startedAt: results.run.startedAt, values }
  if (results.run.git?.runId) entry.runId = results.run.git.runId
  if (results.run.git?.sha) entry.sha = results.run.git.sha
  return entry
}

/**
 * History to store in a new baseline: the previous baseline run condensed, then its own history, newest first,
 * capped at `max`. A history of runs on another provider or profile measures something else: it restarts.
 * Re-runs (same run id as `current`) are not counted twice.
 */
export function appendHistory(previous: ResultsT | undefined, current: ResultsT, max = 20): HistoryEntry[] {
  max = Math.min(max, 50) // the schema keeps at most 50 entries
  if (!previous || max <= 0) return []
  if (previous.run.provider !== current.run.provider || previous.run.profile !== current.run.profile)
    return []
  const currentRun = current.run.git?.runId
  const seen = new Set<string>()
  const out: HistoryEntry[] = []
  for (const entry of [condense(previous), ...previous.history]) {
    if (currentRun && entry.runId === currentRun) continue
    const id = entry.runId ?? `${entry.sha ?? ''}@${entry.startedAt}`
    if (seen.has(id)) continue
    seen.add(id)
    out.push(entry)
    if (out.length >= max) break
  }
  return out
}
