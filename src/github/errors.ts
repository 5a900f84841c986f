// Turns whatever the GitHub client threw into one sentence for a log line or a PR-comment footnote, plus the
// facts callers branch on (permission denied vs rate limited vs server trouble). Never throws.

export interface ApiProblem {
  reason: string
  status?: number
  /** 403 that is not a rate limit: the token lacks the permission (fork pull requests get read-only tokens). */
  forbidden: boolean
  rateLimited: boolean
}

interface ErrorLike {
  status?: number
  message?: string
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown }
}

export function describeApiError(err: unknown, what: string): ApiProblem {
  const e = (err ?? {}) as ErrorLike
  const status = typeof e.status === 'number' ? e.status : undefined
  const headers = e.response?.headers ?? {}
  const message = String(e.message ?? err ?? 'unknown error')
    .replace(/\s+-\s+https:\/\/docs\.github\.com\S*/, '')
    .trim()
  const remaining = headers['x-ratelimit-remaining']
  const rateLimited =
    status === 429 || (status === 403 && (String(remaining) === '0' || /rate limit/i.test(message)))
  if (rateLimited) {
    const reset = Number(headers['x-ratelimit-reset'])
    const retryAfter = headers['retry-after']
    const when =
      Number.isFinite(reset) && reset > 0
        ? ` (resets at ${new Date(reset * 1000).toISOString()})`
        : retryAfter !== undefined
          ? ` (retry after ${retryAfter} s)`
          : ''
    return {
      reason: `${what}: GitHub API rate limit exceeded${when}`,
      status,
      forbidden: false,
      rateLimited: true
    }
  }
  if (status === 403) {
    return {
      reason: `${what}: permission denied (403 ${message}); the token may be read-only, as on pull requests from forks`,
      status,
      forbidden: true,
      rateLimited: false
    }
  }
  // Octokit reports a failed fetch (refused, reset, timed out) as a 500 without a response.
  if (!e.response && (status === undefined || status === 500)) {
    return {
      reason: `${what}: no answer from GitHub (${message})`,
      status,
      forbidden: false,
      rateLimited: false
    }
  }
  if (status !== undefined && status >= 400) {
    return {
      reason: `${what}: GitHub answered ${status} (${message})`,
      status,
      forbidden: false,
      rateLimited: false
    }
  }
  return { reason: `${what}: ${message}`, status, forbidden: false, rateLimited: false }
}
