// The local provider as a plug-in: agents are child processes on this machine, so nothing is billed (costs are
// estimated as if on E2B), peers talk over loopback, and leftovers are found by the run tag in their environment.
import { E2B_DEFAULT_PRICING } from '../e2b/pricing.js'
import { RUN_TAG_ENV } from '../agent-files.js'
import type { ProviderPlugin } from '../plugin.js'
import { installExitCleanup, LocalProvider } from './provider.js'
import { findTaggedProcesses, killPids } from './sweep.js'

/** Most agents kept alive at once: what one runner holds comfortably (bench:scale). */
const POOL_AGENTS = 64

export const localPlugin: ProviderPlugin<Record<string, never>> = {
  name: 'local',
  traits: {
    billed: false,
    proxiedPeers: false,
    installsRequirements: false,
    concurrentDuetPairs: false,
    agentsShareCpus: true
  },
  inputs: [],
  // The estimate is what the same sandbox lifetimes would cost on E2B.
  pricing: E2B_DEFAULT_PRICING,
  parse: () => ({}),
  create: (_s, ctx) => new LocalProvider({ runTag: ctx.runTag }),
  poolAgents: () => POOL_AGENTS,
  rawSecrets: () => [],
  secrets: () => [],
  describe: () => ({}),
  cleanupFlags: [],
  cleanup({ runTag, stdout }) {
    const killed = killPids(findTaggedProcesses(runTag).pids)
    stdout(`local: killed ${killed} agent process(es) tagged ${RUN_TAG_ENV}=${runTag}\n`)
    return Promise.resolve(0)
  },
  postStep({ runTag, info, warning }) {
    // The agents were child process groups of the main step and died with it. Check.
    const left = findTaggedProcesses(runTag)
    if (!left.checked) {
      info(`Local provider: no /proc on this runner, cannot check for agent processes of run ${runTag}`)
    } else if (left.pids.length === 0) {
      info(`Local provider: no agent process of run ${runTag} is alive; nothing to clean up`)
    } else {
      const killed = killPids(left.pids)
      warning(
        `Local provider: ${left.pids.length} agent process(es) of run ${runTag} outlived the main step; killed ${killed} (pids ${left.pids.join(', ')})`
      )
    }
    return Promise.resolve()
  },
  installExitCleanup,
  notes: {
    targets:
      'A local run cannot judge what a network will do: loopback meets latency targets written for E2B by ' +
      'wide margins.',
    reproduce: 'The local provider needs only Node.js and Python 3; no key.'
  }
}
