// The output files (src/export/): each ecosystem export is read back the way its tool reads it — the custom-tool
// parser vendored from github-action-benchmark, and a JSON Schema of Bencher's BMF checked by ajv — and both the
// CLI (`swarm-bench report`) and writeOutputs write every file. The action path is in action-e2e.test.ts.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { main, type CliIO } from '../src/cli/main.js'
import { toBmf, bencherExporter } from '../src/export/bencher.js'
import {
  biggerIsBetterExporter,
  customBenchmarkEntries,
  smallerIsBetterExporter
} from '../src/export/github-action-benchmark.js'
import { COMMENT_FILE } from '../src/export/pr-comment.js'
import { SUMMARY_FILE } from '../src/export/job-summary.js'
import { renderJobSummary } from '../src/report/job-summary.js'
import { EXPORTERS } from '../src/export/registry.js'
import type { Exporter } from '../src/export/types.js'
import { outputPaths, writeOutputs, WriteOutputsError } from '../src/export/write.js'
import { FILE_OUTPUTS } from '../src/action/outcome.js'
import { makeMetric, type MetricInput } from '../src/results/metric.js'
import { writeResults } from '../src/results/io.js'
import { REPORT_FILE, RESULTS_FILE, type Results } from '../src/results/schema.js'
import { mulberry32 } from '../src/stats/bootstrap.js'
import { compareDuet } from '../src/duet/verdict.js'
import {
  extractCustomResult,
  extractRangeInfo,
  getRatio
} from './fixtures/github-action-benchmark/extract.js'
import { validateBmf } from './fixtures/bencher/validate.js'
import { benchOf, resultsOf } from './support/results.js'

