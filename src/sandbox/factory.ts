// RunConfig → the provider it names. The only place that chooses between local child processes and E2B.
import type { RunConfig } from '../config/config.js'
import { RUN_TAG_METADATA } from './agent-files.js'
import { E2BProvider } from './e2b/provider.js'
import { LocalProvider } from './local/provider.js'
import type { Provider } from './types.js'

export interface CreateProviderOptions {
  log?: (message: string) => void
  env?: NodeJS.ProcessEnv
}

/** Metadata every sandbox of the run carries, so `swarm-bench cleanup --run-tag` and the post step find them. */
export function runMetadata(config: RunConfig, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const meta: Record<string, string> = { [RUN_TAG_METADATA]: config.runTag }
  if (env.GITHUB_REPOSITORY) meta['github-repository'] = env.GITHUB_REPOSITORY
  if (env.GITHUB_JOB) meta['github-job'] = env.GITHUB_JOB
  return meta
}

export function createProvider(config: RunConfig, opts: CreateProviderOptions = {}): Provider {
  if (config.provider === 'local') return new LocalProvider({ runTag: config.runTag })
  const e = config.e2b
  return new E2BProvider({
    apiKey: e.apiKey,
    apiUrl: e.apiUrl,
    sandboxUrl: e.sandboxUrl,
    domain: e.domain,
    template: e.template,
    timeoutMs: e.sandboxTimeoutMs,
    plan: e.plan,
    limits: { maxConcurrency: e.maxConcurrency, createPerSecond: e.createPerSecond },
    metadata: runMetadata(config, opts.env),
    // Agent ports are reachable only with the sandbox's traffic token (peers get it in their link headers);
    // an open port would let anyone on the internet reach the agents' peer servers.
    allowPublicTraffic: false,
    log: opts.log
  })
}
