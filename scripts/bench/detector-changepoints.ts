// bench:detector --mode changepoints — how the change-point search on the baseline's history (src/stats/trend.ts,
// findStep in src/stats/change-points.ts) fares on synthetic histories of default-branch runs:
//   flat      no change at all: any reported step is a false alarm (per headline, and per baseline run over every
//             gated headline at once, as the action searches them)
//   step      one metric made s % worse from a random run on: detected (a worse step reported), and located
//             (the reported first run within ±1 of the injected one)
//   under     a +5 % step, under the 10 % threshold: should not be reported
//   creep     five +3 % steps spread over the history (+16 % in all, each far under the threshold)
// Each run's value is the metric's level × exp(σ·z), σ its run-to-run noise on the log scale: measured per gated
// headline across recorded results files (--noise-from), and at fixed synthetic levels. Optionally one run in
// --busy-every is on a busy runner (every value 1.4× worse).
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { isDuetHeadline } from '../../src/duet/headlines.js'
import { readResults } from '../../src/results/io.js'
import type { Direction, Results } from '../../src/results/schema.js'
import { hashSeed } from '../../src/stats/bootstrap.js'
import { DEFAULT_EDIVISIVE, findStep } from '../../src/stats/change-points.js'
import { headlineValue } from '../../src/stats/describe.js'
import { fmt, rng, table } from './common.js'

export interface Headline {
  key: string
  direction: Direction
  /** Run-to-run σ of ln(headline). */
  sigma: number
}

/** Standard normal by Box–Muller. */
export function gauss(rand: () => number): number {
  let u = 0
  while (u === 0) u = rand()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand())
}

/** σ of ln(headline) of every gated headline measured by at least 3 of the runs (sample standard deviation). */
export function headlineNoise(runs: readonly Results[]): Headline[] {
  const by = new Map<string, { direction: Direction; logs: number[] }>()
  for (const r of runs) {
    for (const b of r.benchmarks) {
      if (b.status === 'error' || b.status === 'skipped') continue
      for (const m of b.metrics) {
        if (!isDuetHeadline(b.id, m) || m.summary.n === 0) continue
        const v = headlineValue(m.summary)
        if (!(v > 0)) continue
        const key = `${b.id}/${m.name}`
        const e = by.get(key) ?? { direction: m.direction, logs: [] }
        e.logs.push(Math.log(v))
        by.set(key, e)
      }
    }
  }
  const out: Headline[] = []
  for (const [key, e] of by) {
    if (e.logs.length < 3) continue
    const mean = e.logs.reduce((a, b) => a + b, 0) / e.logs.length
    const sd = Math.sqrt(e.logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (e.logs.length - 1))
    out.push({ key, direction: e.direction, sigma: sd })
  }
  return out.sort((a, b) => a.sigma - b.sigma)
}

export type Scenario =
  { kind: 'flat' } | { kind: 'step'; pct: number } | { kind: 'creep'; pct: number; steps: number }

/** Where a scenario's injected change begins (oldest-first run index), or the creep's steps. */
export function changeRuns(s: Scenario, n: number, rand: () => number): number[] {
  if (s.kind === 'flat') return []
  if (s.kind === 'step') return [10 + Math.floor(rand() * (n - 20))]
  return Array.from({ length: s.steps }, (_, i) => Math.round((n * (i + 1)) / (s.steps + 2)))
}

/** A history of `n` runs of one headline: level 1 × the scenario's worse factor × noise (× busy runs). */
export function syntheticHistory(
  h: Headline,
  s: Scenario,
  at: readonly number[],
  n: number,
  rand: () => number,
  busyEvery = 0
): number[] {
  const worse = (pct: number): number => (h.direction === 'lower' ? 1 + pct / 100 : 1 / (1 + pct / 100))
  return Array.from({ length: n }, (_, i) => {
    const steps = s.kind === 'flat' ? 0 : at.filter(a => i >= a).length
    const level = s.kind === 'flat' ? 1 : worse(s.pct) ** steps
    const busy = busyEvery > 0 && rand() < 1 / busyEvery ? worse(40) : 1
    return level * busy * Math.exp(h.sigma * gauss(rand))
  })
}

export interface Outcome {
  reported: boolean
  worse: boolean
  index?: number
  changePct?: number
}

function judge(h: Headline, values: number[], thresholdPct: number, seed: number): Outcome {
  const step = findStep(values, {
    thresholdPct,
    direction: h.direction,
    seed: (hashSeed(h.key) ^ seed) >>> 0
  })
  return step
    ? { reported: true, worse: step.worse, index: step.index, changePct: step.changePct }
    : { reported: false, worse: false }
}

export interface CellFigures {
  noise: string
  scenario: string
  trials: number
  /** Any step reported (flat, under: false alarms). */
  reported: number
  /** A worse step reported (step, creep: detections). */
  detected: number
  /** Step: reported first run within ±1 of the injected one; creep: within the creep's span. */
  located: number
  medianAbsError?: number
  ms: number
}

