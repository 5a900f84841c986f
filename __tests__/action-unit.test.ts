// The action's own rules, without a runner: outputs, the gate, annotations, progress groups, secret redaction,
// input checks, leftover detection, and that the docs and workflows say what the action does.
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readActionInputs, autoFellBackToLocal } from '../src/action/read-inputs.js'
import { E2B_DEFAULT_PRICING } from '../src/sandbox/e2b/pricing.js'
import { findTaggedProcesses } from '../src/sandbox/local/sweep.js'
import {
  gateFailure,
  outputsOf,
  regressionAnnotation,
  targetsFailed,
  OUTPUT_NAMES
} from '../src/action/outcome.js'
import { createProgressLogger } from '../src/action/log-groups.js'
import { redact, redactDeep, usableSecrets } from '../src/secrets.js'
import { makeMetric } from '../src/results/metric.js'
import { SCHEMA_VERSION, type Results } from '../src/results/schema.js'
import { compareResults } from '../src/stats/compare.js'
import { ROOT } from './support/action-runner.js'

function results(samples: number[], opts: { complete?: boolean; targetMs?: number } = {}): Results {
  const metric = makeMetric({
    name: 'compute_ms',
    unit: 'ms',
    direction: 'lower',
    source: 'agent',
    samples,
    ...(opts.targetMs !== undefined
      ? {
          target: { op: '<' as const, value: opts.targetMs, stat: 'median' as const, source: 'seed' as const }
        }
      : {})
  })
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'swarm-bench', version: 'test' },
    run: {
      provider: 'local',
      profile: 'quick',
      startedAt: '2026-01-01T00:00:00.000Z',
      endedAt: '2026-01-01T00:00:01.000Z',
      durationMs: 1000,
      environment: {
        node: 'v20',
        platform: 'linux',
        arch: 'x64',
        cpus: 2,
        cpuModel: 'test',
        memoryTotalBytes: 1,
        providerDetails: {}
      },
      complete: opts.complete ?? true
    },
    benchmarks: [
      {
        id: 'trading.strategy-execution',
        category: 'trading',
        title: 'Strategy execution',
        status: 'passed',
        params: {},
        metrics: [metric],
        facts: {},
        durationMs: 10
      }
    ],
    cost: {
      pricing: { usdPerVcpuSecond: 0.000014, usdPerGibSecond: 0.0000045 },
      sandboxes: 3,
      sandboxSeconds: 3,
      vcpuSeconds: 6,
      gibSeconds: 1.5,
      usd: 0.00009075,
      estimated: true
    },
    history: []
  }
}

const base = results(Array.from({ length: 20 }, (_, i) => 10 + (i % 5) * 0.1))
const slower = results(Array.from({ length: 20 }, (_, i) => 20 + (i % 5) * 0.1))

describe('outputs and the gate', () => {
  it('every output is set, counts come from the comparison', () => {
    const comparison = compareResults(base, slower, { thresholdPct: 10 })
    expect(comparison.regressions).toHaveLength(1)
    const out = outputsOf({
      results: slower,
      comparison,
      files: { 'report-path': '/r.md', 'results-path': '/r.json' },
      baselineRunId: 7
    })
    expect(Object.keys(out).sort()).toEqual([...OUTPUT_NAMES].sort())
    expect(out).toMatchObject({
      regressions: '1',
      improvements: '0',
      'targets-failed': '0',
      'report-path': '/r.md',
      'baseline-run-id': '7',
      'cost-usd': '0.000091',
      'comment-url': ''
    })
    // Reverse direction: the same change is an improvement.
    const better = outputsOf({
      results: base,
      comparison: compareResults(slower, base, { thresholdPct: 10 })
    })
    expect(better.improvements).toBe('1')
    expect(better.regressions).toBe('0')
    // Nothing known (a fatal error before results): still every output, empty or zero.
    expect(outputsOf({})).toMatchObject({ regressions: '0', 'cost-usd': '', 'baseline-run-id': '' })
  })

  it('fails on a regression only with fail-on-regression, on missed targets only with fail-on-target', () => {
    const comparison = compareResults(base, slower, { thresholdPct: 10 })
    expect(gateFailure({ results: slower, comparison, failOnRegression: true, failOnTarget: false })).toMatch(
      /1 regression\(s\) found/
    )
    expect(
      gateFailure({ results: slower, comparison, failOnRegression: false, failOnTarget: false })
    ).toBeUndefined()
    const missed = results([150, 160, 170], { targetMs: 100 })
    expect(targetsFailed(missed)).toBe(1)
    expect(targetsFailed(results([5, 6], { targetMs: 100 }))).toBe(0)
    expect(
      gateFailure({ results: missed, comparison: undefined, failOnRegression: true, failOnTarget: false })
    ).toBe(undefined)
    expect(
      gateFailure({ results: missed, comparison: undefined, failOnRegression: false, failOnTarget: true })
    ).toMatch(/1 metric\(s\) missed their target/)
    // An interrupted run always fails: its results are partial.
    const partial = results([1, 2], { complete: false })
    expect(
      gateFailure({ results: partial, comparison: undefined, failOnRegression: false, failOnTarget: false })
    ).toMatch(/interrupted/)
  })

  it('fails when every benchmark errored: nothing measured is not a pass', () => {
    const r = results([1, 2, 3])
    const errored: Results = {
      ...r,
      benchmarks: r.benchmarks.map(b => ({
        ...b,
        status: 'error' as const,
        metrics: [],
        error: 'python3 not found'
      }))
    }
    const gate = { comparison: undefined, failOnRegression: false, failOnTarget: false }
    expect(gateFailure({ ...gate, results: errored })).toMatch(
      /nothing was measured: all 1 benchmark\(s\) errored/
    )
    // One error among measured benchmarks is a warning, not a failure.
    const mixed: Results = { ...r, benchmarks: [...r.benchmarks, ...errored.benchmarks] }
    expect(gateFailure({ ...gate, results: mixed })).toBeUndefined()
  })

  it('a regression annotation names the metric and shows its evidence', () => {
    const [v] = compareResults(base, slower, { thresholdPct: 10 }).regressions
    const a = regressionAnnotation(v)
    expect(a.title).toBe('Regression: trading.strategy-execution/compute_ms')
    expect(a.message).toMatch(/median 10\.2 ms → 20\.2 ms \(\+98\.\d%, lower is better\)/)
    expect(a.message).toMatch(/threshold.*noise σ.*Holm/)
  })
})

