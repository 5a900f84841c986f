import { describe, expect, it } from 'vitest'
import { CATALOG } from '../src/bench/catalog.js'
import { costOf } from '../src/cost/pricing.js'
import { E2B_DEFAULT_PRICING } from '../src/sandbox/e2b/pricing.js'
import { benchmarkStatus, makeMetric, type MetricInput } from '../src/results/metric.js'
import { Results, SCHEMA_VERSION, type BenchmarkResult, type Metric } from '../src/results/schema.js'
import { mulberry32 } from '../src/stats/bootstrap.js'
import { compareResults } from '../src/stats/compare.js'
import { renderComment, MAX_COMMENT_CHARS } from '../src/report/comment-body.js'
import { renderConsoleSummary } from '../src/report/console.js'
import { escapeMd, mermaidText, stripControl } from '../src/report/escape.js'
import { targetMargin } from '../src/report/data.js'
import { fmtNum, fmtUsd, mermaidNumber } from '../src/report/format.js'
import { renderReport } from '../src/report/markdown.js'
import { renderJobSummary } from '../src/report/job-summary.js'

// These fixtures have no history and slow every metric alike: a narrow assumed run-to-run noise and no shift removal
// let their +50 % changes be called, so the rendering of regressions is what is tested here (the rules are
// compare.test.ts's).
const SHARP = { noHistoryNoisePct: 2, removeShift: false }

const EVIL = '<script>alert(1)</script> | @org/team fixes #123 `x` [y](http://e) *b* _i_\u001b[31m'

function samples(center: number, n: number, seed: number, spread = 0.03): number[] {
  const rand = mulberry32(seed)
  return Array.from({ length: n }, () => center * (1 + spread * (rand() * 2 - 1)))
}

const metric = (name: string, center: number, extra: Partial<MetricInput> = {}, seed = 1): Metric =>
  makeMetric({
    name,
    unit: 'ms',
    direction: 'lower',
    source: 'agent',
    samples: samples(center, 12, seed),
    ...extra
  })

/** A run over the whole catalog, with the label conventions the benchmarks follow. */
function fixture(scale = 1, seed = 1): Results {
  const benchmarks: BenchmarkResult[] = CATALOG.map((entry, i) => {
    const metrics: Metric[] = [metric('duration_ms', 100 * scale, {}, seed + i)]
    const facts: BenchmarkResult['facts'] = {}
    if (entry.id === 'scalability.agent-count') {
      for (const agents of [2, 4, 8, 16]) {
        for (const [topology, k] of [
          ['mesh', 1.4],
          ['ring', 1]
        ] as const) {
          metrics.push(
            metric(`create_ms.${topology}.${agents}`, 50 * Math.pow(agents, 0.5) * k * scale, {
              labels: { agents, topology }
            })
          )
        }
      }
      facts['scaling_exponent.create_ms'] = 0.5
      facts['scaling_exponent_ci_low.create_ms'] = 0.4
      facts['scaling_exponent_ci_high.create_ms'] = 0.6
      facts['sublinear.create_ms'] = true
      // An interval that reaches 1: not sub-linear, but not shown to grow linearly either.
      facts['scaling_exponent.link_ms'] = 0.8
      facts['scaling_exponent_ci_low.link_ms'] = 0.3
      facts['scaling_exponent_ci_high.link_ms'] = 1.3
      facts['sublinear.link_ms'] = false
    }
    if (entry.id === 'scalability.topology-compare') {
      for (const [topology, v] of [
        ['mesh', 30],
        ['hierarchical', 20],
        ['ring', 45],
        ['star', 25]
      ] as const) {
        metrics.push(metric(`consensus_ms.${topology}`, v * scale, { labels: { topology, agents: 8 } }))
      }
      facts['winner.consensus_ms'] = 'hierarchical'
    }
    if (entry.id === 'creation.parallel-speedup') facts['speedup.deploy'] = 2.9
    if (entry.id === 'costs.per-operation') {
      metrics.push(
        metric('usd_per_op', 0.000012 * scale, { unit: 'usd/op', source: 'derived' }),
        metric('ops_per_s', 80 / scale, { unit: 'op/s', direction: 'higher', headline: 'mean' })
      )
    }
    if (entry.id === 'costs.by-topology') {
      for (const [topology, v] of [
        ['mesh', 0.004],
        ['ring', 0.002]
      ] as const) {
        metrics.push(metric(`usd.${topology}`, v, { unit: 'usd', labels: { topology } }))
      }
    }
    if (entry.id === 'communication.inter-agent-latency') {
      metrics.push(
        metric('rtt_ms', 3 * scale, { target: { op: '<', value: 50, stat: 'p95', source: 'seed' } }),
        metric('rtt_slow_ms', 80 * scale, { target: { op: '<', value: 50, stat: 'p95', source: 'seed' } })
      )
    }
    if (entry.id === 'resources.memory') {
      metrics.push(metric(`rss_mib.${EVIL}`, 40, { unit: 'MiB', labels: { topology: 'mesh', phase: EVIL } }))
    }
    const error = entry.id === 'trading.consensus' ? `agent 2 exited: ${EVIL}` : undefined
    return {
      id: entry.id,
      category: entry.category,
      title: entry.id === 'resources.memory' ? EVIL : entry.title,
      status: benchmarkStatus(error ? [] : metrics, error),
      params: { agents: 3, note: EVIL },
      metrics: error ? [] : metrics,
      facts,
      error,
      durationMs: 1234
    }
  })
  return Results.parse({
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'swarm-bench', version: '0.1.0' },
    run: {
      provider: 'local',
      profile: 'quick',
      startedAt: '2025-01-01T00:00:00.000Z',
      endedAt: '2025-01-01T00:05:00.000Z',
      durationMs: 300_000,
      environment: {
        node: 'v20.20.0',
        python: '3.11.9',
        platform: 'linux',
        arch: 'x64',
        cpus: 2,
        cpuModel: 'Test CPU @ 2.0GHz',
        memoryTotalBytes: 8 * 1024 ** 3,
        providerDetails: { description: 'local child processes', [EVIL]: EVIL }
      },
      git: { sha: '0123456789abcdef0123', runId: '42' },
      complete: true
    },
    benchmarks,
    cost: costOf(
      Array.from({ length: 6 }, (_, i) => ({
        label: `s${i}`,
        allocation: { vcpu: 2, memoryMiB: 512 },
        seconds: 30
      })),
      E2B_DEFAULT_PRICING,
      true
    ),
    history: []
  })
}

