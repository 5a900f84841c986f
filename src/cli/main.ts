// `swarm-bench`: run | compare | report | cleanup. Flags map onto the shared input table (src/config), so the CLI
// and the action accept and reject exactly the same values; usage errors exit 2 and name the flag.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { Command, CommanderError, Option } from 'commander'
import { BENCHMARK_IDS } from '../bench/catalog.js'
import { runBenchmarks } from '../bench/runner.js'
import { toolVersion } from '../bench/environment.js'
import type { ProgressEvent } from '../bench/types.js'
import { parseRunConfig, type RunConfig } from '../config/config.js'
import { InputError, readNumber } from '../config/input-table.js'
import { HOOKS_ACCEPTED, hooksModuleProblem, prepareOutDir } from '../config/paths.js'
import { readThresholds } from '../config/thresholds.js'
import { renderConsoleSummary } from '../report/console.js'
import { readResults } from '../results/io.js'
import { MergeError, mergeResults, type Shard } from '../results/merge.js'
import { REPORT_FILE, type Results } from '../results/schema.js'
import { reportExporter } from '../export/report.js'
import { resultsExporter } from '../export/results.js'
import { writeOutputs, type WrittenOutput } from '../export/write.js'
import { hooksSource } from '../sandbox/agent-files.js'
import { providerPlugin, providerPlugins } from '../sandbox/registry.js'
import { compareResults, DEFAULT_COMPARE_OPTIONS } from '../stats/compare.js'
import { renderComparisonTable } from './compare-table.js'
import { prepareBaseCode, type BaseCode } from '../duet/base-code.js'
import { compareDuet } from '../duet/verdict.js'
import { pairingLine } from '../duet/lockstep.js'
import { agentDir } from '../paths.js'
import { attributeName, flagError, readerFromOptions, runFlags } from './flags.js'
import { HOOKS_FILE, scaffold, WORKFLOW_FILE } from './init.js'
import { watchParent } from './parent.js'
import { progressLine } from './progress-lines.js'
import { errorText } from '../errors.js'

const THRESHOLDS_HELP =
  'per-benchmark thresholds overriding --threshold: YAML or JSON, benchmark id, metric or benchmark/metric → percent (e.g. \'{"trading.consensus": 25}\')'

export interface CliIO {
  stdout(text: string): void
  stderr(text: string): void
  env: NodeJS.ProcessEnv
  /** Signals the run listens to; tests can pass their own emitter. */
  signals?: NodeJS.EventEmitter
}

export const EXIT = { ok: 0, fatal: 1, targets: 1, usage: 2, sigint: 130, sigterm: 143 } as const

const processIO: CliIO = {
  stdout: t => process.stdout.write(t),
  stderr: t => process.stderr.write(t),
  env: process.env,
  signals: process
}

