// End to end: the BUNDLED action (dist/index.js, dist/post.js) run as a child process with the environment a
// GitHub runner gives a step, against the local fake of GitHub (REST API, artifact service, blob store) and, for the
// e2b post-step sweep, the local E2B emulator. Real agents on the local provider, real uploads and downloads
// through @actions/artifact, real measurements: the injected slowdown is a strategy module that really got slower.
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  actionInputDefaults,
  annotations,
  ensureBundle,
  runAction,
  unzip,
  type ActionRun
} from './support/action-runner.js'
import { startFakeGitHub, type FakeGitHub, type FakeRun } from './support/fake-github.js'
import { startE2BEmulator } from './support/e2b-emulator/index.js'
import { isAlive, processesWithTag, waitForNoProcesses } from './support/processes.js'
import { OUTPUT_NAMES } from '../src/action/outcome.js'
import { resolveInterpreter } from '../src/sandbox/local/provider.js'
import { EXPORTERS } from '../src/export/registry.js'
import { extractCustomResult } from './fixtures/github-action-benchmark/extract.js'
import { validateBmf } from './fixtures/bencher/validate.js'

const E2B_KEY = 'e2b_e2eSecretKey_9f8e7d6c5b4a39281706'
const ONLY = 'trading.strategy-execution'
const BASELINE = 'swarm-bench-baseline'
const RESULTS = 'swarm-bench-results'

// The user's strategy module (strategy-path). The "slow" version is the same decision made accidentally quadratic:
// every moving-window mean and variance recomputed from scratch on each call, a real slowdown the agent measures.
const FAST_STRATEGY = `
def decide(bars, state):
    closes = [b["c"] for b in bars[-20:]]
    mean = sum(closes) / len(closes)
    last = closes[-1]
    if last > mean * 1.002:
        return {"signal": "buy", "confidence": 0.6}
    if last < mean * 0.998:
        return {"signal": "sell", "confidence": 0.6}
    return {"signal": "hold", "confidence": 0.5}
`
const SLOW_STRATEGY = `
def decide(bars, state):
    closes = [b["c"] for b in bars]
    windows = []
    for w in range(1, len(closes) + 1):
        window = closes[-w:]
        mean = sum(window) / w
        var = sum((c - mean) ** 2 for c in window) / w
        windows.append((mean, var))
    mean = sum(m for m, _ in windows[-20:]) / 20
    last = closes[-1]
    if last > mean * 1.002:
        return {"signal": "buy", "confidence": 0.6}
    if last < mean * 0.998:
        return {"signal": "sell", "confidence": 0.6}
    return {"signal": "hold", "confidence": 0.5}
`

let gh: FakeGitHub
const runs: ActionRun[] = []
const workspaces: string[] = []
const sha = (): string => randomBytes(20).toString('hex')

beforeAll(async () => {
  await ensureBundle()
  gh = await startFakeGitHub()
}, 600_000)

afterAll(async () => {
  await gh?.close()
})

function workspace(strategy = FAST_STRATEGY, hooks?: string): string {
  const ws = mkdtempSync(join(tmpdir(), 'swarm-bench-ws-'))
  writeFileSync(join(ws, 'strategy.py'), strategy)
  if (hooks) writeFileSync(join(ws, 'hooks.py'), hooks)
  workspaces.push(ws)
  return ws
}

interface JobOptions {
  event: 'push' | 'pull_request' | 'schedule'
  pr?: { number: number; baseSha: string; fork?: boolean }
  headSha?: string
  inputs?: Record<string, string>
  strategy?: string
  /** The user's agent hooks module, written as hooks.py in the workspace. */
  hooks?: string
  readOnlyToken?: boolean
  onSpawn?: Parameters<typeof runAction>[0]['onSpawn']
}

interface Job extends ActionRun {
  run: FakeRun
  workspace: string
  results?: Record<string, unknown> & { run: { complete: boolean }; history: unknown[] }
}

