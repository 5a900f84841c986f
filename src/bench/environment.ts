// What a run records about where it ran: the machine, the provider as the run found it, the git context of the
// workflow, and this tool's version.
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RunConfig } from '../config/config.js'
import type { Environment, Results } from '../results/schema.js'
import { providerPlugin } from '../sandbox/registry.js'
import type { Provider, Sandbox } from '../sandbox/types.js'
import type { Swarm } from '../swarm/swarm.js'
import type { SwarmPool } from './pool.js'

/** Measures the machine and the provider as this run finds them. */
export class EnvironmentProbe {
  readonly preexisting: Set<Sandbox>
  readonly preexistingLabels: Set<string>
  private python: string | undefined
  private hooks: Environment['hooks']
  /** Each sandbox's requirements install (e2b-requirements): reported here, never in a benchmark figure. */
  private readonly installMs: number[] = []
  private allocation: { vcpu: number; memoryMiB: number } | undefined

  constructor(
    private readonly provider: Provider,
    private readonly config: RunConfig
  ) {
    this.preexisting = new Set(provider.live())
    this.preexistingLabels = new Set(provider.usage().map(u => u.label))
  }

  observe(swarm: Swarm): void {
    this.python ??= swarm.deployReport.python
    // The head's hooks (a duet's base side may lack them): what the report names as the user's.
    if (!swarm.deployReport.label.endsWith(':base')) this.hooks ??= swarm.deployReport.hooks
    this.allocation ??= swarm.sandboxes[0]?.allocation
    for (const a of swarm.deployReport.agents) if (a.installMs !== undefined) this.installMs.push(a.installMs)
  }

  environment(pool: SwarmPool): Environment {
    const cpus = os.cpus()
    const details: Environment['providerDetails'] = {
      name: this.provider.info.name,
      description: this.provider.info.description,
      nominalAllocation: this.provider.info.nominalAllocation,
      runTag: this.config.runTag,
      swarmsDeployed: pool.stats.deployed,
      swarmsReused: pool.stats.reused
    }
    if (this.allocation) {
      details.allocationVcpu = this.allocation.vcpu
      details.allocationMemoryMiB = this.allocation.memoryMiB
    }
    if (this.installMs.length > 0) {
      details.requirementsInstalls = this.installMs.length
      details.requirementsInstallMsMax = Math.round(Math.max(...this.installMs))
    }
    const name = this.provider.info.name
    Object.assign(details, providerPlugin(name).describe(this.config.providers[name]))
    return {
      node: process.version,
      python: this.python,
      platform: process.platform,
      arch: process.arch,
      cpus: Math.max(1, cpus.length || os.availableParallelism()),
      cpuModel: cpus[0]?.model?.trim() || 'unknown',
      memoryTotalBytes: os.totalmem(),
      providerDetails: details,
      ...(this.hooks ? { hooks: this.hooks } : {})
    }
  }
}

export function gitInfo(): Results['run']['git'] {
  const e = process.env
  if (!e.GITHUB_SHA && !e.GITHUB_REF && !e.GITHUB_RUN_ID) return undefined
  return { sha: e.GITHUB_SHA, ref: e.GITHUB_REF, runId: e.GITHUB_RUN_ID }
}

let cachedVersion: string | undefined
/** Version from our package.json, found by walking up from this module (works from src/ and from dist/). */
export function toolVersion(): string {
  if (cachedVersion) return cachedVersion
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string
        version?: string
      }
      if (pkg.name === 'swarm-bench-action' && pkg.version) return (cachedVersion = pkg.version)
    } catch {
      // not here
    }
    const up = dirname(dir)
    if (up === dir) break
    dir = up
  }
  return (cachedVersion = '0.0.0-unknown')
}
