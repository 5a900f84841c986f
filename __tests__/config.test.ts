import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BENCHMARK_IDS } from '../src/bench/catalog.js'
import { parseRunConfig, type RunConfig } from '../src/config/config.js'
import { InputConflictError } from '../src/config/renames.js'
import { readActionInputs } from '../src/action/read-inputs.js'
import { parseActionConfig } from '../src/config/action-config.js'
import { InputError } from '../src/config/input-table.js'
import { e2bSettings } from '../src/sandbox/e2b/config.js'
import {
  isInside,
  onPseudoFilesystem,
  prepareOutDir,
  splitAtExisting,
  workspaceStrategyPath
} from '../src/config/paths.js'

const reader = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? ''

describe('parseRunConfig', () => {
  it('defaults to a quick local run when no key is present', () => {
    const c = parseRunConfig(reader({}), {})
    expect(c.provider).toBe('local')
    expect(c.providerReason).toMatch(/no E2B API key/)
    expect(c.profile).toBe('quick')
    expect(c.topologies).toEqual(['mesh', 'hierarchical', 'ring'])
    expect(c.only).toHaveLength(BENCHMARK_IDS.length)
    expect(e2bSettings(c).maxConcurrency).toBe(20)
    expect(e2bSettings(c).createPerSecond).toBe(1)
  })

  it('auto picks e2b when a key is in the environment, and applies plan presets and overrides', () => {
    const c = parseRunConfig(reader({ 'e2b-plan': 'pro', 'create-rate': '2' }), { E2B_API_KEY: 'k' })
    expect(c.provider).toBe('e2b')
    expect(e2bSettings(c).apiKey).toBe('k')
    expect(e2bSettings(c).maxConcurrency).toBe(100)
    expect(e2bSettings(c).createPerSecond).toBe(2)
  })

  it('parses lists, all, and de-duplicates', () => {
    expect(parseRunConfig(reader({ topologies: 'all' }), {}).topologies).toEqual([
      'mesh',
      'hierarchical',
      'ring',
      'star'
    ])
    expect(parseRunConfig(reader({ topologies: 'ring, Mesh,ring' }), {}).topologies).toEqual(['ring', 'mesh'])
    expect(parseRunConfig(reader({ only: 'trading.consensus' }), {}).only).toEqual(['trading.consensus'])
  })

  const bad: [string, Record<string, string>, RegExp][] = [
    ['unknown provider', { provider: 'docker' }, /'provider'.*"docker".*auto, local, e2b/],
    ['e2b without key', { provider: 'e2b' }, /'e2b-api-key'.*E2B_API_KEY/],
    ['unknown profile', { profile: 'fast' }, /'profile'.*"fast".*quick, full/],
    [
      'unknown topology',
      { topologies: 'mesh,torus' },
      /'topologies'.*"torus".*mesh, hierarchical, ring, star/
    ],
    ['unknown benchmark id', { only: 'trading.nope' }, /'only'.*"trading.nope".*creation.swarm-init/],
    ['negative concurrency', { 'max-concurrency': '-1' }, /'max-concurrency'.*integer from 1 to 1000/],
    ['fractional concurrency', { 'max-concurrency': '2.5' }, /'max-concurrency'/],
    ['huge concurrency', { 'max-concurrency': '1e12' }, /'max-concurrency'/],
    ['non-numeric rate', { 'create-rate': 'fast' }, /'create-rate'.*number from 0.01 to 100/],
    ['hex number', { 'price-vcpu-second': '0x10' }, /'price-vcpu-second'/],
    ['Infinity', { 'cost-window-seconds': 'Infinity' }, /'cost-window-seconds'/],
    ['bad boolean', { 'fail-on-target': 'maybe' }, /'fail-on-target'.*true or false/],
    ['bad template', { template: 'a b' }, /'template'/],
    ['bad e2b-template', { 'e2b-template': 'a b' }, /'e2b-template'.*an E2B template name/],
    [
      'bad e2b-max-concurrency',
      { 'e2b-max-concurrency': '0' },
      /'e2b-max-concurrency'.*integer from 1 to 1000/
    ],
    ['bad e2b-create-rate', { 'e2b-create-rate': 'fast' }, /'e2b-create-rate'.*number from 0.01 to 100/],
    ['bad url', { 'e2b-api-url': 'ftp://x' }, /'e2b-api-url'.*http/],
    ['unknown plan', { 'e2b-plan': 'enterprise' }, /'e2b-plan'.*hobby, pro/]
  ]
  it.each(bad)('rejects %s with a message naming the input', (_label, inputs, message) => {
    let err: unknown
    try {
      parseRunConfig(reader(inputs), {})
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(InputError)
    expect((err as Error).message).toMatch(message)
  })
})

describe('renamed inputs: E2B-only inputs carry the e2b- prefix, the old names still work with a warning', () => {
  const renamed: [string, string, string, (c: RunConfig) => unknown, unknown][] = [
    ['template', 'e2b-template', 'my-template', c => e2bSettings(c).template, 'my-template'],
    ['max-concurrency', 'e2b-max-concurrency', '7', c => e2bSettings(c).maxConcurrency, 7],
    ['create-rate', 'e2b-create-rate', '0.5', c => e2bSettings(c).createPerSecond, 0.5],
    [
      'sandbox-timeout-seconds',
      'e2b-sandbox-timeout-seconds',
      '120',
      c => e2bSettings(c).sandboxTimeoutMs,
      120_000
    ]
  ]
  const parse = (inputs: Record<string, string>) => {
    const warnings: string[] = []
    const config = parseRunConfig(reader(inputs), {}, { warn: m => warnings.push(m) })
    return { config, warnings }
  }

  it.each(renamed)(
    '%s → %s: the old name is read and warns once, naming both',
    (old, now, value, get, want) => {
      const viaOld = parse({ [old]: value })
      expect(get(viaOld.config)).toEqual(want)
      expect(viaOld.warnings).toEqual([
        `Input '${old}' is deprecated: use '${now}' instead (the old name is removed in the next major release)`
      ])
      const viaNew = parse({ [now]: value })
      expect(get(viaNew.config)).toEqual(want)
      expect(viaNew.warnings).toEqual([])
      // The same value under both names is no conflict, but the old name still warns.
      const both = parse({ [old]: value, [now]: value })
      expect(get(both.config)).toEqual(want)
      expect(both.warnings).toHaveLength(1)
    }
  )

  it.each(renamed)('%s and %s set to different values: an error naming both', (old, now, value) => {
    let err: unknown
    try {
      parse({ [old]: value, [now]: `${value}9` })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(InputConflictError)
    expect(err).toBeInstanceOf(InputError)
    expect((err as Error).message).toBe(
      `Inputs '${old}' (deprecated) and '${now}' are both set, to ${JSON.stringify(value)} and ` +
        `${JSON.stringify(`${value}9`)}: set only '${now}'`
    )
  })

  it("the action's reader warns through the action's warning and fails on a conflict", () => {
    const warnings: string[] = []
    const config = readActionInputs(reader({ 'create-rate': '2' }), {}, process.cwd(), m => warnings.push(m))
    expect(e2bSettings(config).createPerSecond).toBe(2)
    expect(warnings).toEqual([
      "Input 'create-rate' is deprecated: use 'e2b-create-rate' instead (the old name is removed in the next major release)"
    ])
    expect(() => readActionInputs(reader({ template: 'a', 'e2b-template': 'b' }), {})).toThrow(
      /Inputs 'template' \(deprecated\) and 'e2b-template' are both set/
    )
  })
})

describe('parseActionConfig', () => {
  it('has action defaults', () => {
    const c = parseActionConfig(reader({}), {})
    expect(c.outDir).toBe('swarm-bench')
    expect(c.comment).toBe('always')
    expect(c.failOnRegression).toBe(true)
    expect(c.regressionThresholdPct).toBe(10)
    expect(c.retentionDays).toBe(30)
    expect(c.historyRuns).toBe(100)
    expect(parseActionConfig(reader({ 'history-runs': '0' }), {}).historyRuns).toBe(0)
    expect(parseActionConfig(reader({ 'history-runs': '500' }), {}).historyRuns).toBe(500)
  })

  it.each([
    ['comment', 'sometimes', /'comment'.*always, on-change, on-regression, never/],
    ['duet', 'on', /'duet'.*auto, off/],
    ['retention-days', '365', /'retention-days'.*1 to 90/],
    ['history-runs', '501', /'history-runs'.*an integer from 0 to 500/],
    ['history-runs', '2.5', /'history-runs'.*an integer from 0 to 500/],
    ['regression-threshold', '-5', /'regression-threshold'/],
    ['artifact-name', 'a/b', /'artifact-name'/],
    ['fail-on-regression', 'yes please', /'fail-on-regression'/]
  ])('rejects %s=%s', (name, value, message) => {
    expect(() => parseActionConfig(reader({ [name]: value }), {})).toThrow(message)
  })
})

describe('path inputs on the file system', () => {
  const withDir = (fn: (dir: string) => void): void => {
    const dir = mkdtempSync(join(tmpdir(), 'swarm-bench-paths-'))
    try {
      fn(dir)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }

  it('isInside compares path components, not string prefixes', () => {
    expect(isInside('/ws', '/ws')).toBe(true)
    expect(isInside('/ws', '/ws/a/b.py')).toBe(true)
    expect(isInside('/ws', '/ws2/b.py')).toBe(false)
    expect(isInside('/ws', '/etc/passwd')).toBe(false)
    expect(isInside('/ws', '/ws/..foo/b.py')).toBe(true)
  })

  it('a strategy must be a file whose real path stays in the workspace, symlinks included', () => {
    withDir(dir => {
      const ws = join(dir, 'ws')
      mkdirSync(join(ws, 'sub'), { recursive: true })
      writeFileSync(join(ws, 'sub', 'strategy.py'), 'def decide(bars, state):\n    return {}\n')
      writeFileSync(join(dir, 'outside.py'), 'x')
      symlinkSync(join(ws, 'sub', 'strategy.py'), join(ws, 'inner-link.py'))
      symlinkSync('/etc/passwd', join(ws, 'passwd-link.py'))
      symlinkSync(join(dir, 'outside.py'), join(ws, 'sub', 'outside-link.py'))
      expect(workspaceStrategyPath('sub/strategy.py', ws)).toBe(join(ws, 'sub', 'strategy.py'))
      expect(workspaceStrategyPath('inner-link.py', ws)).toBe(join(ws, 'sub', 'strategy.py'))
      for (const bad of [
        '/etc/passwd',
        '../../../../etc/shadow',
        '../outside.py',
        'passwd-link.py',
        'sub/outside-link.py',
        'sub',
        'missing.py'
      ]) {
        expect(() => workspaceStrategyPath(bad, ws), bad).toThrow(
          new InputError('strategy-path', bad, 'the path of a Python file in the workspace')
        )
      }
    })
  })

  it('splits a path at its nearest existing ancestor', () => {
    const have = new Set(['/', '/a'])
    expect(splitAtExisting('/a/b/c', p => have.has(p))).toEqual({ base: '/a', missing: ['b', 'c'] })
    expect(splitAtExisting('/a', p => have.has(p))).toEqual({ base: '/a', missing: [] })
    expect(splitAtExisting('/x/y', () => false)).toEqual({ base: '/', missing: ['x', 'y'] })
  })

  it('/proc and /sys are pseudo-filesystems, the temp folder is not', () => {
    expect(onPseudoFilesystem('/proc')).toBe(true)
    expect(onPseudoFilesystem('/proc/self')).toBe(true)
    expect(onPseudoFilesystem('/sys/kernel')).toBe(true)
    expect(onPseudoFilesystem(tmpdir())).toBe(false)
  })

  it('out is created level by level and proven writable; impossible paths are refused at once', () => {
    withDir(dir => {
      writeFileSync(join(dir, 'a-file'), 'x')
      const made = prepareOutDir('x/y/z', dir)
      expect(made).toBe(join(dir, 'x', 'y', 'z'))
      expect(statSync(made).isDirectory()).toBe(true)
      expect(prepareOutDir(made, '/')).toBe(made) // an existing folder is fine
      const t0 = performance.now()
      // A recursive mkdirSync never returns on /proc/forbidden: this must fail within milliseconds.
      for (const [bad, why] of [
        ['/proc/forbidden', /\/proc is a kernel pseudo-filesystem/],
        ['/sys/forbidden/deeper', /\/sys is a kernel pseudo-filesystem/],
        [join(dir, 'a-file'), /a-file is not a directory/],
        [join(dir, 'a-file', 'sub'), /a-file is not a directory/]
      ] as const) {
        expect(() => prepareOutDir(bad, dir), bad).toThrow(InputError)
        expect(() => prepareOutDir(bad, dir), bad).toThrow(
          /^Invalid input 'out': ".*" — expected a directory that can be created and written, not under \/proc or \/sys/
        )
        expect(() => prepareOutDir(bad, dir), bad).toThrow(why)
      }
      expect(performance.now() - t0).toBeLessThan(2000)
      expect(existsSync(join(dir, 'a-file', 'sub'))).toBe(false)
    })
  })
})