/** Histories of one headline under one scenario, `trials` times. */
export function runCell(
  h: Headline,
  label: string,
  s: Scenario,
  o: { trials: number; runs: number; thresholdPct: number; seed: number; busyEvery: number }
): CellFigures {
  const rand = rng(o.seed ^ hashSeed(`${label}/${JSON.stringify(s)}`))
  let reported = 0
  let detected = 0
  let located = 0
  const errors: number[] = []
  const t0 = performance.now()
  for (let t = 0; t < o.trials; t++) {
    const at = changeRuns(s, o.runs, rand)
    const out = judge(h, syntheticHistory(h, s, at, o.runs, rand, o.busyEvery), o.thresholdPct, o.seed + t)
    if (out.reported) reported++
    if (!out.worse || out.index === undefined) continue
    detected++
    if (s.kind === 'step') {
      errors.push(Math.abs(out.index - at[0]))
      if (Math.abs(out.index - at[0]) <= 1) located++
    } else if (s.kind === 'creep' && out.index >= at[0] - 1 && out.index <= at[at.length - 1] + 1) located++
  }
  errors.sort((a, b) => a - b)
  return {
    noise: label,
    scenario: scenarioText(s),
    trials: o.trials,
    reported,
    detected,
    located,
    medianAbsError: errors.length ? errors[Math.floor((errors.length - 1) / 2)] : undefined,
    ms: (performance.now() - t0) / o.trials
  }
}

export const scenarioText = (s: Scenario): string =>
  s.kind === 'flat' ? 'flat' : s.kind === 'step' ? `step +${s.pct}%` : `creep ${s.steps}×+${s.pct}%`

/** Flat histories of every headline at once, as one baseline run searches them: runs with any step reported. */
export function wholeSetFalseAlarms(
  heads: readonly Headline[],
  o: { trials: number; runs: number; thresholdPct: number; seed: number; busyEvery: number }
): { runsWithAlarm: number; steps: number; byKey: Record<string, number>; msPerRun: number } {
  const rand = rng(o.seed ^ 0x5eed)
  let runsWithAlarm = 0
  let steps = 0
  const byKey: Record<string, number> = {}
  const t0 = performance.now()
  for (let t = 0; t < o.trials; t++) {
    // A busy runner slows every metric of that run at once.
    const busy = Array.from({ length: o.runs }, () => o.busyEvery > 0 && rand() < 1 / o.busyEvery)
    let any = false
    for (const h of heads) {
      const worse = h.direction === 'lower' ? 1.4 : 1 / 1.4
      const values = Array.from(
        { length: o.runs },
        (_, i) => (busy[i] ? worse : 1) * Math.exp(h.sigma * gauss(rand))
      )
      if (judge(h, values, o.thresholdPct, o.seed + t).reported) {
        any = true
        steps++
        byKey[h.key] = (byKey[h.key] ?? 0) + 1
      }
    }
    if (any) runsWithAlarm++
  }
  return { runsWithAlarm, steps, byKey, msPerRun: (performance.now() - t0) / o.trials }
}

/** Results files named directly, or every `*\/swarm-bench-results.json` one level under a named folder. */
export function loadNoiseRuns(spec: string): { names: string[]; runs: Results[] } {
  const names: string[] = []
  const runs: Results[] = []
  for (const raw of spec
    .split(',')
    .map(s => s.trim())
    .filter(Boolean)) {
    const p = resolve(raw)
    const files = statSync(p).isDirectory()
      ? readdirSync(p)
          .map(d => join(p, d, 'swarm-bench-results.json'))
          .filter(f => existsSync(f))
      : [p]
    for (const f of files) {
      const r = readResults(f)
      if (!r.ok) {
        process.stderr.write(`skipping ${f}: ${r.reason}\n`)
        continue
      }
      names.push(f)
      runs.push(r.results)
    }
  }
  return { names, runs }
}

export interface ChangePointFlags {
  noiseFrom: string
  trials: number
  runs: number
  thresholdPct: number
  seed: number
  busyEvery: number
  sigmas: number[]
}

