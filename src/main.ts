// The action: phases in order, nothing else. The work of each phase lives in src/action/ (and the engine folders);
// this file decides what happens when, and makes sure that whatever fails later, the results already written, the
// job summary and the outputs survive.
import { join, resolve } from 'node:path'
import * as core from '@actions/core'
import { baselinePhase, type BaselinePhase } from './action/load-baseline.js'
import { autoFellBackToLocal, readActionInputs } from './action/read-inputs.js'
import { prepareOutDir } from './config/paths.js'
import { abortOnSignals } from './action/interrupt.js'
import {
  budgetMessage,
  costBudget,
  gateFailure,
  outputsOf,
  regressionAnnotation,
  targetsFailed,
  type OutputFacts
} from './action/outcome.js'
import { createProgressLogger } from './action/log-groups.js'
import { publishArtifact, publishComment } from './action/publish.js'
import { redact, redactDeep, usableSecrets } from './secrets.js'
import { STATE } from './action/state.js'
import { writeJobSummary } from './action/write-job-summary.js'
import { runBenchmarks } from './bench/runner.js'
import type { ActionConfig } from './config/action-config.js'
import { createGitHubClient, isBaselineBranchRun, readRunnerContext, stickyMarker } from './github/index.js'
import { renderComment, resolvedNotice } from './report/index.js'
import { outputPaths, writeOutputs, WriteOutputsError, type WrittenOutput } from './export/write.js'
import { appendHistory, writeResults } from './results/io.js'
import { RESULTS_FILE, type Results } from './results/schema.js'
import { providerPlugin, providerPlugins } from './sandbox/registry.js'
import { compareResults, type Comparison } from './stats/compare.js'
import { analyseTrend } from './stats/trend.js'
import { duetBase } from './action/duet.js'
import { compareDuet } from './duet/verdict.js'
import { acceptByLabel, methodDocUrl } from './action/review.js'
import { errorText } from './errors.js'
import { confirmRegressions } from './action/confirm.js'