/** Parses argv (without node and script) and runs the command; resolves to the exit code. */
export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  let code: number = EXIT.ok
  const program = new Command('swarm-bench')
    .description('Benchmark a swarm of Python trading agents in local or E2B sandboxes')
    .version(toolVersion(), '-V, --version')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: s => io.stdout(s),
      writeErr: s => io.stderr(s),
      outputError: (s, write) => write(s.endsWith('\n') ? s : `${s}\n`)
    })

  const run = program
    .command('run')
    .description(
      'run the benchmark matrix and write swarm-bench-results.json, SWARM_BENCHMARKS_REPORT.md and the exports'
    )
  for (const f of runFlags()) run.addOption(new Option(f.flag, f.help))
  run
    .addOption(
      new Option(
        '--against <ref>',
        'duet: measure the working tree side by side with this git ref (its agent/, --strategy-path and --agent-hooks as committed there)'
      )
    )
    .addOption(
      new Option('--threshold <pct>', 'smallest change (percent) that can count as a regression (default 10)')
    )
    .addOption(new Option('--thresholds <map>', THRESHOLDS_HELP))
    .addOption(new Option('--fail-on-regression', 'with --against: exit 1 when a regression is found'))
  run.action(async (opts: Record<string, unknown>) => {
    code = await runCommand(opts, io)
  })

  program
    .command('compare')
    .description('compare two results files metric by metric')
    .argument('<base>', 'baseline results JSON')
    .argument('<head>', 'head results JSON')
    .option('--threshold <pct>', 'smallest change (percent) that can count as a regression', '10')
    .option('--alpha <p>', 'family-wise false-alarm rate (Holm)', String(DEFAULT_COMPARE_OPTIONS.alpha))
    .option('--thresholds <map>', THRESHOLDS_HELP)
    .option('--fail-on-regression', 'exit 1 when a regression is found')
    .action(async (base: string, head: string, opts: Record<string, unknown>) => {
      code = compareCommand(base, head, opts, io)
    })

  program
    .command('report')
    .description('re-render SWARM_BENCHMARKS_REPORT.md and the exports from a results file')
    .argument('<results>', 'results JSON')
    .option(
      '--out <file>',
      `where to write the report; the exports go beside it (default: ${REPORT_FILE} next to the results)`
    )
    .option('--baseline <file>', 'include a comparison with this baseline results file')
    .action(async (file: string, opts: Record<string, unknown>) => {
      code = await reportCommand(file, opts, io)
    })

  program
    .command('init')
    .description(
      `write a commented agent hooks module (${HOOKS_FILE}) and ${WORKFLOW_FILE}; never overwrites`
    )
    .option('--dir <path>', 'the repository to write into', '.')
    .action((opts: { dir: string }) => {
      code = initCommand(opts.dir, io)
    })

  program
    .command('merge')
    .description(
      'merge the results of matrix shards that ran disjoint --only sets into one results file, report and exports; ' +
        'the verdicts are recomputed from the samples kept, in one Holm family (a duet from both sides, else against --baseline)'
    )
    .argument('<results...>', "the shards' results JSON files (two or more)")
    .requiredOption('--out <dir>', 'directory for the merged results, the report and the exports')
    .option('--baseline <file>', 'without a duet: compare the merged results with this baseline results file')
    .option('--threshold <pct>', 'smallest change (percent) that can count as a regression', '10')
    .option('--thresholds <map>', THRESHOLDS_HELP)
    .option('--fail-on-regression', 'exit 1 when a regression is found')
    .action(async (files: string[], opts: Record<string, unknown>) => {
      code = mergeCommand(files, opts, io)
    })

  const cleanup = program
    .command('cleanup')
    .description('kill every sandbox (E2B) or agent process (local) tagged with a run tag')
    .requiredOption('--run-tag <tag>', 'the run tag to sweep')
    .option('--provider <name>', `${cleanupChoices().join(' | ')}`, 'all')
  for (const f of providerPlugins().flatMap(p => p.cleanupFlags)) cleanup.option(f.flag, f.help)
  cleanup.action(async (opts: Record<string, unknown>) => {
    code = await cleanupCommand(opts, io)
  })

  try {
    if (argv.length === 0) {
      io.stderr(program.helpInformation())
      return EXIT.usage
    }
    await program.parseAsync(argv, { from: 'user' })
    return code
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok
      if (err.code === 'commander.help') return EXIT.usage
      // commander already printed "error: ..."; point at the help that lists the valid flags and values.
      const cmd = argv.find(a => !a.startsWith('-'))
      const known = ['run', 'compare', 'report', 'init', 'merge', 'cleanup']
      io.stderr(
        cmd && known.includes(cmd)
          ? `(valid flags and values: swarm-bench ${cmd} --help)\n`
          : `(commands: ${known.join(', ')}; see swarm-bench --help)\n`
      )
      return EXIT.usage
    }
    io.stderr(`error: ${errorText(err)}\n`)
    return EXIT.fatal
  }
}

