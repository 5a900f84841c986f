// Fault injection, GitHub: the bundled action (dist/index.js) on a pull request against the fake GitHub, with one
// GitHub fault per run: API 5xx, 403 (permission), 403 and 429 rate limits, an artifact download cut midway (once,
// and every time), the results service rejecting the upload or failing once. The benchmark itself is healthy; the
// action must never lose it: the results reach the job summary and the step outputs, the files are written, the
// step passes (GitHub trouble is a warning or a reason, never a failure), and no agent is left.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBenchmarks } from '../../src/bench/runner.js'
import { RESULTS_FILE } from '../../src/results/schema.js'
import {
  actionInputDefaults,
  annotations,
  ensureBundle,
  runAction,
  type ActionRun
} from '../support/action-runner.js'
import { benchConfig } from '../support/bench-config.js'
import { startFakeGitHub, type FakeGitHub, type FaultOptions } from '../support/fake-github.js'
import { startCuttingProxy } from '../support/faults/cutting-proxy.js'
import { expectOutputs } from '../support/faults/outputs.js'
import { printFaultTable, recordFault } from '../support/faults/table.js'
import { newRunTag, waitForNoProcesses } from '../support/processes.js'
import { OUTPUT_NAMES } from '../../src/action/outcome.js'

const ONLY = 'trading.strategy-execution'
const BASELINE = 'swarm-bench-baseline'

let gh: FakeGitHub
let baseSha = ''
let baselineRunId = 0
let prNumber = 100

beforeAll(async () => {
  await ensureBundle()
  gh = await startFakeGitHub()
  // A real baseline on main: measured now, uploaded as the artifact a default-branch run leaves.
  const results = await runBenchmarks(
    benchConfig({ provider: 'local', only: ONLY, 'run-tag': newRunTag('gh-base') })
  )
  const run = gh.addRun({ event: 'push', headBranch: 'main' })
  gh.addArtifact({ runId: run.id, name: BASELINE, files: { [RESULTS_FILE]: JSON.stringify(results) } })
  baseSha = run.headSha
  baselineRunId = run.id
}, 600_000)

afterAll(async () => {
  printFaultTable('GitHub (bundled action, fake GitHub)')
  await gh?.close()
})

interface Job extends ActionRun {
  runId: number
  workspace: string
  pr: number
  seconds: number
}

/** One pull request job of the bundled action; `apiUrl` points the REST API somewhere else (a proxy). */
async function prJob(opts: { apiUrl?: string } = {}): Promise<Job> {
  const pr = ++prNumber
  const headSha = randomBytes(20).toString('hex')
  const run = gh.addRun({
    event: 'pull_request',
    headBranch: `feature-${pr}`,
    headSha,
    status: 'in_progress',
    conclusion: null,
    pullRequests: [pr]
  })
  const ws = mkdtempSync(join(tmpdir(), 'faults-gh-ws-'))
  writeFileSync(join(ws, '.keep'), '')
  const repository = { full_name: gh.repo, default_branch: 'main' }
  const { GITHUB_TOKEN: _notInStepEnv, ...actionsEnv } = gh.actionsEnv(run.id)
  const t0 = performance.now()
  const res = await runAction({
    entry: 'index',
    workspace: ws,
    event: {
      number: pr,
      pull_request: {
        number: pr,
        base: { sha: baseSha, ref: 'main', repo: { full_name: gh.repo } },
        head: { sha: headSha, ref: `feature-${pr}`, repo: { full_name: gh.repo } }
      },
      repository
    },
    env: {
      ...actionsEnv,
      ...(opts.apiUrl ? { GITHUB_API_URL: opts.apiUrl } : {}),
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_REF: `refs/pull/${pr}/merge`,
      GITHUB_SHA: headSha,
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_WORKFLOW_REF: `${gh.repo}/${run.workflowPath}@refs/pull/${pr}/merge`
    },
    inputs: {
      ...actionInputDefaults(),
      'github-token': gh.token,
      provider: 'local',
      only: ONLY,
      'fail-on-regression': 'false'
    }
  })
  const seconds = (performance.now() - t0) / 1000
  run.status = 'completed'
  run.conclusion = res.code === 0 ? 'success' : 'failure'
  expect(await waitForNoProcesses(`gh-${run.id}-1`, 10_000)).toEqual([])
  return { ...res, runId: run.id, workspace: ws, pr, seconds }
}

const explain = (j: ActionRun): string =>
  `exit ${j.code}\n--- stdout\n${j.stdout.slice(-6000)}\n--- stderr\n${j.stderr.slice(-2000)}`

/** What every GitHub fault must leave intact: exit 0, the measurements in the summary, outputs, files. */
function expectResultsDelivered(j: Job): void {
  expect(j.code, explain(j)).toBe(0)
  expect(Object.keys(j.outputs).sort()).toEqual([...OUTPUT_NAMES].sort())
  expect(Number(j.outputs['cost-usd'])).toBeGreaterThan(0)
  expect(existsSync(j.outputs['results-path'])).toBe(true)
  expect(readFileSync(j.outputs['report-path'], 'utf8')).toContain(ONLY)
  const o = expectOutputs(join(j.workspace, 'swarm-bench'), explain(j))
  expect(o.byId(ONLY).status).toBe('passed')
  // The job summary carries the run's outcome (status counts, targets, cost), whatever GitHub did.
  expect(j.summary).toMatch(/\| 1 \| 0 \| 0 \| 0 \|/)
  expect(j.summary).toMatch(/Targets: all met/)
  expect(j.summary).toMatch(/💰 This run cost \$\d/)
}

function row(fault: string, j: Job, outcome: string): void {
  recordFault({
    fault,
    layer: 'action/github',
    outcome: `exit ${j.code}; ${outcome}`,
    recoverSeconds: j.seconds,
    leakedProcesses: 0,
    leakedSandboxes: 0
  })
}

