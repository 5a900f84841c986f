// bench:detector — how often the regression verdict is right. Records real local quick-profile runs of one commit
// (cached: --runs N into --dir, reused with --from DIR), then simulates many comparisons from them:
//   A/A   baseline and head are both unchanged code: resampled recorded runs, each × its own drift factor
//   A/B   the same, with one gated metric of the head made 10 / 25 / 50 % worse
// and scores three methods on the same synthetic data: the project's compareResults (with the baseline's history
// of earlier runs, as the action keeps it), a fixed ratio threshold on one value per benchmark (110 %, 200 %), and
// a Welch t-test at α = 0.05 per metric. Prints the false-alarm rate per whole-matrix A/A comparison and the
// detection rate per injected size; then compares real recorded runs pairwise with compareResults.
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { randomBytes } from 'node:crypto'
import { runBenchmarks } from '../../src/bench/runner.js'
import { BENCHMARK_IDS } from '../../src/bench/catalog.js'
import { parseRunConfig } from '../../src/config/config.js'
import { condense, readResults, writeResults } from '../../src/results/io.js'
import type { HistoryEntry, Results } from '../../src/results/schema.js'
import { installExitCleanup } from '../../src/sandbox/local/provider.js'
import { compareResults, DEFAULT_COMPARE_OPTIONS, type CompareOptions } from '../../src/stats/compare.js'
import { projectRoot } from '../../src/paths.js'
import {
  driftFactor,
  gatedMetrics,
  detectability,
  historyEntry,
  pooledRun,
  poolRuns,
  ratioRegressions,
  syntheticRun,
  welchRegressions,
  type Detectability,
  type Injection
} from './detector-rules.js'
import { flags, fmt, intFlag, machine, machineLine, rng, startLoad, table, writeJson } from './common.js'
import { changePointMode } from './detector-changepoints.js'

type Method = 'project' | 'ratio110' | 'ratio200' | 'welch'
const METHODS: Method[] = ['project', 'ratio110', 'ratio200', 'welch']
const METHOD_TEXT: Record<Method, string> = {
  project: 'compareResults (project)',
  ratio110: 'ratio > 110 % (one value)',
  ratio200: 'ratio > 200 % (one value)',
  welch: 'Welch t, α=0.05 per metric'
}
const TARGETS = { falseAlarmMax: 0.01, detect25Min: 0.95 }

export interface DetectorCell {
  driftPct: number
  method: Method
  /** Share of A/A whole-matrix comparisons with at least one regression reported. */
  falseAlarm: number
  /** Per injected size: share of A/B comparisons where the injected metric was reported as a regression. */
  detection: Record<string, number>
  /** False alarms + misses at 25 % (the issue's score). */
  score25: number
}

export interface DetectorFigures {
  machine: ReturnType<typeof machine>
  params: {
    runsDir: string
    runs: number
    comparisons: number
    drifts: number[]
    sizes: number[]
    historyRuns: number
    seed: number
    resample: 'pooled' | 'run'
    inject: string
    gatedMetrics: number
    compareOptions: CompareOptions
  }
  cells: DetectorCell[]
  /** Why compareResults missed injected regressions (per drift and size): the reasons of the verdicts. */
  projectMisses: { driftPct: number; sizePct: number; reasons: Record<string, number> }[]
  /** Real recorded runs compared pairwise by compareResults, no synthetic drift. */
  realPairs: { baseline: string; head: string; historyRuns: number; regressions: string[]; tested: number }[]
  /** Runs recorded on a busier machine (`--busy`) compared against the quiet recorded runs. */
  busyPairs: {
    baseline: string
    head: string
    historyRuns: number
    shiftPct?: number
    floorPct?: number
    regressions: string[]
  }[]
  targets: { falseAlarmMax: number; detect25Min: number; met: Record<string, boolean> }
  msPerCompare: number
  /** Per gated metric: its sampling noise and the smallest regression any per-metric rule could catch. */
  detectability: Detectability[]
  /** Per drift: share of gated metrics whose minimum detectable regression is ≤ 25 % (a ceiling on detect@25%). */
  detectableAt25: Record<string, number>
}