async function runCommand(opts: Record<string, unknown>, io: CliIO): Promise<number> {
  let config: RunConfig
  try {
    config = parseRunConfig(readerFromOptions(opts), io.env, { warn: m => io.stderr(`warning: ${m}\n`) })
  } catch (err) {
    if (err instanceof InputError) {
      io.stderr(`${flagError(err)}\n`)
      return EXIT.usage
    }
    throw err
  }
  if (config.strategyPath) {
    try {
      readFileSync(config.strategyPath)
    } catch (err) {
      io.stderr(`error: cannot read --strategy-path ${config.strategyPath}: ${(err as Error).message}\n`)
      return EXIT.usage
    }
  }
  if (config.e2bRequirements) {
    try {
      readFileSync(config.e2bRequirements)
    } catch (err) {
      io.stderr(
        `error: cannot read --e2b-requirements ${config.e2bRequirements}: ${(err as Error).message}\n`
      )
      return EXIT.usage
    }
  }
  if (config.agentHooks) {
    const { problem } = hooksModuleProblem(config.agentHooks)
    if (problem) {
      io.stderr(`error: --agent-hooks ${config.agentHooks}: ${problem} (expected ${HOOKS_ACCEPTED})\n`)
      return EXIT.usage
    }
  }
  let thresholdPct: number
  let thresholds: Record<string, number>
  try {
    thresholdPct = readNumber(optionReader(opts), 'threshold', 10, { min: 0, max: 1000 })
    thresholds = readThresholds(optionReader(opts))
  } catch (err) {
    if (err instanceof InputError) {
      io.stderr(`${flagError(err)}\n`)
      return EXIT.usage
    }
    throw err
  }
  if (opts.failOnRegression && typeof opts.against !== 'string') {
    io.stderr('error: --fail-on-regression needs --against <ref> (a duet) to compare with\n')
    return EXIT.usage
  }
  let outDir: string
  try {
    outDir = prepareOutDir(config.outDir, process.cwd())
  } catch (err) {
    if (!(err instanceof InputError)) throw err
    io.stderr(`${flagError(err)}\n`)
    return EXIT.usage
  }
  let baseCode: BaseCode | undefined
  if (typeof opts.against === 'string') {
    try {
      baseCode = await prepareBaseCode({
        ref: opts.against,
        repoDir: process.cwd(),
        headAgentDir: agentDir(),
        strategyPath: config.strategyPath,
        hooks: hooksSource(config),
        requirements: config.e2bRequirements
      })
    } catch (err) {
      io.stderr(`error: --against ${opts.against}: ${errorText(err)}\n`)
      return EXIT.usage
    }
    const b = baseCode.base
    io.stderr(
      `swarm-bench: duet against ${b.ref} (${b.sha?.slice(0, 12) ?? 'no commit'}); ` +
        `code that differs: ${b.changed.length ? b.changed.join(', ') : 'none (an A/A duet)'}; ` +
        `${pairingLine(config.duetPairs, providerPlugin(config.provider).traits)}\n`
    )
  }
  io.stderr(`swarm-bench: ${config.providerReason}; run tag ${config.runTag}\n`)

  // Agents die with us whatever happens; the signal handlers below stop the run and write partial results.
  for (const p of providerPlugins()) p.installExitCleanup?.({ exitOnSignal: false })
  const controller = new AbortController()
  let signalled: NodeJS.Signals | undefined
  let firstSignalAt = 0
  const onSignal =
    (sig: NodeJS.Signals, what = `${sig} received`) =>
    (): void => {
      if (signalled) {
        // One Ctrl-C often arrives more than once (the terminal's process group plus npm forwarding it): only a
        // signal well after the first means "stop waiting for the cleanup".
        if (performance.now() - firstSignalAt < 1000) return
        io.stderr(`swarm-bench: second ${sig}, exiting now\n`)
        process.exit(sig === 'SIGINT' ? EXIT.sigint : EXIT.sigterm)
      }
      signalled = sig
      firstSignalAt = performance.now()
      io.stderr(`swarm-bench: ${what}: stopping, killing every agent, writing partial results\n`)
      controller.abort(sig)
    }
  const signals = io.signals ?? process
  const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM') }
  signals.on('SIGINT', handlers.SIGINT)
  signals.on('SIGTERM', handlers.SIGTERM)
  // A signal to npm alone kills npm and its shell without reaching us: their death is our SIGTERM.
  const stopWatchingParent = watchParent(onSignal('SIGTERM', 'the parent process exited'))

  let results: Results
  try {
    results = await runBenchmarks(config, {
      signal: controller.signal,
      onProgress: (e: ProgressEvent) => {
        const line = progressLine(e)
        if (line) io.stderr(`${line}\n`)
      },
      log: m => io.stderr(`swarm-bench: ${m}\n`),
      duet: baseCode && { files: baseCode.files, base: baseCode.base }
    })
  } catch (err) {
    io.stderr(`error: the run failed: ${errorText(err)}\n`)
    return signalled ? signalExit(signalled) : EXIT.fatal
  } finally {
    signals.off('SIGINT', handlers.SIGINT)
    signals.off('SIGTERM', handlers.SIGTERM)
    baseCode?.dispose()
    stopWatchingParent()
  }
  const comparison = results.duet ? compareDuet(results, { thresholdPct, thresholds }) : undefined

  let written: WrittenOutput[]
  try {
    written = writeOutputs(outDir, { results, comparison, report: { reproduceCommand: reproduce(config) } })
  } catch (err) {
    io.stderr(`error: cannot write results to ${outDir}: ${errorText(err)}\n`)
    return EXIT.fatal
  }
  io.stdout(`${renderConsoleSummary(results)}\n`)
  if (comparison) io.stdout(renderComparisonTable(comparison))
  io.stdout(listWritten(written))
  if (signalled) return signalExit(signalled)
  if (opts.failOnRegression && comparison && comparison.regressions.length > 0) {
    io.stderr(
      `swarm-bench: --fail-on-regression: ${comparison.regressions.length} regression(s): ` +
        `${comparison.regressions.map(v => v.key).join(', ')}\n`
    )
    return EXIT.fatal
  }
  const errored = results.benchmarks.filter(b => b.status === 'error')
  if (errored.length > 0) {
    io.stderr(`swarm-bench: ${errored.length} benchmark(s) errored: ${errored.map(b => b.id).join(', ')}\n`)
    // Nothing measured at all (no Python, no sandbox could start): that is a failed run, not a result.
    if (errored.length === results.benchmarks.length) return EXIT.fatal
  }
  if (config.failOnTarget) {
    const missed = results.benchmarks.filter(b => b.status === 'failed').map(b => b.id)
    if (missed.length > 0) {
      io.stderr(`swarm-bench: --fail-on-target: targets missed in ${missed.join(', ')}\n`)
      return EXIT.targets
    }
  }
  return EXIT.ok
}

