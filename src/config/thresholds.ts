// Input `thresholds` (CLI `--thresholds`): per-benchmark or per-metric minimum effects that override
// `regression-threshold`, given as a YAML or JSON mapping (JSON is YAML). Keys: a benchmark id, a metric name,
// or `benchmark/metric`; values: a percent from 0 to 1000 (`15` or `"15%"`).
import { parse } from 'yaml'
import { BENCHMARK_IDS } from '../bench/catalog.js'
import { InputError, type InputReader } from './inputs.js'

const KEY_FORM = 'a benchmark id, a metric name or benchmark/metric'
const VALUE_FORM = 'a percent from 0 to 1000'
const ACCEPTED = `a YAML or JSON mapping of ${KEY_FORM} to ${VALUE_FORM}, e.g. {"trading.consensus": 25, "rtt_ms": 15}`
const METRIC_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,199}$/
const CATEGORY_PREFIX = /^(creation|scalability|trading|communication|resources|costs)\./

/** Parses the raw text of the input; throws an InputError naming the input and, when one is wrong, the key. */
export function parseThresholds(raw: string, input = 'thresholds'): Record<string, number> {
  const text = raw.trim()
  if (text === '') return {}
  let doc: unknown
  try {
    doc = parse(text)
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err)
    throw new InputError(input, text, `${ACCEPTED} (it does not parse: ${why})`)
  }
  if (doc === null || doc === undefined) return {}
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new InputError(input, text, ACCEPTED)
  const out: Record<string, number> = {}
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    checkKey(input, key)
    out[key] = percentOf(input, key, value)
  }
  return out
}

function checkKey(input: string, key: string): void {
  const known = `one of ${BENCHMARK_IDS.join(', ')}`
  const slash = key.indexOf('/')
  if (slash >= 0) {
    const bench = key.slice(0, slash)
    if (!BENCHMARK_IDS.includes(bench))
      throw new InputError(input, key, `${KEY_FORM}; before the / a benchmark id, ${known}`)
    if (!METRIC_NAME.test(key.slice(slash + 1)))
      throw new InputError(input, key, `${KEY_FORM}; after the / a metric name`)
    return
  }
  // A key shaped like a benchmark id must be one: a typo would otherwise silently apply to nothing.
  if (CATEGORY_PREFIX.test(key) && !BENCHMARK_IDS.includes(key) && !key.includes('_'))
    throw new InputError(input, key, `${KEY_FORM}; as a benchmark id, ${known}`)
  if (!METRIC_NAME.test(key)) throw new InputError(input, key, KEY_FORM)
}

function percentOf(input: string, key: string, value: unknown): number {
  const raw = typeof value === 'string' ? value.trim().replace(/\s*%$/, '') : value
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw !== '' ? Number(raw) : NaN
  if (!Number.isFinite(n) || n < 0 || n > 1000)
    throw new InputError(input, `${key}: ${JSON.stringify(value)}`, `${VALUE_FORM} for ${key}`)
  return n
}

export const readThresholds = (read: InputReader, name = 'thresholds'): Record<string, number> =>
  parseThresholds(read(name), name)