/** `k` processes that spin a CPU each until stopped: a busier runner, made on purpose. */
async function record(dir: string, runs: number, only: string[], loadProcesses = 0): Promise<void> {
  mkdirSync(dir, { recursive: true })
  installExitCleanup()
  const stopLoad = loadProcesses > 0 ? startLoad(loadProcesses) : () => {}
  try {
    await recordRuns(dir, runs, only)
  } finally {
    stopLoad()
  }
}

async function recordRuns(dir: string, runs: number, only: string[]): Promise<void> {
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    const config = parseRunConfig(
      n =>
        ({
          provider: 'local',
          profile: 'quick',
          only: only.join(','),
          'run-tag': `bench-detector-${randomBytes(3).toString('hex')}`
        })[n] ?? '',
      {}
    )
    const results = await runBenchmarks(config)
    const runDir = join(dir, `run-${String(Date.now())}-${i}`)
    mkdirSync(runDir, { recursive: true })
    writeResults(runDir, results)
    const errors = results.benchmarks.filter(b => b.status === 'error').length
    process.stderr.write(
      `recorded run ${i + 1}/${runs} in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${runDir}` +
        `${errors ? ` (${errors} benchmark errors)` : ''}\n`
    )
  }
}

function load(dir: string): { name: string; results: Results }[] {
  const out: { name: string; results: Results }[] = []
  for (const entry of readdirSync(dir).sort()) {
    const file = join(dir, entry, 'swarm-bench-results.json')
    if (!existsSync(file)) continue
    const r = readResults(file)
    if (!r.ok) {
      process.stderr.write(`skipping ${file}: ${r.reason}\n`)
      continue
    }
    out.push({ name: entry, results: r.results })
  }
  return out
}

const pick = <T>(xs: readonly T[], rand: () => number): T => xs[Math.floor(rand() * xs.length)]

/** The first `size` recorded runs other than the compared ones, condensed as a baseline's history. */
const historyOf = (
  runs: readonly { results: Results }[],
  size: number,
  ...compared: number[]
): HistoryEntry[] =>
  runs
    .filter((_, k) => !compared.includes(k))
    .slice(0, size)
    .map(r => condense(r.results))