/** The command that repeats this run's choices (never its secrets). */
export function reproduce(config: RunConfig): string {
  const parts = ['npx swarm-bench run', `--provider ${config.provider}`, `--profile ${config.profile}`]
  parts.push(`--topologies ${config.topologies.join(',')}`)
  if (config.only.length !== BENCHMARK_IDS.length) parts.push(`--only ${config.only.join(',')}`)
  if (config.costWindowSeconds > 0) parts.push(`--cost-window-seconds ${config.costWindowSeconds}`)
  if (config.strategyPath) parts.push('--strategy-path <your strategy.py>')
  if (config.agentHooks) parts.push('--agent-hooks <your hooks>')
  return parts.join(' ')
}

const signalExit = (sig: NodeJS.Signals): number => (sig === 'SIGINT' ? EXIT.sigint : EXIT.sigterm)

function readResultsOrExplain(flag: string, path: string, io: CliIO): Results | undefined {
  const r = readResults(path)
  if (r.ok) return r.results
  io.stderr(`error: ${flag} ${path}: ${r.reason}\n`)
  return undefined
}

function optionReader(opts: Record<string, unknown>) {
  return (name: string): string => {
    const v = opts[attributeName(`--${name}`)]
    if (v === undefined) return ''
    // As for `run`: an explicitly empty value (`--alpha ""`) must not silently become the default.
    if (String(v).trim() === '')
      throw new InputError(name, String(v), `a non-empty value (omit --${name} for the default)`)
    return String(v)
  }
}

