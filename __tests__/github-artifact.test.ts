// Upload through the real @actions/artifact client (Twirp + Azure block blobs against the fake), then download it
// from a later run with `findBy` through the REST API, and compare bytes.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js'

let gh: FakeGitHub
let work: string
let artifactMod: typeof import('../src/github/artifact.js')
let baselineMod: typeof import('../src/github/baseline-artifact.js')
const saved = { ...process.env }

beforeAll(async () => {
  gh = await startFakeGitHub()
  work = mkdtempSync(join(tmpdir(), 'gh-artifact-'))
  // @actions/github reads GITHUB_API_URL once, at import: point it at the fake before anything imports it.
  process.env.GITHUB_API_URL = gh.url
  process.env.ACTIONS_RESULTS_URL = `${gh.url}/`
  delete process.env.GITHUB_SERVER_URL
  artifactMod = await import('../src/github/artifact.js')
  baselineMod = await import('../src/github/baseline-artifact.js')
})

afterAll(async () => {
  process.env = saved
  await gh?.close()
  rmSync(work, { recursive: true, force: true })
})

describe('uploadRunArtifact → downloadBaseline across runs', () => {
  it('uploads a real zip through the blob store and a later run reads the file back byte-identical', async () => {
    const producer = gh.addRun({ headBranch: 'main' })
    process.env.ACTIONS_RUNTIME_TOKEN = gh.runtimeToken(producer.id)
    const src = join(work, 'out')
    mkdirSync(join(src, 'raw'), { recursive: true })
    const results = JSON.stringify({
      schemaVersion: 1,
      note: 'é ✓',
      blob: randomBytes(48_000).toString('base64')
    })
    writeFileSync(join(src, 'swarm-bench-results.json'), results)
    writeFileSync(join(src, 'raw', 'samples.bin'), randomBytes(20_000))
    writeFileSync(join(src, 'SWARM_BENCHMARKS_REPORT.md'), '# report\n')

    const up = await artifactMod.uploadRunArtifact({
      name: 'swarm-bench-results',
      files: [
        join(src, 'swarm-bench-results.json'),
        join(src, 'raw', 'samples.bin'),
        join(src, 'SWARM_BENCHMARKS_REPORT.md'),
        join(src, 'not-there.json')
      ],
      rootDirectory: src,
      retentionDays: 30
    })
    if ('reason' in up) throw new Error(up.reason)
    expect(up.missing).toEqual([join(src, 'not-there.json')])
    expect(up.size).toBeGreaterThan(0)

    // The fake saw the whole protocol: create, blocks, block list, finalize, and stored a finalized zip.
    expect(gh.requests('POST', /CreateArtifact$/).map(r => r.status)).toEqual([200])
    expect(gh.requests('PUT').filter(r => r.query.includes('comp=block&')).length).toBeGreaterThan(0)
    expect(gh.requests('PUT').filter(r => r.query.includes('comp=blocklist')).length).toBe(1)
    expect(gh.requests('POST', /FinalizeArtifact$/).map(r => r.status)).toEqual([200])
    const [stored] = gh.artifactsOf(producer.id)
    expect(stored.id).toBe(up.id)
    expect(stored.size).toBe(up.size)
    expect(stored.digest).toBe(up.digest)
    const retention = (Date.parse(stored.expiresAt) - Date.now()) / 86400_000
    expect(retention).toBeGreaterThan(29)
    expect(retention).toBeLessThan(31)

    // A later pull-request run: different runtime token, finds and downloads the artifact through the REST API.
    const later = gh.addRun({ headBranch: 'feature', event: 'pull_request' })
    process.env.ACTIONS_RUNTIME_TOKEN = gh.runtimeToken(later.id)
    const dest = join(work, 'baseline')
    const down = await baselineMod.downloadBaseline({
      token: gh.token,
      owner: 'octo-org',
      repo: 'swarm-bench',
      runId: producer.id,
      artifactName: 'swarm-bench-results',
      dir: dest
    })
    if ('reason' in down) throw new Error(down.reason)
    expect(down.artifactId).toBe(up.id)
    expect(readFileSync(down.path, 'utf8')).toBe(results)
    // Only the results file is taken from the (untrusted) archive; nothing else is written.
    expect(existsSync(join(dest, 'raw', 'samples.bin'))).toBe(false)
    expect(
      gh.requests('GET', `/repos/octo-org/swarm-bench/actions/artifacts/${up.id}/zip`).map(r => r.status)
    ).toEqual([302])
  })

  it('a second upload with the same name in the same run is refused and reported, not thrown', async () => {
    const run = gh.addRun()
    process.env.ACTIONS_RUNTIME_TOKEN = gh.runtimeToken(run.id)
    const dir = join(work, 'dup')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'a.txt'), 'a')
    const first = await artifactMod.uploadRunArtifact({
      name: 'dup',
      files: [join(dir, 'a.txt')],
      rootDirectory: dir
    })
    expect('id' in first).toBe(true)
    const second = await artifactMod.uploadRunArtifact({
      name: 'dup',
      files: [join(dir, 'a.txt')],
      rootDirectory: dir
    })
    expect('reason' in second && second.reason).toMatch(/already exists/)
    expect(gh.artifactsOf(run.id)).toHaveLength(1)
  })

  it('reports, without throwing, when not inside a job or when no file exists', async () => {
    const token = process.env.ACTIONS_RUNTIME_TOKEN
    delete process.env.ACTIONS_RUNTIME_TOKEN
    const outside = await artifactMod.uploadRunArtifact({
      name: 'x',
      files: [join(work, 'nope')],
      rootDirectory: work
    })
    expect('reason' in outside && outside.reason).toMatch(/not inside a GitHub Actions job/)
    process.env.ACTIONS_RUNTIME_TOKEN = token
    const none = await artifactMod.uploadRunArtifact({
      name: 'x',
      files: [join(work, 'nope')],
      rootDirectory: work
    })
    expect('reason' in none && none.reason).toMatch(/none of the files exist/)
  })

  it('an unknown runtime token is refused by the results service and becomes a reason', async () => {
    gh.addRun()
    process.env.ACTIONS_RUNTIME_TOKEN = 'eyJhbGciOiJub25lIn0.eyJzY3AiOiJBY3Rpb25zLlJlc3VsdHM6YTpiIn0.x'
    const dir = join(work, 'badtoken')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'a.txt'), 'a')
    const r = await artifactMod.uploadRunArtifact({
      name: 'bad',
      files: [join(dir, 'a.txt')],
      rootDirectory: dir
    })
    expect('reason' in r && r.reason).toMatch(/401|unauthenticated|runtime token/i)
  })
})