describe('progress lines', () => {
  it('one log group per category, closed when the next opens and at the end', () => {
    const log: string[] = []
    const p = createProgressLogger({
      info: l => log.push(l),
      startGroup: n => log.push(`<${n}>`),
      endGroup: () => log.push('</>')
    })
    const ids = ['creation.swarm-init', 'creation.agent-deploy', 'trading.consensus']
    p.onProgress({ type: 'run-start', provider: 'local', profile: 'quick', ids })
    ids.forEach((id, index) => {
      p.onProgress({ type: 'start', id, title: id, index, total: 3 })
      p.onProgress({ type: 'step', id, message: 'working' })
      p.onProgress({ type: 'done', id, status: 'passed', seconds: 1.25 })
    })
    p.onProgress({ type: 'run-done', complete: true, seconds: 4 })
    p.close()
    expect(log.filter(l => l.startsWith('<') || l === '</>')).toEqual([
      '<creation (2 benchmarks)>',
      '</>',
      '<trading (1 benchmark)>',
      '</>'
    ])
    expect(log).toContain('[2/3] creation.agent-deploy passed in 1.3 s')
    expect(log).toContain('  trading.consensus: working')
    expect(log.at(-1)).toBe('Run complete after 4.0 s')
  })

  it('skipped benchmarks after an interrupt still land in their group, with the reason', () => {
    const log: string[] = []
    const p = createProgressLogger({
      info: l => log.push(l),
      startGroup: n => log.push(`<${n}>`),
      endGroup: () => log.push('</>')
    })
    p.onProgress({ type: 'run-start', provider: 'local', profile: 'quick', ids: ['costs.scaling'] })
    p.onProgress({
      type: 'done',
      id: 'costs.scaling',
      status: 'skipped',
      seconds: 0,
      error: 'not run: interrupted'
    })
    p.close()
    expect(log).toEqual([
      'Running 1 benchmark(s) on the local provider, profile quick',
      '<costs (1 benchmark)>',
      '[1/1] costs.scaling skipped in 0.0 s: not run: interrupted',
      '</>'
    ])
  })
})

describe('secrets', () => {
  const key = 'e2b_0123456789abcdef'
  it('redacts every occurrence, in text and inside JSON values', () => {
    expect(redact(`key=${key}; again ${key}`, [key])).toBe('key=***; again ***')
    const data = { error: `auth failed for ${key}`, nested: [{ msg: key }], n: 1 }
    expect(redactDeep(data, [key])).toEqual({ error: 'auth failed for ***', nested: [{ msg: '***' }], n: 1 })
    expect(redactDeep(data, ['not-present-secret'])).toBe(data)
  })

  it('ignores empty and short values that would blank out ordinary words', () => {
    expect(usableSecrets(['', undefined, 'abc', key, key])).toEqual([key])
  })
})