/** The gate's flags of `compare` and `merge` (`--threshold`, `--thresholds`, and `--alpha` where it exists), or the
 * usage exit code after naming the bad flag. */
function readGateFlags(
  opts: Record<string, unknown>,
  io: CliIO,
  withAlpha: boolean
): { thresholdPct: number; alpha?: number; thresholds: Record<string, number> } | number {
  try {
    const read = optionReader(opts)
    return {
      thresholdPct: readNumber(read, 'threshold', 10, { min: 0, max: 1000 }),
      ...(withAlpha
        ? { alpha: readNumber(read, 'alpha', DEFAULT_COMPARE_OPTIONS.alpha, { min: 0.0001, max: 0.5 }) }
        : {}),
      thresholds: readThresholds(read)
    }
  } catch (err) {
    if (err instanceof InputError) {
      io.stderr(`${flagError(err)}\n`)
      return EXIT.usage
    }
    throw err
  }
}

function compareCommand(base: string, head: string, opts: Record<string, unknown>, io: CliIO): number {
  const gate = readGateFlags(opts, io, true)
  if (typeof gate === 'number') return gate
  const { thresholdPct, alpha, thresholds } = gate
  const b = readResultsOrExplain('BASE', base, io)
  const h = readResultsOrExplain('HEAD', head, io)
  if (!b || !h) return EXIT.usage
  const comparison = compareResults(b, h, { thresholdPct, alpha, thresholds })
  io.stdout(renderComparisonTable(comparison))
  if (opts.failOnRegression && comparison.regressions.length > 0) return EXIT.fatal
  return EXIT.ok
}

async function reportCommand(file: string, opts: Record<string, unknown>, io: CliIO): Promise<number> {
  const results = readResultsOrExplain('RESULTS', file, io)
  if (!results) return EXIT.usage
  let comparison
  if (typeof opts.baseline === 'string') {
    const base = readResultsOrExplain('--baseline', opts.baseline, io)
    if (!base) return EXIT.usage
    comparison = compareResults(base, results, {})
  } else if (results.duet) comparison = compareDuet(results)
  const out = typeof opts.out === 'string' ? resolve(opts.out) : join(dirname(resolve(file)), REPORT_FILE)
  let written: WrittenOutput[]
  try {
    prepareOutDir(dirname(out), process.cwd())
    // The exports go beside the report; the results file is the input, not rewritten.
    written = writeOutputs(
      dirname(out),
      { results, comparison },
      { skip: [resultsExporter.id], paths: { [reportExporter.id]: out } }
    )
  } catch (err) {
    if (err instanceof InputError) {
      io.stderr(`${flagError(err)}\n`)
      return EXIT.usage
    }
    io.stderr(`error: cannot write to ${dirname(out)}: ${(err as Error).message}\n`)
    return EXIT.fatal
  }
  io.stdout(listWritten(written))
  return EXIT.ok
}

