// End to end, the duet: the BUNDLED action on a pull request, in a shallow clone of a local git repository whose
// origin is a bare repository, as actions/checkout leaves it. The action fetches the base commit from origin, puts
// it in a worktree and measures the base's agent and strategy beside the head's. Slowdowns are real code changes
// (gross, ≥ ×3, so no assertion depends on timing noise): a slowed agent, a slowed strategy, and no change.
import { randomBytes } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { git } from './support/git.js'
import {
  ROOT,
  actionInputDefaults,
  annotations,
  ensureBundle,
  runAction,
  type ActionRun
} from './support/action-runner.js'
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js'
import { waitForNoProcesses } from './support/processes.js'

const ONLY = 'trading.strategy-execution,communication.inter-agent-latency'
const STRATEGY = `
def decide(bars, state):
    closes = [b["c"] for b in bars[-20:]]
    mean = sum(closes) / len(closes)
    if closes[-1] > mean * 1.002:
        return {"signal": "buy", "confidence": 0.6}
    if closes[-1] < mean * 0.998:
        return {"signal": "sell", "confidence": 0.6}
    return {"signal": "hold", "confidence": 0.5}
`
// The same decision made quadratic: every window's mean recomputed from scratch (far beyond ×3).
const SLOW_STRATEGY = STRATEGY.replace(
  '    mean = sum(closes) / len(closes)\n',
  '    means = [sum(closes[:i + 1]) / (i + 1) for i in range(len(closes)) for _ in range(40)]\n' +
    '    mean = sum(closes) / len(closes) + 0 * means[-1]\n'
)

const dir = mkdtempSync(join(tmpdir(), 'swarm-bench-duet-e2e-'))
const origin = join(dir, 'origin.git')

let gh: FakeGitHub
let baseSha: string
let prNumber = 0
/** The slowed-agent pull request, reused by the accept-label test. */
let slowAgent: { workspace: string; headSha: string } | undefined

beforeAll(async () => {
  await ensureBundle()
  gh = await startFakeGitHub()
  // The repository under test ships the agent (as this one does) and a strategy module.
  const work = join(dir, 'work')
  mkdirSync(join(work, 'agent'), { recursive: true })
  cpSync(join(ROOT, 'agent', 'swarm_agent'), join(work, 'agent', 'swarm_agent'), {
    recursive: true,
    filter: src => !src.includes('__pycache__')
  })
  writeFileSync(join(work, 'strategy.py'), STRATEGY)
  git(dir, 'init', '-q', '--bare', '-b', 'main', origin)
  git(work, 'init', '-q', '-b', 'main')
  git(work, 'add', '-A')
  git(work, 'commit', '-qm', 'base')
  git(work, 'remote', 'add', 'origin', origin)
  git(work, 'push', '-q', 'origin', 'main')
  baseSha = git(work, 'rev-parse', 'HEAD')
}, 600_000)

