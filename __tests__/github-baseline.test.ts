// Baseline lookup and download with the real Octokit and artifact client against the fake GitHub.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startFakeGitHub, DEFAULT_WORKFLOW_ID, type FakeGitHub } from './support/fake-github.js'

const OWNER = 'octo-org'
const REPO = 'swarm-bench'
const NAME = 'swarm-bench-results'
const FILE = 'swarm-bench-results.json'

let gh: FakeGitHub
let work: string
let mod: typeof import('../src/github/baseline-artifact.js')
let client: import('../src/github/octokit.js').GitHubClient
const saved = { ...process.env }

beforeAll(async () => {
  gh = await startFakeGitHub({ repo: `${OWNER}/${REPO}` })
  work = mkdtempSync(join(tmpdir(), 'gh-baseline-'))
  process.env.GITHUB_API_URL = gh.url
  delete process.env.GITHUB_SERVER_URL
  mod = await import('../src/github/baseline-artifact.js')
  const { createGitHubClient } = await import('../src/github/octokit.js')
  client = createGitHubClient(gh.token, { retryDelayMs: 10 })
})

afterAll(async () => {
  process.env = saved
  await gh?.close()
  rmSync(work, { recursive: true, force: true })
})

beforeEach(() => {
  // Each test starts from an empty history.
  gh.state.runs = []
  gh.state.artifacts = []
  gh.state.blobs.clear()
  gh.state.requests = []
  gh.clearFaults()
})

/** A successful main-branch run with a results artifact (`expired` to age it out). */
function mainRun(opts: { expired?: boolean; sha?: string; withArtifact?: boolean; content?: string } = {}) {
  const run = gh.addRun({ headBranch: 'main', headSha: opts.sha })
  const artifact =
    opts.withArtifact === false
      ? undefined
      : gh.addArtifact({
          runId: run.id,
          name: NAME,
          files: { [FILE]: opts.content ?? JSON.stringify({ run: run.id }) },
          expired: opts.expired
        })
  return { run, artifact }
}

const query = (
  current: number,
  extra: Partial<import('../src/github/baseline-artifact.js').BaselineQuery> = {}
) => ({
  owner: OWNER,
  repo: REPO,
  runId: current,
  branch: 'main',
  artifactName: NAME,
  ...extra
})