/** Every Markdown table keeps the same number of (unescaped) cell separators on every row. */
function expectTablesIntact(md: string): void {
  const cols = (line: string) => line.replace(/\\\\/g, '').replace(/\\\|/g, '').split('|').length
  let inCode = false
  let width: number | undefined
  for (const line of md.split('\n')) {
    if (line.startsWith('```')) inCode = !inCode
    if (inCode || !line.startsWith('|')) {
      width = undefined
      continue
    }
    if (width === undefined) width = cols(line)
    else expect(cols(line), line).toBe(width)
  }
}

function expectClean(text: string): void {
  expect(text).not.toMatch(/undefined|NaN|\[object Object\]/)
  expect(text).not.toContain('<script>')
  expect(text).not.toMatch(/@org/)
  expect(text).not.toMatch(/#123/)
  expect(text).not.toContain('\u001b')
}

describe('escape', () => {
  it('neutralises HTML, table pipes, mentions, issue refs and controls', () => {
    const e = escapeMd(EVIL)
    expect(e).not.toContain('<script>')
    expect(e).toContain('&lt;script&gt;')
    expect(e).toContain('\\|')
    expect(e).toContain('@\u200dorg/team')
    expect(e).toContain('#\u200d123')
    expect(e).not.toContain('`')
    expect(e).toContain('\\[y\\]')
    expect(e).toContain('\\*b\\*')
    expect(e).not.toContain('\u001b')
    expect(escapeMd('a'.repeat(500), 50)).toHaveLength(50)
    expect(escapeMd('a'.repeat(500), 50).endsWith('…')).toBe(true)
    expect(escapeMd('x\\|y')).toBe('x\\\\\\|y')
    expect(stripControl('a\nb\u202ec')).toBe('a b c')
    expect(mermaidText('"quoted" [x] `y`')).toBe('quoted x y')
    expect(escapeMd('see https://evil.example and www.evil.example')).toBe(
      'see https:\u200d//evil.example and www\u200d.evil.example'
    )
  })

  it('formats numbers without NaN and mermaid numbers without exponents', () => {
    expect(fmtNum(NaN)).toBe('—')
    expect(fmtNum(undefined)).toBe('—')
    expect(fmtNum(1234567)).toBe('1,234,567')
    expect(fmtNum(12.3456)).toBe('12.35')
    expect(fmtNum(50)).toBe('50')
    expect(fmtNum(0.000123456)).toBe('0.000123')
    expect(fmtUsd(0.0000123)).toBe('$0.0000123')
    expect(fmtUsd(26.136)).toBe('$26.14')
    expect(mermaidNumber(1.2e-7)).toBe('0.00000012')
    expect(mermaidNumber(123456.789)).toBe('123457')
  })
})

describe('renderReport', () => {
  const results = fixture()
  const md = renderReport(results)

  it('has every section, every benchmark, charts, and nothing undefined', () => {
    for (const heading of [
      '# Swarm Benchmarks Report',
      '## Executive summary',
      '## Performance metrics',
      '### Swarm creation',
      '### Scalability',
      '### Trading operations',
      '### Communication',
      '### Resources',
      '### Costs',
      '## Scalability',
      '## Resource analysis',
      '## Cost analysis',
      '### Cost per operation',
      '### Cost per topology',
      '### Projections',
      '## Recommendations',
      '## Charts',
      '## Environment',
      '## How to reproduce'
    ]) {
      expect(md).toContain(`\n${heading}\n`.replace(/^\n# /, '# '))
    }
    expect(md).not.toContain('## Comparison with baseline')
    for (const entry of CATALOG) expect(md).toContain(`\`${entry.id}\``)
    expect(md.match(/```mermaid\nxychart-beta\n/g)!.length).toBeGreaterThanOrEqual(3)
    expect(md).toMatch(/line \[[\d., ]+\]\n {2}line \[/)
    expect(md).toMatch(/bar \[[\d., ]+\]/)
    expectClean(md)
    expectTablesIntact(md)
  })

  it('derives its content from the data', () => {
    // executive summary counts and targets tied to each metric
    expect(md).toMatch(/\| 18 \| 16 \| 1 \| 1 \| 0 \|/)
    expect(md).toContain('**Targets:** 1 of 2 met.')
    // the margin column: 50 ms ÷ p95 8x ms ≈ 0.6× (outside), and the local run says it cannot judge a network
    expect(md).toMatch(
      /rtt\\_slow\\_ms \| p95 &lt; 50 ms \(seed\) \| p95 8\d\.\d\d ms \| 0\.(5|6)\d*× \| ❌ missed/
    )
    expect(md).toContain('A local run cannot judge what a network will do')
    // errored benchmark shows its error (escaped)
    expect(md).toContain('💥 **Error:** agent 2 exited: &lt;script&gt;')
    // cost labelled and computed from the run: 6 × 30 s × $0.00003025 = $0.005445
    expect(md).toContain('Estimated as if on E2B')
    expect(md).toContain('$0.00545')
    // which cost figures are billed lifetimes and which are modelled from busy time, said in words
    const costSection = md.slice(md.indexOf('## Cost analysis'))
    expect(costSection).toMatch(/\*\*Billed:\*\*[^\n]*whole lifetime from the create request/)
    expect(costSection.slice(costSection.indexOf('### Cost per operation'))).toMatch(
      /^### Cost per operation\n\n\*\*Modelled, not billed:\*\* the busy seconds/
    )
    // projections from the measured usd/op median (≈ 0.000012) × 100,000 ops/day ≈ $1.20/day
    expect(md).toMatch(/\$1\.(19|20|21)\/day/)
    // scalability: fitted exponent of 50·agents^0.5 ≈ 0.5
    expect(md).toMatch(/create\\_ms · ring[^\n]*\| 0\.(49|50|51) \|/)
    expect(md).toContain('sublinear.create\\_ms | yes (95 % CI 0.40 … 0.60)')
    expect(md).toContain('scaling\\_exponent.create\\_ms | 0.5 (95 % CI 0.40 … 0.60)')
    expect(md).toContain(
      'create\\_ms scales sub-linearly with the swarm (exponent 0.50, 95 % CI 0.40 … 0.60)'
    )
    expect(md).toContain('link\\_ms is not shown to scale sub-linearly (exponent 0.80, 95 % CI 0.30 … 1.30)')
    // recommendations: winner per topology comes from the measurements
    expect(md).toContain(
      '- consensus\\_ms in `scalability.topology-compare`: **hierarchical** is best (lower is better): ' +
        'at 8 agents 20.08 ms, 20.0% below star (25.11 ms). Its confidence interval is clear of the runner-up’s.'
    )
    expect(md).toMatch(
      /- create\\_ms in `scalability.agent-count`: \*\*ring\*\* is best at every swarm size measured [^\n]*at 16 agents 200.8 ms, 28.6% below mesh/
    )
    expect(md).toMatch(/- usd in `costs.by-topology`: \*\*ring\*\* is best/)
    expect(md).toContain('measured a speedup for deploy of 2.9×')
    expect(md).toMatch(/rtt\\_slow\\_ms missed its target: measured p95 8\d\.\d\d ms/)
    // environment and reproduce command from the run
    expect(md).toContain('Test CPU @\u200d 2.0GHz')
    expect(md).toContain('3.11.9')
    expect(md).toContain('npx swarm-bench run --provider local --profile quick')
  })

  it('changes when the measurements change (no static text)', () => {
    const other = fixture(2, 5)
    other.run.profile = 'full'
    const md2 = renderReport(other)
    expect(md2).not.toEqual(md)
    expect(md2).toContain('--profile full')
    // winner flips when the data says so
    const flipped = fixture()
    const topo = flipped.benchmarks.find(b => b.id === 'scalability.topology-compare')!
    topo.metrics = topo.metrics.map(m =>
      m.labels?.topology === 'ring' ? metric(m.name, 5, { labels: m.labels }) : m
    )
    expect(renderReport(flipped)).toMatch(
      /- consensus\\_ms in `scalability.topology-compare`: \*\*ring\*\* is best/
    )
  })

  it('reports equal headline values as a tie, not a 0 % win', () => {
    const tied = fixture()
    const topo = tied.benchmarks.find(b => b.id === 'scalability.topology-compare')!
    topo.metrics = topo.metrics.map(m =>
      m.labels?.topology ? makeMetric({ ...m, samples: [7, 7, 7, 7] }) : m
    )
    const text = renderReport(tied)
    expect(text).toContain(
      'consensus\\_ms in `scalability.topology-compare`: mesh = hierarchical = ring = star tie'
    )
    expect(text).not.toMatch(/[^0-9.]0\.0% below/)
  })

  it('renders a comparison section when given one', () => {
    const head = fixture(1.5, 9)
    const c = compareResults(results, head, SHARP)
    const withCmp = renderReport(head, c)
    expect(withCmp).toContain('## Comparison with baseline')
    expect(withCmp).toMatch(/❌ \d+ regressions?/)
    expect(withCmp).toContain('Holm')
    expectClean(withCmp)
    expectTablesIntact(withCmp)
    const none = renderReport(head, compareResults(undefined, head, { noBaselineReason: 'artifact expired' }))
    expect(none).toContain('⚠️ no baseline: artifact expired')
  })

  it('survives an empty run', () => {
    const empty = fixture()
    empty.benchmarks = []
    empty.cost = costOf([], E2B_DEFAULT_PRICING, false)
    const text = renderReport(empty)
    expect(text).toContain('## Recommendations')
    expect(text).toContain('This run recorded no benchmark.')
    expectClean(text)
  })
})

describe('renderComment', () => {
  const base = fixture()
  const head = fixture(1.5, 9)

  it('starts with the marker and the headline, then the verdict, the benchmarks and the evidence', () => {
    const c = compareResults(base, head, SHARP)
    expect(c.regressions.length).toBeGreaterThan(0)
    const body = renderComment(head, c, { marker: '<!-- m -->' })
    expect(body.startsWith('<!-- m -->\n### This change will slow `')).toBe(true)
    expect(body).toContain(`**❌ ${c.regressions.length} regression`)
    // The reader is told why only large changes are called yet: the baseline has no history.
    expect(body).toMatch(/with 0 run\(s\) of history \(until 10, 2% noise per run is assumed/)
    expect(body).toContain('| Benchmark | Base | Head | Change | Verdict | MDE |')
    expect(body).toMatch(/<details><summary>Every judged metric \(\d+\), by benchmark<\/summary>/)
    expect(body).toMatch(/— evidence<\/summary>/)
    expect(body).toContain('🎯 ')
    expect(body).toContain('💥 1 benchmark errored')
    expectClean(body)
    expectTablesIntact(body)
  })

  it('the report (not the comment) tells how much of the run-wide shift the runner floor accounts for', () => {
    const withFloor = (r: Results, ms: number, seed: number): Results => ({
      ...r,
      run: { ...r.run, floor: metric('cpu_floor_ms', ms, { gate: false }, seed) }
    })
    const c = compareResults(withFloor(base, 0.06, 3), withFloor(head, 0.09, 4))
    expect(c.shift!.floorPct!).toBeGreaterThan(45)
    const report = renderReport(head, c)
    expect(report).toMatch(
      /in this comparison; the runner floor, which no code change moves, \+(4[5-9]|5[0-5])\.\d%\)/
    )
    // The method paragraph has left the comment: it links to docs/regressions.md instead.
    expect(renderComment(head, c)).not.toContain('which no code change moves')
    expect(renderComment(head, c)).toContain('how a regression is decided: `docs/regressions.md`')
    // Without floors nothing is said about one.
    expect(renderReport(head, compareResults(base, head))).not.toContain('which no code change moves')
  })

  it('says when there is no regression, or no baseline', () => {
    const same = renderComment(base, compareResults(base, base))
    expect(same).toContain('**✅ no regression**')
    expect(same).toMatch(/### No measurable change across \d+ benchmarks/)
    const none = renderComment(
      head,
      compareResults(undefined, head, { noBaselineReason: 'no successful run on main' })
    )
    expect(none).toContain('### Not compared (no successful run on main)')
    expect(none).toContain('**⚠️ no baseline: no successful run on main**')
    expect(none).toMatch(/<details><summary>\d+ benchmarks measured, not compared<\/summary>/)
    expect(renderComment(head)).toContain('⚠️ no baseline')
    const other = structuredClone(head)
    for (const b of other.benchmarks) b.metrics = b.metrics.map(m => ({ ...m, name: `${m.name}_renamed` }))
    expect(renderComment(other, compareResults(base, other))).toMatch(
      /\*\*⚠️ no metric could be compared \(36 new, 36 missing, 0 with insufficient data\)\*\*/
    )
  })

  it('stays within 65,536 characters with thousands of metrics', () => {
    const big = (scale: number, seed: number): Results => {
      const r = fixture(scale, seed)
      r.benchmarks[0].metrics = Array.from({ length: 4000 }, (_, i) =>
        makeMetric({
          name: `m_${i}_${'long'.repeat(10)}`,
          unit: 'ms',
          direction: 'lower',
          source: 'host',
          samples: samples(100 * scale, 30, seed + i)
        })
      )
      return r
    }
    const b = big(1, 1)
    const h = big(1.5, 2)
    const c = compareResults(b, h, { ...SHARP, bootstrapIterations: 20 })
    expect(c.regressions.length).toBeGreaterThan(1000)
    const marker = '<!-- swarm-bench-action:sticky:swarm-bench-results -->'
    const body = renderComment(h, c, { marker })
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS)
    expect(body).toMatch(/\d+ more rows omitted — see the report artifact/)
    expect(body.startsWith(`${marker}\n`)).toBe(true)
    expect(body).toContain('</details>')
    expectTablesIntact(body)
    const small = renderComment(h, c, { maxChars: 5000 })
    expect(small.length).toBeLessThanOrEqual(5000)
    expect(small).toMatch(/more rows omitted/)
  })
})

describe('renderJobSummary and renderConsoleSummary', () => {
  const base = fixture()
  const head = fixture(1.5, 9)
  const c = compareResults(base, head, SHARP)

  it('job summary: verdict, missed targets, cost, links', () => {
    const s = renderJobSummary(head, c, {
      artifactName: 'swarm-bench-report',
      runUrl: 'https://example.test/run/1'
    })
    expect(s).toMatch(/^## This change will slow `/)
    expect(s).toMatch(/\*\*❌ \d+ regression/)
    expect(s).toContain('### Targets missed (1)')
    expect(s).toContain('(estimated as if on E2B)')
    expect(s).toContain('`swarm-bench-report`')
    expect(s).toContain('[Workflow run](https://example.test/run/1)')
    expect(renderJobSummary(head, c, { runUrl: 'javascript:alert(1)' })).not.toContain('javascript:')
    expectClean(s)
    expectTablesIntact(s)
  })

  it('console: aligned plain text with every benchmark and no control characters', () => {
    const text = renderConsoleSummary(head, c)
    for (const entry of CATALOG) expect(text).toContain(entry.id)
    expect(text).toMatch(/verdict: \d+ regression\(s\)/)
    expect(text).toContain('REGRESSION ')
    expect(text).toContain('MISSED')
    expect(text).not.toContain('\u001b')
    expect(text).not.toMatch(/undefined|NaN/)
    expect(renderConsoleSummary(head)).toContain('verdict: not compared')
  })
})

describe('targetMargin', () => {
  it('is target ÷ measured for an upper bound and measured ÷ target for a lower bound', () => {
    expect(targetMargin('<', 100, 0.015)).toBeCloseTo(6666.67, 1)
    expect(targetMargin('<=', 50, 100)).toBe(0.5)
    expect(targetMargin('>', 1.5, 3)).toBe(2)
    expect(targetMargin('>=', 100, 100)).toBe(1)
    expect(targetMargin('<', 100, 0)).toBeUndefined()
    expect(targetMargin(undefined, 100, 1)).toBeUndefined()
  })
})
