// The sticky pull-request comment: the digest a reviewer reads in ten seconds (headline, status, cost, one row per
// benchmark, evidence on demand; src/report/pr-digest.ts), then the links. Always within GitHub's comment size
// limit, however many metrics there are.
import type { Results } from '../results/schema.js'
import type { Comparison } from '../stats/compare.js'
import { safeUrl } from './escape.js'
import { renderDigest } from './pr-digest.js'
import { MAX_COMMENT_CHARS } from '../github/sticky-comment.js'

export { MAX_COMMENT_CHARS }

export interface CommentOptions {
  /** The sticky comment's hidden marker (stickyMarker in github/sticky-comment.ts), its first line, counted in the cap. */
  marker?: string
  /** Link to the report artifact or the run page, shown at the end. */
  reportUrl?: string
  runUrl?: string
  /** Hard cap on the body length; default GitHub's limit. */
  maxChars?: number
  /** The pull request's number, for "Merging #N will …". */
  prNumber?: number
  /** Link to docs/regressions.md of the action's repository. */
  methodUrl?: string
  /** A line (markdown) shown above the digest, e.g. that an earlier regression is resolved. */
  notice?: string
}

/** The notice of comment mode `on-regression` when the regression an earlier comment reported is gone. */
export const resolvedNotice = (sha?: string): string =>
  `> ✅ **Resolved**: the regression this comment reported earlier is gone` +
  (sha ? ` as of \`${sha.slice(0, 12).replace(/[^0-9a-f]/gi, '')}\`` : '') +
  '. The results below are the latest run.'

export function renderComment(results: Results, comparison?: Comparison, opts: CommentOptions = {}): string {
  const max = Math.min(opts.maxChars ?? MAX_COMMENT_CHARS, MAX_COMMENT_CHARS)
  const links = [
    safeUrl(opts.reportUrl) ? `[full report](${safeUrl(opts.reportUrl)})` : undefined,
    safeUrl(opts.runUrl) ? `[workflow run](${safeUrl(opts.runUrl)})` : undefined
  ].filter(Boolean)
  const footer = `\n\n${links.length ? links.join(' · ') : 'The full report is in the run’s artifacts.'}\n`
  const head = `${opts.marker ? `${opts.marker}\n` : ''}${opts.notice ? `${opts.notice}\n\n` : ''}`
  let body =
    head +
    renderDigest(results, comparison, {
      heading: '###',
      prNumber: opts.prNumber,
      methodUrl: opts.methodUrl,
      maxChars: max - head.length - footer.length
    }) +
    footer
  // Belt and braces: the budgets keep within the cap; never let a miscount reach GitHub.
  if (body.length > max) body = body.slice(0, max - 40) + '\n\n_(truncated to the comment limit)_\n'
  return body
}