/** One workflow job: the run exists (in progress) on the fake, the step runs, the run completes with its outcome. */
async function job(o: JobOptions): Promise<Job> {
  const headSha = o.headSha ?? sha()
  const headBranch = o.pr ? `feature-${o.pr.number}` : 'main'
  const run = gh.addRun({
    event: o.event,
    headBranch,
    headSha,
    status: 'in_progress',
    conclusion: null,
    pullRequests: o.pr ? [o.pr.number] : []
  })
  const repo = gh.repo
  const repository = { full_name: repo, default_branch: 'main' }
  const event = o.pr
    ? {
        number: o.pr.number,
        pull_request: {
          number: o.pr.number,
          base: { sha: o.pr.baseSha, ref: 'main', repo: { full_name: repo } },
          head: {
            sha: headSha,
            ref: headBranch,
            repo: { full_name: o.pr.fork ? 'contributor/swarm-bench' : repo }
          }
        },
        repository
      }
    : { ref: 'refs/heads/main', repository }
  const token = o.readOnlyToken ? gh.readOnlyToken : gh.token
  const { GITHUB_TOKEN: _notInStepEnv, ...actionsEnv } = gh.actionsEnv(run.id)
  const ws = workspace(o.strategy, o.hooks)
  const defaults = actionInputDefaults()
  const res = await runAction({
    entry: 'index',
    workspace: ws,
    event,
    onSpawn: o.onSpawn,
    env: {
      ...actionsEnv,
      GITHUB_EVENT_NAME: o.event,
      GITHUB_REF: o.pr ? `refs/pull/${o.pr.number}/merge` : 'refs/heads/main',
      GITHUB_REF_NAME: o.pr ? `${o.pr.number}/merge` : 'main',
      GITHUB_SHA: headSha,
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_WORKFLOW_REF: `${repo}/${run.workflowPath}@refs/heads/${headBranch}`,
      GITHUB_JOB: 'bench'
    },
    inputs: {
      ...defaults,
      'github-token': token,
      'e2b-api-key': E2B_KEY,
      provider: 'local',
      only: ONLY,
      'strategy-path': 'strategy.py',
      ...o.inputs
    }
  })
  runs.push(res)
  run.status = 'completed'
  run.conclusion = res.code === 0 ? 'success' : 'failure'
  const resultsFile = join(ws, 'swarm-bench', 'swarm-bench-results.json')
  const results = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : undefined
  // Whatever happened, no agent of this run may outlive the step.
  expect(await waitForNoProcesses(`gh-${run.id}-1`, 10_000)).toEqual([])
  return { ...res, run, workspace: ws, results }
}

const explain = (j: ActionRun): string =>
  `exit ${j.code}\n--- stdout\n${j.stdout.slice(-6000)}\n--- stderr\n${j.stderr.slice(-3000)}`

/** The files of an artifact a run uploaded, read back from the fake's blob store. */
function artifactFiles(runId: number, name: string): Record<string, string> {
  const a = gh.artifactsOf(runId).find(x => x.name === name)
  if (!a) throw new Error(`run ${runId} has no artifact ${name}: ${gh.artifactsOf(runId).map(x => x.name)}`)
  const blob = gh.state.blobs.get(a.blobPath)
  if (!blob) throw new Error(`artifact ${a.id} has no blob`)
  return Object.fromEntries(Object.entries(unzip(blob.data)).map(([k, v]) => [k, v.toString('utf8')]))
}

