// Bad results and baseline files: truncated, not JSON, foreign, wrong or newer schema, NaN/Infinity, negative or
// absurd values, millions of samples, prototype keys, and strings built to abuse Markdown, HTML, @mentions, links,
// the sticky-comment marker and terminals. Each is rejected with a reason or neutralised; none crashes a reader, the
// CLI entry point, or gets rendered raw into a report, a PR comment, a job summary or the console. The valid file
// they start from is measured by a real run.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBenchmarks } from '../src/bench/runner.js'
import { renderComparisonTable } from '../src/cli/compare-table.js'
import { renderComment, renderConsoleSummary, renderJobSummary, renderReport } from '../src/report/index.js'
import { parseResults, readResults } from '../src/results/io.js'
import type { Results } from '../src/results/schema.js'
import { compareResults } from '../src/stats/compare.js'
import { benchConfig } from './support/bench-config.js'
import { REPO_ROOT } from './support/faults/fault-agent.js'
import { cleanEnv } from './support/faults/cli-process.js'
import { newRunTag } from './support/processes.js'

const dir = mkdtempSync(join(tmpdir(), 'bad-results-'))
let valid: Results
let text = ''

beforeAll(async () => {
  valid = await runBenchmarks(
    benchConfig({
      provider: 'local',
      only: 'trading.strategy-execution,communication.inter-agent-latency',
      'run-tag': newRunTag('bad-results')
    })
  )
  text = JSON.stringify(valid)
}, 60_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const clone = (): Results => JSON.parse(text) as Results

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name)
  writeFileSync(p, content)
  return p
}

/** The CLI entry point on a file: `report` must refuse it (exit 2) with the reason, never a stack trace. */
function cliReport(path: string): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise(resolve => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'report', path, '--out', `${path}.md`],
      {
        cwd: REPO_ROOT,
        env: cleanEnv(),
        stdio: ['ignore', 'pipe', 'pipe']
      }
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => (stdout += d))
    child.stderr.on('data', d => (stderr += d))
    child.on('close', code => resolve({ code, stdout, stderr }))
  })
}

