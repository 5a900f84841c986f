// The fake GitHub's own contract: the behaviours the adapters and the end-to-end tests rely on.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { craftRuntimeToken, startFakeGitHub, type FakeGitHub } from './support/fake-github.js'

let gh: FakeGitHub
const R = '/repos/octo-org/swarm-bench'

beforeAll(async () => {
  gh = await startFakeGitHub()
})
afterAll(async () => {
  await gh?.close()
})

const api = (path: string, init: RequestInit & { token?: string } = {}) =>
  fetch(`${gh.url}${path}`, {
    redirect: 'manual',
    ...init,
    headers: {
      authorization: `token ${init.token ?? gh.token}`,
      'content-type': 'application/json',
      ...(init.headers ?? {})
    }
  })

describe('fake GitHub REST', () => {
  it('answers 401 to unknown tokens and 404 to unknown repositories', async () => {
    expect((await api(R, { token: 'nope' })).status).toBe(401)
    expect((await api('/repos/octo-org/other')).status).toBe(404)
    const repo = (await (await api(R)).json()) as { default_branch: string }
    expect(repo.default_branch).toBe('main')
  })

  it('filters and pages workflow runs, newest first, with Link headers', async () => {
    const ids = Array.from({ length: 5 }, () => gh.addRun({ headBranch: 'paging', workflowId: 777 }).id)
    gh.addRun({ headBranch: 'paging', workflowId: 777, conclusion: 'failure' })
    const res = await api(`${R}/actions/workflows/777/runs?branch=paging&status=success&per_page=2&page=2`)
    const body = (await res.json()) as { total_count: number; workflow_runs: Array<{ id: number }> }
    expect(body.total_count).toBe(5)
    expect(body.workflow_runs.map(r => r.id)).toEqual([ids[2], ids[1]])
    expect(res.headers.get('link')).toMatch(/page=3>; rel="next".*page=3>; rel="last"/)
    expect(res.headers.get('link')).toMatch(/page=1>; rel="prev"/)
  })

  it('lists expired artifacts with expired: true, answers 410 for them and 302 to a signed blob otherwise', async () => {
    const run = gh.addRun()
    const live = gh.addArtifact({ runId: run.id, name: 'r', files: { 'a.txt': 'hello' } })
    const old = gh.addArtifact({ runId: run.id, name: 'r', files: { 'a.txt': 'old' }, expired: true })
    const list = (await (await api(`${R}/actions/runs/${run.id}/artifacts?name=r`)).json()) as {
      artifacts: Array<{ id: number; expired: boolean; digest: string }>
    }
    expect(list.artifacts.map(a => [a.id, a.expired])).toEqual([
      [live.id, false],
      [old.id, true]
    ])
    expect((await api(`${R}/actions/artifacts/${old.id}/zip`)).status).toBe(410)
    const redirect = await api(`${R}/actions/artifacts/${live.id}/zip`)
    expect(redirect.status).toBe(302)
    const location = redirect.headers.get('location')!
    const blob = await fetch(location)
    expect(blob.status).toBe(200)
    expect(blob.headers.get('content-type')).toBe('application/zip')
    expect(
      Buffer.from(await blob.arrayBuffer())
        .subarray(0, 4)
        .toString('hex')
    ).toBe('504b0304')
    const forged = new URL(location)
    forged.searchParams.set('sig', Buffer.alloc(32).toString('base64'))
    expect((await fetch(forged)).status).toBe(403)
    expect(
      (await fetch(location, { method: 'PUT', body: 'x', headers: { 'x-ms-blob-type': 'BlockBlob' } })).status
    ).toBe(403)
  })

  it('paginates comments with Link headers and refuses bodies over 65 536 characters with 422', async () => {
    for (let i = 0; i < 205; i++) gh.addComment({ issueNumber: 9, body: `c${i}` })
    const res = await api(`${R}/issues/9/comments?per_page=100`)
    expect(((await res.json()) as unknown[]).length).toBe(100)
    expect(res.headers.get('link')).toMatch(/page=2>; rel="next", <[^>]*page=3>; rel="last"/)
    const tooLong = await api(`${R}/issues/9/comments`, {
      method: 'POST',
      body: JSON.stringify({ body: 'x'.repeat(65537) })
    })
    expect(tooLong.status).toBe(422)
    expect(JSON.stringify(await tooLong.json())).toMatch(/Body is too long \(maximum is 65536 characters\)/)
    const ok = await api(`${R}/issues/9/comments`, {
      method: 'POST',
      body: JSON.stringify({ body: 'x'.repeat(65536) })
    })
    expect(ok.status).toBe(201)
    const { id } = (await ok.json()) as { id: number }
    const patch = await api(`${R}/issues/comments/${id}`, {
      method: 'PATCH',
      body: JSON.stringify({ body: 'y'.repeat(65537) })
    })
    expect(patch.status).toBe(422)
    const readOnly = await api(`${R}/issues/9/comments`, {
      method: 'POST',
      token: gh.readOnlyToken,
      body: '{"body":"x"}'
    })
    expect(readOnly.status).toBe(403)
    expect(((await readOnly.json()) as { message: string }).message).toBe(
      'Resource not accessible by integration'
    )
  })

  it('injects faults for a number of requests, then behaves normally', async () => {
    gh.injectFault({ method: 'GET', path: R, kind: 'rate-limit-429', times: 1 })
    const limited = await api(R)
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('60')
    expect((await api(R)).status).toBe(200)
  })
})

describe('fake results service', () => {
  it('refuses tokens it did not issue and requests for another run than the token’s', async () => {
    const a = gh.addRun()
    const b = gh.addRun()
    const post = (token: string, runBackendId: string) =>
      fetch(`${gh.url}/twirp/github.actions.results.api.v1.ArtifactService/ListArtifacts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ workflow_run_backend_id: runBackendId, workflow_job_run_backend_id: 'j' })
      })
    expect((await post(craftRuntimeToken(a.backendId, 'j'), a.backendId)).status).toBe(401)
    const token = gh.runtimeToken(a.id)
    expect((await post(token, b.backendId)).status).toBe(403)
    const ok = await post(token, a.backendId)
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ artifacts: [] })
  })
})

describe('fake GitHub as its own process', () => {
  it('starts from the CLI, prints its address, is seeded over the control API and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '__tests__/support/fake-github.ts', '--repo', 'solo/repo'],
      {
        cwd: process.cwd(),
        stdio: ['ignore', 'pipe', 'inherit']
      }
    )
    try {
      const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string]
      const info = JSON.parse(line) as { url: string; token: string; repo: string }
      expect(info.repo).toBe('solo/repo')
      const seeded = await fetch(`${info.url}/_fake/call`, {
        method: 'POST',
        body: JSON.stringify({ method: 'addRun', args: [{ headBranch: 'main', headSha: 'd'.repeat(40) }] })
      })
      const { result: run } = (await seeded.json()) as { result: { id: number } }
      const res = await fetch(`${info.url}/repos/solo/repo/actions/runs/${run.id}`, {
        headers: { authorization: `token ${info.token}` }
      })
      expect(((await res.json()) as { head_sha: string }).head_sha).toBe('d'.repeat(40))
      const state = (await (await fetch(`${info.url}/_fake/state`)).json()) as {
        requests: Array<{ status: number }>
      }
      expect(state.requests.map(r => r.status)).toEqual([200])
    } finally {
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      const [code] = (await exited) as [number | null]
      expect(code).toBe(0)
    }
  })
})
