// The e2b provider's inputs and settings: its key, endpoints, template, plan and the plan's overrides. Read
// through the shared input reader, so the action and the CLI accept and reject the same values.
import { InputError, readEnum, readNumber, readString, type InputReader } from '../../config/input-table.js'
import type { ProviderInput } from '../plugin.js'
import { PLAN_PRESETS, type PlanName } from './plans.js'

export const PLANS = Object.keys(PLAN_PRESETS) as PlanName[]

export interface E2BSettings {
  apiKey: string
  apiUrl?: string
  sandboxUrl?: string
  domain?: string
  template: string
  plan: PlanName
  maxConcurrency: number
  createPerSecond: number
  sandboxTimeoutMs: number
}

/** Every input is `e2b-` prefixed; the names before issue #12 still work, with a deprecation warning. */
export const E2B_INPUTS: readonly ProviderInput[] = [
  { input: 'e2b-api-key', flag: '--e2b-api-key <key>', help: 'E2B API key (or env E2B_API_KEY)' },
  {
    input: 'e2b-template',
    flag: '--e2b-template <name>',
    help: 'E2B template (default base)',
    deprecated: ['template']
  },
  {
    input: 'e2b-plan',
    flag: '--e2b-plan <plan>',
    help: 'hobby | pro (sets concurrency and create-rate limits)'
  },
  {
    input: 'e2b-max-concurrency',
    flag: '--e2b-max-concurrency <n>',
    help: 'concurrent sandboxes (default from plan)',
    deprecated: ['max-concurrency']
  },
  {
    input: 'e2b-create-rate',
    flag: '--e2b-create-rate <n>',
    help: 'sandbox creations per second (default from plan)',
    deprecated: ['create-rate']
  },
  {
    input: 'e2b-sandbox-timeout-seconds',
    flag: '--e2b-sandbox-timeout-seconds <s>',
    help: 'safety lifetime of each sandbox (default 900)',
    deprecated: ['sandbox-timeout-seconds']
  },
  { input: 'e2b-api-url', flag: '--e2b-api-url <url>', help: 'E2B API URL (or env E2B_API_URL)' },
  {
    input: 'e2b-sandbox-url',
    flag: '--e2b-sandbox-url <url>',
    help: 'E2B sandbox URL (or env E2B_SANDBOX_URL)'
  },
  { input: 'e2b-domain', flag: '--e2b-domain <domain>', help: 'E2B domain (or env E2B_DOMAIN)' }
]

/** The key from the input or the environment ('' when neither is set). */
export function readApiKey(read: InputReader, env: NodeJS.ProcessEnv): string {
  return read('e2b-api-key').trim() || env.E2B_API_KEY?.trim() || ''
}

export function parseE2BSettings(read: InputReader, env: NodeJS.ProcessEnv): E2BSettings {
  const plan = readEnum(read, 'e2b-plan', PLANS, 'hobby')
  const limits = PLAN_PRESETS[plan]
  return {
    apiKey: readApiKey(read, env),
    apiUrl: optionalUrl(read, 'e2b-api-url', env.E2B_API_URL),
    sandboxUrl: optionalUrl(read, 'e2b-sandbox-url', env.E2B_SANDBOX_URL),
    domain:
      readString(read, 'e2b-domain', env.E2B_DOMAIN ?? '', {
        pattern: /^[a-z0-9.-]+$/i,
        accepted: 'a domain name such as e2b.app'
      }) || undefined,
    template: readString(read, 'e2b-template', 'base', {
      pattern: /^[A-Za-z0-9_./:-]{1,128}$/,
      accepted: 'an E2B template name or id (letters, digits, - _ . / :)'
    }),
    plan,
    maxConcurrency: readNumber(read, 'e2b-max-concurrency', limits.maxConcurrency, {
      min: 1,
      max: 1000,
      integer: true
    }),
    createPerSecond: readNumber(read, 'e2b-create-rate', limits.createPerSecond, { min: 0.01, max: 100 }),
    sandboxTimeoutMs:
      readNumber(read, 'e2b-sandbox-timeout-seconds', 900, { min: 60, max: 86_400, integer: true }) * 1000
  }
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

/** The e2b settings of a parsed config (every provider's are parsed, whichever runs). */
export function e2bSettings(config: { providers: Record<string, unknown> }): E2BSettings {
  return config.providers.e2b as E2BSettings
}
