// The e2b provider as a plug-in: one E2B sandbox per agent through the real SDK, billed by allocation, its
// leftovers swept by their run tag (the post step, `swarm-bench cleanup`).
import { InputError } from '../../config/input-table.js'
import { errorText } from '../../errors.js'
import { RUN_TAG_METADATA } from '../agent-files.js'
import type { ProviderPlugin } from '../plugin.js'
import { E2B_INPUTS, parseE2BSettings, readApiKey, type E2BSettings } from './config.js'
import { E2B_DEFAULT_PRICING } from './pricing.js'
import { E2BProvider } from './provider.js'
import { sweepSandboxes, sweepSandboxesDetailed } from './sweep.js'

/** Step state the post step reads, so its sweep asks the same service as the run (only when not the default). */
const STATE = { apiUrl: 'e2b-api-url', domain: 'e2b-domain' } as const

export const e2bPlugin: ProviderPlugin<E2BSettings> = {
  name: 'e2b',
  traits: {
    billed: true,
    proxiedPeers: true,
    installsRequirements: true,
    concurrentDuetPairs: true,
    agentsShareCpus: false
  },
  inputs: E2B_INPUTS,
  pricing: E2B_DEFAULT_PRICING,
  parse: parseE2BSettings,
  auto: s =>
    s.apiKey
      ? { chosen: true, reason: 'an E2B API key is set, running on E2B' }
      : { chosen: false, reason: 'no E2B API key (input e2b-api-key or env E2B_API_KEY)' },
  validateChosen(s) {
    if (!s.apiKey)
      throw new InputError(
        'e2b-api-key',
        '',
        'an E2B API key when provider is e2b (or set the E2B_API_KEY env var)'
      )
  },
  create: (s, ctx) =>
    new E2BProvider({
      apiKey: s.apiKey,
      apiUrl: s.apiUrl,
      sandboxUrl: s.sandboxUrl,
      domain: s.domain,
      template: s.template,
      timeoutMs: s.sandboxTimeoutMs,
      plan: s.plan,
      limits: { maxConcurrency: s.maxConcurrency, createPerSecond: s.createPerSecond },
      metadata: ctx.metadata,
      // Agent ports are reachable only with the sandbox's traffic token (peers get it in their link headers);
      // an open port would let anyone on the internet reach the agents' peer servers.
      allowPublicTraffic: false,
      log: ctx.log
    }),
  // The plan's concurrency: more idle swarms than that could not exist at once.
  poolAgents: s => s.maxConcurrency,
  rawSecrets: (read, env) => [read('e2b-api-key'), env.E2B_API_KEY],
  secrets: s => [s.apiKey],
  describe: s => ({
    template: s.template,
    plan: s.plan,
    maxConcurrency: s.maxConcurrency,
    createPerSecond: s.createPerSecond
  }),
  state: s => ({
    ...(s.apiUrl ? { [STATE.apiUrl]: s.apiUrl } : {}),
    ...(s.domain ? { [STATE.domain]: s.domain } : {})
  }),
  cleanupFlags: [
    { flag: '--e2b-api-key <key>', help: 'E2B API key (or env E2B_API_KEY)' },
    { flag: '--e2b-api-url <url>', help: 'E2B API URL (or env E2B_API_URL)' },
    { flag: '--e2b-domain <domain>', help: 'E2B domain (or env E2B_DOMAIN)' }
  ],
  async cleanup({ runTag, opts, env, named, stdout, stderr }) {
    const apiKey = String(opts.e2bApiKey ?? env.E2B_API_KEY ?? '').trim()
    if (!apiKey) {
      if (named) {
        stderr('error: --e2b-api-key (or env E2B_API_KEY) is required to sweep E2B sandboxes\n')
        return 2
      }
      stdout('e2b: skipped (no API key)\n')
      return 0
    }
    try {
      const n = await sweepSandboxes({
        apiKey,
        apiUrl: (opts.e2bApiUrl as string | undefined) ?? env.E2B_API_URL,
        domain: (opts.e2bDomain as string | undefined) ?? env.E2B_DOMAIN,
        metadata: { [RUN_TAG_METADATA]: runTag }
      })
      stdout(`e2b: killed ${n} sandbox(es) tagged ${RUN_TAG_METADATA}=${runTag}\n`)
      return 0
    } catch (err) {
      stderr(`error: e2b sweep failed: ${errorText(err)}\n`)
      return 1
    }
  },
  async postStep({ runTag, read, env, state, info, warning }) {
    // E2B sandboxes outlive a killed main step (until their timeout, billing and holding plan slots).
    const apiKey = readApiKey(read, env)
    if (!apiKey) {
      warning(
        `Cannot sweep E2B sandboxes of run ${runTag}: no e2b-api-key input or E2B_API_KEY env in the post step`
      )
      return
    }
    const report = await sweepSandboxesDetailed({
      apiKey,
      apiUrl: state(STATE.apiUrl) || env.E2B_API_URL || undefined,
      domain: state(STATE.domain) || env.E2B_DOMAIN || undefined,
      metadata: { [RUN_TAG_METADATA]: runTag },
      log: info
    })
    const line =
      `E2B sweep of run ${runTag}: ${report.found} sandbox(es) still alive, ${report.killed} killed, ` +
      `${report.alreadyGone} already gone, ${report.failed.length} failed`
    if (report.killed > 0 || report.failed.length > 0) warning(line)
    else info(line)
    for (const f of report.failed) warning(`could not kill sandbox ${f.sandboxId}: ${f.error}`)
  },
  notes: { reproduce: 'The E2B provider needs an API key in `E2B_API_KEY`.' }
}