async function main(): Promise<void> {
  const f = flags(
    'bench:detector',
    'false alarms and detection of the regression verdict vs two reference rules',
    {
      runs: {
        type: 'string',
        default: '6',
        help: 'real local quick-profile runs to record (ignored with --from)'
      },
      dir: { type: 'string', default: '.tmp/bench-detector', help: 'where recorded runs are cached' },
      from: { type: 'string', help: 'reuse the runs recorded in this folder (no new runs)' },
      only: { type: 'string', default: '', help: 'benchmark ids to record (default: every benchmark)' },
      comparisons: { type: 'string', default: '1000', help: 'synthetic comparisons per drift and kind' },
      drift: { type: 'string', default: '5,10,15', help: 'between-run drift sizes, percent' },
      sizes: { type: 'string', default: '10,25,50', help: 'injected regression sizes, percent' },
      history: {
        type: 'string',
        default: '10',
        help: 'earlier runs in the baseline history (the gate reads the newest 20)'
      },
      seed: { type: 'string', default: '1', help: 'seed of the simulation' },
      resample: {
        type: 'string',
        default: 'pooled',
        help: 'pooled: draw each metric from all runs (drift is the only between-run noise); run: from one recorded run (its real between-run noise on top)'
      },
      inject: {
        type: 'string',
        default: 'all',
        help: 'all: inject into any gated metric; detectable: only into metrics whose MDE at that drift is ≤ 25 %'
      },
      options: {
        type: 'string',
        default: '',
        help: 'JSON overrides of compareResults options, e.g. {"noiseSigmas":2}'
      },
      load: {
        type: 'string',
        default: '0',
        help: 'record with this many CPU-spinning processes running (a busier runner); use with --dir'
      },
      busy: {
        type: 'string',
        help: 'also compare the runs recorded in this folder (e.g. under --load) against the quiet ones'
      },
      json: { type: 'string', help: 'write the figures as JSON to this file' },
      mode: {
        type: 'string',
        default: 'verdict',
        help: 'verdict: the regression verdict (above); changepoints: change points on synthetic run histories'
      },
      'noise-from': {
        type: 'string',
        default: '',
        help: "changepoints: results files or folders of recorded runs (comma-separated) to take each gated headline's run-to-run noise from"
      },
      trials: { type: 'string', default: '200', help: 'changepoints: histories per cell' },
      'cp-runs': { type: 'string', default: '100', help: 'changepoints: runs per history (history-runs)' },
      sigmas: {
        type: 'string',
        default: '2,5,10,20',
        help: 'changepoints: synthetic run-to-run noise levels, percent'
      },
      'busy-every': {
        type: 'string',
        default: '0',
        help: 'changepoints: one run in N on a busy runner (every value 1.4× worse); 0: none'
      },
      threshold: { type: 'string', default: '10', help: 'changepoints: regression threshold, percent' }
    }
  )
  const m = machine()
  console.log(`bench:detector · ${machineLine(m)}`)
  if (f.mode === 'changepoints') {
    const figures = changePointMode({
      noiseFrom: f['noise-from'],
      trials: intFlag('trials', f.trials),
      runs: intFlag('cp-runs', f['cp-runs'], 6),
      thresholdPct: Number(f.threshold),
      seed: intFlag('seed', f.seed, 0),
      busyEvery: intFlag('busy-every', f['busy-every'], 0),
      sigmas: f.sigmas.split(',').map(Number)
    })
    writeJson(f.json, { machine: m, ...(figures as object) })
    return
  }
  const dir = resolve(projectRoot(), f.from || f.dir)
  if (!f.from) {
    const only = f.only ? f.only.split(',').map(s => s.trim()) : [...BENCHMARK_IDS]
    await record(dir, intFlag('runs', f.runs), only, intFlag('load', f.load, 0))
  }
  const runs = load(dir)
  if (runs.length < 2) {
    process.stderr.write(`need at least 2 recorded runs in ${dir}, found ${runs.length}\n`)
    process.exit(2)
  }
  const comparisons = intFlag('comparisons', f.comparisons)
  const drifts = f.drift.split(',').map(Number)
  const sizes = f.sizes.split(',').map(Number)
  const historyRuns = intFlag('history', f.history, 0)
  const seed = intFlag('seed', f.seed, 0)
  const keys = gatedMetrics(runs[0].results).map(g => g.key)
  // compareResults' verdict does not read the bootstrap interval; skipping it only saves time.
  const compareOpts: Partial<CompareOptions> = {
    ...(f.options ? (JSON.parse(f.options) as Partial<CompareOptions>) : {}),
    bootstrapIterations: 0
  }
  const mode = f.resample === 'run' ? 'run' : 'pooled'
  const pool = poolRuns(runs.map(r => r.results))
  const det = detectability(pool, runs[0].results, drifts, rng(seed + 1))
  const injectable = (driftPct: number): string[] => {
    if (f.inject !== 'detectable') return keys
    const ok = det.filter(x => x.mdePct[String(driftPct)] <= 25).map(x => x.key)
    return ok.length ? ok : keys
  }

  const rand = rng(seed)
  const one = (driftPct: number, inject?: Injection, history: HistoryEntry[] = []): Results => {
    const src = pick(runs, rand).results
    const drift = driftFactor(rand, driftPct)
    return mode === 'pooled'
      ? pooledRun(pool, src, rand, drift, inject, history)
      : syntheticRun(src, rand, drift, inject, history)
  }
  const makeRun = (driftPct: number, inject?: Injection, withHistory = false): Results => {
    const history = withHistory
      ? Array.from({ length: historyRuns }, (_, i) => historyEntry(one(driftPct), `h${i}`))
      : []
    return one(driftPct, inject, history)
  }
  const verdicts = (base: Results, head: Results) => {
    const cmp = compareResults(base, head, compareOpts)
    return {
      project: cmp.regressions.map(v => v.key),
      ratio110: ratioRegressions(base, head, 1.1),
      ratio200: ratioRegressions(base, head, 2),
      welch: welchRegressions(base, head, 0.05),
      cmp
    }
  }

  const cells: DetectorCell[] = []
  const projectMisses: DetectorFigures['projectMisses'] = []
  let compareMs = 0
  let compares = 0
  for (const driftPct of drifts) {
    process.stderr.write(
      `drift ${driftPct} %: ${comparisons} A/A + ${comparisons} × ${sizes.length} A/B comparisons…\n`
    )
    const alarms: Record<Method, number> = { project: 0, ratio110: 0, ratio200: 0, welch: 0 }
    for (let i = 0; i < comparisons; i++) {
      const t0 = performance.now()
      const v = verdicts(makeRun(driftPct, undefined, true), makeRun(driftPct))
      compareMs += performance.now() - t0
      compares++
      for (const k of METHODS) if (v[k].length > 0) alarms[k]++
    }
    const detected: Record<Method, Record<string, number>> = {
      project: {},
      ratio110: {},
      ratio200: {},
      welch: {}
    }
    for (const size of sizes) {
      const reasons: Record<string, number> = {}
      const hits: Record<Method, number> = { project: 0, ratio110: 0, ratio200: 0, welch: 0 }
      for (let i = 0; i < comparisons; i++) {
        const inject = { key: pick(injectable(driftPct), rand), pct: size }
        const v = verdicts(makeRun(driftPct, undefined, true), makeRun(driftPct, inject))
        for (const k of METHODS) if (v[k].includes(inject.key)) hits[k]++
        if (!v.project.includes(inject.key)) {
          const mv = v.cmp.verdicts.find(x => x.key === inject.key)
          const why = !mv
            ? 'not compared'
            : mv.verdict !== 'unchanged'
              ? mv.verdict
              : mv.reason.includes('within the')
                ? 'under the threshold after the shift'
                : 'not significant after Holm'
          reasons[why] = (reasons[why] ?? 0) + 1
        }
      }
      for (const k of METHODS) detected[k][String(size)] = hits[k] / comparisons
      projectMisses.push({ driftPct, sizePct: size, reasons })
    }
    for (const k of METHODS) {
      const falseAlarm = alarms[k] / comparisons
      const detection = detected[k]
      cells.push({
        driftPct,
        method: k,
        falseAlarm,
        detection,
        score25: falseAlarm + (1 - (detection['25'] ?? 0))
      })
    }
  }

  // Real runs of the same commit, compared as the action would: every ordered pair of recorded runs, with no
  // history (a repository's first comparisons) and with other recorded runs as the baseline's history.
  const realPairs: DetectorFigures['realPairs'] = []
  const historySizes = [0, 3, 5, 10].filter(h => h <= runs.length - 2)
  for (const size of historySizes) {
    for (let i = 0; i < runs.length; i++) {
      for (let j = 0; j < runs.length; j++) {
        if (i === j) continue
        const history = historyOf(runs, size, i, j)
        const cmp = compareResults({ ...runs[i].results, history }, runs[j].results, {
          bootstrapIterations: 0
        })
        realPairs.push({
          baseline: runs[i].name,
          head: runs[j].name,
          historyRuns: history.length,
          regressions: cmp.regressions.map(v => `${v.key} (${v.reason})`),
          tested: cmp.tested
        })
      }
    }
  }

  // Runs recorded on a busier machine (heads) against quiet ones (baselines with quiet history): every timing
  // slows, the runner floor with them; none of it is the code's.
  const busyPairs: DetectorFigures['busyPairs'] = []
  if (f.busy) {
    const quietHistory = Math.min(historyRuns, runs.length - 1)
    for (const b of load(resolve(projectRoot(), f.busy))) {
      for (let i = 0; i < runs.length; i++) {
        const history = historyOf(runs, quietHistory, i)
        const cmp = compareResults({ ...runs[i].results, history }, b.results, { bootstrapIterations: 0 })
        busyPairs.push({
          baseline: runs[i].name,
          head: b.name,
          historyRuns: history.length,
          shiftPct: cmp.shift?.pct,
          floorPct: cmp.shift?.floorPct,
          regressions: cmp.regressions.map(v => `${v.key} (${v.reason})`)
        })
      }
    }
  }

  const detectableAt25: Record<string, number> = {}
  for (const d of ['0', ...drifts.map(String)]) {
    detectableAt25[d] = det.filter(x => x.mdePct[d] <= 25).length / Math.max(1, det.length)
  }
  const met: Record<string, boolean> = {}
  for (const d of drifts) {
    const p = cells.find(c => c.driftPct === d && c.method === 'project')!
    const refs = cells.filter(
      c => c.driftPct === d && (c.method === 'ratio110' || c.method === 'ratio200' || c.method === 'welch')
    )
    met[`drift${d}.falseAlarm≤1%`] = p.falseAlarm <= TARGETS.falseAlarmMax
    met[`drift${d}.detect25≥95%`] = (p.detection['25'] ?? 0) >= TARGETS.detect25Min
    met[`drift${d}.betterThanReferences`] = refs.every(r => p.score25 < r.score25)
  }
  met['realPairs.noRegression'] = realPairs.every(r => r.regressions.length === 0)
  const figures: DetectorFigures = {
    machine: m,
    params: {
      runsDir: dir,
      runs: runs.length,
      comparisons,
      drifts,
      sizes,
      historyRuns,
      seed,
      resample: mode,
      inject: f.inject,
      gatedMetrics: keys.length,
      compareOptions: { ...DEFAULT_COMPARE_OPTIONS, ...compareOpts }
    },
    cells,
    projectMisses,
    realPairs,
    busyPairs,
    targets: { ...TARGETS, met },
    msPerCompare: compareMs / Math.max(1, compares),
    detectability: det,
    detectableAt25
  }
  print(figures)
  writeJson(f.json, figures)
}