const dir = mkdtempSync(join(tmpdir(), 'export-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let dirs = 0
const freshDir = (): string => join(dir, `d${dirs++}`)

function samples(center: number, n: number, seed: number): number[] {
  const rand = mulberry32(seed)
  return Array.from({ length: n }, () => center * (1 + 0.02 * (rand() - 0.5)))
}

const metric = (name: string, unit: string, direction: 'lower' | 'higher', center: number, seed: number) => {
  const input: MetricInput = { name, unit, direction, source: 'host', samples: samples(center, 30, seed) }
  if (direction === 'higher') input.headline = 'mean'
  return makeMetric(input)
}

/** A run with both directions and several units; `factor` makes every metric that much worse. */
function run(factor = 1, seed = 1): Results {
  const r = resultsOf([
    benchOf('communication.inter-agent-latency', [
      metric('rtt_ms', 'ms', 'lower', 12 * factor, seed),
      metric('msg_per_s', 'msg/s', 'higher', 900 / factor, seed + 1),
      metric('vote_bytes.mesh', 'bytes', 'lower', 4096 * factor, seed + 2)
    ]),
    benchOf('resources.memory-usage', [
      metric('rss_mib.n4', 'MiB', 'lower', 30 * factor, seed + 3),
      metric('agreement_pct', '%', 'higher', 99 / factor, seed + 4)
    ]),
    // An errored benchmark's partial figures are not exported.
    benchOf('trading.strategy-execution', [metric('compute_ms', 'ms', 'lower', 5, seed + 5)], {
      status: 'error',
      error: 'agent crashed'
    })
  ])
  return { ...r, run: { ...r.run, floor: metric('cpu_floor_ms', 'ms', 'lower', 2, seed + 6) } }
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'))

describe('github-action-benchmark custom tools', () => {
  it('each direction goes to its own file, read back unchanged by the tool’s own parser', async () => {
    const out = freshDir()
    const written = outputPaths(writeOutputs(out, { results: run() }))
    const smaller = written['smaller-is-better-path']!
    const bigger = written['bigger-is-better-path']!
    const s = await extractCustomResult(smaller, 'customSmallerIsBetter')
    const b = await extractCustomResult(bigger, 'customBiggerIsBetter')
    // Nothing coerced, nothing dropped: what the tool stores is exactly what we wrote.
    expect(s.benches).toEqual(readJson(smaller))
    expect(b.benches).toEqual(readJson(bigger))
    expect(s.benches.map(e => e.name).sort()).toEqual([
      'communication.inter-agent-latency/rtt_ms',
      'communication.inter-agent-latency/vote_bytes.mesh',
      'resources.memory-usage/rss_mib.n4',
      'run/cpu_floor_ms'
    ])
    expect(b.benches.map(e => e.name).sort()).toEqual([
      'communication.inter-agent-latency/msg_per_s',
      'resources.memory-usage/agreement_pct'
    ])
    for (const e of [...s.benches, ...b.benches]) {
      expect(Number.isFinite(e.value)).toBe(true)
      expect(e.unit).not.toBe('')
      // The tool parses `± x` (and rescales it with the unit); a range it cannot parse would stay text.
      const range = extractRangeInfo(e.range)
      expect(range?.value, e.range).toBeGreaterThan(0)
      expect(range!.value).toBeLessThan(e.value * 0.1)
    }
    const rtt = s.benches.find(e => e.name.endsWith('/rtt_ms'))!
    expect(rtt.unit).toBe('ms')
    expect(rtt.value).toBeCloseTo(12, 0)
    expect(rtt.extra).toMatch(/^median of 30 samples, 95% CI [\d.]+–[\d.]+ ms; lower is better$/)
  })

  it('a run that got worse raises the tool’s alert ratio in both files', async () => {
    const files = async (results: Results) => {
      const w = outputPaths(writeOutputs(freshDir(), { results }))
      return {
        smaller: (await extractCustomResult(w['smaller-is-better-path']!, 'customSmallerIsBetter')).benches,
        bigger: (await extractCustomResult(w['bigger-is-better-path']!, 'customBiggerIsBetter')).benches
      }
    }
    const prev = await files(run(1, 1))
    const cur = await files(run(1.5, 11))
    for (const [tool, key] of [
      ['customSmallerIsBetter', 'smaller'],
      ['customBiggerIsBetter', 'bigger']
    ] as const) {
      for (const c of cur[key]) {
        if (c.name === 'run/cpu_floor_ms') continue // the floor did not change
        const p = prev[key].find(x => x.name === c.name)!
        // github-action-benchmark's default alert-threshold is 200 %; 150 % is what the README suggests.
        expect(getRatio(tool, p, c), c.name).toBeGreaterThan(1.4)
        expect(getRatio(tool, c, p), c.name).toBeLessThan(0.75)
      }
    }
  })

  it('a duet exports the head side, with the base and the verdict in extra', () => {
    const base = run(1, 1)
    const head = run(1.3, 21)
    const results: Results = {
      ...head,
      duet: {
        base: { ref: 'origin/main', sha: 'abcdef0123456789', changed: ['agent'], notes: [] },
        benchmarks: base.benchmarks
      }
    }
    const comparison = compareDuet(results, { thresholdPct: 10 })
    expect(comparison.mode).toBe('duet')
    const rtt = customBenchmarkEntries(results, comparison, 'lower').find(e => e.name.endsWith('/rtt_ms'))!
    expect(rtt.value).toBeCloseTo(12 * 1.3, 0)
    const lines = rtt.extra!.split('\n')
    expect(lines[1]).toMatch(/^duet base \(origin\/main abcdef012345\): 1[12]\.\d+ ms$/)
    expect(lines[2]).toMatch(/^verdict: regression \+\d\d\.\d%, p [\d.e-]+$/)
  })

  it('no file for a direction with no metric (the tool rejects an empty array), and no stale one left', async () => {
    const onlyLower = resultsOf([
      benchOf('communication.inter-agent-latency', [metric('rtt_ms', 'ms', 'lower', 12, 1)])
    ])
    const out = freshDir()
    writeOutputs(out, { results: run() })
    const stale = join(out, biggerIsBetterExporter.fileName)
    expect(existsSync(stale)).toBe(true)
    const written = writeOutputs(out, { results: onlyLower })
    expect(written.map(w => w.id)).not.toContain('bigger-is-better')
    expect(existsSync(stale)).toBe(false)
    expect(existsSync(join(out, smallerIsBetterExporter.fileName))).toBe(true)
    // Why: the tool fails the step on an empty result.
    writeFileSync(stale, '[]')
    await expect(extractCustomResult(stale, 'customBiggerIsBetter')).rejects.toThrow(/No benchmark result/)
  })
})

describe('Bencher Metric Format', () => {
  it('the file satisfies the BMF schema; times in ns on latency, rates on throughput, units by name', () => {
    const out = freshDir()
    const path = outputPaths(writeOutputs(out, { results: run() }))['bencher-path']!
    const bmf = readJson(path)
    expect(validateBmf(bmf), JSON.stringify(validateBmf.errors)).toBe(true)
    expect(bmf).toMatchObject({
      'communication.inter-agent-latency/rtt_ms': { latency: { value: expect.closeTo(12e6, -5) } },
      'communication.inter-agent-latency/msg_per_s': { throughput: { value: expect.closeTo(900, -1) } },
      'communication.inter-agent-latency/vote_bytes.mesh': { 'bytes-lower-is-better': {} },
      'resources.memory-usage/rss_mib.n4': { 'mib-lower-is-better': {} },
      'resources.memory-usage/agreement_pct': { 'percent-higher-is-better': {} },
      'run/cpu_floor_ms': { latency: {} }
    })
    expect(Object.keys(bmf as object)).not.toContain('trading.strategy-execution/compute_ms')
    for (const measures of Object.values(bmf as Record<string, Record<string, Record<string, number>>>)) {
      expect(Object.keys(measures)).toHaveLength(1)
      for (const [measure, m] of Object.entries(measures)) {
        // A key Bencher reads as a slug must equal its own slugification.
        expect(measure).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/)
        expect(m.lower_value).toBeLessThanOrEqual(m.value)
        expect(m.upper_value).toBeGreaterThanOrEqual(m.value)
      }
    }
  })

  it('the schema is not vacuous: what Bencher refuses, it refuses', () => {
    const good = toBmf(run())
    expect(validateBmf(good)).toBe(true)
    const key = 'communication.inter-agent-latency/rtt_ms'
    for (const bad of [
      { ...good, [key]: { latency: { value: '12' } } },
      { ...good, [key]: { latency: { lower_value: 1 } } },
      { ...good, '': { latency: { value: 1 } } },
      { ...good, [key]: { [' latency']: { value: 1 } } },
      { ...good, [key]: { ['m'.repeat(65)]: { value: 1 } } },
      [{ name: key, value: 1 }]
    ]) {
      expect(validateBmf(bad), JSON.stringify(bad).slice(0, 80)).toBe(false)
    }
  })

  it('keeps tiny unscaled values (a cost per operation) as measured', () => {
    const cost = makeMetric({
      name: 'cost_per_op.message',
      unit: 'usd/op',
      direction: 'lower',
      source: 'derived',
      samples: [1.2e-7, 1.3e-7, 1.25e-7]
    })
    const bmf = toBmf(resultsOf([benchOf('costs.per-operation', [cost])]))
    expect(bmf['costs.per-operation/cost_per_op.message']['usd-per-op-lower-is-better'].value).toBe(1.25e-7)
  })

  it('writes nothing when nothing was measured', () => {
    expect(bencherExporter.render({ results: resultsOf([]) })).toBeUndefined()
  })
})

describe('writeOutputs', () => {
  it('writes every format and names its output; the comment only on a pull request', () => {
    const out = freshDir()
    const results = run()
    const noPr = writeOutputs(out, { results })
    expect(noPr.map(w => w.id)).toEqual(EXPORTERS.map(e => e.id).filter(id => id !== 'comment'))
    expect(existsSync(join(out, COMMENT_FILE))).toBe(false)
    const marker = '<!-- sticky:test -->'
    const pullRequest = { number: 7, headSha: 'f00', marker, maxChars: 60_000 }
    const pr = writeOutputs(out, { results, pullRequest, clean: t => t.replaceAll('inter-agent', '***') })
    expect(pr.map(w => w.id)).toContain('comment')
    const comment = readJson(join(out, COMMENT_FILE)) as Record<string, string>
    expect(comment).toMatchObject({ issueNumber: 7, headSha: 'f00', marker })
    expect(comment.body.startsWith(marker)).toBe(true)
    // `clean` reaches every text file (secrets), and the results are left to the caller.
    expect(readFileSync(join(out, smallerIsBetterExporter.fileName), 'utf8')).not.toContain('inter-agent')
    expect(readFileSync(join(out, REPORT_FILE), 'utf8')).not.toContain('inter-agent')
    expect(readFileSync(join(out, RESULTS_FILE), 'utf8')).toContain('inter-agent')
    // Every exporter names a distinct file output.
    expect(new Set(EXPORTERS.map(e => e.output)).size).toBe(EXPORTERS.length)
    expect([...EXPORTERS.map(e => e.output)].sort()).toEqual([...FILE_OUTPUTS].sort())
  })

  it('the job summary file is the run page’s summary, its digest headline first, secrets cleaned', () => {
    const out = freshDir()
    const results = run()
    writeOutputs(out, { results, clean: t => t.replaceAll('inter-agent', '***') })
    const text = readFileSync(join(out, SUMMARY_FILE), 'utf8')
    expect(text).toBe(renderJobSummary(results).replaceAll('inter-agent', '***'))
    expect(text).toMatch(/^## /)
    expect(text).not.toContain('inter-agent')
  })

  it('one failing format does not stop the others, and the error names it', () => {
    const broken: Exporter = {
      id: 'broken',
      fileName: 'broken.txt',
      output: 'bencher-path',
      render: () => {
        throw new Error('boom')
      }
    }
    const out = freshDir()
    let error: unknown
    try {
      writeOutputs(out, { results: run() }, { exporters: [broken, ...EXPORTERS] })
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(WriteOutputsError)
    expect((error as Error).message).toMatch(/cannot write .*broken\.txt: boom/)
    expect((error as WriteOutputsError).written.map(w => w.id)).toContain('bencher')
    expect(existsSync(join(out, REPORT_FILE))).toBe(true)
  })
})

describe('the CLI writes the exports', () => {
  it('`swarm-bench report` writes the report and every export beside it, valid for each tool', async () => {
    const src = freshDir()
    const resultsPath = writeResults(src, run())
    const before = readFileSync(resultsPath, 'utf8')
    let stdout = ''
    let stderr = ''
    const io: CliIO = { stdout: t => void (stdout += t), stderr: t => void (stderr += t), env: {} }
    expect(await main(['report', resultsPath], io), stderr).toBe(0)
    for (const e of [smallerIsBetterExporter, biggerIsBetterExporter, bencherExporter]) {
      expect(stdout).toContain(join(src, e.fileName))
    }
    expect(stdout).toMatch(/^report: +\S+SWARM_BENCHMARKS_REPORT\.md$/m)
    expect(
      (await extractCustomResult(join(src, smallerIsBetterExporter.fileName), 'customSmallerIsBetter'))
        .benches
    ).not.toHaveLength(0)
    expect(
      (await extractCustomResult(join(src, biggerIsBetterExporter.fileName), 'customBiggerIsBetter')).benches
    ).not.toHaveLength(0)
    expect(validateBmf(readJson(join(src, bencherExporter.fileName)))).toBe(true)
    // The input is not rewritten, and no comment is written outside a pull request.
    expect(readFileSync(resultsPath, 'utf8')).toBe(before)
    expect(existsSync(join(src, COMMENT_FILE))).toBe(false)

    // --out moves the report, and the exports with it.
    const elsewhere = join(freshDir(), 'R.md')
    expect(await main(['report', resultsPath, '--out', elsewhere], io), stderr).toBe(0)
    expect(existsSync(elsewhere)).toBe(true)
    expect(existsSync(join(elsewhere, '..', bencherExporter.fileName))).toBe(true)
  })
})