describe('unreadable and untrustworthy files are rejected with a reason', () => {
  const cases: [string, () => string | Buffer, RegExp][] = [
    ['truncated', () => text.slice(0, Math.floor(text.length / 2)), /truncated/],
    ['empty', () => '', /empty/],
    ['not JSON (HTML error page)', () => '<html><body>502 Bad Gateway</body></html>', /not valid JSON/],
    ['binary', () => Buffer.from([0x50, 0x4b, 0x03, 0x04, 0xff, 0x00, 0x13]), /not valid JSON/],
    ['a JSON array', () => '[1, 2, 3]', /not a results object/],
    ['JSON null', () => 'null', /not a results object/],
    ['no schemaVersion (foreign JSON)', () => '{"name": "package.json"}', /no schemaVersion/],
    [
      'newer schema',
      () => JSON.stringify({ ...clone(), schemaVersion: 3 }),
      /newer version.*schemaVersion 3/
    ],
    ['older schema', () => JSON.stringify({ ...clone(), schemaVersion: 0 }), /older version/],
    ['schemaVersion as a string', () => JSON.stringify({ ...clone(), schemaVersion: '1' }), /not an integer/],
    [
      'NaN written by a buggy writer',
      () => text.replace(/"median":[^,]+/, '"median":NaN'),
      /NaN or Infinity/
    ],
    ['Infinity', () => text.replace(/"max":[^,]+/, '"max":-Infinity'), /NaN or Infinity/],
    [
      'a number too large for a double (1e999)',
      () => text.replace(/"median":[^,]+/, '"median":1e999'),
      /Infinity|finite/
    ],
    [
      'wrong types',
      () => {
        const r = clone() as unknown as { benchmarks: { metrics: { samples: unknown }[] }[] }
        r.benchmarks[0].metrics[0].samples = 'many'
        return JSON.stringify(r)
      },
      /invalid results: benchmarks\.0\.metrics\.0\.samples/
    ],
    [
      'negative sample count',
      () => {
        const r = clone()
        r.benchmarks[0].metrics[0].summary.n = -3
        return JSON.stringify(r)
      },
      /invalid results/
    ],
    [
      'an unknown status',
      () => JSON.stringify({ ...clone(), benchmarks: [{ ...clone().benchmarks[0], status: 'great' }] }),
      /invalid results: benchmarks\.0\.status/
    ],
    [
      'a benchmark id that is not an id',
      () => JSON.stringify({ ...clone(), benchmarks: [{ ...clone().benchmarks[0], id: '<b>x</b>' }] }),
      /invalid results: benchmarks\.0\.id/
    ],
    [
      'two million samples on one metric',
      () => {
        const r = clone()
        r.benchmarks[0].metrics[0].samples = Array.from({ length: 2_000_000 }, (_, i) => i % 97)
        return JSON.stringify(r)
      },
      /2000000 samples, more than the limit of 1000/
    ],
    ['over 50 MiB', () => Buffer.alloc(51 * 1024 * 1024, 0x20), /more than the 52428800-byte limit/],
    [
      'nested a million levels deep',
      () => '['.repeat(1_000_000) + ']'.repeat(1_000_000),
      /not valid JSON|not a results object|invalid/
    ]
  ]

  it.each(cases)('%s', async (name, content, reason) => {
    const path = file(`${name.replace(/\W+/g, '-')}.json`, content())
    const t0 = performance.now()
    const r = readResults(path)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toMatch(reason)
    // Absurd files are rejected by cheap checks, not by validating them for minutes.
    expect(performance.now() - t0).toBeLessThan(15_000)
  })

  it('the CLI refuses each of them with its reason, never a stack trace', async () => {
    for (const [name, , reason] of cases.filter(c => !/million|50 MiB|deep/.test(c[0]))) {
      const path = join(dir, `${name.replace(/\W+/g, '-')}.json`)
      const r = await cliReport(path)
      expect(r.code, `${name}: ${r.stderr}`).toBe(2)
      expect(r.stderr).toMatch(reason)
      expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/)
    }
  }, 120_000)

  it('prototype keys in a file pollute nothing', () => {
    const polluted = text.replace(
      '{"schemaVersion"',
      '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted2": true}}, "schemaVersion"'
    )
    const labelled = polluted.replace('"labels":{', '"labels":{"__proto__":{"polluted3":true},')
    const r = parseResults(labelled)
    expect(r.ok, r.ok ? '' : r.reason).toBe(true)
    const probe = {} as Record<string, unknown>
    expect(probe.polluted).toBeUndefined()
    expect(probe.polluted2).toBeUndefined()
    expect(probe.polluted3).toBeUndefined()
  })
})

describe('absurd values are never trusted as a baseline', () => {
  // Valid JSON, valid types, impossible measurements: what a tampered or corrupted baseline looks like. Read as a
  // baseline, such a file must be rejected (or the metric left out of the comparison), never turned into a verdict.
  const cases: [string, (r: Results) => void][] = [
    [
      'negative times',
      r => {
        const m = r.benchmarks[0].metrics.find(x => x.unit === 'ms')!
        m.samples = m.samples.map(x => -x)
        for (const k of ['mean', 'median', 'min', 'max', 'p50', 'p95', 'p99'] as const)
          m.summary[k] = -m.summary[k]
      }
    ],
    [
      'min above max, median outside them',
      r => {
        const s = r.benchmarks[0].metrics[0].summary
        s.min = 10
        s.max = 1
        s.median = 1000
        s.p50 = 1000
      }
    ],
    [
      'a summary of samples that are not there (n = 5, no samples, median 1e308)',
      r => {
        const m = r.benchmarks[1].metrics[0]
        m.samples = []
        m.summary.n = 5
        m.summary.median = 1e308
        m.summary.p50 = 1e308
      }
    ],
    [
      'negative durations and cost',
      r => {
        r.run.durationMs = -100
        r.benchmarks[0].durationMs = -1
        r.cost.usd = -3
        r.cost.sandboxSeconds = -10
      }
    ]
  ]

  it.each(cases)('%s', (_name, tamper) => {
    const bad = clone()
    tamper(bad)
    const read = parseResults(JSON.stringify(bad))
    if (!read.ok) {
      expect(read.reason).toMatch(/invalid|inconsistent|negative/i)
      return
    }
    // Accepted: then no verdict may rest on it.
    const c = compareResults(read.results, valid)
    expect(
      c.regressions.map(v => v.key),
      'a regression verdict from an impossible baseline'
    ).toEqual([])
    expect(
      c.improvements.map(v => v.key),
      'an improvement verdict from an impossible baseline'
    ).toEqual([])
  })
})

