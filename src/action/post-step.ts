// The post step: runs after the job's other steps, even when the main step crashed or was cancelled. E2B
// sandboxes outlive a killed process (until their timeout, billing and holding plan slots), so every sandbox
// tagged with this run is swept. Local agents die with the main step; the post step checks that and kills any
// straggler. It never fails the job: a cleanup problem is a warning.
import * as core from '@actions/core'
import { sweepSandboxesDetailed } from '../sandbox/e2b/sweep.js'
import { RUN_TAG_METADATA } from '../sandbox/agent-files.js'
import { findTaggedProcesses, killPids } from '../sandbox/local/sweep.js'
import { redact, usableSecrets } from '../secrets.js'
import { STATE } from './state.js'
import { errorText } from '../errors.js'

export async function runPost(): Promise<void> {
  const apiKey = core.getInput('e2b-api-key').trim() || process.env.E2B_API_KEY?.trim() || ''
  if (apiKey) core.setSecret(apiKey)
  const clean = (s: string): string => redact(s, usableSecrets([apiKey]))
  try {
    const tag = core.getState(STATE.runTag)
    const provider = core.getState(STATE.provider)
    if (!tag) {
      core.info('No run tag saved: the main step stopped before starting any sandbox; nothing to clean up')
      return
    }
    if (provider === 'e2b') {
      if (!apiKey) {
        core.warning(
          `Cannot sweep E2B sandboxes of run ${tag}: no e2b-api-key input or E2B_API_KEY env in the post step`
        )
        return
      }
      const report = await sweepSandboxesDetailed({
        apiKey,
        apiUrl: core.getState(STATE.e2bApiUrl) || process.env.E2B_API_URL || undefined,
        domain: core.getState(STATE.e2bDomain) || process.env.E2B_DOMAIN || undefined,
        metadata: { [RUN_TAG_METADATA]: tag },
        log: m => core.info(clean(m))
      })
      const line =
        `E2B sweep of run ${tag}: ${report.found} sandbox(es) still alive, ${report.killed} killed, ` +
        `${report.alreadyGone} already gone, ${report.failed.length} failed`
      if (report.killed > 0 || report.failed.length > 0) core.warning(clean(line))
      else core.info(line)
      for (const f of report.failed) core.warning(clean(`could not kill sandbox ${f.sandboxId}: ${f.error}`))
      return
    }
    // Local provider: the agents were child process groups of the main step and died with it. Check.
    const left = findTaggedProcesses(tag)
    if (!left.checked) {
      core.info(`Local provider: no /proc on this runner, cannot check for agent processes of run ${tag}`)
    } else if (left.pids.length === 0) {
      core.info(`Local provider: no agent process of run ${tag} is alive; nothing to clean up`)
    } else {
      const killed = killPids(left.pids)
      core.warning(
        `Local provider: ${left.pids.length} agent process(es) of run ${tag} outlived the main step; killed ${killed} (pids ${left.pids.join(', ')})`
      )
    }
  } catch (err) {
    core.warning(clean(`Post step cleanup failed: ${errorText(err)}`))
  }
}