/** The whole mode: prints the figures and returns them. */
export function changePointMode(f: ChangePointFlags): unknown {
  const o = {
    trials: f.trials,
    runs: f.runs,
    thresholdPct: f.thresholdPct,
    seed: f.seed,
    busyEvery: f.busyEvery
  }
  const scenarios: Scenario[] = [
    { kind: 'flat' },
    { kind: 'step', pct: 5 },
    { kind: 'step', pct: 10 },
    { kind: 'step', pct: 20 },
    { kind: 'creep', pct: 3, steps: 5 }
  ]
  console.log(
    `change points: histories of ${f.runs} runs, threshold ${f.thresholdPct} %, E-divisive means with ` +
      `${DEFAULT_EDIVISIVE.permutations} permutations at α = ${DEFAULT_EDIVISIVE.alpha}, ≥ ${DEFAULT_EDIVISIVE.minSize} runs a side; ` +
      `${f.trials} histories per cell; busy runs ${f.busyEvery > 0 ? `1 in ${f.busyEvery} (1.4× worse)` : 'none'}; seed ${f.seed}`
  )
  const cells: CellFigures[] = []
  // Synthetic noise levels: one headline (lower is better) per σ.
  for (const sigma of f.sigmas) {
    const h: Headline = { key: `synthetic/σ${sigma}`, direction: 'lower', sigma: Math.log1p(sigma / 100) }
    for (const s of scenarios) cells.push(runCell(h, `σ ${sigma}%`, s, o))
  }
  // Measured noise: each scenario on a headline drawn at random per history (its own σ and direction).
  let measured: { names: string[]; heads: Headline[] } | undefined
  let whole: ReturnType<typeof wholeSetFalseAlarms> | undefined
  if (f.noiseFrom) {
    const { names, runs } = loadNoiseRuns(f.noiseFrom)
    const heads = headlineNoise(runs)
    measured = { names, heads }
    if (heads.length) {
      console.log(
        `\nMeasured run-to-run noise: σ of ln(headline) over ${runs.length} recorded runs, ${heads.length} gated headlines ` +
          `(min ${fmt(100 * heads[0].sigma)} %, median ${fmt(100 * heads[Math.floor(heads.length / 2)].sigma)} %, ` +
          `max ${fmt(100 * heads[heads.length - 1].sigma)} %)`
      )
      for (const s of scenarios) {
        const rand = rng(f.seed ^ hashSeed(scenarioText(s)))
        const parts = Array.from({ length: f.trials }, () => heads[Math.floor(rand() * heads.length)])
        // One trial per drawn headline, summed into one cell.
        const sum: CellFigures = {
          noise: 'measured',
          scenario: scenarioText(s),
          trials: 0,
          reported: 0,
          detected: 0,
          located: 0,
          ms: 0
        }
        const errs: number[] = []
        parts.forEach((h, i) => {
          const c = runCell(h, `measured-${i}`, s, { ...o, trials: 1, seed: f.seed + i })
          sum.trials++
          sum.reported += c.reported
          sum.detected += c.detected
          sum.located += c.located
          sum.ms += c.ms
          if (c.medianAbsError !== undefined) errs.push(c.medianAbsError)
        })
        errs.sort((a, b) => a - b)
        sum.medianAbsError = errs.length ? errs[Math.floor((errs.length - 1) / 2)] : undefined
        sum.ms /= Math.max(1, sum.trials)
        cells.push(sum)
      }
      whole = wholeSetFalseAlarms(heads, o)
    }
  }
  const pct = (k: number, n: number): string => `${((100 * k) / Math.max(1, n)).toFixed(1)}%`
  console.log(
    '\n' +
      table(
        [
          'noise σ',
          'history',
          'steps reported',
          'worse step reported',
          'located (±1 run; creep: in its span)',
          'median |error|',
          'ms'
        ],
        cells.map(c => [
          c.noise,
          c.scenario,
          pct(c.reported, c.trials),
          c.scenario === 'flat' ? '—' : pct(c.detected, c.trials),
          c.scenario.startsWith('step +') || c.scenario.startsWith('creep') ? pct(c.located, c.trials) : '—',
          c.medianAbsError === undefined ? '—' : String(c.medianAbsError),
          fmt(c.ms)
        ])
      )
  )
  if (whole && measured) {
    console.log(
      `\nEvery measured headline at once, flat (${measured.heads.length} series per baseline run, as the action searches them): ` +
        `${whole.runsWithAlarm} of ${f.trials} runs (${pct(whole.runsWithAlarm, f.trials)}) reported a step; ` +
        `${whole.steps} steps in ${f.trials * measured.heads.length} series (${((100 * whole.steps) / Math.max(1, f.trials * measured.heads.length)).toFixed(2)}%); ` +
        `${fmt(whole.msPerRun)} ms per baseline run` +
        (whole.steps
          ? `\nby headline: ${Object.entries(whole.byKey)
              .sort((a, b) => b[1] - a[1])
              .map(([k, v]) => `${k} ${v} (σ ${fmt(100 * measured!.heads.find(h => h.key === k)!.sigma)} %)`)
              .join(', ')}`
          : '')
    )
    console.log(
      `\nNoisiest measured headlines: ${measured.heads
        .slice(-5)
        .reverse()
        .map(h => `${h.key} ${fmt(100 * h.sigma)} %`)
        .join(', ')}`
    )
  }
  return { params: f, cells, measured, wholeSet: whole }
}
