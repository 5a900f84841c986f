// The one way this project builds a GitHub client: `@actions/github`'s Octokit (so `GITHUB_API_URL` and the
// runner's proxy settings apply), with a per-request timeout and at most `retries` quick retries of reads that
// hit a 5xx or the network. No retry plugin: rate limits and permission errors come back at once as errors.
import { getOctokit } from '@actions/github'
import { setTimeout as sleep } from 'node:timers/promises'

export type GitHubClient = ReturnType<typeof getOctokit>

export interface ClientOptions {
  /** Defaults to `GITHUB_API_URL` (read by `@actions/github` when it is first imported). */
  baseUrl?: string
  /** Per-request timeout. */
  timeoutMs?: number
  /** Extra attempts for GET requests that fail with 5xx or no response. */
  retries?: number
  retryDelayMs?: number
}

export function createGitHubClient(token: string, opts: ClientOptions = {}): GitHubClient {
  const timeoutMs = opts.timeoutMs ?? 30_000
  const retries = opts.retries ?? 1
  const retryDelayMs = opts.retryDelayMs ?? 500
  const octokit = getOctokit(token, {
    ...(opts.baseUrl ? { baseUrl: opts.baseUrl.replace(/\/+$/, '') } : {}),
    // Octokit logs deprecations and request errors to the console; results speak through return values instead.
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }
  })
  octokit.hook.wrap('request', async (request, options) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await request({
          ...options,
          request: { ...options.request, signal: AbortSignal.timeout(timeoutMs) }
        })
      } catch (err) {
        const status = (err as { status?: number }).status ?? 500
        if (options.method !== 'GET' || status < 500 || attempt >= retries) throw err
        await sleep(retryDelayMs * (attempt + 1))
      }
    }
  })
  return octokit
}
