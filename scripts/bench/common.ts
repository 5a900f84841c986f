// Shared by the four measurement scripts: flag parsing, percentiles, plain-text tables, the machine as the run
// found it, and the `--json FILE` output. Every figure a script prints comes from a measurement in that run.
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { projectRoot } from '../../src/paths.js'
import { mulberry32 } from '../../src/stats/bootstrap.js'

export type FlagSpec = Record<
  string,
  { type: 'string' | 'boolean'; default?: string | boolean; help: string }
>

/** Parses argv against the spec; `--help` prints the flags and exits 0, an unknown flag exits 2 naming it. */
export function flags<S extends FlagSpec>(
  name: string,
  about: string,
  spec: S,
  argv = process.argv.slice(2)
): { [K in keyof S]: S[K]['type'] extends 'boolean' ? boolean : string } {
  const help = (): string =>
    `${name}: ${about}\n\n` +
    Object.entries(spec)
      .map(
        ([k, v]) =>
          `  --${k}${v.type === 'string' ? ' <value>' : ''}  ${v.help}${v.default !== undefined && v.type === 'string' ? ` (default ${String(v.default)})` : ''}`
      )
      .join('\n') +
    '\n  --help  this text\n'
  let parsed: { values: Record<string, string | boolean | undefined> }
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        ...Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, { type: v.type }])),
        help: { type: 'boolean' }
      },
      allowPositionals: false,
      strict: true
    }) as { values: Record<string, string | boolean | undefined> }
  } catch (err) {
    process.stderr.write(`${name}: ${(err as Error).message}\n\n${help()}`)
    process.exit(2)
  }
  if (parsed.values.help) {
    process.stdout.write(help())
    process.exit(0)
  }
  const out: Record<string, string | boolean> = {}
  for (const [k, v] of Object.entries(spec))
    out[k] = parsed.values[k] ?? v.default ?? (v.type === 'boolean' ? false : '')
  return out as { [K in keyof S]: S[K]['type'] extends 'boolean' ? boolean : string }
}

/** A positive integer flag, or exit 2 naming it. */
export function intFlag(name: string, raw: string, min = 1): number {
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`--${name}: expected an integer ≥ ${min}, got ${JSON.stringify(raw)}\n`)
    process.exit(2)
  }
  return n
}

export function numFlag(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw)
  if (!Number.isFinite(n) || n < min || n > max) {
    process.stderr.write(`--${name}: expected a number in [${min}, ${max}], got ${JSON.stringify(raw)}\n`)
    process.exit(2)
  }
  return n
}

/** Linear-interpolated quantile (R type 7) of unsorted samples. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN
  const s = Float64Array.from(samples).sort()
  const pos = (s.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return s[lo] + (s[hi] - s[lo]) * (pos - lo)
}

export interface Dist {
  n: number
  p50: number
  p99: number
  mean: number
  min: number
  max: number
}

export function dist(samples: readonly number[]): Dist {
  const n = samples.length
  return {
    n,
    p50: quantile(samples, 0.5),
    p99: quantile(samples, 0.99),
    mean: n ? samples.reduce((a, b) => a + b, 0) / n : Number.NaN,
    min: n ? Math.min(...samples) : Number.NaN,
    max: n ? Math.max(...samples) : Number.NaN
  }
}

export const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0)

/** Fixed-width text table; numbers are right-aligned. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = rows.map(r => r.map(c => (typeof c === 'number' ? fmt(c) : c)))
  const width = headers.map((h, i) => Math.max(h.length, ...cells.map(r => (r[i] ?? '').length)))
  const numeric = headers.map((_, i) =>
    rows.every(r => typeof r[i] === 'number' || /^[-+]?[\d.,]+/.test(String(r[i])))
  )
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(width[i]) : c.padEnd(width[i])))
      .join('  ')
      .trimEnd()
  return [line(headers), width.map(w => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n')
}

/** Compact number: 3 significant digits below 1000, thousands separators above. */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x)
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US')
  if (x === 0) return '0'
  return Number(x.toPrecision(digits)).toString()
}

export const usd = (x: number): string => `$${x < 0.01 ? x.toFixed(5) : x.toFixed(4)}`

export interface Machine {
  date: string
  node: string
  python: string
  platform: string
  cpus: number
  cpuModel: string
  memoryTotalBytes: number
  loadAvg1m: number
  gitCommit?: string
  gitDirty?: boolean
}

export function machine(): Machine {
  const git = (args: string[]): string | undefined => {
    try {
      return execFileSync('git', args, {
        cwd: projectRoot(),
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore']
      }).trim()
    } catch {
      return undefined
    }
  }
  let python = 'unknown'
  try {
    python = execFileSync('python3', ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], {
      encoding: 'utf8'
    }).trim()
  } catch {
    // reported as unknown
  }
  const status = git(['status', '--porcelain', '--', 'agent', 'src'])
  return {
    date: new Date().toISOString(),
    node: process.version,
    python,
    platform: `${process.platform}-${process.arch}`,
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model?.trim() ?? 'unknown',
    memoryTotalBytes: os.totalmem(),
    loadAvg1m: os.loadavg()[0],
    gitCommit: git(['rev-parse', '--short', 'HEAD']),
    gitDirty: status === undefined ? undefined : status.length > 0
  }
}

export function machineLine(m: Machine): string {
  return (
    `${m.date} · ${m.cpus} cpus (${m.cpuModel}) · ${(m.memoryTotalBytes / 2 ** 30).toFixed(1)} GiB · ` +
    `node ${m.node} · python ${m.python} · load ${m.loadAvg1m.toFixed(2)} · commit ${m.gitCommit ?? '?'}` +
    `${m.gitDirty ? ' (agent/src modified)' : ''}`
  )
}

export function writeJson(file: string | undefined, data: unknown): void {
  if (!file) return
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n')
}

export const agentFloorsDir = (): string => join(projectRoot(), 'agent', 'floors')
export const benchDir = (): string => join(projectRoot(), 'scripts', 'bench')

export const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms))

/** Seeded PRNG for reproducible resampling in the detector: the comparison's own mulberry32. */
export const rng = mulberry32

/** `k` CPU-spinning processes beside a measurement (a busy runner); the returned function stops them. */
export function startLoad(k: number): () => void {
  const hogs = Array.from({ length: k }, () =>
    spawn('python3', ['-c', 'while True: pass'], { stdio: 'ignore' })
  )
  const stop = (): void => {
    // One exit listener per load, gone with it (bench:duet starts a load per loaded duet).
    process.off('exit', stop)
    for (const h of hogs) h.kill('SIGKILL')
  }
  process.once('exit', stop)
  return stop
}
