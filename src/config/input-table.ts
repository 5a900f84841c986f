// One table of inputs shared by the action (action.yml `with:`) and the CLI (flags): every value is parsed and
// range-checked here, and every error names the input, the value given and what is accepted.
import { SwarmBenchError } from '../errors.js'

export class InputError extends SwarmBenchError {
  constructor(
    readonly input: string,
    readonly value: string,
    readonly accepted: string
  ) {
    super(`Invalid input '${input}': ${JSON.stringify(truncate(value))} — expected ${accepted}`)
    this.name = 'InputError'
  }
}

const truncate = (s: string): string => (s.length > 80 ? `${s.slice(0, 77)}...` : s)

/** Reads a raw input; returns '' when unset. */
export type InputReader = (name: string) => string

export function readEnum<T extends string>(
  read: InputReader,
  name: string,
  values: readonly T[],
  dflt: T
): T {
  const raw = read(name).trim()
  if (raw === '') return dflt
  const v = raw.toLowerCase()
  if ((values as readonly string[]).includes(v)) return v as T
  throw new InputError(name, raw, `one of ${values.join(', ')}`)
}

export function readNumber(
  read: InputReader,
  name: string,
  dflt: number,
  opts: { min: number; max: number; integer?: boolean }
): number {
  const raw = read(name).trim()
  if (raw === '') return dflt
  const accepted = `${opts.integer ? 'an integer' : 'a number'} from ${opts.min} to ${opts.max}`
  // Number('') and Number('0x10') are too lenient for user input: require a plain decimal.
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) throw new InputError(name, raw, accepted)
  const v = Number(raw)
  if (!Number.isFinite(v) || v < opts.min || v > opts.max || (opts.integer && !Number.isInteger(v))) {
    throw new InputError(name, raw, accepted)
  }
  return v
}

export function readBoolean(read: InputReader, name: string, dflt: boolean): boolean {
  const raw = read(name).trim()
  if (raw === '') return dflt
  const v = raw.toLowerCase()
  if (['true', 'yes', '1', 'on'].includes(v)) return true
  if (['false', 'no', '0', 'off'].includes(v)) return false
  throw new InputError(name, raw, 'true or false')
}

/** Comma or newline separated list of names from a fixed set; `all` selects every value. */
export function readList<T extends string>(
  read: InputReader,
  name: string,
  values: readonly T[],
  dflt: readonly T[]
): T[] {
  const raw = read(name).trim()
  if (raw === '') return [...dflt]
  const items = raw
    .split(/[\s,]+/)
    .map(s => s.trim())
    .filter(Boolean)
  if (items.length === 1 && items[0].toLowerCase() === 'all') return [...values]
  const out: T[] = []
  for (const item of items) {
    const v = item.toLowerCase()
    if (!(values as readonly string[]).includes(v)) {
      throw new InputError(name, item, `a comma-separated list of ${values.join(', ')} (or 'all')`)
    }
    if (!out.includes(v as T)) out.push(v as T)
  }
  if (out.length === 0) throw new InputError(name, raw, `at least one of ${values.join(', ')}`)
  return out
}

export function readString(
  read: InputReader,
  name: string,
  dflt: string,
  opts: { pattern?: RegExp; accepted?: string; maxLength?: number } = {}
): string {
  const raw = read(name).trim()
  if (raw === '') return dflt
  const max = opts.maxLength ?? 1000
  if (raw.length > max || (opts.pattern && !opts.pattern.test(raw))) {
    throw new InputError(name, raw, opts.accepted ?? `a string of at most ${max} characters`)
  }
  return raw
}