afterAll(async () => {
  await gh?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** A pull request whose head commit applies `change` to the base; returns its shallow checkout. */
function pullRequest(name: string, change: (work: string) => void): { workspace: string; headSha: string } {
  const work = join(dir, `pr-${name}`)
  git(dir, 'clone', '-q', origin, work)
  git(work, 'checkout', '-q', '-b', name)
  change(work)
  git(work, 'add', '-A')
  git(work, 'commit', '-qm', name)
  git(work, 'push', '-q', 'origin', name)
  const headSha = git(work, 'rev-parse', 'HEAD')
  // What actions/checkout gives a pull_request job: the head only, one commit deep.
  const workspace = join(dir, `ws-${name}`)
  git(dir, 'clone', '-q', '--depth', '1', '--branch', name, `file://${origin}`, workspace)
  return { workspace, headSha }
}

interface DuetJob extends ActionRun {
  results?: {
    duet?: { base: { sha?: string; changed: string[] }; pairing?: string }
    benchmarks: { id: string }[]
  }
}

async function duetJob(
  workspace: string,
  headSha: string,
  inputs: Record<string, string> = {},
  labels: string[] = []
): Promise<DuetJob> {
  const number = ++prNumber
  const run = gh.addRun({
    event: 'pull_request',
    headBranch: `pr-${number}`,
    headSha,
    status: 'in_progress',
    conclusion: null,
    pullRequests: [number]
  })
  const repo = gh.repo
  const { GITHUB_TOKEN: _notInStepEnv, ...actionsEnv } = gh.actionsEnv(run.id)
  const res = await runAction({
    entry: 'index',
    workspace,
    event: {
      number,
      pull_request: {
        number,
        labels: labels.map(name => ({ name })),
        base: { sha: baseSha, ref: 'main', repo: { full_name: repo } },
        head: { sha: headSha, ref: `pr-${number}`, repo: { full_name: repo } }
      },
      repository: { full_name: repo, default_branch: 'main' }
    },
    env: {
      ...actionsEnv,
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_REF: `refs/pull/${number}/merge`,
      GITHUB_SHA: headSha,
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_WORKFLOW_REF: `${repo}/${run.workflowPath}@refs/heads/pr-${number}`,
      // `uses: ./` in this repository: the agent under test is the checkout's own.
      SWARM_BENCH_AGENT_DIR: join(workspace, 'agent')
    },
    inputs: {
      ...actionInputDefaults(),
      'github-token': gh.token,
      provider: 'local',
      only: ONLY,
      'strategy-path': 'strategy.py',
      ...inputs
    }
  })
  run.status = 'completed'
  run.conclusion = res.code === 0 ? 'success' : 'failure'
  expect(await waitForNoProcesses(`gh-${run.id}-1`, 10_000)).toEqual([])
  const file = join(workspace, 'swarm-bench', 'swarm-bench-results.json')
  return { ...res, results: existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined }
}

const explain = (j: ActionRun): string =>
  `exit ${j.code}\n--- stdout\n${j.stdout.slice(-6000)}\n--- stderr\n${j.stderr.slice(-3000)}`
const regressionTitles = (j: ActionRun): string[] =>
  annotations(j.stdout)
    .filter(a => a.level === 'error' && a.title?.startsWith('Regression: '))
    .map(a => a.title!.slice('Regression: '.length))

describe('the duet gate on a pull request (bundled action, shallow clone, base fetched from origin)', () => {
  it('an unchanged pull request is measured against its base in the same run and passes', async () => {
    const pr = pullRequest('docs', w => writeFileSync(join(w, 'README.md'), 'docs only\n'))
    const j = await duetJob(pr.workspace, pr.headSha)
    expect(j.code, explain(j)).toBe(0)
    expect(j.results?.duet?.base.sha).toBe(baseSha)
    expect(j.results?.duet?.base.changed).toEqual([])
    expect(j.outputs['duet-base-sha']).toBe(baseSha)
    expect(j.outputs.regressions).toBe('0')
    expect(j.summary).toMatch(/Duet: base `[0-9a-f]{12}` measured side by side/)
    // On the local provider a pair's two requests run one after the other, and the log says so.
    expect(j.stdout).toMatch(/code that differs: none; pairs interleaved \(duet-pairs auto\)/)
    expect(j.results?.duet?.pairing).toBe('interleaved')
    // The artifact comparison is there as context (no baseline exists on this fake yet).
    expect(j.summary).toMatch(/Against the baseline artifact \(context, not gated\)/)
    expect(gh.comments(prNumber)[0].body).toMatch(/✅ no regression/)
  })

  it('a pull request that slows the agent send path fails on the communication benchmarks', async () => {
    const pr = pullRequest('slow-agent', w => {
      const peer = join(w, 'agent', 'swarm_agent', 'peer_client.py')
      const text = readFileSync(peer, 'utf8')
      const anchor = '                conn.sock.sendall(msg)\n'
      expect(text).toContain(anchor)
      // 300 µs before every peer request: a loopback round trip of ~30 µs becomes ×10.
      const spin =
        '                _until = _monotonic() + 300e-6\n' +
        '                while _monotonic() < _until:\n' +
        '                    pass\n'
      writeFileSync(peer, text.replace(anchor, spin + anchor))
    })
    const j = await duetJob(pr.workspace, pr.headSha)
    expect(j.code, explain(j)).toBe(1)
    expect(j.results?.duet?.base.changed).toEqual(['agent'])
    const flagged = regressionTitles(j)
    expect(flagged, explain(j)).toContain('communication.inter-agent-latency/rtt_ms')
    expect(
      flagged.every(k => k.startsWith('communication.')),
      flagged.join(', ')
    ).toBe(true)
    const body = gh.comments(prNumber)[0].body
    expect(body).toMatch(/❌ \d+ regression/)
    // The headline a reviewer reads first names a communication benchmark as the one slowed.
    const headline = body.split('\n').find(l => l.startsWith('### '))
    expect(headline, body.slice(0, 2000)).toMatch(
      new RegExp(`^### Merging #${prNumber} will slow \`communication\\.[a-z-]+\` by \\d+\\.\\d% \\(p`)
    )
    expect(j.summary).toContain(headline!.replace(/^### /, '## '))
    slowAgent = pr
  })

  it('the accept label turns that failed step into a pass, the regressions still reported and who applied it named', async () => {
    expect(slowAgent, 'runs after the slowed-agent test').toBeDefined()
    gh.addIssueEvent({ issueNumber: prNumber + 1, event: 'labeled', actor: 'alice', label: 'perf-ok' })
    const j = await duetJob(slowAgent!.workspace, slowAgent!.headSha, { 'accept-label': 'perf-ok' }, [
      'perf-ok'
    ])
    expect(j.code, explain(j)).toBe(0)
    expect(Number(j.outputs.regressions)).toBeGreaterThan(0)
    // The regressions stay visible: warnings instead of errors, and listed in the comment as accepted.
    expect(regressionTitles(j)).toEqual([])
    const accepted = annotations(j.stdout).filter(
      a => a.level === 'warning' && a.title?.startsWith('Regression: communication.')
    )
    expect(accepted.length, explain(j)).toBeGreaterThan(0)
    const body = gh.comments(prNumber)[0].body
    expect(body).toMatch(
      /^### Merging #\d+ will slow `communication\.[a-z-]+` .*, accepted by label `perf-ok`$/m
    )
    expect(body).toContain('**Accepted by label** `perf-ok` (applied by @\u200dalice)')
    expect(body).toMatch(/☑️ accepted by label/)
    expect(j.summary).toContain('**Accepted by label** `perf-ok`')
  })

  it('a pull request that makes the strategy quadratic fails on strategy execution', async () => {
    const pr = pullRequest('slow-strategy', w => writeFileSync(join(w, 'strategy.py'), SLOW_STRATEGY))
    // With a confirm run: the regressed benchmark is measured again as a duet (the base's worktree still there).
    const j = await duetJob(pr.workspace, pr.headSha, { 'confirm-runs': '1' })
    expect(j.code, explain(j)).toBe(1)
    expect(j.results?.duet?.base.changed).toEqual(['strategy'])
    expect(regressionTitles(j), explain(j)).toContain('trading.strategy-execution/compute_ms')
    // No baseline artifact exists on this fake: only a duet re-measurement can repeat the regression.
    expect(j.stdout).toContain('Confirm run 1/1: re-measuring trading.strategy-execution')
    expect(j.summary).toMatch(
      /🔁 1 confirm run re-measured .*stood `trading\.strategy-execution\/compute_ms`/
    )
    // The evidence in the annotation is the duet's: pairs, the interval and Holm p.
    const a = annotations(j.stdout).find(x => x.title === 'Regression: trading.strategy-execution/compute_ms')
    expect(a!.message).toMatch(/\d+ pairs, \+\d/)
    expect(a!.message).toMatch(/Holm p/)
  })

  it('duet: off compares with the artifact only, and a base that cannot be had falls back with a warning', async () => {
    const pr = pullRequest('off', w => writeFileSync(join(w, 'strategy.py'), SLOW_STRATEGY))
    const off = await duetJob(pr.workspace, pr.headSha, { duet: 'off' })
    expect(off.results?.duet).toBeUndefined()
    expect(off.outputs['duet-base-sha']).toBe('')
    // A base SHA that exists nowhere: no duet, a warning that says why, the run still reports.
    const missing = randomBytes(20).toString('hex')
    const saved = baseSha
    baseSha = missing
    try {
      const j = await duetJob(pr.workspace, pr.headSha)
      expect(j.results?.duet).toBeUndefined()
      expect(
        annotations(j.stdout).some(a => a.level === 'warning' && /No duet/.test(a.message)),
        explain(j)
      ).toBe(true)
      expect(j.summary).toMatch(/Duet: the base commit's code could not be had/)
    } finally {
      baseSha = saved
    }
  })
})
