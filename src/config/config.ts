// Inputs → a validated RunConfig: what the engine needs to run the matrix, shared by the CLI and the action.
import { randomBytes } from 'node:crypto'
import { BENCHMARK_IDS } from '../bench/catalog.js'
import { TOPOLOGY_NAMES } from '../swarm/topology.js'
import {
  InputError,
  readBoolean,
  readEnum,
  readList,
  readNumber,
  readString,
  type InputReader
} from './inputs.js'
import { E2B_DEFAULT_PRICING } from '../sandbox/e2b/pricing.js'
import { PLAN_PRESETS, type PlanName } from '../sandbox/e2b/plans.js'

export const PROVIDERS = ['auto', 'local', 'e2b'] as const
export const PROFILES = ['quick', 'full'] as const
export const TOPOLOGIES = TOPOLOGY_NAMES
export const PLANS = Object.keys(PLAN_PRESETS) as PlanName[]

export type Profile = (typeof PROFILES)[number]
export type Topology = (typeof TOPOLOGIES)[number]
export type Plan = PlanName

// E2B's prices and plan limits live once, beside the code that uses them (cost/pricing.ts, sandbox/limits.ts).
const DEFAULT_PRICING = E2B_DEFAULT_PRICING
const PLAN_LIMITS = PLAN_PRESETS

export interface E2BConfig {
  apiKey: string
  apiUrl?: string
  sandboxUrl?: string
  domain?: string
  template: string
  plan: Plan
  maxConcurrency: number
  createPerSecond: number
  sandboxTimeoutMs: number
}

export interface RunConfig {
  provider: 'local' | 'e2b'
  /** Why the provider was chosen, for a notice when `auto` fell back to local. */
  providerReason: string
  profile: Profile
  topologies: Topology[]
  /** Benchmark ids to run; all when the input was empty. */
  only: string[]
  outDir: string
  strategyPath?: string
  /** The user's agent hooks: a Python module (or package folder) loaded in every agent (see docs/protocol.md). */
  agentHooks?: string
  /** JSON object handed to the hooks' setup(config). */
  hooksConfig: Record<string, unknown>
  /** Budget of each hook call inside the agent. */
  hooksTimeoutMs: number
  /** A pip requirements file installed once per E2B sandbox before its agent starts (timed apart). */
  e2bRequirements?: string
  pricing: { usdPerVcpuSecond: number; usdPerGibSecond: number }
  /** Window over which costs.by-topology measures a workload (the seed used 60 s). */
  costWindowSeconds: number
  e2b: E2BConfig
  /** Tag put on every sandbox and agent process of this run, so sweeps find them. */
  runTag: string
  failOnTarget: boolean
}

