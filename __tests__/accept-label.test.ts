// The accept label: the pull request's label turns a failing regression gate into a pass, the regressions stay
// reported, and who applied it comes from the issue events API (the local fake GitHub, through the real Octokit).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { gateFailure } from '../src/action/outcome.js'
import { compareDuet } from '../src/duet/verdict.js'
import { readRunnerContext, type RunnerContext } from '../src/github/context.js'
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js'
import { duetRun } from './support/digest-fixtures.js'

const OWNER = 'acme'
const REPO = 'swarm'
let gh: FakeGitHub
let review: typeof import('../src/action/review.js')
let client: import('../src/github/octokit.js').GitHubClient
const savedApiUrl = process.env.GITHUB_API_URL

beforeAll(async () => {
  gh = await startFakeGitHub({ repo: `${OWNER}/${REPO}` })
  // @actions/github reads GITHUB_API_URL when first imported.
  process.env.GITHUB_API_URL = gh.url
  review = await import('../src/action/review.js')
  const { createGitHubClient } = await import('../src/github/octokit.js')
  client = createGitHubClient(gh.token, { retryDelayMs: 10 })
})
afterAll(async () => {
  if (savedApiUrl === undefined) delete process.env.GITHUB_API_URL
  else process.env.GITHUB_API_URL = savedApiUrl
  await gh?.close()
})

function prContext(number: number, labels: string[]): RunnerContext {
  const payload = {
    number,
    pull_request: {
      number,
      labels: labels.map(name => ({ name, color: 'ededed' })),
      base: { sha: 'b'.repeat(40), ref: 'main', repo: { full_name: `${OWNER}/${REPO}` } },
      head: { sha: 'a'.repeat(40), ref: 'pr', repo: { full_name: `${OWNER}/${REPO}` } }
    }
  }
  return readRunnerContext(
    {
      GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: '/event.json'
    },
    () => JSON.stringify(payload)
  )
}

const slowed = compareDuet(duetRun({ 'communication.inter-agent-latency/rtt_ms': 1.5 }))
const gate = (c: typeof slowed): string | undefined =>
  gateFailure({ results: undefined, comparison: c, failOnRegression: true, failOnTarget: false })

describe('accept-label', () => {
  it('reads the labels of the pull request from the event', () => {
    expect(prContext(3, ['bug', 'swarm-bench:accept']).pullRequest?.labels).toEqual([
      'bug',
      'swarm-bench:accept'
    ])
  })

  it('a labelled pull request passes the gate with its regressions kept, naming who applied the label last', async () => {
    gh.addIssueEvent({ issueNumber: 7, event: 'labeled', actor: 'mallory', label: 'other' })
    gh.addIssueEvent({ issueNumber: 7, event: 'labeled', actor: 'bob', label: 'swarm-bench:accept' })
    gh.addIssueEvent({ issueNumber: 7, event: 'unlabeled', actor: 'carol', label: 'swarm-bench:accept' })
    gh.addIssueEvent({ issueNumber: 7, event: 'labeled', actor: 'alice', label: 'swarm-bench:accept' })
    expect(gate(slowed)).toMatch(/1 regression\(s\) found/)
    const c = await review.acceptByLabel(
      slowed,
      prContext(7, ['swarm-bench:accept']),
      'swarm-bench:accept',
      client
    )
    expect(c.accepted).toEqual({ label: 'swarm-bench:accept', by: 'alice' })
    expect(c.regressions).toHaveLength(1)
    expect(gate(c)).toBeUndefined()
    expect(gh.requests('GET', `/repos/${OWNER}/${REPO}/issues/7/events`).length).toBeGreaterThan(0)
  })

  it('without the label, or without regressions, nothing is accepted; without an answer nobody is named', async () => {
    const none = await review.acceptByLabel(slowed, prContext(8, ['bug']), 'swarm-bench:accept', client)
    expect(none.accepted).toBeUndefined()
    const clean = compareDuet(duetRun())
    const c = await review.acceptByLabel(
      clean,
      prContext(8, ['swarm-bench:accept']),
      'swarm-bench:accept',
      client
    )
    expect(c.accepted).toBeUndefined()
    // No event names the label (it came with the payload only) and no token: accepted, by nobody known.
    const quiet = await review.acceptByLabel(slowed, prContext(9, ['ok']), 'ok', client)
    expect(quiet.accepted).toEqual({ label: 'ok' })
    const offline = await review.acceptByLabel(slowed, prContext(9, ['ok']), 'ok', undefined)
    expect(offline.accepted).toEqual({ label: 'ok' })
  })
})
