// One sticky pull-request comment per marker: found across every page of comments, updated in place, created
// when absent. Permission errors (fork pull requests) come back as `forbidden` for the caller to warn about.
import { describeApiError } from './errors.js'
import type { GitHubClient } from './octokit.js'

/** GitHub refuses comment bodies longer than this (422 "Body is too long"). */
export const MAX_COMMENT_CHARS = 65536

/** Input `comment`: when the sticky comment is posted (see StickyCommentOptions.mode). */
export const COMMENT_MODES = ['always', 'on-change', 'on-regression', 'never'] as const
export type CommentMode = (typeof COMMENT_MODES)[number]

/** The hidden marker of the sticky comment: one per artifact name, so jobs benchmarking different things keep separate comments. */
export const stickyMarker = (artifactName: string): string =>
  `<!-- swarm-bench-action:sticky:${artifactName} -->`

export interface StickyCommentOptions {
  owner: string
  repo: string
  issueNumber: number
  /** A hidden HTML comment identifying our comment; prepended to the body when the body lacks it. */
  marker: string
  body: string
  /**
   * `on-change` and `on-regression` create a comment only when `changed` is true (an existing one is still
   * updated); `never` posts nothing.
   */
  mode: CommentMode
  /**
   * Whether there is something to comment on (the caller decides): for `on-change` a regression or an
   * improvement, for `on-regression` a regression.
   */
  changed: boolean
  /**
   * `on-regression`: the body an existing comment is updated to when `changed` is false, saying the regression it
   * reported is resolved. Default: `body`.
   */
  resolvedBody?: string
}

export type StickyCommentResult =
  | { action: 'created' | 'updated'; id: number; url: string }
  | { action: 'skipped'; reason: string; id?: number; url?: string }
  | { action: 'failed'; reason: string; forbidden: boolean }

interface CommentItem {
  id: number
  body?: string | null
  html_url: string
  user?: { type?: string } | null
}

export function withMarker(body: string, marker: string): string {
  return body.includes(marker) ? body : `${marker}\n${body}`
}

export async function upsertStickyComment(
  octokit: GitHubClient,
  opts: StickyCommentOptions
): Promise<StickyCommentResult> {
  if (opts.mode === 'never') return { action: 'skipped', reason: "comment mode is 'never'" }
  if (!opts.marker)
    return { action: 'failed', reason: 'a sticky comment needs a non-empty marker', forbidden: false }
  let body = withMarker(opts.body, opts.marker)
  if (body.length > MAX_COMMENT_CHARS) {
    return {
      action: 'failed',
      reason: `comment body has ${body.length} characters; GitHub accepts at most ${MAX_COMMENT_CHARS}`,
      forbidden: false
    }
  }
  const where = { owner: opts.owner, repo: opts.repo }
  let step = `listing the comments of #${opts.issueNumber}`
  try {
    const comments = (await octokit.paginate(octokit.rest.issues.listComments, {
      ...where,
      issue_number: opts.issueNumber,
      per_page: 100
    })) as CommentItem[]
    const ours = comments.filter(c => c.body?.includes(opts.marker))
    // If several carry the marker, a bot's (ours) wins over a human quoting it.
    const existing = ours.find(c => c.user?.type === 'Bot') ?? ours[0]
    // on-change: a new comment only when something changed, but an existing one is always brought up to date,
    // so an old "regressions" verdict never stays up after a fix.
    if (!existing && opts.mode === 'on-change' && !opts.changed) {
      return { action: 'skipped', reason: "comment mode is 'on-change' and nothing changed" }
    }
    // on-regression: a new comment only for a regression; an existing one says it is resolved once it is gone.
    if (!existing && opts.mode === 'on-regression' && !opts.changed) {
      return { action: 'skipped', reason: "comment mode is 'on-regression' and no regression was found" }
    }
    if (existing && opts.mode === 'on-regression' && !opts.changed && opts.resolvedBody !== undefined) {
      body = withMarker(opts.resolvedBody, opts.marker)
      if (body.length > MAX_COMMENT_CHARS) body = withMarker(opts.body, opts.marker)
    }
    if (existing) {
      if (existing.body === body) {
        return {
          action: 'skipped',
          reason: 'the comment already says this',
          id: existing.id,
          url: existing.html_url
        }
      }
      step = `updating comment ${existing.id}`
      const { data } = await octokit.rest.issues.updateComment({ ...where, comment_id: existing.id, body })
      return { action: 'updated', id: data.id, url: data.html_url }
    }
    step = `creating a comment on #${opts.issueNumber}`
    const { data } = await octokit.rest.issues.createComment({
      ...where,
      issue_number: opts.issueNumber,
      body
    })
    return { action: 'created', id: data.id, url: data.html_url }
  } catch (err) {
    const p = describeApiError(err, step)
    return { action: 'failed', reason: p.reason, forbidden: p.forbidden }
  }
}
