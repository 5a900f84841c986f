// Providers are plug-ins (issue #12): a provider is its folder under src/sandbox/ plus one registry line. A
// throwaway provider registered through the registry alone runs the CLI end to end, and no code outside
// src/sandbox/ may branch on a provider's name.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main, type CliIO } from '../src/cli/main.js'
import { readResults } from '../src/results/io.js'
import { REPORT_FILE, RESULTS_FILE } from '../src/results/schema.js'
import { ForwardingProvider } from '../src/sandbox/forwarding.js'
import { localPlugin } from '../src/sandbox/local/plugin.js'
import type { ProviderPlugin } from '../src/sandbox/plugin.js'
import { providerNames, registerProvider } from '../src/sandbox/registry.js'
import type { Provider, ProviderInfo } from '../src/sandbox/types.js'
import { newRunTag, waitForNoProcesses } from './support/processes.js'

const ROOT = join(import.meta.dirname, '..')
const dir = mkdtempSync(join(tmpdir(), 'provider-plugins-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const io: CliIO = { stdout: t => void (out += t), stderr: t => void (err += t), env: {} }
  return { code: await main(args, io), out, err }
}

/** The local provider under another name, with one input of its own: all a provider is to the rest of the code. */
interface FakeSettings {
  label: string
}
const created: string[] = []
const cleaned: string[] = []
const fakePlugin: ProviderPlugin<FakeSettings> = {
  ...(localPlugin as unknown as ProviderPlugin<FakeSettings>),
  name: 'fake',
  inputs: [
    { input: 'fake-label', flag: '--fake-label <text>', help: 'a label', deprecated: ['fake-old-label'] }
  ],
  parse: read => ({ label: read('fake-label').trim() || 'none' }),
  create(settings, ctx) {
    const inner = localPlugin.create({}, ctx)
    return new (class extends ForwardingProvider {
      override get info(): ProviderInfo {
        return { ...inner.info, name: 'fake', description: `fake provider (${settings.label})` }
      }
      override create(opts: Parameters<Provider['create']>[0]) {
        created.push(opts.label)
        return inner.create(opts)
      }
    })(inner)
  },
  describe: s => ({ template: `fake:${s.label}` }),
  cleanup({ runTag, stdout }) {
    cleaned.push(runTag)
    stdout(`fake: nothing left of ${runTag}\n`)
    return Promise.resolve(0)
  },
  notes: { reproduce: 'The fake provider needs nothing.' }
}

describe('a provider registered through the registry alone', () => {
  let unregister: () => void
  beforeAll(() => {
    unregister = registerProvider(fakePlugin as ProviderPlugin)
  })
  afterAll(() => unregister())

  it('runs a benchmark from the CLI, with its own flag, and is named in the results and the report', async () => {
    const out = join(dir, 'run')
    const tag = newRunTag('fake-provider')
    const r = await cli([
      'run',
      ...['--provider', 'fake', '--fake-label', 'throwaway', '--only', 'trading.strategy-execution'],
      ...['--out', out, '--run-tag', tag]
    ])
    expect(r.code, r.err).toBe(0)
    expect(created.length).toBeGreaterThan(0)
    const read = readResults(join(out, RESULTS_FILE))
    if (!read.ok) throw new Error(read.reason)
    const results = read.results
    expect(results.run.provider).toBe('fake')
    expect(results.run.environment.providerDetails).toMatchObject({
      name: 'fake',
      description: 'fake provider (throwaway)',
      template: 'fake:throwaway',
      nominalAllocation: true
    })
    expect(results.benchmarks.map(b => [b.id, b.status])).toEqual([['trading.strategy-execution', 'passed']])
    expect(results.cost.estimated).toBe(true)
    expect(readFileSync(join(out, REPORT_FILE), 'utf8')).toContain('The fake provider needs nothing.')
    expect(await waitForNoProcesses(tag, 5000)).toEqual([])
  }, 120_000)

  it('is a value of --provider, its old input name warns, and cleanup sweeps it', async () => {
    expect(providerNames()).toEqual(['local', 'e2b', 'fake'])
    const bad = await cli(['run', '--provider', 'nope'])
    expect(bad.code).toBe(2)
    expect(bad.err).toMatch(/--provider.*auto, local, e2b, fake/s)
    const sweep = await cli(['cleanup', '--run-tag', 'fake-1', '--provider', 'fake'])
    expect(sweep.code).toBe(0)
    expect(sweep.out).toBe('fake: nothing left of fake-1\n')
    expect(cleaned).toEqual(['fake-1'])
  })

  it('is gone from every list once unregistered', () => {
    const undo = registerProvider({ ...fakePlugin, name: 'fake-2' } as ProviderPlugin)
    expect(providerNames()).toContain('fake-2')
    expect(() => registerProvider({ ...fakePlugin, name: 'fake-2' } as ProviderPlugin)).toThrow(
      /already registered/
    )
    undo()
    expect(providerNames()).not.toContain('fake-2')
  })
})

describe('no code outside src/sandbox/ knows a provider by name', () => {
  const files = (d: string): string[] =>
    readdirSync(d).flatMap(n => {
      const p = join(d, n)
      return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
    })
  const outside = files(join(ROOT, 'src')).filter(f => !relative(ROOT, f).startsWith(join('src', 'sandbox')))
  // Comments may speak of E2B and of local runs; code may not compare with their names.
  const code = (f: string): string =>
    readFileSync(f, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/(^|[^:'"`])\/\/.*$/gm, '$1')

  it('has files to scan', () => {
    expect(outside.length).toBeGreaterThan(50)
    expect(existsSync(join(ROOT, 'src', 'sandbox', 'registry.ts'))).toBe(true)
  })

  it('uses no provider name as a string literal (a comparison, a switch case, a list of names)', () => {
    const names = providerNames().join('|')
    const literal = new RegExp(`(['"\\x60])(${names})\\1`)
    const found = outside.flatMap(f =>
      code(f)
        .split('\n')
        .flatMap((line, i) => (literal.test(line) ? [`${relative(ROOT, f)}:${i + 1}: ${line.trim()}`] : []))
    )
    expect(found).toEqual([])
  })

  it('reaches a provider only through the registry, never its folder', () => {
    const folders = providerNames().join('|')
    const direct = new RegExp(`from '[./]*(?:\\.\\./)*sandbox/(${folders})/`)
    const found = outside.filter(f => direct.test(code(f))).map(f => relative(ROOT, f))
    expect(found).toEqual([])
  })
})