describe('the bundled action on a runner', () => {
  let pushRuns: Job[] = []

  it('first pull request run: no baseline yet, says so, still reports, uploads, comments and passes', async () => {
    const j = await job({ event: 'pull_request', pr: { number: 1, baseSha: sha() } })
    expect(j.code, explain(j)).toBe(0)
    // Every output is set; counts are numbers, paths point at the written files.
    expect(Object.keys(j.outputs).sort()).toEqual([...OUTPUT_NAMES].sort())
    expect(j.outputs.regressions).toBe('0')
    expect(j.outputs['baseline-run-id']).toBe('')
    expect(Number(j.outputs['cost-usd'])).toBeGreaterThan(0)
    expect(readFileSync(j.outputs['report-path'], 'utf8')).toContain('# Swarm Benchmarks Report')
    expect(j.results?.run.complete).toBe(true)
    // The log groups per category and shows progress.
    expect(j.stdout).toMatch(/::group::trading \(1 benchmark\)/)
    expect(j.stdout).toMatch(/\[1\/1\] trading\.strategy-execution passed in/)
    // No baseline: the summary and the comment say why; a warning explains it on the run page.
    expect(j.summary).toMatch(/no baseline: .*no successful run/)
    expect(
      annotations(j.stdout).some(a => a.level === 'warning' && /no successful run/.test(a.message))
    ).toBe(true)
    const comments = gh.comments(1)
    expect(comments).toHaveLength(1)
    expect(comments[0].body).toMatch(/no baseline/)
    expect(j.outputs['comment-url']).toContain(`#issuecomment-${comments[0].id}`)
    // The PR artifact holds the report, the results, the comment data for the workflow_run pattern and the
    // exports; each file's output names it, and each export reads back through its own tool's check.
    const files = artifactFiles(j.run.id, RESULTS)
    expect(Object.keys(files).sort()).toEqual(EXPORTERS.map(e => e.fileName).sort())
    for (const e of EXPORTERS) expect(readFileSync(j.outputs[e.output], 'utf8')).toBe(files[e.fileName])
    expect(JSON.parse(files['swarm-bench-comment.json'])).toMatchObject({ issueNumber: 1 })
    const smaller = await extractCustomResult(j.outputs['smaller-is-better-path'], 'customSmallerIsBetter')
    expect(smaller.benches.map(b => b.name)).toContain(`${ONLY}/compute_ms`)
    const bigger = await extractCustomResult(j.outputs['bigger-is-better-path'], 'customBiggerIsBetter')
    expect(bigger.benches.map(b => b.name)).toContain(`${ONLY}/throughput_per_s`)
    const bmf = JSON.parse(files['swarm-bench-bencher.json'])
    expect(validateBmf(bmf), JSON.stringify(validateBmf.errors)).toBe(true)
    expect(Object.keys(bmf)).toContain(`${ONLY}/compute_ms`)
    expect(gh.artifactsOf(j.run.id).map(a => a.name)).not.toContain(BASELINE)
  }, 300_000)

  it('pushes to main upload the baseline artifact and carry the history forward', async () => {
    const inputs = { 'fail-on-regression': 'false' }
    const first = await job({ event: 'push', inputs })
    expect(first.code, explain(first)).toBe(0)
    const second = await job({ event: 'push', inputs })
    expect(second.code, explain(second)).toBe(0)
    pushRuns = [first, second]

    const firstBaseline = JSON.parse(artifactFiles(first.run.id, BASELINE)['swarm-bench-results.json'])
    expect(firstBaseline.history).toEqual([])
    expect(gh.artifactsOf(first.run.id).map(a => a.name)).toEqual([BASELINE])
    // The second push compared against the first, and its baseline carries the first run condensed.
    expect(second.outputs['baseline-run-id']).toBe(String(first.run.id))
    const secondBaseline = JSON.parse(artifactFiles(second.run.id, BASELINE)['swarm-bench-results.json'])
    expect(secondBaseline.history).toHaveLength(1)
    expect(secondBaseline.history[0].runId).toBe(String(first.run.id))
    expect(Object.keys(secondBaseline.history[0].values)).toContain(`${ONLY}/compute_ms`)
    expect(second.stdout).toMatch(/carrying 1 earlier run\(s\) of history/)
  }, 300_000)

  let commentId = 0

  it('a pull request run finds the baseline at its base commit, compares and creates the sticky comment', async () => {
    const [first] = pushRuns
    // Based on the OLDER push: the run at the PR's base commit wins over the newest one.
    const j = await job({
      event: 'pull_request',
      pr: { number: 2, baseSha: first.run.headSha },
      inputs: { 'fail-on-regression': 'false' }
    })
    expect(j.code, explain(j)).toBe(0)
    expect(j.outputs['baseline-run-id']).toBe(String(first.run.id))
    expect(j.summary).not.toMatch(/no baseline/)
    expect(j.summary).toContain('### Publishing')
    const comments = gh.comments(2)
    expect(comments).toHaveLength(1)
    expect(comments[0].body).toContain('<!-- swarm-bench-action:sticky:swarm-bench-results -->')
    expect(comments[0].body).toContain(`${ONLY}`)
    expect(comments[0].body).not.toMatch(/no baseline/)
    commentId = comments[0].id
    expect(gh.requests('POST', '/repos/octo-org/swarm-bench/issues/2/comments')).toHaveLength(1)
  }, 300_000)

  it('a second run on the same pull request updates that comment instead of adding one', async () => {
    const before = gh.comments(2)[0].body
    const j = await job({
      event: 'pull_request',
      pr: { number: 2, baseSha: pushRuns[0].run.headSha },
      inputs: { 'fail-on-regression': 'false' }
    })
    expect(j.code, explain(j)).toBe(0)
    const comments = gh.comments(2)
    expect(comments).toHaveLength(1)
    expect(comments[0].id).toBe(commentId)
    // New measurements, new commit: the body changed, in place.
    expect(comments[0].body).not.toBe(before)
    expect(comments[0].body).toContain(j.run.headSha.slice(0, 12))
    expect(gh.requests('PATCH', `/repos/octo-org/swarm-bench/issues/comments/${commentId}`)).toHaveLength(1)
    expect(j.outputs['comment-url']).toContain(`#issuecomment-${commentId}`)
  }, 300_000)

  it('a strategy that became quadratic is flagged as a regression and fails the step', async () => {
    const j = await job({
      event: 'pull_request',
      pr: { number: 3, baseSha: pushRuns[1].run.headSha },
      strategy: SLOW_STRATEGY
    })
    expect(j.code, explain(j)).toBe(1)
    expect(Number(j.outputs.regressions), explain(j)).toBeGreaterThanOrEqual(1)
    expect(j.outputs['baseline-run-id']).toBe(String(pushRuns[1].run.id))
    const errors = annotations(j.stdout).filter(a => a.level === 'error')
    const compute = errors.find(a => a.title === `Regression: ${ONLY}/compute_vs_floor`)
    expect(compute, j.stdout).toBeDefined()
    // The annotation carries the evidence: values, change, threshold, noise band and p-values.
    expect(compute!.message).toMatch(/→/)
    expect(compute!.message).toMatch(/threshold/)
    expect(compute!.message).toMatch(/Holm/)
    expect(errors.some(a => /fail-on-regression/.test(a.message))).toBe(true)
    // The measured figure really moved: head median well above the baseline's.
    const head = j.results as unknown as {
      benchmarks: { metrics: { name: string; summary: { median: number } }[] }[]
    }
    const headMedian = head.benchmarks[0].metrics.find(m => m.name === 'compute_vs_floor')!.summary.median
    const base = JSON.parse(artifactFiles(pushRuns[1].run.id, BASELINE)['swarm-bench-results.json'])
    const baseMedian = base.benchmarks[0].metrics.find((m: { name: string }) => m.name === 'compute_vs_floor')
      .summary.median
    expect(headMedian).toBeGreaterThan(baseMedian * 3)
    // Summary and comment lead with the regression.
    expect(j.summary).toMatch(/❌ \d+ regression/)
    expect(gh.comments(3)[0].body).toMatch(/❌ \d+ regression/)
    // The failed step still published everything.
    expect(gh.artifactsOf(j.run.id).map(a => a.name)).toEqual([RESULTS])
  }, 300_000)

  it('a fork pull request (read-only token) cannot comment: it warns and still succeeds', async () => {
    const j = await job({
      event: 'pull_request',
      pr: { number: 4, baseSha: pushRuns[1].run.headSha, fork: true },
      readOnlyToken: true,
      inputs: { 'fail-on-regression': 'false' }
    })
    expect(j.code, explain(j)).toBe(0)
    expect(gh.comments(4)).toHaveLength(0)
    expect(gh.requests('POST', '/repos/octo-org/swarm-bench/issues/4/comments').map(r => r.status)).toEqual([
      403
    ])
    const warning = annotations(j.stdout).find(a => a.title === 'PR comment not posted')
    expect(warning?.message).toMatch(/403/)
    expect(warning?.message).toMatch(/workflow_run/)
    // Reading still works with a read-only token: the baseline was found and compared.
    expect(j.outputs['baseline-run-id']).toBe(String(pushRuns[1].run.id))
    expect(j.outputs['comment-url']).toBe('')
    expect(j.summary).toMatch(/PR comment: not posted/)
    // The comment data is in the artifact for a workflow_run job with a write token.
    const data = JSON.parse(artifactFiles(j.run.id, RESULTS)['swarm-bench-comment.json'])
    expect(data).toMatchObject({ issueNumber: 4, headSha: j.run.headSha })
    expect(data.body).toContain(data.marker)
  }, 300_000)

  it('expired, corrupt and newer-schema baselines are reported and never trusted; the run continues', async () => {
    for (const p of pushRuns) for (const a of gh.artifactsOf(p.run.id)) gh.expireArtifact(a.id)
    const expired = await job({ event: 'pull_request', pr: { number: 5, baseSha: sha() } })
    expect(expired.code, explain(expired)).toBe(0)
    expect(expired.outputs['baseline-run-id']).toBe('')
    expect(expired.summary).toMatch(/no baseline: .*expired/)

    const valid = JSON.parse(readFileSync(pushRuns[1].outputs['results-path'], 'utf8'))
    const cases: [string, string, RegExp][] = [
      ['truncated', JSON.stringify(valid).slice(0, 500), /truncated/],
      ['newer schema', JSON.stringify({ ...valid, schemaVersion: 99 }), /newer version/],
      ['tampered', JSON.stringify({ ...valid, benchmarks: [{ id: 'x' }] }), /invalid results/]
    ]
    for (const [, content, why] of cases) {
      const bad = gh.addRun({ event: 'push', headBranch: 'main' })
      gh.addArtifact({ runId: bad.id, name: BASELINE, files: { 'swarm-bench-results.json': content } })
      const j = await job({ event: 'pull_request', pr: { number: 5, baseSha: bad.headSha } })
      expect(j.code, explain(j)).toBe(0)
      expect(j.summary).toMatch(/no baseline: .*cannot be trusted/)
      expect(j.summary).toMatch(why)
      expect(j.outputs['baseline-run-id']).toBe('')
      expect(j.outputs.regressions).toBe('0')
      expect(gh.comments(5)[0].body).toMatch(why)
    }
    // One sticky comment for the PR through all four runs.
    expect(gh.comments(5)).toHaveLength(1)
  }, 300_000)

  it("the pull request's strategy code never sees the runner's credentials", async () => {
    const ws = mkdtempSync(join(tmpdir(), 'swarm-bench-spy-'))
    const seen = join(ws, 'env-seen.jsonl')
    // A strategy module that records the environment it runs in, as a malicious one would read it.
    const spy = `import json, os\nwith open(${JSON.stringify(seen)}, "a") as f:\n    f.write(json.dumps(dict(os.environ)) + "\\n")\n${FAST_STRATEGY}`
    const j = await job({
      event: 'pull_request',
      pr: { number: 7, baseSha: pushRuns[1].run.headSha },
      strategy: spy,
      inputs: { 'fail-on-regression': 'false' }
    })
    expect(j.code, explain(j)).toBe(0)
    const envs = readFileSync(seen, 'utf8')
      .trim()
      .split('\n')
      .map(l => JSON.parse(l) as Record<string, string>)
    expect(envs.length).toBeGreaterThanOrEqual(3)
    for (const env of envs) {
      // It is an agent of this run...
      expect(env.SWARM_BENCH_RUN).toBe(`gh-${j.run.id}-1`)
      // ...and no credential reached it, under any name.
      for (const name of [
        'INPUT_E2B-API-KEY',
        'INPUT_GITHUB-TOKEN',
        'ACTIONS_RUNTIME_TOKEN',
        'E2B_API_KEY'
      ]) {
        expect(env[name], name).toBeUndefined()
      }
      const values = Object.values(env).join('\n')
      expect(values).not.toContain(E2B_KEY)
      expect(values).not.toContain(gh.token)
    }
    // The runtime token came back for the upload after the matrix.
    expect(gh.artifactsOf(j.run.id).map(a => a.name)).toEqual([RESULTS])
  }, 300_000)

  it('agent-hooks: the user swarm runs in every agent, and the comment names its hooks', async () => {
    const hooks =
      'def on_message(message, ctx):\n    print("heard", message["seq"])\n    return {"ok": True}\n'
    const j = await job({
      event: 'pull_request',
      pr: { number: 9, baseSha: pushRuns[1].run.headSha },
      hooks,
      inputs: {
        'strategy-path': '',
        'agent-hooks': 'hooks.py',
        'hooks-config': '{"risk": 0.5}',
        only: 'communication.message-throughput',
        'fail-on-regression': 'false'
      }
    })
    expect(j.code, explain(j)).toBe(0)
    const results = j.results as unknown as { run: { environment: { hooks?: unknown } } }
    expect(results.run.environment.hooks).toEqual({ module: 'hooks.py', user: ['on_message'] })
    const comments = gh.comments(9)
    expect(comments.at(-1)?.body).toContain(
      'Your hooks (`hooks.py`): `on_message`; built in: `setup`, `decide`'
    )
  }, 300_000)

  it('invalid inputs fail fast, naming the input, the value and what is accepted', async () => {
    const j = await job({
      event: 'pull_request',
      pr: { number: 6, baseSha: sha() },
      inputs: { profile: 'fastest' }
    })
    expect(j.code).toBe(1)
    expect(j.stdout).toMatch(/::error::Invalid input 'profile': "fastest" — expected one of quick, full/)
    expect(j.stdout).not.toMatch(/::group::/)
    expect(gh.artifactsOf(j.run.id)).toEqual([])
    const missing = await job({
      event: 'pull_request',
      pr: { number: 6, baseSha: sha() },
      inputs: { 'strategy-path': 'no/such/strategy.py' }
    })
    expect(missing.code).toBe(1)
    expect(missing.stdout).toMatch(/Invalid input 'strategy-path': "no\/such\/strategy.py"/)
  }, 300_000)

  it('SIGINT mid-run: sandboxes killed, partial results and summary written, no baseline recorded', async () => {
    let killed = false
    const j = await job({
      event: 'push',
      inputs: { only: `${ONLY},scalability.agent-count,scalability.linear-2-20,resources.memory` },
      onSpawn: child => {
        child.stdout?.on('data', (d: Buffer) => {
          // Interrupt as the second benchmark starts.
          if (!killed && /\[2\/4\] /.test(d.toString())) {
            killed = true
            child.kill('SIGINT')
          }
        })
      }
    })
    expect(killed).toBe(true)
    expect(j.code, explain(j)).toBe(1)
    expect(j.results?.run.complete).toBe(false)
    const statuses = (j.results as unknown as { benchmarks: { status: string }[] }).benchmarks.map(
      b => b.status
    )
    expect(statuses[0]).toBe('passed')
    expect(statuses).toContain('skipped')
    expect(j.summary).toMatch(/incomplete/)
    expect(j.outputs['results-path']).not.toBe('')
    // A partial run never becomes a baseline, and a cancelled job does not upload.
    expect(gh.artifactsOf(j.run.id)).toEqual([])
    expect(annotations(j.stdout).some(a => a.level === 'error' && /interrupted/.test(a.message))).toBe(true)
  }, 300_000)

  it('the E2B key never appears in any log, output, summary, report, results file or comment', async () => {
    expect(runs.length).toBeGreaterThanOrEqual(12)
    const texts: [string, string][] = []
    for (const r of runs) {
      // The runner consumes `::add-mask::` itself; it is the one place the value may pass.
      const log = (r.stdout + r.stderr)
        .split('\n')
        .filter(l => !l.startsWith('::add-mask::'))
        .join('\n')
      texts.push(['log', log], ['outputs', readFileSync(r.files.output, 'utf8')], ['summary', r.summary])
      texts.push(['state', readFileSync(r.files.state, 'utf8')])
      expect(r.stdout).toContain(`::add-mask::${E2B_KEY}`)
    }
    for (const ws of workspaces) {
      const out = join(ws, 'swarm-bench')
      if (!existsSync(out)) continue
      for (const f of readdirSync(out)) texts.push([`${out}/${f}`, readFileSync(join(out, f), 'utf8')])
    }
    for (const c of gh.state.comments) texts.push([`comment ${c.id}`, c.body])
    for (const a of gh.state.artifacts) {
      const blob = gh.state.blobs.get(a.blobPath)
      if (blob)
        for (const [n, data] of Object.entries(unzip(blob.data)))
          texts.push([`artifact ${a.id}/${n}`, data.toString('utf8')])
    }
    expect(texts.length).toBeGreaterThan(50)
    for (const [where, text] of texts) {
      expect(text.includes(E2B_KEY), where).toBe(false)
      expect(text.includes(gh.token), where).toBe(false)
    }
  }, 300_000)
})