const MENTION = '@octo-org/admins'
const HTML = '<img src=x onerror=alert(1)>'
const MARKER = '<!-- swarm-bench-action:sticky:swarm-bench-results -->'
const LINK = '[click](https://evil.example/steal)'
const EVIL = `${MENTION} ${HTML} ${MARKER} ${LINK} | col |\n## Injected heading\n\`rm -rf\` #4242 \u202egnp.exe \u001b[31mred\u001b[0m`

/** A valid results file with hostile text in every free-form string a renderer might show. */
function evilResults(): Results {
  const r = clone()
  r.tool.version = `1.0 ${EVIL}`.slice(0, 300)
  r.run.profile = EVIL
  r.run.environment.cpuModel = EVIL
  r.run.environment.python = EVIL
  r.run.environment.providerDetails.description = EVIL
  r.run.environment.providerDetails[EVIL.slice(0, 60)] = EVIL
  r.run.git = { sha: EVIL, ref: EVIL, runId: EVIL }
  r.benchmarks.forEach((b, i) => {
    b.title = EVIL.slice(0, 200)
    b.params = { evil: EVIL, [EVIL.slice(0, 40)]: 1 }
    b.facts = { [EVIL.slice(0, 50)]: EVIL, 'multi_hop.path': EVIL }
    b.metrics.forEach((m, j) => {
      m.name = `${EVIL.slice(0, 150)} ${i}.${j}`
      m.unit = EVIL.slice(0, 40)
      m.description = EVIL
      m.labels = { topology: EVIL, [EVIL.slice(0, 30)]: EVIL }
    })
  })
  const broken = { ...r.benchmarks[0], status: 'error' as const, metrics: [], error: EVIL }
  r.benchmarks.push({ ...broken, id: 'costs.scaling', category: 'costs' })
  r.history = [{ runId: EVIL, sha: EVIL, startedAt: EVIL, values: { [EVIL.slice(0, 80)]: 1 } }]
  return r
}

