// Kill every E2B sandbox carrying a run's metadata tags: the action's post step and `swarm-bench cleanup` use it
// so a crashed or cancelled run never leaves sandboxes billing (or holding plan slots) until their timeout.
import { E2B } from 'e2b'
import { redact } from '../../secrets.js'
import { E2BAuthError } from './provider.js'
import { classifyError, withRetry } from '../limits.js'
import { errorText } from '../../errors.js'

export interface SweepOptions {
  apiKey: string
  apiUrl?: string
  domain?: string
  /** Every tag must match (AND). Required and non-empty: an empty filter would kill the whole team's sandboxes. */
  metadata: Record<string, string>
  requestTimeoutMs?: number
  log?: (message: string) => void
}

export interface SweepReport {
  found: number
  killed: number
  /** Listed but already gone when we got to them (expired or killed meanwhile). */
  alreadyGone: number
  failed: { sandboxId: string; error: string }[]
}

/** Kill every sandbox whose metadata matches; returns how many this call killed. */
export async function sweepSandboxes(opts: SweepOptions): Promise<number> {
  return (await sweepSandboxesDetailed(opts)).killed
}

export async function sweepSandboxesDetailed(opts: SweepOptions): Promise<SweepReport> {
  if (!opts.apiKey?.trim())
    throw new E2BAuthError('No E2B API key was given, so leftover sandboxes cannot be swept')
  if (Object.keys(opts.metadata).length === 0)
    throw new Error('refusing to sweep without a metadata filter: it would kill every sandbox of the team')
  const log = (m: string) => opts.log?.(redact(m, [opts.apiKey]))
  const { Sandbox } = new E2B({
    apiKey: opts.apiKey,
    apiUrl: opts.apiUrl,
    domain: opts.domain,
    requestTimeoutMs: opts.requestTimeoutMs
  })
  const retry = { retries: 4, baseMs: 500, maxMs: 4000, deadlineMs: 30_000 }

  // Collect every page first: killing while paging would shift the pages under us.
  const ids: string[] = []
  try {
    const pages = Sandbox.list({
      query: { metadata: opts.metadata, state: ['running', 'paused'] },
      limit: 100
    })
    while (pages.hasNext) {
      const items = await withRetry(() => pages.nextItems(), retry)
      ids.push(...items.map(s => s.sandboxId))
    }
  } catch (err) {
    throw sweepError(err, opts.apiKey, 'listing sandboxes')
  }

  const report: SweepReport = { found: ids.length, killed: 0, alreadyGone: 0, failed: [] }
  // A few at a time: a sweep runs after the benchmark, where the plan's limits still apply.
  const queue = [...ids]
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      try {
        if (await withRetry(() => Sandbox.kill(id!), retry)) report.killed++
        else report.alreadyGone++
      } catch (err) {
        const e = sweepError(err, opts.apiKey, `killing ${id}`)
        if (e instanceof E2BAuthError) throw e
        report.failed.push({ sandboxId: id, error: e.message })
        log(e.message)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(5, ids.length) }, worker))
  log(
    `sweep ${JSON.stringify(opts.metadata)}: found ${report.found}, killed ${report.killed}, ` +
      `already gone ${report.alreadyGone}, failed ${report.failed.length}`
  )
  return report
}

function sweepError(err: unknown, apiKey: string, what: string): Error {
  const cause = (err as { cause?: unknown }).cause ?? err
  const msg = errorText(err)
  if (classifyError(cause).kind === 'auth') return new E2BAuthError(`E2B rejected the API key while ${what}`)
  return new Error(redact(`e2b sweep: ${what} failed: ${msg}`, [apiKey]))
}