describe('findBaselineRun', () => {
  it('reports a reason when the branch has no earlier run', async () => {
    const current = gh.addRun({
      headBranch: 'feature',
      event: 'pull_request',
      status: 'in_progress',
      conclusion: null
    })
    const r = await mod.findBaselineRun(client, query(current.id))
    expect('reason' in r && r.reason).toMatch(/no earlier successful run/)
  })

  it('finds the single successful run with the artifact, resolving the workflow from the current run', async () => {
    const { run, artifact } = mainRun()
    gh.addRun({ headBranch: 'main', conclusion: 'failure' }) // newer, but failed
    gh.addRun({ headBranch: 'other' }) // newer, other branch
    gh.addRun({ headBranch: 'main', workflowId: 99 }) // newer, other workflow
    const current = gh.addRun({ headBranch: 'feature', event: 'pull_request' })
    const r = await mod.findBaselineRun(client, query(current.id))
    if ('reason' in r) throw new Error(r.reason)
    expect(r).toMatchObject({
      runId: run.id,
      artifactId: artifact!.id,
      headSha: run.headSha,
      workflowId: DEFAULT_WORKFLOW_ID
    })
    expect(r.createdAt).toBe(run.createdAt)
    expect(r.digest).toBe(artifact!.digest)
    expect(r.skipped).toEqual([])
    expect(gh.requests('GET', `/repos/${OWNER}/${REPO}/actions/runs/${current.id}`)).toHaveLength(1)
  })

  it('walks back past runs whose artifact expired or is missing, to the newest usable one', async () => {
    const usable = mainRun()
    const expired1 = mainRun({ expired: true })
    const without = mainRun({ withArtifact: false })
    const expired2 = mainRun({ expired: true })
    const r = await mod.findBaselineRun(client, query(9_999_999, { workflowId: DEFAULT_WORKFLOW_ID }))
    if ('reason' in r) throw new Error(r.reason)
    expect(r.runId).toBe(usable.run.id)
    expect(r.skipped).toEqual([
      { runId: expired2.run.id, headSha: expired2.run.headSha, why: 'expired' },
      { runId: without.run.id, headSha: without.run.headSha, why: 'missing' },
      { runId: expired1.run.id, headSha: expired1.run.headSha, why: 'expired' }
    ])
  })

  it('gives up with a reason when every artifact has expired, and respects maxRuns', async () => {
    for (let i = 0; i < 6; i++) mainRun({ expired: true })
    const all = await mod.findBaselineRun(client, query(1, { workflowId: 'benchmark.yml' }))
    expect('reason' in all && all.reason).toMatch(/checked 6 run\(s\): 6 with an expired artifact/)
    gh.state.requests = []
    const capped = await mod.findBaselineRun(
      client,
      query(1, { workflowId: DEFAULT_WORKFLOW_ID, maxRuns: 2 })
    )
    expect('reason' in capped && capped.reason).toMatch(/checked 2 run\(s\)/)
    expect(gh.requests('GET', /\/artifacts$/)).toHaveLength(2)
  })

  it('prefers the run at the base commit over newer runs', async () => {
    const atBase = mainRun({ sha: 'b'.repeat(40) })
    mainRun()
    mainRun()
    const r = await mod.findBaselineRun(
      client,
      query(1, { workflowId: DEFAULT_WORKFLOW_ID, baseSha: 'b'.repeat(40) })
    )
    if ('reason' in r) throw new Error(r.reason)
    expect(r.runId).toBe(atBase.run.id)
    expect(r.matchedBaseSha).toBe(true)
  })

  it('falls back to the newest run when the base commit run has no usable artifact', async () => {
    mainRun({ sha: 'c'.repeat(40), expired: true })
    const newest = mainRun()
    const r = await mod.findBaselineRun(
      client,
      query(1, { workflowId: DEFAULT_WORKFLOW_ID, baseSha: 'c'.repeat(40) })
    )
    if ('reason' in r) throw new Error(r.reason)
    expect(r.runId).toBe(newest.run.id)
    expect(r.matchedBaseSha).toBe(false)
    expect(r.skipped.map(s => s.why)).toEqual(['expired'])
  })

  it('never picks the current run itself', async () => {
    const older = mainRun()
    const current = mainRun()
    const r = await mod.findBaselineRun(client, query(current.run.id))
    if ('reason' in r) throw new Error(r.reason)
    expect(r.runId).toBe(older.run.id)
  })

  it('turns a persistent 5xx into a reason after one bounded retry, and survives a transient one', async () => {
    mainRun()
    gh.injectFault({
      method: 'GET',
      path: '/repos/octo-org/swarm-bench/actions/workflows/*',
      kind: 'server-error'
    })
    const r = await mod.findBaselineRun(client, query(1, { workflowId: DEFAULT_WORKFLOW_ID }))
    expect('reason' in r && r.reason).toMatch(/502/)
    expect(gh.requests('GET', /\/workflows\//)).toHaveLength(2)

    gh.clearFaults()
    gh.injectFault({ method: 'GET', path: /\/artifacts$/, kind: 'server-error', status: 503, times: 1 })
    const ok = await mod.findBaselineRun(client, query(1, { workflowId: DEFAULT_WORKFLOW_ID }))
    expect('runId' in ok).toBe(true)
  })

  it('turns 403 and rate limits into reasons without throwing', async () => {
    mainRun()
    gh.injectFault({ path: /\/actions\/runs\/\d+$/, kind: 'forbidden' })
    const forbidden = await mod.findBaselineRun(client, query(1))
    expect('reason' in forbidden && forbidden.reason).toMatch(/permission denied/)

    gh.clearFaults()
    gh.injectFault({ path: /\/artifacts$/, kind: 'rate-limit' })
    const limited = await mod.findBaselineRun(client, query(1, { workflowId: DEFAULT_WORKFLOW_ID }))
    expect('reason' in limited && limited.reason).toMatch(/rate limit exceeded \(resets at /)

    gh.clearFaults()
    gh.injectFault({ path: /\/artifacts$/, kind: 'rate-limit-429' })
    const limited429 = await mod.findBaselineRun(client, query(1, { workflowId: DEFAULT_WORKFLOW_ID }))
    expect('reason' in limited429 && limited429.reason).toMatch(/rate limit exceeded \(retry after 60 s\)/)
  })
})

describe('downloadBaseline', () => {
  it('downloads the found baseline and returns the results file', async () => {
    const content = JSON.stringify({ schemaVersion: 1, from: 'seeded baseline' })
    const { run } = mainRun({ content })
    const found = await mod.findBaselineRun(client, query(1, { workflowId: DEFAULT_WORKFLOW_ID }))
    if ('reason' in found) throw new Error(found.reason)
    const dir = join(work, 'dl1')
    const r = await mod.downloadBaseline({
      token: gh.token,
      owner: OWNER,
      repo: REPO,
      runId: found.runId,
      artifactId: found.artifactId,
      expectedDigest: found.digest,
      artifactName: NAME,
      dir
    })
    if ('reason' in r) throw new Error(r.reason)
    expect(r.path).toBe(join(dir, FILE))
    expect(readFileSync(r.path, 'utf8')).toBe(content)
    expect(found.runId).toBe(run.id)
  })

  it('refuses an expired artifact (410) with a reason', async () => {
    const { run, artifact } = mainRun({ expired: true })
    const r = await mod.downloadBaseline({
      token: gh.token,
      owner: OWNER,
      repo: REPO,
      runId: run.id,
      artifactId: artifact!.id,
      artifactName: NAME,
      dir: join(work, 'dl2')
    })
    expect('reason' in r && r.reason).toMatch(/410|expired/i)
    const byName = await mod.downloadBaseline({
      token: gh.token,
      owner: OWNER,
      repo: REPO,
      runId: run.id,
      artifactName: NAME,
      dir: join(work, 'dl2')
    })
    expect('reason' in byName && byName.reason).toMatch(/only an expired artifact/)
  })

  it('rejects an archive whose digest does not match, and one without the results file', async () => {
    const { run, artifact } = mainRun()
    const tampered = await mod.downloadBaseline({
      token: gh.token,
      owner: OWNER,
      repo: REPO,
      runId: run.id,
      artifactId: artifact!.id,
      expectedDigest: `sha256:${'0'.repeat(64)}`,
      artifactName: NAME,
      dir: join(work, 'dl3')
    })
    expect('reason' in tampered && tampered.reason).toMatch(/does not match its digest/)
    expect(existsSync(join(work, 'dl3', FILE))).toBe(false)

    const other = gh.addRun({ headBranch: 'main' })
    gh.addArtifact({ runId: other.id, name: NAME, files: { 'something-else.txt': 'x' } })
    const wrong = await mod.downloadBaseline({
      token: gh.token,
      owner: OWNER,
      repo: REPO,
      runId: other.id,
      artifactName: NAME,
      dir: join(work, 'dl4')
    })
    expect('reason' in wrong && wrong.reason).toMatch(
      /has no swarm-bench-results\.json.*\(found: something-else\.txt\)/
    )
  })
})

describe('resolveDefaultBranch', () => {
  it('uses the payload value when known, else asks the API', async () => {
    expect(await mod.resolveDefaultBranch(client, OWNER, REPO, 'trunk')).toBe('trunk')
    expect(await mod.resolveDefaultBranch(client, OWNER, REPO)).toBe('main')
    const missing = await mod.resolveDefaultBranch(client, OWNER, 'nope')
    expect(typeof missing === 'object' && missing.reason).toMatch(/404/)
  })
})
