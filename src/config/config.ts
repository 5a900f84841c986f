// Inputs → a validated RunConfig: what the engine needs to run the matrix, shared by the CLI and the action.
import { randomBytes } from 'node:crypto'
import { BENCHMARK_IDS } from '../bench/catalog.js'
import {
  InputError,
  readBoolean,
  readEnum,
  readList,
  readNumber,
  readString,
  type InputReader
} from './input-table.js'
import { readRenamed } from './renames.js'
import {
  fallbackProviderPlugin,
  providerNames,
  providerPlugin,
  providerPlugins
} from '../sandbox/registry.js'
import type { ProviderName } from '../sandbox/types.js'
import {
  DUET_PAIRS,
  PROFILES,
  TOPOLOGIES,
  type Profile,
  type RunConfig,
  type Topology
} from './run-config.js'

export { PROFILES, TOPOLOGIES, type Profile, type RunConfig, type Topology }

/** Values of the `provider` input: `auto` and every registered provider. */
export function providerChoices(): string[] {
  return ['auto', ...providerNames()]
}

export interface ParseOptions {
  /** Told about each deprecated input name in use (the action: a warning annotation; the CLI: stderr). */
  warn?: (message: string) => void
}

export function parseRunConfig(
  raw: InputReader,
  env: NodeJS.ProcessEnv = process.env,
  opts: ParseOptions = {}
): RunConfig {
  const renames = Object.fromEntries(
    providerPlugins().flatMap(p => p.inputs.filter(i => i.deprecated).map(i => [i.input, i.deprecated!]))
  )
  const { read, named } = readRenamed(raw, renames, opts.warn ?? (() => {}))
  try {
    return parse(read, env)
  } catch (err) {
    throw named(err)
  }
}

function parse(read: InputReader, env: NodeJS.ProcessEnv): RunConfig {
  const providerInput = readEnum(read, 'provider', providerChoices(), 'auto')
  const providers = Object.fromEntries(providerPlugins().map(p => [p.name, p.parse(read, env)]))
  const { provider, providerReason } = chooseProvider(providerInput, providers)
  const plugin = providerPlugin(provider)
  plugin.validateChosen?.(providers[provider])
  const pricing = plugin.pricing
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
      usdPerVcpuSecond: readNumber(read, 'price-vcpu-second', pricing.usdPerVcpuSecond, {
        min: 0,
        max: 1
      }),
      usdPerGibSecond: readNumber(read, 'price-gib-second', pricing.usdPerGibSecond, {
        min: 0,
        max: 1
      })
    },
    costWindowSeconds: readNumber(read, 'cost-window-seconds', 0, { min: 0, max: 3600 }),
    providers,
    runTag: readString(read, 'run-tag', defaultRunTag(env), {
      pattern: /^[A-Za-z0-9_.-]{1,64}$/,
      accepted: 'up to 64 letters, digits, - _ .'
    }),
    failOnTarget: readBoolean(read, 'fail-on-target', false),
    duetPairs: readEnum(read, 'duet-pairs', DUET_PAIRS, 'auto')
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

/** `auto`: the first provider whose plug-in chooses itself, else the fallback (one without `auto`). */
function chooseProvider(
  input: string,
  settings: Record<string, unknown>
): { provider: ProviderName; providerReason: string } {
  if (input !== 'auto') return { provider: input, providerReason: `provider ${input} requested` }
  const declined: string[] = []
  for (const p of providerPlugins()) {
    const answer = p.auto?.(settings[p.name])
    if (answer?.chosen) return { provider: p.name, providerReason: `provider auto: ${answer.reason}` }
    if (answer) declined.push(answer.reason)
  }
  const fallback = fallbackProviderPlugin()
  return {
    provider: fallback.name,
    providerReason: `provider auto: ${declined.join('; ')}, running on the ${fallback.name} provider`
  }
}

function defaultRunTag(env: NodeJS.ProcessEnv): string {
  if (env.GITHUB_RUN_ID) return `gh-${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT ?? '1'}`
  return `local-${randomBytes(4).toString('hex')}`
}
