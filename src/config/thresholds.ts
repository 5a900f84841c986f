// Input `thresholds` (CLI `--thresholds`): per-benchmark or per-metric minimum effects that override
// `regression-threshold`, given as a YAML or JSON mapping (JSON is YAML). Keys: a benchmark id, a metric name,
// or `benchmark/metric`; values: a percent from 0 to 1000 (`15` or `"15%"`).
import { parse } from 'yaml'
import { BENCHMARK_IDS } from '../bench/catalog.js'
import { InputError, type InputReader } from './input-table.js'

const KEY_FORM = 'a benchmark id, a metric name or benchmark/metric'
const VALUE_FORM = 'a percent from 0 to 1000'
const ACCEPTED = `a YAML or JSON mapping of ${KEY_FORM} to ${VALUE_FORM}, e.g. {"trading.consensus": 25, "rtt_ms": 15}`
const METRIC_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,199}$/
const CATEGORY_PREFIX = /^(creation|scalability|trading|communication|resources|costs)\./

/**
 * Parses the raw text of the input; throws an InputError naming the input, its value and, when one is wrong, the
 * key and what it may be.
 */
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
    checkKey(input, text, key)
    out[key] = percentOf(input, text, key, value)
  }
  return out
}

function checkKey(input: string, raw: string, key: string): void {
  const ids = `a benchmark id (one of ${BENCHMARK_IDS.join(', ')})`
  const slash = key.indexOf('/')
  if (slash >= 0) {
    if (!BENCHMARK_IDS.includes(key.slice(0, slash)))
      throw new InputError(input, raw, `key ${JSON.stringify(key)} to start with ${ids} before the /`)
    if (!METRIC_NAME.test(key.slice(slash + 1)))
      throw new InputError(input, raw, `key ${JSON.stringify(key)} to end with a metric name after the /`)
    return
  }
  // A key shaped like a benchmark id must be one: a typo would otherwise silently apply to nothing.
  if (CATEGORY_PREFIX.test(key) && !BENCHMARK_IDS.includes(key) && !key.includes('_'))
    throw new InputError(
      input,
      raw,
      `key ${JSON.stringify(key)} to be ${ids}, a metric name or benchmark/metric`
    )
  if (!METRIC_NAME.test(key)) throw new InputError(input, raw, `key ${JSON.stringify(key)} to be ${KEY_FORM}`)
}

function percentOf(input: string, raw: string, key: string, value: unknown): number {
  const v = typeof value === 'string' ? value.trim().replace(/\s*%$/, '') : value
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN
  if (!Number.isFinite(n) || n < 0 || n > 1000)
    throw new InputError(input, raw, `${VALUE_FORM} for ${key}, not ${JSON.stringify(value)}`)
  return n
}

export const readThresholds = (read: InputReader, name = 'thresholds'): Record<string, number> =>
  parseThresholds(read(name), name)
