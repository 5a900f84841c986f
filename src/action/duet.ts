// The action's side of the duet: on a pull request, the base commit's code under test, from the folder the
// workflow checked out (`base-path`) or from a git worktree of the base SHA. Anything that stops it is a note,
// never a failure: the run then compares with the baseline artifact as before.
import * as core from '@actions/core'
import type { ActionConfig } from '../config/action-config.js'
import { prepareBaseCode, type BaseCode } from '../duet/base-code.js'
import type { RunnerContext } from '../github/context.js'
import { agentDir } from '../paths.js'
import { errorText } from '../errors.js'
import { hooksSource } from '../sandbox/agent-files.js'
import { providerPlugin } from '../sandbox/registry.js'
import { pairingLine } from '../duet/lockstep.js'

export interface DuetBasePhase {
  code?: BaseCode
  /** Why there is no duet, when there could have been one (or the base notes). */
  note?: string
}

export async function duetBase(config: ActionConfig, ctx: RunnerContext): Promise<DuetBasePhase> {
  if (config.duet === 'off') return {}
  const pr = ctx.pullRequest
  if (!pr) return {}
  if (!pr.baseSha && !config.basePath) return { note: 'the event names no base commit' }
  try {
    const code = await prepareBaseCode({
      ref: pr.baseSha,
      basePath: config.basePath || undefined,
      repoDir: process.env.GITHUB_WORKSPACE || process.cwd(),
      headAgentDir: agentDir(),
      strategyPath: config.strategyPath,
      hooks: hooksSource(config),
      requirements: config.e2bRequirements,
      fetch: true
    })
    const b = code.base
    core.info(
      `Duet: base ${b.sha?.slice(0, 12) ?? b.ref} beside the head; code that differs: ${b.changed.join(', ') || 'none'}; ` +
        pairingLine(config.duetPairs, providerPlugin(config.provider).traits)
    )
    return { code }
  } catch (err) {
    const why = errorText(err)
    core.warning(`No duet, comparing with the baseline artifact instead: ${why}`)
    return { note: `the base commit's code could not be had (${why}); compared with the baseline artifact` }
  }
}