export function parseRunConfig(read: InputReader, env: NodeJS.ProcessEnv = process.env): RunConfig {
  const providerInput = readEnum(read, 'provider', PROVIDERS, 'auto')
  const apiKey = read('e2b-api-key').trim() || env.E2B_API_KEY?.trim() || ''
  let provider: 'local' | 'e2b'
  let providerReason: string
  if (providerInput === 'auto') {
    provider = apiKey ? 'e2b' : 'local'
    providerReason = apiKey
      ? 'provider auto: an E2B API key is set, running on E2B'
      : 'provider auto: no E2B API key (input e2b-api-key or env E2B_API_KEY), running on the local provider'
  } else {
    provider = providerInput
    providerReason = `provider ${providerInput} requested`
  }
  if (provider === 'e2b' && !apiKey) {
    throw new InputError(
      'e2b-api-key',
      '',
      'an E2B API key when provider is e2b (or set the E2B_API_KEY env var)'
    )
  }
  const plan = readEnum(read, 'e2b-plan', PLANS, 'hobby')
  const limits = PLAN_LIMITS[plan]
  const e2b: E2BConfig = {
    apiKey,
    apiUrl: optionalUrl(read, 'e2b-api-url', env.E2B_API_URL),
    sandboxUrl: optionalUrl(read, 'e2b-sandbox-url', env.E2B_SANDBOX_URL),
    domain:
      readString(read, 'e2b-domain', env.E2B_DOMAIN ?? '', {
        pattern: /^[a-z0-9.-]+$/i,
        accepted: 'a domain name such as e2b.app'
      }) || undefined,
    template: readString(read, 'template', 'base', {
      pattern: /^[A-Za-z0-9_./:-]{1,128}$/,
      accepted: 'an E2B template name or id (letters, digits, - _ . / :)'
    }),
    plan,
    maxConcurrency: readNumber(read, 'max-concurrency', limits.maxConcurrency, {
      min: 1,
      max: 1000,
      integer: true
    }),
    createPerSecond: readNumber(read, 'create-rate', limits.createPerSecond, { min: 0.01, max: 100 }),
    sandboxTimeoutMs:
      readNumber(read, 'sandbox-timeout-seconds', 900, { min: 60, max: 86_400, integer: true }) * 1000
  }
  const onlyRaw = read('only').trim()
  return {
    provider,
    providerReason,
    profile: readEnum(read, 'profile', PROFILES, 'quick'),
    topologies: readList(read, 'topologies', TOPOLOGIES, ['mesh', 'hierarchical', 'ring']),
    only: onlyRaw ? readList(read, 'only', BENCHMARK_IDS, BENCHMARK_IDS) : [...BENCHMARK_IDS],
    outDir: readString(read, 'out', '.', { maxLength: 4096 }),
    strategyPath: readString(read, 'strategy-path', '', { maxLength: 4096 }) || undefined,
    agentHooks: readString(read, 'agent-hooks', '', { maxLength: 4096 }) || undefined,
    hooksConfig: readJsonObject(read, 'hooks-config'),
    hooksTimeoutMs: readNumber(read, 'hooks-timeout-ms', 1000, { min: 1, max: 600_000, integer: true }),
    e2bRequirements: readString(read, 'e2b-requirements', '', { maxLength: 4096 }) || undefined,
    pricing: {
      usdPerVcpuSecond: readNumber(read, 'price-vcpu-second', DEFAULT_PRICING.usdPerVcpuSecond, {
        min: 0,
        max: 1
      }),
      usdPerGibSecond: readNumber(read, 'price-gib-second', DEFAULT_PRICING.usdPerGibSecond, {
        min: 0,
        max: 1
      })
    },
    costWindowSeconds: readNumber(read, 'cost-window-seconds', 0, { min: 0, max: 3600 }),
    e2b,
    runTag: readString(read, 'run-tag', defaultRunTag(env), {
      pattern: /^[A-Za-z0-9_.-]{1,64}$/,
      accepted: 'up to 64 letters, digits, - _ .'
    }),
    failOnTarget: readBoolean(read, 'fail-on-target', false)
  }
}

/** A JSON object given inline (`{"risk": 0.5}`); empty gives {}. */
function readJsonObject(read: InputReader, name: string): Record<string, unknown> {
  const raw = readString(read, name, '', { maxLength: 65_536 })
  if (!raw) return {}
  let v: unknown
  try {
    v = JSON.parse(raw)
  } catch {
    v = undefined
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new InputError(name, raw, 'a JSON object such as {"risk": 0.5}')
  }
  return v as Record<string, unknown>
}

function optionalUrl(read: InputReader, name: string, fallback: string | undefined): string | undefined {
  const raw = read(name).trim() || fallback?.trim() || ''
  if (!raw) return undefined
  try {
    const u = new URL(raw)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol')
    return raw.replace(/\/+$/, '')
  } catch {
    throw new InputError(name, raw, 'an http:// or https:// URL')
  }
}

function defaultRunTag(env: NodeJS.ProcessEnv): string {
  if (env.GITHUB_RUN_ID) return `gh-${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT ?? '1'}`
  return `local-${randomBytes(4).toString('hex')}`
}
