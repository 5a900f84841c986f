import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { isBaselineBranchRun, parseWorkflowRef, readRunnerContext } from '../src/github/context.js'

const dir = mkdtempSync(join(tmpdir(), 'gh-context-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function payload(name: string, body: unknown): string {
  const p = join(dir, name)
  writeFileSync(p, typeof body === 'string' ? body : JSON.stringify(body))
  return p
}

const base = {
  GITHUB_REPOSITORY: 'octo-org/swarm-bench',
  GITHUB_RUN_ID: '123456',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_WORKFLOW_REF: 'octo-org/swarm-bench/.github/workflows/benchmark.yml@refs/heads/main',
  GITHUB_SHA: 'f'.repeat(40)
}

const prPayload = (headRepo: string | null) => ({
  number: 7,
  repository: { default_branch: 'main' },
  pull_request: {
    number: 7,
    base: { sha: 'a'.repeat(40), ref: 'main', repo: { full_name: 'octo-org/swarm-bench' } },
    head: { sha: 'b'.repeat(40), ref: 'feature', repo: headRepo ? { full_name: headRepo } : null }
  }
})

describe('readRunnerContext', () => {
  it('reads a same-repository pull request', () => {
    const ctx = readRunnerContext({
      ...base,
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_REF: 'refs/pull/7/merge',
      GITHUB_REF_NAME: '7/merge',
      GITHUB_EVENT_PATH: payload('pr.json', prPayload('octo-org/swarm-bench'))
    })
    expect(ctx).toMatchObject({
      owner: 'octo-org',
      repo: 'swarm-bench',
      runId: 123456,
      runAttempt: 2,
      defaultBranch: 'main',
      runUrl: 'https://github.com/octo-org/swarm-bench/actions/runs/123456',
      pullRequest: {
        number: 7,
        baseSha: 'a'.repeat(40),
        headSha: 'b'.repeat(40),
        baseRef: 'main',
        headRef: 'feature',
        isFork: false
      }
    })
    expect(ctx.workflowRef).toEqual({
      owner: 'octo-org',
      repo: 'swarm-bench',
      path: '.github/workflows/benchmark.yml',
      ref: 'refs/heads/main'
    })
    expect(ctx.warnings).toEqual([])
    expect(isBaselineBranchRun(ctx)).toBe(false)
  })

  it('flags pull requests from forks (and from deleted forks)', () => {
    const fork = readRunnerContext({
      ...base,
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: payload('fork.json', prPayload('someone/swarm-bench'))
    })
    expect(fork.pullRequest?.isFork).toBe(true)
    const gone = readRunnerContext({
      ...base,
      GITHUB_EVENT_NAME: 'pull_request_target',
      GITHUB_EVENT_PATH: payload('gone.json', prPayload(null))
    })
    expect(gone.pullRequest?.isFork).toBe(true)
  })

  it('never throws on a missing or corrupt payload; it warns and leaves fields unknown', () => {
    const ctx = readRunnerContext({
      ...base,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: payload('bad.json', '{oops')
    })
    expect(ctx.defaultBranch).toBeUndefined()
    expect(ctx.warnings[0]).toMatch(/could not read the event payload/)
    const missing = readRunnerContext({
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: join(dir, 'nope.json')
    })
    expect(missing.owner).toBeUndefined()
    expect(missing.runId).toBeUndefined()
    expect(missing.warnings).toHaveLength(1)
  })
})

describe('isBaselineBranchRun', () => {
  const onMain = (event: string, ref = 'refs/heads/main') =>
    readRunnerContext({
      ...base,
      GITHUB_EVENT_NAME: event,
      GITHUB_REF: ref,
      GITHUB_REF_NAME: ref.replace('refs/heads/', ''),
      GITHUB_EVENT_PATH: payload(`${event}.json`, { repository: { default_branch: 'main' } })
    })

  it('is true for push, schedule and workflow_dispatch on the baseline branch only', () => {
    expect(isBaselineBranchRun(onMain('push'))).toBe(true)
    expect(isBaselineBranchRun(onMain('schedule'))).toBe(true)
    expect(isBaselineBranchRun(onMain('workflow_dispatch'))).toBe(true)
    expect(isBaselineBranchRun(onMain('push', 'refs/heads/feature'))).toBe(false)
    expect(isBaselineBranchRun(onMain('push', 'refs/tags/main'))).toBe(false)
    expect(isBaselineBranchRun(onMain('pull_request', 'refs/pull/7/merge'))).toBe(false)
    expect(isBaselineBranchRun(onMain('push', 'refs/heads/release'), 'release')).toBe(true)
  })

  it('is false when the baseline branch is unknown', () => {
    const ctx = readRunnerContext({ GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main' })
    expect(isBaselineBranchRun(ctx)).toBe(false)
    expect(isBaselineBranchRun(ctx, 'main')).toBe(true)
  })
})

describe('parseWorkflowRef', () => {
  it('splits owner, repo, path and ref; undefined when malformed', () => {
    expect(parseWorkflowRef('o/r/.github/workflows/a.yml@refs/pull/1/merge')).toEqual({
      owner: 'o',
      repo: 'r',
      path: '.github/workflows/a.yml',
      ref: 'refs/pull/1/merge'
    })
    expect(parseWorkflowRef('nonsense')).toBeUndefined()
    expect(parseWorkflowRef(undefined)).toBeUndefined()
  })
})