export async function run(): Promise<void> {
  // Mask the secrets before anything can print them, even an input error.
  const input = (name: string): string => core.getInput(name)
  const rawSecrets = [
    ...providerPlugins().flatMap(p => p.rawSecrets(input, process.env)),
    core.getInput('github-token')
  ]
  for (const s of rawSecrets) if (s?.trim()) core.setSecret(s.trim())

  // Phase 1: inputs. Invalid ones fail the step before any sandbox starts.
  let config: ActionConfig
  try {
    config = readActionInputs(input, process.env, process.cwd(), m => core.warning(m))
    // Created and proven writable now, so a bad `out` fails here rather than after the matrix (or never).
    config.outDir = prepareOutDir(config.outDir, process.cwd())
  } catch (err) {
    core.setFailed(errorText(err))
    return
  }
  const plugin = providerPlugin(config.provider)
  const settings = config.providers[config.provider]
  const secrets = usableSecrets([...rawSecrets, ...plugin.secrets(settings), config.githubToken])
  const clean = (text: string): string => redact(text, secrets)
  if (config.githubToken) core.setSecret(config.githubToken)
  if (autoFellBackToLocal(config, core.getInput('provider'))) core.notice(config.providerReason)
  else core.info(config.providerReason)
  // The post step sweeps whatever carries this tag, even after a crash or a cancel of this step.
  core.saveState(STATE.runTag, config.runTag)
  core.saveState(STATE.provider, config.provider)
  for (const [name, value] of Object.entries(plugin.state?.(settings) ?? {})) core.saveState(name, value)
  for (const p of providerPlugins()) p.installExitCleanup?.({ exitOnSignal: false })
  const stop = new AbortController()
  const disposeSignals = abortOnSignals(stop, m => core.warning(m))

  const ctx = readRunnerContext()
  for (const w of ctx.warnings) core.warning(w)
  const outDir = resolve(config.outDir)
  const resultsPath = join(outDir, RESULTS_FILE)
  const octokit = config.githubToken ? createGitHubClient(config.githubToken) : undefined
  const marker = stickyMarker(config.artifactName)
  const methodUrl = methodDocUrl(ctx)
  const facts: OutputFacts = {}
  /** One line per publishing step (baseline, artifact, comment) for the job summary. */
  const publishing: string[] = []
  let results: Results | undefined
  let comparison: Comparison | undefined
  let reportUrl: string | undefined
  let artifactName = config.artifactName
  let fatal: string | undefined
  let disposeBase: (() => void) | undefined

  try {
    // Phase 2: the matrix, one log group per category. An interrupt returns partial results.
    const progress = createProgressLogger({
      info: m => core.info(clean(m)),
      startGroup: n => core.startGroup(n),
      endGroup: () => core.endGroup()
    })
    // On a pull request the base's code under test runs beside the head's (a duet); when it cannot be had, the
    // run says why and the baseline artifact decides, as before.
    const base = await duetBase(config, ctx)
    if (base.note) publishing.push(`Duet: ${base.note}`)
    // Kept until the end: confirm runs (input confirm-runs) measure the base again.
    disposeBase = () => base.code?.dispose()
    const duet = base.code && { files: base.code.files, base: base.code.base }
    try {
      // Agents run the pull request's strategy code; providers start them without the runner's credentials.
      results = await runBenchmarks(config, {
        onProgress: e => progress.onProgress(e),
        signal: stop.signal,
        // A cancelled job gets 7.5 s between SIGINT and SIGTERM: leave time to write the partial results.
        abortGraceMs: 2000,
        log: m => core.info(clean(m)),
        duet
      })
    } finally {
      progress.close()
    }
    for (const b of results.benchmarks.filter(x => x.status === 'error')) {
      core.warning(clean(`${b.id}: ${b.error ?? 'error'}`), { title: `Benchmark error: ${b.id}` })
    }
    // Written at once, so nothing that fails later (baseline, GitHub) can lose the measurements.
    writeResults(outDir, redactDeep(results, secrets))
    facts.results = results
    facts.files = { 'results-path': resultsPath }

    // Phase 3: the baseline. Skipped when interrupted: a cancelled job has seconds left, not minutes.
    const baseline: BaselinePhase = stop.signal.aborted
      ? { noBaselineReason: 'not compared, the run was interrupted', notes: [] }
      : await baselinePhase({
          ctx,
          octokit,
          token: config.githubToken,
          branchInput: config.baselineBranch,
          artifactName: config.baselineArtifact,
          clean
        })
    facts.baselineRunId = baseline.runId
    publishing.push(
      baseline.previous ? `Baseline: run ${baseline.runId}` : `Baseline: none (${baseline.noBaselineReason})`,
      ...baseline.notes
    )

    // Phase 4: compare. A duet decides the gate and the artifact comparison is context; without a duet the
    // artifact decides. On the baseline branch the history travels forward into the new baseline.
    const judging = { thresholdPct: config.regressionThresholdPct, thresholds: config.thresholds }
    const artifact = compareResults(baseline.previous, results, {
      ...judging,
      noBaselineReason: baseline.noBaselineReason
    })
    artifact.warnings.push(...baseline.notes)
    if (base.note) artifact.warnings.push(`no duet: ${base.note}`)
    comparison = await acceptByLabel(
      results.duet ? { ...compareDuet(results, judging), artifact } : artifact,
      ctx,
      config.acceptLabel,
      octokit
    )
    // Input confirm-runs: the benchmarks with a regression are measured again (a duet again) before the gate.
    if (
      config.confirmRuns > 0 &&
      comparison.regressions.length > 0 &&
      !comparison.accepted &&
      !stop.signal.aborted
    ) {
      const previous = baseline.previous
      comparison = await confirmRegressions({
        comparison,
        runs: config.confirmRuns,
        only: config.only,
        log: m => core.info(clean(m)),
        measure: async ids => {
          const again = await runBenchmarks(
            { ...config, only: ids },
            { signal: stop.signal, abortGraceMs: 2000, log: m => core.info(clean(m)), duet }
          )
          const judged = again.duet
            ? compareDuet(again, judging)
            : compareResults(previous, again, { ...judging, noBaselineReason: baseline.noBaselineReason })
          return { comparison: judged, usd: again.cost.usd }
        }
      })
      if (comparison.confirm)
        core.info(
          `Confirm runs: ${comparison.confirm.stood.length} regression(s) stood, ` +
            `${comparison.confirm.cleared.length} cleared`
        )
    }
    comparison.budget = costBudget(results, config.maxCostUsd, comparison.confirm?.usd ?? 0)
    facts.comparison = comparison
    const recordsBaseline =
      isBaselineBranchRun(ctx, config.baselineBranch || ctx.defaultBranch) && results.run.complete
    if (recordsBaseline) {
      results = { ...results, history: appendHistory(baseline.previous, results, config.historyRuns) }
      artifactName = config.baselineArtifact
      // The history's trend and change points: where a metric stepped and stayed, even by creeping.
      comparison = {
        ...comparison,
        trend: analyseTrend(results, { thresholdPct: config.regressionThresholdPct })
      }
    }
    facts.results = results
    facts.comparison = comparison

    // Phase 5: every output file (src/export/): results (with the history when this run is the next baseline),
    // report, the ecosystem exports and, on a pull request, the comment as data for the workflow_run pattern that
    // comments on fork pull requests.
    const commentOpts = {
      runUrl: ctx.runUrl,
      marker,
      prNumber: ctx.pullRequest?.number,
      methodUrl
    }
    const pullRequest = ctx.pullRequest && {
      number: ctx.pullRequest.number,
      headSha: ctx.pullRequest.headSha,
      ...commentOpts
    }
    let written: WrittenOutput[]
    try {
      written = writeOutputs(outDir, {
        results: redactDeep(results, secrets),
        comparison,
        clean,
        pullRequest
      })
    } catch (err) {
      // What was written stays listed (outputs, artifact) before the failure ends the run.
      if (err instanceof WriteOutputsError) facts.files = { ...facts.files, ...outputPaths(err.written) }
      throw err
    }
    facts.files = { ...facts.files, ...outputPaths(written) }
    const files = written.map(w => w.path)

    // Phase 6: the artifact; on the baseline branch it is the next baseline. Skipped when interrupted: a
    // partial run must never become a baseline, and a cancelled job has no time for uploads.
    if (!stop.signal.aborted) {
      const artifact = await publishArtifact({
        name: artifactName,
        files,
        rootDirectory: outDir,
        retentionDays: config.retentionDays,
        role: recordsBaseline
          ? `the next baseline, carrying ${results.history.length} earlier run(s) of history`
          : 'results of this run',
        ctx,
        clean
      })
      publishing.push(artifact.line)
      reportUrl = artifact.url
    }

    // Phase 7: the sticky PR comment. A read-only token (fork pull request) is a warning, never a failure.
    if (!stop.signal.aborted) {
      const onRegression = config.comment === 'on-regression'
      const comment = await publishComment({
        octokit,
        ctx,
        marker,
        body: clean(renderComment(results, comparison, { ...commentOpts, reportUrl })),
        mode: config.comment,
        changed: onRegression
          ? comparison.regressions.length > 0
          : comparison.regressions.length + comparison.improvements.length > 0,
        resolvedBody: onRegression
          ? clean(
              renderComment(results, comparison, {
                ...commentOpts,
                reportUrl,
                notice: resolvedNotice(ctx.pullRequest?.headSha)
              })
            )
          : undefined,
        clean
      })
      publishing.push(comment.line)
      facts.commentUrl = comment.url
    }
  } catch (err) {
    fatal = clean(errorText(err))
    core.error(fatal, { title: 'swarm-bench failed' })
  } finally {
    disposeBase?.()
    disposeSignals()
    // Phase 8: the job summary and every output, whatever happened above.
    await writeJobSummary({
      results,
      comparison,
      publishing,
      fatal,
      links: {
        artifactName,
        reportUrl,
        commentUrl: facts.commentUrl,
        runUrl: ctx.runUrl,
        prNumber: ctx.pullRequest?.number,
        methodUrl,
        fork: ctx.pullRequest?.isFork
      },
      clean
    })
    for (const [name, value] of Object.entries(outputsOf(facts))) core.setOutput(name, value)
  }

  // Phase 9: the gate, with one error annotation per regression.
  if (fatal) return core.setFailed(fatal)
  const accepted = comparison?.accepted
  if (comparison?.budget?.exceeded)
    core.error(clean(budgetMessage(comparison.budget)), { title: 'Cost budget exceeded' })
  for (const v of comparison?.regressions ?? []) {
    const a = regressionAnnotation(v)
    if (accepted) core.warning(clean(`Accepted by label ${accepted.label}: ${a.message}`), { title: a.title })
    else core.error(clean(a.message), { title: a.title })
  }
  const failure = gateFailure({
    results,
    comparison,
    failOnRegression: config.failOnRegression,
    failOnTarget: config.failOnTarget
  })
  if (failure) core.setFailed(failure)
  else core.info(`Done: ${comparison?.reason ?? 'no comparison'}; ${targetsFailed(results)} target(s) missed`)
}
