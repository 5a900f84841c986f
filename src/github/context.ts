// What the runner tells a job about itself (environment + event payload), read once into plain data, and the
// decision "is this run the baseline branch's own run?". Never throws: a missing or corrupt payload leaves
// fields undefined and adds a warning.
import { readFileSync } from 'node:fs'

export interface PullRequestInfo {
  number: number
  baseSha: string
  headSha: string
  baseRef: string
  headRef: string
  /** Head repository differs from the base repository (or was deleted): the token is read-only. */
  isFork: boolean
  /** The pull request's labels when the event was sent (a `labeled` event carries the new one). */
  labels: string[]
}

export interface WorkflowRef {
  owner: string
  repo: string
  /** `.github/workflows/x.yml` */
  path: string
  ref: string
}

export interface RunnerContext {
  owner?: string
  repo?: string
  runId?: number
  runAttempt?: number
  eventName: string
  /** `refs/heads/main`, `refs/pull/7/merge`, ... */
  ref: string
  /** `main`, `7/merge`, ... */
  refName: string
  sha: string
  workflowRef?: WorkflowRef
  /** From the payload's `repository.default_branch`; undefined when the event does not carry it. */
  defaultBranch?: string
  pullRequest?: PullRequestInfo
  apiUrl: string
  serverUrl: string
  /** Link to this run's page, when the repository and run id are known. */
  runUrl?: string
  warnings: string[]
}

export const BASELINE_EVENTS = ['push', 'schedule', 'workflow_dispatch'] as const
const PR_EVENTS = ['pull_request', 'pull_request_target']

type Env = Record<string, string | undefined>
type Json = Record<string, unknown>

const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' ? (v as Json) : undefined)
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)
const posInt = (v: string | undefined): number | undefined => {
  const n = Number(v)
  return v && Number.isSafeInteger(n) && n > 0 ? n : undefined
}

/** Parses `GITHUB_WORKFLOW_REF` (`owner/repo/.github/workflows/x.yml@refs/heads/main`). */
export function parseWorkflowRef(value: string | undefined): WorkflowRef | undefined {
  const m = /^([^/]+)\/([^/]+)\/(.+?)@(.+)$/.exec(value ?? '')
  return m ? { owner: m[1], repo: m[2], path: m[3], ref: m[4] } : undefined
}

export function readRunnerContext(
  env: Env = process.env,
  readFile: (path: string) => string = p => readFileSync(p, 'utf8')
): RunnerContext {
  const warnings: string[] = []
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/')
  const eventName = env.GITHUB_EVENT_NAME ?? ''
  let payload: Json = {}
  if (env.GITHUB_EVENT_PATH) {
    try {
      payload = obj(JSON.parse(readFile(env.GITHUB_EVENT_PATH))) ?? {}
    } catch (e) {
      warnings.push(`could not read the event payload ${env.GITHUB_EVENT_PATH}: ${(e as Error).message}`)
    }
  }
  const serverUrl = (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/+$/, '')
  const runId = posInt(env.GITHUB_RUN_ID)
  const ctx: RunnerContext = {
    owner: text(owner),
    repo: text(repo),
    runId,
    runAttempt: posInt(env.GITHUB_RUN_ATTEMPT),
    eventName,
    ref: env.GITHUB_REF ?? '',
    refName: env.GITHUB_REF_NAME ?? '',
    sha: env.GITHUB_SHA ?? '',
    workflowRef: parseWorkflowRef(env.GITHUB_WORKFLOW_REF),
    defaultBranch: text(obj(payload.repository)?.default_branch),
    apiUrl: (env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, ''),
    serverUrl,
    runUrl: owner && repo && runId ? `${serverUrl}/${owner}/${repo}/actions/runs/${runId}` : undefined,
    warnings
  }
  const pr = obj(payload.pull_request)
  if (pr && PR_EVENTS.includes(eventName)) {
    const base = obj(pr.base)
    const head = obj(pr.head)
    const baseRepo = text(obj(base?.repo)?.full_name)
    const headRepo = text(obj(head?.repo)?.full_name)
    const number = typeof pr.number === 'number' ? pr.number : Number(payload.number)
    if (Number.isSafeInteger(number) && number > 0) {
      ctx.pullRequest = {
        number,
        baseSha: text(base?.sha) ?? '',
        headSha: text(head?.sha) ?? '',
        baseRef: text(base?.ref) ?? '',
        headRef: text(head?.ref) ?? '',
        // A deleted fork has no head repository; treat it like a fork (read-only token).
        isFork: !headRepo || !baseRepo || headRepo.toLowerCase() !== baseRepo.toLowerCase(),
        labels: (Array.isArray(pr.labels) ? pr.labels : [])
          .map(l => text(obj(l)?.name))
          .filter((l): l is string => l !== undefined)
      }
    } else {
      warnings.push('the pull_request payload has no number')
    }
  }
  return ctx
}

/**
 * A run records the baseline when it was triggered by push, schedule or workflow_dispatch on the baseline branch
 * (the default branch unless given). Pull requests never do, whatever their target.
 */
export function isBaselineBranchRun(ctx: RunnerContext, baselineBranch = ctx.defaultBranch): boolean {
  if (!baselineBranch) return false
  if (!(BASELINE_EVENTS as readonly string[]).includes(ctx.eventName)) return false
  if (ctx.ref) return ctx.ref === `refs/heads/${baselineBranch}`
  return ctx.refName === baselineBranch
}
