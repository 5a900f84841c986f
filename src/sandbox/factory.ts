// RunConfig → the provider it names, built by that provider's plug-in from its own settings.
import type { RunConfig } from '../config/config.js'
import { RUN_TAG_METADATA } from './agent-files.js'
import { providerPlugin } from './registry.js'
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
  return providerPlugin(config.provider).create(config.providers[config.provider], {
    runTag: config.runTag,
    metadata: runMetadata(config, opts.env),
    log: opts.log
  })
}
