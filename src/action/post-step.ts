// The post step: runs after the job's other steps, even when the main step crashed or was cancelled. The plug-in
// of the provider the run used sweeps whatever carries the run's tag (E2B sandboxes outlive a killed process; local
// agents die with it, and the sweep checks). It never fails the job: a cleanup problem is a warning.
import * as core from '@actions/core'
import { fallbackProviderPlugin, findProviderPlugin, providerPlugins } from '../sandbox/registry.js'
import { redact, usableSecrets } from '../secrets.js'
import { STATE } from './state.js'
import { errorText } from '../errors.js'

export async function runPost(): Promise<void> {
  const read = (name: string): string => core.getInput(name)
  const raw = providerPlugins().flatMap(p => p.rawSecrets(read, process.env))
  for (const s of raw) if (s?.trim()) core.setSecret(s.trim())
  const clean = (s: string): string => redact(s, usableSecrets(raw))
  try {
    const tag = core.getState(STATE.runTag)
    if (!tag) {
      core.info('No run tag saved: the main step stopped before starting any sandbox; nothing to clean up')
      return
    }
    // A state from before the provider was saved (or a name this build lacks): the fallback provider's sweep.
    const plugin = findProviderPlugin(core.getState(STATE.provider)) ?? fallbackProviderPlugin()
    await plugin.postStep({
      runTag: tag,
      read,
      env: process.env,
      state: name => core.getState(name),
      info: m => core.info(clean(m)),
      warning: m => core.warning(clean(m))
    })
  } catch (err) {
    core.warning(clean(`Post step cleanup failed: ${errorText(err)}`))
  }
}