async function withFault<T>(fault: FaultOptions, fn: () => Promise<T>): Promise<T> {
  gh.injectFault(fault)
  try {
    return await fn()
  } finally {
    gh.clearFaults()
  }
}

const repoPath = (): string => `/repos/${gh.repo}`

describe('GitHub faults never cost the results', () => {
  it('control: without faults the baseline is found and compared', async () => {
    const j = await prJob()
    expectResultsDelivered(j)
    expect(j.outputs['baseline-run-id']).toBe(String(baselineRunId))
    expect(gh.comments(j.pr)).toHaveLength(1)
  })

  it('API 5xx while looking up the baseline', async () => {
    const j = await withFault(
      { method: 'GET', path: `${repoPath()}/actions/runs/*`, kind: 'server-error', status: 502 },
      () => prJob()
    )
    expectResultsDelivered(j)
    expect(j.outputs['baseline-run-id']).toBe('')
    expect(j.summary).toMatch(/baseline lookup failed/)
    expect(j.summary).toMatch(/502/)
    // The comment (another endpoint) still went out, and says why nothing was compared.
    expect(gh.comments(j.pr)[0]?.body).toMatch(/502/)
    row('GitHub API 502 on the baseline lookup', j, 'no baseline (reason in summary + comment)')
  })

  it('403 (token without actions: read) on the workflow runs', async () => {
    const j = await withFault(
      { method: 'GET', path: new RegExp(`^${repoPath()}/actions/workflows/`), kind: 'forbidden' },
      () => prJob()
    )
    expectResultsDelivered(j)
    expect(j.outputs['baseline-run-id']).toBe('')
    expect(j.summary).toMatch(/403/)
    row('GitHub 403 on workflow runs', j, 'no baseline; 403 named in the summary')
  })

  it('a primary rate limit (403, remaining 0) on the PR comment', async () => {
    const j = await withFault({ path: new RegExp(`^${repoPath()}/issues/`), kind: 'rate-limit' }, () =>
      prJob()
    )
    expectResultsDelivered(j)
    expect(gh.comments(j.pr)).toHaveLength(0)
    const warning = annotations(j.stdout).find(a => a.title === 'PR comment not posted')
    expect(warning?.message, explain(j)).toMatch(/rate limit/i)
    expect(j.summary).toMatch(/PR comment: not posted/)
    expect(j.outputs['comment-url']).toBe('')
    // Everything else went through: the baseline was compared and the artifact uploaded.
    expect(j.outputs['baseline-run-id']).toBe(String(baselineRunId))
    expect(gh.artifactsOf(j.runId).map(a => a.name)).toEqual(['swarm-bench-results'])
    row('GitHub rate limit (403) on comments', j, 'comment skipped with a warning')
  })

  it('a secondary rate limit (429, retry-after 60) on the artifact listing: no minute-long wait', async () => {
    const j = await withFault(
      {
        method: 'GET',
        path: new RegExp(`^${repoPath()}/actions/runs/\\d+/artifacts`),
        kind: 'rate-limit-429'
      },
      () => prJob()
    )
    expectResultsDelivered(j)
    expect(j.outputs['baseline-run-id']).toBe('')
    expect(j.summary).toMatch(/429|rate limit/i)
    expect(j.seconds).toBeLessThan(55)
    row('GitHub 429 on artifact listing', j, 'no baseline; reason in the summary, no wait')
  })

  it('the baseline download is cut midway, every time: no baseline, and no minutes lost', async () => {
    // Headers with the full length, 40% of the zip, then the connection dies: a dropped download.
    const proxy = await startCuttingProxy(gh.url, [{ method: 'GET', path: /\.zip(\?|$)/, fraction: 0.4 }])
    try {
      const j = await prJob({ apiUrl: proxy.url })
      expect(proxy.cuts, explain(j)).toBeGreaterThanOrEqual(1)
      expectResultsDelivered(j)
      expect(j.outputs['baseline-run-id']).toBe('')
      expect(j.summary).toMatch(/no baseline: downloading artifact \d+ of run \d+/)
      // A cut connection is an error at once; waiting for an idle timer on every retry would cost minutes.
      expect(j.seconds, explain(j)).toBeLessThan(45)
      row('baseline download cut midway', j, `no baseline after ${proxy.cuts} cut download(s)`)
    } finally {
      await proxy.close()
    }
  }, 300_000)

  it('the artifact service rejects the upload (403)', async () => {
    const j = await withFault(
      {
        path: /\/twirp\/github\.actions\.results\.api\.v1\.ArtifactService\/CreateArtifact$/,
        kind: 'forbidden'
      },
      () => prJob()
    )
    expectResultsDelivered(j)
    expect(gh.artifactsOf(j.runId)).toEqual([])
    const warning = annotations(j.stdout).find(a => a.title === 'Artifact not uploaded')
    expect(warning, explain(j)).toBeDefined()
    expect(j.summary).toMatch(/not uploaded/)
    // The comment still carries the results.
    expect(gh.comments(j.pr)[0]?.body).toContain(ONLY)
    row('artifact upload rejected (403)', j, 'warning; summary, outputs, comment intact')
  })

  it('the artifact service fails once (5xx): retried and uploaded', async () => {
    const j = await withFault(
      {
        path: /\/twirp\/github\.actions\.results\.api\.v1\.ArtifactService\/CreateArtifact$/,
        kind: 'server-error',
        status: 503,
        times: 1
      },
      () => prJob()
    )
    expectResultsDelivered(j)
    expect(gh.artifactsOf(j.runId).map(a => a.name)).toEqual(['swarm-bench-results'])
    row('artifact service 503 once', j, 'retried, uploaded')
  })
})