function mergeCommand(files: string[], opts: Record<string, unknown>, io: CliIO): number {
  const gate = readGateFlags(opts, io, false)
  if (typeof gate === 'number') return gate
  const { thresholdPct, thresholds } = gate
  const shards: Shard[] = []
  for (const f of files) {
    const r = readResultsOrExplain('shard', f, io)
    if (!r) return EXIT.usage
    shards.push({ name: f, results: r })
  }
  let merged: Results
  try {
    merged = mergeResults(shards)
  } catch (err) {
    if (!(err instanceof MergeError)) throw err
    io.stderr(`error: cannot merge: ${err.message}\n`)
    return EXIT.usage
  }
  let comparison
  if (merged.duet) {
    if (typeof opts.baseline === 'string')
      io.stderr('swarm-bench: the shards ran a duet: --baseline is context only, not compared\n')
    comparison = compareDuet(merged, { thresholdPct, thresholds })
  } else if (typeof opts.baseline === 'string') {
    const base = readResultsOrExplain('--baseline', opts.baseline, io)
    if (!base) return EXIT.usage
    comparison = compareResults(base, merged, { thresholdPct, thresholds })
  }
  let written: WrittenOutput[]
  try {
    const outDir = prepareOutDir(String(opts.out), process.cwd())
    written = writeOutputs(outDir, { results: merged, comparison })
  } catch (err) {
    if (err instanceof InputError) {
      io.stderr(`${flagError(err)}\n`)
      return EXIT.usage
    }
    io.stderr(`error: cannot write to ${String(opts.out)}: ${(err as Error).message}\n`)
    return EXIT.fatal
  }
  const ids = merged.benchmarks.map(b => b.id)
  io.stderr(
    `swarm-bench: merged ${shards.length} shards: ${ids.length} benchmark(s), $${merged.cost.usd.toFixed(6)}\n`
  )
  if (comparison) io.stdout(renderComparisonTable(comparison))
  io.stdout(listWritten(written))
  if (opts.failOnRegression && comparison && comparison.regressions.length > 0) {
    io.stderr(
      `swarm-bench: --fail-on-regression: ${comparison.regressions.length} regression(s): ` +
        `${comparison.regressions.map(v => v.key).join(', ')}\n`
    )
    return EXIT.fatal
  }
  return EXIT.ok
}

/** One line per written file, its kind padded so the paths line up. */
function listWritten(written: readonly WrittenOutput[]): string {
  const width = Math.max(...written.map(w => w.id.length)) + 1
  return written.map(w => `${`${w.id}:`.padEnd(width)} ${w.path}\n`).join('')
}

/** `--provider` of `cleanup`: every registered provider (sorted, as the messages have always listed them) or all. */
function cleanupChoices(): string[] {
  return [
    ...providerPlugins()
      .map(p => p.name)
      .sort(),
    'all'
  ]
}

async function cleanupCommand(opts: Record<string, unknown>, io: CliIO): Promise<number> {
  const tag = String(opts.runTag ?? '')
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(tag)) {
    io.stderr(
      `error: invalid value ${JSON.stringify(tag)} for --run-tag — expected up to 64 letters, digits, - _ .\n`
    )
    return EXIT.usage
  }
  const which = String(opts.provider ?? 'all').toLowerCase()
  if (!cleanupChoices().includes(which)) {
    io.stderr(
      `error: invalid value ${JSON.stringify(which)} for --provider — expected one of ${cleanupChoices().join(', ')}\n`
    )
    return EXIT.usage
  }
  let code: number = EXIT.ok
  for (const p of providerPlugins().filter(x => which === 'all' || x.name === which)) {
    const named = which === p.name
    const c = await p.cleanup({
      runTag: tag,
      opts,
      env: io.env,
      named,
      stdout: t => io.stdout(t),
      stderr: t => io.stderr(t)
    })
    // A usage error stops at once; a failed sweep leaves the others to run and fails the command.
    if (c === EXIT.usage) return c
    if (c !== EXIT.ok) code = EXIT.fatal
  }
  return code
}

function initCommand(dir: string, io: CliIO): number {
  const root = resolve(dir)
  if (!existsSync(root)) {
    io.stderr(`error: --dir ${dir}: no such directory\n`)
    return EXIT.usage
  }
  const r = scaffold(root)
  if (r.refused.length > 0) {
    io.stderr(
      `error: ${r.refused.join(' and ')} already exist(s) in ${root}; nothing was written (init never overwrites)\n`
    )
    return EXIT.usage
  }
  io.stdout(
    `wrote ${r.written.join(' and ')}\n\n` +
      `next: npx swarm-bench run --provider local --agent-hooks ${HOOKS_FILE}\n` +
      `then commit both files; the workflow benchmarks every pull request against its base.\n`
  )
  return EXIT.ok
}
