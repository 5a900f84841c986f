// Through the real pipeline: the BUNDLED action runs on a push to main against the local fake of GitHub, finds a
// baseline artifact whose history carries an injected step, measures for real (local provider), carries the
// history forward (capped by `history-runs`) and shows the step, located at its run, in the report and the job
// summary.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { actionInputDefaults, ensureBundle, runAction, unzip } from './support/action-runner.js'
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js'
import { waitForNoProcesses } from './support/processes.js'
import { makeMetric } from '../src/results/metric.js'
import type { HistoryEntry } from '../src/results/schema.js'
import { mulberry32 } from '../src/stats/bootstrap.js'
import { benchOf, resultsOf } from './support/results.js'

const ONLY = 'trading.strategy-execution'
const BASELINE = 'swarm-bench-baseline'
const RATIO = `${ONLY}/compute_vs_floor`
const TIME = `${ONLY}/compute_ms`
const STEP_AT = 25

let gh: FakeGitHub

beforeAll(async () => {
  await ensureBundle()
  gh = await startFakeGitHub()
}, 600_000)

afterAll(async () => {
  await gh?.close()
})

/**
 * 39 earlier default-branch runs (stored newest first; oldest-first index i is run `h<i>`) around the values a
 * local run of the built-in strategies measures (compute_vs_floor 1.1–1.3 on this machine): the ratio was 0.9 until
 * run h25 and 1.2 (+33 %) from it on; the raw time stays flat. 3 % noise.
 */
function injectedHistory(): HistoryEntry[] {
  const rand = mulberry32(16)
  const noise = (): number => Math.exp(0.03 * (rand() + rand() + rand() - 1.5) * 2)
  return Array.from({ length: 39 }, (_, i) => ({
    runId: `h${i}`,
    sha: `${String(i).padStart(2, '0')}${randomBytes(19).toString('hex')}`,
    startedAt: new Date(Date.UTC(2026, 9, 1) + i * 86400_000).toISOString(),
    values: { [RATIO]: (i >= STEP_AT ? 1.2 : 0.9) * noise(), [TIME]: 0.009 * noise() }
  })).reverse()
}

/** The baseline the previous push recorded: at the new level, carrying the injected history. */
function baselineFile(history: HistoryEntry[]): string {
  const metric = (name: string, unit: string, v: number, gate: boolean) =>
    makeMetric({ name, unit, direction: 'lower', source: 'agent', samples: [v, v, v, v], gate })
  const r = resultsOf(
    [
      benchOf(
        ONLY,
        [metric('compute_ms', 'ms', 0.009, false), metric('compute_vs_floor', '× floor', 1.2, true)],
        {
          category: 'trading'
        }
      )
    ],
    { history }
  )
  return JSON.stringify({ ...r, run: { ...r.run, git: { runId: 'h39', sha: 'b'.repeat(40) } } })
}

describe('trend and change points through the bundled action', () => {
  it('a push to main shows the injected step, located at its run, in the report and the summary', async () => {
    const history = injectedHistory()
    const previous = gh.addRun({ event: 'push', headBranch: 'main' })
    gh.addArtifact({
      runId: previous.id,
      name: BASELINE,
      files: { 'swarm-bench-results.json': baselineFile(history) }
    })

    const headSha = randomBytes(20).toString('hex')
    const run = gh.addRun({
      event: 'push',
      headBranch: 'main',
      headSha,
      status: 'in_progress',
      conclusion: null
    })
    const { GITHUB_TOKEN: _notInStepEnv, ...actionsEnv } = gh.actionsEnv(run.id)
    const ws = mkdtempSync(join(tmpdir(), 'swarm-bench-trend-'))
    const j = await runAction({
      entry: 'index',
      workspace: ws,
      event: { ref: 'refs/heads/main', repository: { full_name: gh.repo, default_branch: 'main' } },
      env: {
        ...actionsEnv,
        GITHUB_EVENT_NAME: 'push',
        GITHUB_REF: 'refs/heads/main',
        GITHUB_REF_NAME: 'main',
        GITHUB_SHA: headSha,
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_WORKFLOW_REF: `${gh.repo}/${run.workflowPath}@refs/heads/main`,
        GITHUB_JOB: 'bench'
      },
      inputs: {
        ...actionInputDefaults(),
        'github-token': gh.token,
        provider: 'local',
        only: ONLY,
        'fail-on-regression': 'false',
        // 30 of the 40 earlier runs are kept: h10 … h39. The step at h25 is still inside.
        'history-runs': '30'
      }
    })
    run.status = 'completed'
    run.conclusion = j.code === 0 ? 'success' : 'failure'
    expect(await waitForNoProcesses(`gh-${run.id}-1`, 10_000)).toEqual([])
    const explain = `exit ${j.code}\n--- stdout\n${j.stdout.slice(-6000)}\n--- stderr\n${j.stderr.slice(-3000)}`
    expect(j.code, explain).toBe(0)
    expect(j.outputs['baseline-run-id']).toBe(String(previous.id))

    // The step, at h24…h26 with that run's commit, in the report's executive summary and trend section.
    const located = (text: string): number => {
      const m = text.match(
        /since run h(\d+) \(`([0-9a-f]{7})`\), `trading\.strategy-execution\/compute_vs_floor` stepped \+(\d+) % \(worse/
      )
      expect(m, text.slice(0, 4000)).not.toBeNull()
      const at = Number(m![1])
      const sha = history.find(h => h.runId === `h${at}`)!.sha!
      expect(m![2]).toBe(sha.slice(0, 7))
      expect(Number(m![3])).toBeGreaterThanOrEqual(20)
      expect(Number(m![3])).toBeLessThanOrEqual(45)
      return at
    }
    const report = readFileSync(j.outputs['report-path'], 'utf8')
    expect(Math.abs(located(report) - STEP_AT)).toBeLessThanOrEqual(1)
    expect(report).toContain('## Trend over the history')
    expect(report).toMatch(/2 gated headline\(s\) over the last 31 default-branch run\(s\)/)
    expect(report).toMatch(/```mermaid\n%%\{init[^\n]*\nxychart-beta\n {2}title "Trading operations/)
    // The flat raw time has no step: one step line only.
    expect(report.match(/^- 📈 since run/gm)).toHaveLength(2) // executive summary and trend section
    expect(report).not.toMatch(/compute_ms` stepped/)
    // The job summary says the same.
    expect(Math.abs(located(j.summary) - STEP_AT)).toBeLessThanOrEqual(1)
    expect(j.summary).toContain('### Trend over the history')

    // The new baseline carries history-runs (30) earlier runs, the previous baseline first.
    const a = gh.artifactsOf(run.id).find(x => x.name === BASELINE)!
    const files = unzip(gh.state.blobs.get(a.blobPath)!.data)
    const next = JSON.parse(files['swarm-bench-results.json'].toString('utf8'))
    expect(next.schemaVersion).toBe(2)
    expect(next.history).toHaveLength(30)
    expect(next.history[0].runId).toBe('h39')
    expect(next.history[29].runId).toBe('h10')
    expect(existsSync(join(ws, 'swarm-bench', 'SWARM_BENCHMARKS_REPORT.md'))).toBe(true)
  }, 300_000)
})