describe('inputs', () => {
  const reader =
    (inputs: Record<string, string>) =>
    (name: string): string =>
      inputs[name] ?? ''

  it('strategy-path must name an existing file; it is resolved against the workspace', () => {
    const ws = mkdtempSync(join(tmpdir(), 'swarm-bench-inputs-'))
    const cwd = process.cwd()
    try {
      process.chdir(ws)
      writeFileSync(join(ws, 'strategy.py'), 'def decide(bars, state):\n    return {"signal": "hold"}\n')
      mkdirSync(join(ws, 'dir.py'))
      expect(readActionInputs(reader({ 'strategy-path': 'strategy.py' }), {}).strategyPath).toBe(
        join(ws, 'strategy.py')
      )
      expect(() => readActionInputs(reader({ 'strategy-path': 'missing.py' }), {})).toThrow(
        /Invalid input 'strategy-path': "missing.py" — expected the path of a Python file/
      )
      expect(() => readActionInputs(reader({ 'strategy-path': 'dir.py' }), {})).toThrow(/strategy-path/)
      // Readable files outside the workspace are not strategies, however the path reaches them.
      symlinkSync('/etc/passwd', join(ws, 'link.py'))
      for (const outside of ['/etc/passwd', '../../../../etc/shadow', 'link.py']) {
        expect(() => readActionInputs(reader({ 'strategy-path': outside }), {})).toThrow(
          `Invalid input 'strategy-path': ${JSON.stringify(outside)} — expected the path of a Python file in the workspace`
        )
      }
    } finally {
      process.chdir(cwd)
    }
  })

  it('a notice only when provider auto fell back to local', () => {
    const auto = readActionInputs(reader({}), {})
    expect(auto.provider).toBe('local')
    expect(autoFellBackToLocal(auto, '')).toBe(true)
    expect(autoFellBackToLocal(auto, 'auto')).toBe(true)
    expect(autoFellBackToLocal(readActionInputs(reader({ provider: 'local' }), {}), 'local')).toBe(false)
    const e2b = readActionInputs(reader({ 'e2b-api-key': 'e2b_key_123456789' }), {})
    expect(e2b.provider).toBe('e2b')
    expect(autoFellBackToLocal(e2b, 'auto')).toBe(false)
  })
})

describe('leftover agents', () => {
  it('finds live processes by the run tag in their environment, not zombies and not other runs', () => {
    const proc = mkdtempSync(join(tmpdir(), 'swarm-bench-proc-'))
    const add = (pid: number, env: string[], state = 'S'): void => {
      mkdirSync(join(proc, String(pid)))
      writeFileSync(join(proc, String(pid), 'environ'), env.join('\0') + '\0')
      writeFileSync(join(proc, String(pid), 'stat'), `${pid} (python3) ${state} 1 2 3`)
    }
    add(101, ['PATH=/bin', 'SWARM_BENCH_RUN=gh-1-1'])
    add(102, ['SWARM_BENCH_RUN=gh-1-10'])
    add(103, ['SWARM_BENCH_RUN=gh-1-1'], 'Z')
    add(104, ['X=SWARM_BENCH_RUN=gh-1-1'])
    mkdirSync(join(proc, 'self'))
    const found = findTaggedProcesses('gh-1-1', proc)
    expect(found.checked).toBe(true)
    expect(found.pids).toEqual([101])
    expect(findTaggedProcesses('gh-1-1', join(proc, 'nope'))).toEqual({ checked: false, pids: [] })
  })
})

describe('documentation and workflows', () => {
  const actionYml = readFileSync(join(ROOT, 'action.yml'), 'utf8')
  const section = (name: string, next: string): string[] =>
    [
      ...actionYml
        .slice(actionYml.indexOf(`\n${name}:`), actionYml.indexOf(`\n${next}:`))
        .matchAll(/^ {2}([a-z0-9-]+):/gm)
    ].map(m => m[1])
  const inputs = section('inputs', 'outputs')
  const outputs = section('outputs', 'runs')
  const docs = readFileSync(join(ROOT, 'README.md'), 'utf8')

  it('the README documents every input and output of action.yml', () => {
    expect(inputs.length).toBeGreaterThan(15)
    for (const name of [...inputs, ...outputs]) expect(docs, name).toContain(`| \`${name}\``)
    expect([...outputs].sort()).toEqual([...OUTPUT_NAMES].sort())
  })

  it("action.yml's price defaults are the engine's (one source: src/sandbox/e2b/pricing.ts)", () => {
    const defaultOf = (input: string): number =>
      Number(new RegExp(`\\n  ${input}:\\n(?: {4}.*\\n)*? {4}default: '([^']*)'`).exec(actionYml)?.[1])
    expect(defaultOf('price-vcpu-second')).toBe(E2B_DEFAULT_PRICING.usdPerVcpuSecond)
    expect(defaultOf('price-gib-second')).toBe(E2B_DEFAULT_PRICING.usdPerGibSecond)
  })

  it('the example workflow has the triggers and exactly the permissions the docs ask for', () => {
    const wf = readFileSync(join(ROOT, '.github', 'workflows', 'swarm-bench.yml'), 'utf8')
    for (const trigger of ['pull_request:', 'push:', 'schedule:', 'workflow_dispatch:'])
      expect(wf).toContain(trigger)
    expect(wf).not.toContain('pull_request_target')
    expect(wf).toMatch(/permissions:\n {2}actions: read\n {2}contents: read\n {2}pull-requests: write\n/)
    expect(wf).toContain('${{ secrets.E2B_API_KEY }}')
    const ci = readFileSync(join(ROOT, '.github', 'workflows', 'ci.yml'), 'utf8')
    expect(ci).toMatch(/uses: \.\/\n/)
    expect(ci).toMatch(/provider: local/)
  })
})