function print(x: DetectorFigures): void {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`
  const p = x.params
  console.log(
    `\n${p.runs} recorded runs (${p.runsDir}), ${p.gatedMetrics} gated metrics; per drift: ${p.comparisons} A/A and ` +
      `${p.comparisons} A/B per size (injected into ${p.inject === 'detectable' ? 'metrics with MDE ≤ 25 %' : 'any gated metric'}); baseline history ${p.historyRuns} runs; resampling ${p.resample === 'pooled' ? 'pooled over all runs (drift is the between-run noise)' : 'within one recorded run (+ its real between-run noise)'}; seed ${p.seed}`
  )
  console.log(
    `compareResults options: threshold ${p.compareOptions.thresholdPct}%, alpha ${p.compareOptions.alpha} (Holm), ` +
      `noise floor ${p.compareOptions.minNoisePct}%, ${p.compareOptions.noiseSigmas}σ band, ` +
      `min history ${p.compareOptions.minHistoryRuns}, min samples ${p.compareOptions.minSamples}`
  )
  console.log(
    table(
      ['drift', 'method', 'false alarms (A/A)', ...p.sizes.map(s => `detect ${s}%`), 'FA + miss@25%'],
      x.cells.map(c => [
        `±${c.driftPct}%`,
        METHOD_TEXT[c.method],
        pct(c.falseAlarm),
        ...p.sizes.map(s => pct(c.detection[String(s)] ?? 0)),
        pct(c.score25)
      ])
    )
  )
  console.log(`\nWhy compareResults missed (count of missed A/B comparisons by the verdict's reason)`)
  console.log(
    table(
      ['drift', 'size', 'reasons'],
      x.projectMisses.map(r => [
        `±${r.driftPct}%`,
        `${r.sizePct}%`,
        Object.entries(r.reasons)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ') || '—'
      ])
    )
  )
  console.log(
    `\nWhat the data allows: per gated metric, σ of ln(headline) of one run from sampling (pooled over the recorded ` +
      `runs), and the smallest regression ANY per-metric rule can catch with 95 % power at ≤ 1 % false alarms per ` +
      `matrix (Bonferroni over ${x.detectability.length} metrics), with no drift and with each drift size`
  )
  const ds = ['0', ...x.params.drifts.map(String)]
  console.log(
    table(
      ['metric', 'n', 'σ ln', ...ds.map(d => (d === '0' ? 'MDE no drift' : `MDE ±${d}% kept`))],
      [...x.detectability]
        .sort((a, b) => a.sigmaLog - b.sigmaLog)
        .map(r => [r.key, r.n, r.sigmaLog.toFixed(3), ...ds.map(d => `${fmt(r.mdePct[d])}%`)])
    )
  )
  console.log(
    `metrics with MDE ≤ 25 % (ceiling on detect@25% for a rule that keeps the drift; compareResults removes it): ` +
      ds
        .map(d => `${d === '0' ? 'no drift' : `±${d}%`} ${(100 * x.detectableAt25[d]).toFixed(0)}%`)
        .join(', ')
  )
  console.log(
    `\nReal runs of one commit compared by compareResults (every ordered pair; history from other runs)`
  )
  const sizes = [...new Set(x.realPairs.map(r => r.historyRuns))]
  console.log(
    table(
      ['history runs', 'pairs', 'pairs with a regression', 'first ones flagged'],
      sizes.map(h => {
        const rows = x.realPairs.filter(r => r.historyRuns === h)
        const flagged = rows.filter(r => r.regressions.length > 0)
        return [
          h,
          rows.length,
          `${flagged.length} (${((100 * flagged.length) / Math.max(1, rows.length)).toFixed(1)}%)`,
          flagged
            .slice(0, 2)
            .map(r => r.regressions[0].slice(0, 140))
            .join(' · ') || 'none'
        ]
      })
    )
  )
  if (x.busyPairs.length) {
    // Not one of the issue's targets: how the verdict fares when the head ran beside CPU hogs the baseline never saw.
    console.log(
      `\nRuns on a busier machine (heads) compared against each quiet recorded run (baseline + history); ` +
        `informative, not a target`
    )
    const heads = [...new Set(x.busyPairs.map(r => r.head))]
    const range = (xs: (number | undefined)[]): string => {
      const v = xs.filter((a): a is number => a !== undefined)
      return v.length ? `${fmt(Math.min(...v))} … ${fmt(Math.max(...v))}%` : '—'
    }
    console.log(
      table(
        [
          'busy run',
          'pairs',
          'all timings moved',
          'runner floor moved',
          'pairs with a regression',
          'first flagged'
        ],
        heads.map(h => {
          const rows = x.busyPairs.filter(r => r.head === h)
          const flagged = rows.filter(r => r.regressions.length > 0)
          return [
            h,
            rows.length,
            range(rows.map(r => r.shiftPct)),
            range(rows.map(r => r.floorPct)),
            flagged.length,
            flagged[0]?.regressions[0].slice(0, 140) ?? 'none'
          ]
        })
      )
    )
  }
  console.log(
    `\nTargets (project method): ` +
      Object.entries(x.targets.met)
        .map(([k, v]) => `${k} ${v ? 'met' : 'MISSED'}`)
        .join(' · ') +
      `\n(${fmt(x.msPerCompare)} ms per simulated comparison, all four methods)`
  )
}

main().catch(err => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err))
  process.exitCode = 1
})
