// Reading and writing the results file. Writes are validated and atomic (temp file + rename), so a crash never
// leaves half a file where the baseline step would look. Reads never throw and never trust the file: a missing,
// truncated, corrupt, foreign, newer or absurdly large file comes back as a reason, and the caller runs without it.
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import {
  DEFAULT_HISTORY_RUNS,
  FLOOR_KEY,
  MAX_HISTORY,
  MAX_HISTORY_V1,
  MIN_SCHEMA_VERSION,
  MAX_SAMPLES,
  RESULTS_FILE,
  Results,
  SCHEMA_VERSION,
  type HistoryEntry,
  type Results as ResultsT
} from './schema.js'
import { providerNames } from '../sandbox/registry.js'
import { headlineValue } from '../stats/describe.js'

/** Bigger than any honest results file (every benchmark × a few hundred metrics × 1000 samples). */
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

/** The results file's text: validated first, so an invalid run is never written. Throws on invalid results. */
export function serializeResults(results: ResultsT): string {
  const parsed = Results.safeParse(results)
  if (!parsed.success)
    throw new Error(`refusing to write invalid results: ${describeIssues(parsed.error.issues)}`)
  return JSON.stringify(parsed.data, null, 2) + '\n'
}

/** Writes through a temp file and a rename, so a reader (or a crash) never sees half a file. */
export function writeFileAtomic(path: string, text: string): void {
  const dir = dirname(path)
  mkdirSync(dir, { recursive: true })
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    writeFileSync(tmp, text, { flush: true })
    renameSync(tmp, path)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
}

/** Validates and writes `<dir>/swarm-bench-results.json` atomically; returns its path. Throws on invalid results. */
export function writeResults(dir: string, results: ResultsT, fileName = RESULTS_FILE): string {
  const text = serializeResults(results)
  const path = join(dir, fileName)
  writeFileAtomic(path, text)
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
  if (version < MIN_SCHEMA_VERSION) {
    return {
      ok: false,
      reason: `written by an older version of swarm-bench (schemaVersion ${version}; this version reads ${MIN_SCHEMA_VERSION} to ${SCHEMA_VERSION})`
    }
  }
  const sizeProblem = checkSizes(obj)
  if (sizeProblem) return { ok: false, reason: sizeProblem }
  const migrated = migrate(obj, version)
  if (typeof migrated === 'string') return { ok: false, reason: migrated }
  const parsed = Results.safeParse(migrated)
  if (!parsed.success) return { ok: false, reason: `invalid results: ${describeIssues(parsed.error.issues)}` }
  // A provider this build does not register: its file cannot be judged here (it is not a name in the schema).
  const provider = parsed.data.run.provider
  if (!providerNames().includes(provider)) {
    const known = providerNames().join(', ')
    return {
      ok: false,
      reason: `invalid results: run.provider: expected one of ${known}, got ${JSON.stringify(provider)}`
    }
  }
  const inconsistent = findInconsistency(parsed.data)
  if (inconsistent) return { ok: false, reason: `inconsistent results: ${inconsistent}` }
  return { ok: true, results: parsed.data }
}

/** Units whose values cannot be negative: a negative one means a tampered or broken file. */
const NON_NEGATIVE_UNITS = new Set(['ms', 's', 'bytes', 'messages', 'MiB', 'usd/op', 'x', '%', 'ratio'])

/**
 * What the schema cannot say: a summary must be a summary of something (ordered statistics, samples inside
 * [min, max], no more samples than n) and durations, costs and non-negative units must not be negative. A baseline
 * that breaks these could otherwise turn into a confident verdict.
 */
export function findInconsistency(r: Results): string | undefined {
  const eps = (a: number, b: number): number => 1e-9 * Math.max(1, Math.abs(a), Math.abs(b))
  const le = (a: number, b: number): boolean => a <= b + eps(a, b)
  if (r.run.durationMs < 0) return `run.durationMs is negative (${r.run.durationMs})`
  for (const k of ['sandboxSeconds', 'vcpuSeconds', 'gibSeconds', 'usd'] as const) {
    if (r.cost[k] < 0) return `cost.${k} is negative (${r.cost[k]})`
  }
  for (const [bi, b] of r.benchmarks.entries()) {
    if (b.durationMs < 0) return `benchmarks.${bi}.durationMs is negative (${b.durationMs})`
    for (const [mi, m] of b.metrics.entries()) {
      const at = `benchmarks.${bi}.metrics.${mi}`
      const s = m.summary
      if (m.samples.length > s.n) return `${at}: ${m.samples.length} samples but n = ${s.n}`
      if (s.n === 0) continue
      if (m.samples.length === 0) return `${at}: a summary of ${s.n} samples with no samples kept`
      const ordered: [string, number][] = [
        ['min', s.min],
        ['p50', s.p50],
        ['p95', s.p95],
        ['p99', s.p99],
        ['max', s.max]
      ]
      for (let i = 1; i < ordered.length; i++) {
        const [an, av] = ordered[i - 1]
        const [bn, bv] = ordered[i]
        if (!le(av, bv)) return `${at}: ${an} ${av} > ${bn} ${bv}`
      }
      for (const [name, v] of [
        ['median', s.median],
        ['mean', s.mean]
      ] as const) {
        if (!le(s.min, v) || !le(v, s.max)) return `${at}: ${name} ${v} outside [min ${s.min}, max ${s.max}]`
      }
      if (s.stddev < 0) return `${at}: negative stddev`
      if (!le(s.ci.low, s.ci.high)) return `${at}: interval low ${s.ci.low} > high ${s.ci.high}`
      const outside = m.samples.find(x => !le(s.min, x) || !le(x, s.max))
      if (outside !== undefined) return `${at}: sample ${outside} outside [min ${s.min}, max ${s.max}]`
      if (NON_NEGATIVE_UNITS.has(m.unit) && s.min < 0) return `${at}: negative ${m.unit} value ${s.min}`
    }
  }
  return undefined
}

/**
 * The rule for older files: version 1 differs from 2 only in its history cap (50 runs, not 500), so a version-1 file
 * within its own cap is read as version 2, unchanged otherwise. A version-1 file past its cap was not written by
 * swarm-bench and is refused. (A version-1 reader refuses every version-2 file as newer: see docs/regressions.md.)
 */
function migrate(obj: Record<string, unknown>, version: number): Record<string, unknown> | string {
  if (version === SCHEMA_VERSION) return obj
  const history = obj.history
  if (Array.isArray(history) && history.length > MAX_HISTORY_V1) {
    return `invalid results: a schemaVersion 1 file holds at most ${MAX_HISTORY_V1} history runs, this one ${history.length}`
  }
  return { ...obj, schemaVersion: SCHEMA_VERSION }
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
  const floor = results.run.floor
  if (floor && floor.summary.n > 0) values[FLOOR_KEY] = headlineValue(floor.summary)
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
export function appendHistory(
  previous: ResultsT | undefined,
  current: ResultsT,
  max = DEFAULT_HISTORY_RUNS
): HistoryEntry[] {
  max = Math.min(max, MAX_HISTORY) // the schema keeps at most MAX_HISTORY entries
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