function expectNeutral(where: string, out: string, markdown: boolean): void {
  // Everywhere: nothing that rewrites what a reader sees (line breaks inside a value, bidi, terminal escapes).
  expect(/^#+ Injected heading/m.test(out), `${where}: an injected heading`).toBe(false)
  expect(out.includes('\u202e'), `${where}: a bidi override`).toBe(false)
  expect(out.includes('\u001b'), `${where}: a terminal escape`).toBe(false)
  if (!markdown) return
  // In Markdown that GitHub renders: no pings, no HTML, no links, no references, no forged marker, no table break.
  expect(out.includes(MENTION), `${where}: a live @mention`).toBe(false)
  expect(out.includes('<img'), `${where}: raw HTML`).toBe(false)
  expect(out.includes('https://evil.example'), `${where}: a clickable link`).toBe(false)
  expect(out.includes('[click]('), `${where}: a Markdown link`).toBe(false)
  expect(out.includes('#4242'), `${where}: an issue reference`).toBe(false)
  expect(out.includes(MARKER), `${where}: a forged sticky-comment marker`).toBe(false)
  expect(out.includes('`rm -rf`'), `${where}: a raw code span`).toBe(false)
  expect(/(?<!\\)\| col \|/.test(out), `${where}: a table-breaking pipe`).toBe(false)
}

describe('hostile names are neutralised in every rendering', () => {
  it('the evil file is a valid results file (so only escaping stands between it and the comment)', () => {
    const r = parseResults(JSON.stringify(evilResults()))
    expect(r.ok, r.ok ? '' : r.reason).toBe(true)
  })

  it('report, PR comment, job summary, console and comparison table', () => {
    const evil = parseResults(JSON.stringify(evilResults()))
    if (!evil.ok) throw new Error(evil.reason)
    const head = evil.results
    // The same hostile file as head and as baseline: every metric compared, names on both sides.
    const c = compareResults(head, head)
    const vsValid = compareResults(valid, head)
    const outputs: [string, string, boolean][] = [
      ['report', renderReport(head, c), true],
      ['report vs a clean baseline', renderReport(head, vsValid), true],
      ['report without baseline', renderReport(head), true],
      [
        'comment',
        renderComment(head, c, {
          runUrl: 'https://github.com/o/r/actions/runs/1',
          marker: '<!-- sticky -->'
        }),
        true
      ],
      ['comment vs a clean baseline', renderComment(head, vsValid), true],
      ['comment, hostile baseline', renderComment(valid, compareResults(head, valid)), true],
      ['job summary', renderJobSummary(head, c, { runUrl: 'https://github.com/o/r/actions/runs/1' }), true],
      ['console', renderConsoleSummary(head, c), false],
      ['comparison table', renderComparisonTable(c), false]
    ]
    for (const [where, out, md] of outputs) {
      expect(out.length, where).toBeGreaterThan(100)
      expectNeutral(where, out, md)
    }
    // Not vacuous: the hostile text is shown, defused (zero-width joiner after @, entities for < >).
    for (const [where, out] of outputs.slice(0, 6)) {
      expect(out, where).toContain('@\u200docto-org/admins')
      expect(out, where).toContain('&lt;img')
    }
    // The only sticky marker in a comment is the one it was given: hostile text cannot forge another.
    const comment = outputs[3][1]
    expect(comment.split('<!--').length - 1).toBe(1)
    expect(comment.startsWith('<!-- sticky -->\n')).toBe(true)
  })

  it('through the CLI: report and compare on the hostile file', async () => {
    const path = file('evil.json', JSON.stringify(evilResults()))
    const report = await cliReport(path)
    expect(report.code, report.stderr).toBe(0)
    const { readFileSync } = await import('node:fs')
    expectNeutral('CLI report file', readFileSync(`${path}.md`, 'utf8'), true)
    const compare = await new Promise<{ code: number | null; out: string }>(resolve => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'compare', path, path], {
        cwd: REPO_ROOT,
        env: cleanEnv(),
        stdio: ['ignore', 'pipe', 'pipe']
      })
      let out = ''
      child.stdout.on('data', d => (out += d))
      child.stderr.on('data', d => (out += d))
      child.on('close', code => resolve({ code, out }))
    })
    expect(compare.code, compare.out).toBe(0)
    expectNeutral('CLI compare output', compare.out, false)
  }, 60_000)

  it('an error message written by user code (a strategy that raises) is neutralised too', async () => {
    const strategy = file(
      'evil_strategy.py',
      `def decide(bars, state):\n    raise ValueError(${JSON.stringify(EVIL.replace(/\n/g, ' '))})\n`
    )
    const r = await runBenchmarks(
      benchConfig({
        provider: 'local',
        only: 'trading.strategy-execution',
        'strategy-path': strategy,
        'run-tag': newRunTag('evil-strategy')
      })
    )
    const b = r.benchmarks[0]
    expect(b.status).toBe('error')
    expect(b.error).toContain(MENTION)
    for (const [where, out, md] of [
      ['report', renderReport(r), true],
      ['comment', renderComment(r), true],
      ['job summary', renderJobSummary(r), true],
      ['console', renderConsoleSummary(r), false]
    ] as const) {
      expect(out, where).toContain('trading.strategy-execution')
      expectNeutral(where, out, md)
    }
  }, 60_000)
})
