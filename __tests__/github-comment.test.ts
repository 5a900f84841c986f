// Sticky PR comment with the real Octokit (pagination, update in place) against the fake GitHub.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js'

const OWNER = 'octo-org'
const REPO = 'swarm-bench'
const MARKER = '<!-- swarm-bench-action:test -->'

let gh: FakeGitHub
let mod: typeof import('../src/github/sticky-comment.js')
let client: import('../src/github/octokit.js').GitHubClient
let readOnly: import('../src/github/octokit.js').GitHubClient
let issue = 100
const saved = { ...process.env }

beforeAll(async () => {
  gh = await startFakeGitHub({ repo: `${OWNER}/${REPO}` })
  process.env.GITHUB_API_URL = gh.url
  mod = await import('../src/github/sticky-comment.js')
  const { createGitHubClient } = await import('../src/github/octokit.js')
  client = createGitHubClient(gh.token, { retryDelayMs: 10 })
  readOnly = createGitHubClient(gh.readOnlyToken, { retryDelayMs: 10 })
})

afterAll(async () => {
  process.env = saved
  await gh?.close()
})

beforeEach(() => {
  issue++
  gh.clearFaults()
  gh.state.requests = []
})

const opts = (
  body: string,
  extra: Partial<import('../src/github/sticky-comment.js').StickyCommentOptions> = {}
) => ({
  owner: OWNER,
  repo: REPO,
  issueNumber: issue,
  marker: MARKER,
  body,
  mode: 'always' as const,
  changed: true,
  ...extra
})

describe('upsertStickyComment', () => {
  it('creates the comment once, then updates the same comment in place', async () => {
    const first = await mod.upsertStickyComment(client, opts('first results'))
    expect(first.action).toBe('created')
    const second = await mod.upsertStickyComment(client, opts('second results'))
    expect(second.action).toBe('updated')
    if (first.action !== 'created' || second.action !== 'updated') throw new Error('unreachable')
    expect(second.id).toBe(first.id)
    expect(second.url).toBe(first.url)
    const comments = gh.comments(issue)
    expect(comments).toHaveLength(1)
    expect(comments[0].body).toBe(`${MARKER}\nsecond results`)
  })

  it('finds its comment beyond the first 100 (pagination) and updates it, leaving the others alone', async () => {
    for (let i = 0; i < 130; i++) gh.addComment({ issueNumber: issue, body: `chatter ${i}` })
    const created = await mod.upsertStickyComment(client, opts('v1'))
    expect(created.action).toBe('created')
    for (let i = 0; i < 5; i++) gh.addComment({ issueNumber: issue, body: `more chatter ${i}` })
    gh.state.requests = []
    const updated = await mod.upsertStickyComment(client, opts('v2'))
    expect(updated.action).toBe('updated')
    if (created.action !== 'created' || updated.action !== 'updated') throw new Error('unreachable')
    expect(updated.id).toBe(created.id)
    const pages = gh
      .requests('GET', `/repos/${OWNER}/${REPO}/issues/${issue}/comments`)
      .map(r => new URLSearchParams(r.query).get('page') ?? '1')
    expect(pages).toEqual(['1', '2'])
    expect(gh.requests('POST')).toHaveLength(0)
    const ours = gh.comments(issue).filter(c => c.body.includes(MARKER))
    expect(ours).toHaveLength(1)
    expect(ours[0].body).toBe(`${MARKER}\nv2`)
    expect(gh.comments(issue)).toHaveLength(136)
  })

  it("skips without calling GitHub in 'never' mode, and creates nothing in 'on-change' mode when nothing changed", async () => {
    expect((await mod.upsertStickyComment(client, opts('x', { mode: 'never' }))).action).toBe('skipped')
    expect(gh.state.requests).toHaveLength(0)
    expect(
      (await mod.upsertStickyComment(client, opts('x', { mode: 'on-change', changed: false }))).action
    ).toBe('skipped')
    expect(gh.requests('POST')).toHaveLength(0)
    const r = await mod.upsertStickyComment(client, opts('x', { mode: 'on-change', changed: true }))
    expect(r.action).toBe('created')
  })

  it("'on-change' still updates an existing comment when nothing changed, so a stale verdict never stays up", async () => {
    const first = await mod.upsertStickyComment(
      client,
      opts('❌ 1 regression', { mode: 'on-change', changed: true })
    )
    expect(first.action).toBe('created')
    const fixed = await mod.upsertStickyComment(
      client,
      opts('✅ no regression', { mode: 'on-change', changed: false })
    )
    expect(fixed.action).toBe('updated')
    const ours = gh.comments(issue).filter(c => c.body.includes(MARKER))
    expect(ours).toHaveLength(1)
    expect(ours[0].body).toContain('no regression')
  })

  it('does not rewrite a comment that already says the same thing', async () => {
    await mod.upsertStickyComment(client, opts('same'))
    const again = await mod.upsertStickyComment(client, opts('same'))
    expect(again.action).toBe('skipped')
    expect(gh.requests('PATCH')).toHaveLength(0)
  })

  it('refuses a body over 65 536 characters before sending anything', async () => {
    const r = await mod.upsertStickyComment(client, opts('x'.repeat(mod.MAX_COMMENT_CHARS)))
    expect(r).toMatchObject({ action: 'failed', forbidden: false })
    expect(r.action === 'failed' && r.reason).toMatch(/65536/)
    expect(gh.state.requests).toHaveLength(0)
    const fits = await mod.upsertStickyComment(
      client,
      opts('x'.repeat(mod.MAX_COMMENT_CHARS - MARKER.length - 1))
    )
    expect(fits.action).toBe('created')
  })

  it('reports a fork pull request (read-only token, 403) as forbidden, without throwing', async () => {
    const r = await mod.upsertStickyComment(readOnly, opts('from a fork'))
    expect(r).toMatchObject({ action: 'failed', forbidden: true })
    expect(r.action === 'failed' && r.reason).toMatch(/Resource not accessible by integration/)
    expect(gh.comments(issue)).toHaveLength(0)
  })

  it('reports 5xx and rate limits as failures that are not permission problems, and does not retry writes', async () => {
    gh.injectFault({ method: 'POST', path: '*', kind: 'server-error', status: 500 })
    const r = await mod.upsertStickyComment(client, opts('x'))
    expect(r).toMatchObject({ action: 'failed', forbidden: false })
    expect(r.action === 'failed' && r.reason).toMatch(/500/)
    expect(gh.requests('POST')).toHaveLength(1)

    gh.clearFaults()
    gh.injectFault({ method: 'GET', path: '*', kind: 'rate-limit' })
    const limited = await mod.upsertStickyComment(client, opts('x'))
    expect(limited).toMatchObject({ action: 'failed', forbidden: false })
    expect(limited.action === 'failed' && limited.reason).toMatch(/rate limit/)
  })

  it('prefers the bot comment when a human quoted the marker', async () => {
    gh.addComment({ issueNumber: issue, body: `look: ${MARKER}`, user: 'octocat' })
    const bot = gh.addComment({ issueNumber: issue, body: `${MARKER}\nold`, user: 'github-actions[bot]' })
    const r = await mod.upsertStickyComment(client, opts('new'))
    expect(r).toMatchObject({ action: 'updated', id: bot.id })
    expect(gh.comments(issue)[0].body).toBe(`look: ${MARKER}`)
  })
})