describe('the post step', () => {
  it('finds and kills agent processes of the run that outlived the main step (local provider)', async () => {
    const tag = `gh-post-${randomBytes(4).toString('hex')}`
    // A straggler as the local provider starts agents: the resolved interpreter (never a pyenv shim, whose helpers
    // carry the tag too and were seen alive for 30 s on a loaded CI machine), tagged, in its own process group.
    const straggler = spawn(resolveInterpreter('python3'), ['-c', 'import time; time.sleep(120)'], {
      env: { ...process.env, SWARM_BENCH_RUN: tag },
      detached: true,
      stdio: 'ignore'
    })
    try {
      // Wait until the interpreter has started and nothing else carries the tag.
      const deadline = Date.now() + 30_000
      while (processesWithTag(tag).join() !== String(straggler.pid) && Date.now() < deadline)
        await new Promise(r => setTimeout(r, 100))
      expect(processesWithTag(tag)).toEqual([straggler.pid])
      const ws = workspace()
      const res = await runAction({
        entry: 'post',
        workspace: ws,
        inputs: { 'e2b-api-key': '' },
        env: { 'STATE_run-tag': tag, STATE_provider: 'local' }
      })
      expect(res.code, explain(res)).toBe(0)
      expect(res.stdout).toMatch(
        new RegExp(`::warning::Local provider: 1 agent process\\(es\\) of run ${tag}`)
      )
      expect(await waitForNoProcesses(tag, 5000)).toEqual([])
      // Nothing left: a second post step says so and changes nothing.
      const again = await runAction({
        entry: 'post',
        workspace: ws,
        inputs: {},
        env: { 'STATE_run-tag': tag, STATE_provider: 'local' }
      })
      expect(again.code).toBe(0)
      expect(again.stdout).toMatch(/no agent process of run .* is alive/)
    } finally {
      if (straggler.pid && isAlive(straggler.pid)) process.kill(straggler.pid, 'SIGKILL')
    }
  }, 300_000)

  it('sweeps the E2B sandboxes of a main step that was killed, using the state it saved', async () => {
    const emu = await startE2BEmulator({ apiKey: E2B_KEY })
    try {
      const ws = workspace()
      const env = {
        E2B_API_URL: emu.url,
        E2B_SANDBOX_URL: emu.url,
        GITHUB_RUN_ID: '777',
        GITHUB_RUN_ATTEMPT: '1'
      }
      let killedAt = -1
      const main = await runAction({
        entry: 'index',
        workspace: ws,
        env,
        inputs: {
          ...actionInputDefaults(),
          'github-token': '',
          provider: 'e2b',
          'e2b-api-key': E2B_KEY,
          'e2b-plan': 'pro',
          'create-rate': '50',
          only: ONLY
        },
        onSpawn: child => {
          // SIGKILL as soon as sandboxes exist: no cleanup code of the main step runs, as on a runner crash.
          const timer = setInterval(() => {
            if (emu.stats().live >= 3) {
              killedAt = emu.stats().live
              clearInterval(timer)
              child.kill('SIGKILL')
            }
          }, 20)
          child.on('close', () => clearInterval(timer))
        }
      })
      expect(main.signal, explain(main)).toBe('SIGKILL')
      expect(killedAt).toBeGreaterThanOrEqual(3)
      expect(main.state['run-tag']).toBe('gh-777-1')
      expect(main.state.provider).toBe('e2b')
      // Creations the emulator was serving when the step died still land: let them.
      await new Promise(r => setTimeout(r, 500))
      const leaked = emu.stats().live
      expect(leaked).toBeGreaterThanOrEqual(3)

      // The post step gets the saved state as STATE_* and the same inputs.
      const stateEnv = Object.fromEntries(Object.entries(main.state).map(([k, v]) => [`STATE_${k}`, v]))
      const post = await runAction({
        entry: 'post',
        workspace: ws,
        inputs: { 'e2b-api-key': E2B_KEY },
        env: stateEnv
      })
      expect(post.code, explain(post)).toBe(0)
      expect(post.stdout).toMatch(
        new RegExp(`E2B sweep of run gh-777-1: ${leaked} sandbox\\(es\\) still alive, ${leaked} killed`)
      )
      expect(emu.stats().live).toBe(0)
      for (const r of [main, post]) {
        const log = (r.stdout + r.stderr).split('\n').filter(l => !l.startsWith('::add-mask::'))
        expect(log.join('\n')).not.toContain(E2B_KEY)
      }
    } finally {
      await emu.close()
    }
  }, 300_000)

  it('after a clean e2b run there is nothing left to sweep', async () => {
    const emu = await startE2BEmulator({ apiKey: E2B_KEY })
    try {
      const ws = workspace()
      const main = await runAction({
        entry: 'index',
        workspace: ws,
        env: {
          E2B_API_URL: emu.url,
          E2B_SANDBOX_URL: emu.url,
          GITHUB_RUN_ID: '778',
          GITHUB_RUN_ATTEMPT: '2'
        },
        inputs: {
          ...actionInputDefaults(),
          'github-token': '',
          provider: 'e2b',
          'e2b-api-key': E2B_KEY,
          'e2b-plan': 'pro',
          'create-rate': '50',
          only: ONLY
        }
      })
      expect(main.code, explain(main)).toBe(0)
      const results = JSON.parse(readFileSync(main.outputs['results-path'], 'utf8'))
      expect(results.run.provider).toBe('e2b')
      expect(results.cost.estimated).toBe(false)
      expect(results.benchmarks[0].status).toBe('passed')
      expect(emu.stats().created).toBeGreaterThanOrEqual(3)
      expect(emu.stats().live).toBe(0)
      const stateEnv = Object.fromEntries(Object.entries(main.state).map(([k, v]) => [`STATE_${k}`, v]))
      const post = await runAction({
        entry: 'post',
        workspace: ws,
        inputs: { 'e2b-api-key': E2B_KEY },
        env: stateEnv
      })
      expect(post.code, explain(post)).toBe(0)
      expect(post.stdout).toContain('E2B sweep of run gh-778-2: 0 sandbox(es) still alive, 0 killed')
      expect(annotations(post.stdout).filter(a => a.level !== 'notice')).toEqual([])
    } finally {
      await emu.close()
    }
  }, 300_000)

  it('never fails the job: a wrong key is a warning', async () => {
    const emu = await startE2BEmulator({ apiKey: E2B_KEY })
    try {
      const wrong = 'e2b_wrongKey_0000000000000000'
      const post = await runAction({
        entry: 'post',
        workspace: workspace(),
        inputs: { 'e2b-api-key': wrong },
        env: { 'STATE_run-tag': 'gh-1-1', STATE_provider: 'e2b', 'STATE_e2b-api-url': emu.url }
      })
      expect(post.code, explain(post)).toBe(0)
      expect(
        annotations(post.stdout).some(a => a.level === 'warning' && /cleanup failed/i.test(a.message))
      ).toBe(true)
      expect(
        post.stdout
          .split('\n')
          .filter(l => !l.startsWith('::add-mask::'))
          .join('\n')
      ).not.toContain(wrong)
    } finally {
      await emu.close()
    }
  }, 300_000)
})
