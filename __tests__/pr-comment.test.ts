// The PR comment and the job summary a reviewer reads in ten seconds (issue 17): golden files for each kind of
// outcome, a Markdown parser over every one of them, and the rules behind the headline, the table and the budget.
// Regenerate the golden files after an intended change with: UPDATE_GOLDEN=1 npx vitest run __tests__/pr-comment.test.ts
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { marked, type Token, type Tokens } from 'marked'
import { describe, expect, it } from 'vitest'
import { BENCHMARK_IDS } from '../src/bench/catalog.js'
import { compareDuet } from '../src/duet/verdict.js'
import { makeMetric } from '../src/results/metric.js'
import type { Results } from '../src/results/schema.js'
import { compareResults, type Comparison } from '../src/stats/compare.js'
import { MAX_COMMENT_CHARS, renderComment } from '../src/report/comment-body.js'
import { benchmarkRows } from '../src/report/digest.js'
import { geometricMean, overallImpact, worseRatio } from '../src/report/impact.js'
import { renderJobSummary } from '../src/report/job-summary.js'
import { mulberry32 } from '../src/stats/bootstrap.js'
import { analyseTrend } from '../src/stats/trend.js'
import { applyConfirmation } from '../src/action/confirm.js'
import { artifactRuns, duetRun, MATRIX, type Factors } from './support/digest-fixtures.js'

const GOLDEN = join(import.meta.dirname, 'golden', 'comment')
const UPDATE = process.env.UPDATE_GOLDEN === '1'
const LINKS = {
  prNumber: 5,
  runUrl: 'https://github.com/acme/swarm/actions/runs/42',
  methodUrl: 'https://github.com/org/swarm-bench-action/blob/v1/docs/regressions.md'
}
const SHARP = { noHistoryNoisePct: 2, removeShift: false }
const LAT = 'communication.inter-agent-latency'

const ONE: Factors = { [`${LAT}/rtt_ms`]: 1.23 }
const MANY: Factors = {
  [`${LAT}/rtt_ms`]: 1.5,
  [`${LAT}/multi_hop_ms`]: 2,
  'trading.consensus/decision_ms': 1.3,
  'communication.state-sync/sync_ms.mesh': 1.4,
  'resources.memory/rss_mib.agent': 1.25,
  'resources.network/bytes_per_op.consensus': 1.5,
  'trading.strategy-execution/compute_ms': 0.6,
  'communication.message-throughput/saturated_msg_per_s': 1.5,
  'costs.per-operation/cost_per_decision': 1.2
}

interface Case {
  results: Results
  comparison?: Comparison
  /** Only the job summary: a fork's pull request gets no comment. */
  fork?: boolean
  /** Only the job summary: a default-branch run, which comments on no pull request. */
  summaryOnly?: boolean
}

/** A default-branch run whose history holds 40 runs, `trading.consensus/decision_ms` stepped +25 % at run h25. */
function withStep(results: Results): Results {
  const key = 'trading.consensus/decision_ms'
  const now = results.benchmarks
    .find(b => b.id === 'trading.consensus')!
    .metrics.find(m => m.name === 'decision_ms')!
  const level = now.summary.median
  const rand = mulberry32(3)
  const history = Array.from({ length: 40 }, (_, i) => ({
    runId: `h${i}`,
    sha: `${String(i).padStart(4, '0')}${'c'.repeat(36)}`,
    startedAt: `2026-11-${String(1 + (i % 28)).padStart(2, '0')}T00:00:00Z`,
    values: { [key]: (level / (i >= 25 ? 1 : 1.25)) * Math.exp(0.02 * (rand() - 0.5)) }
  })).reverse()
  return {
    ...results,
    run: { ...results.run, git: { sha: 'd'.repeat(40), ref: 'refs/heads/main', runId: '77' } },
    history
  }
}

function cases(): Record<string, Case> {
  const same = duetRun()
  const one = duetRun(ONE)
  const many = duetRun(MANY)
  const art = artifactRuns(MANY)
  const noDuet = 'no duet: the base commit’s code could not be had (a fork without the base)'
  const artifact = compareResults(art.baseline, art.head, SHARP)
  artifact.warnings.push(noDuet)
  const neither = compareResults(undefined, art.head, {
    noBaselineReason: 'no successful run of workflow benchmark.yml on main has an unexpired artifact'
  })
  neither.warnings.push(noDuet)
  const hooked: Results = {
    ...one,
    run: {
      ...one.run,
      environment: {
        ...one.run.environment,
        hooks: { module: 'swarm_hooks.py', user: ['on_message', 'vote'] }
      }
    }
  }
  const stepped = withStep(art.baseline)
  return {
    'duet-no-change': { results: same, comparison: compareDuet(same) },
    'duet-one-regression': { results: one, comparison: compareDuet(one) },
    'duet-many-changes': { results: many, comparison: compareDuet(many) },
    'artifact-fallback': { results: art.head, comparison: artifact },
    'neither-available': { results: art.head, comparison: neither },
    'accepted-by-label': {
      results: many,
      comparison: { ...compareDuet(many), accepted: { label: 'swarm-bench:accept', by: 'alice' } }
    },
    fork: { results: one, comparison: compareDuet(one), fork: true },
    'user-hooks': { results: hooked, comparison: compareDuet(hooked) },
    'cost-over-budget': {
      results: one,
      comparison: {
        ...compareDuet(one),
        budget: { maxUsd: 0.0001, usd: one.cost.usd, estimated: true, exceeded: one.cost.usd > 0.0001 }
      }
    },
    // The re-measurement (an unchanged duet) does not repeat the regression: it is cleared.
    'confirm-cleared': {
      results: one,
      comparison: applyConfirmation(compareDuet(one), [compareDuet(same)], 0.0003)
    },
    'change-point': {
      results: stepped,
      comparison: {
        ...compareResults(art.baseline, stepped, SHARP),
        trend: analyseTrend(stepped, { thresholdPct: 10 })
      },
      summaryOnly: true
    }
  }
}

function renderings(): [string, string][] {
  return Object.entries(cases()).flatMap(([name, c]) => {
    const summary: [string, string] = [
      `${name}.summary.md`,
      renderJobSummary(c.results, c.comparison, {
        ...LINKS,
        artifactName: 'swarm-bench-results',
        fork: c.fork
      })
    ]
    return c.fork || c.summaryOnly
      ? [summary]
      : [[`${name}.comment.md`, renderComment(c.results, c.comparison, LINKS)], summary]
  })
}

describe('golden files', () => {
  for (const [file, text] of renderings()) {
    it(file, () => {
      const path = join(GOLDEN, file)
      if (UPDATE || !existsSync(path)) writeFileSync(path, text)
      expect(text).toBe(readFileSync(path, 'utf8'))
    })
  }
})

/** Every token of a Markdown document, nested ones included. */
function walk(tokens: Token[], out: Token[] = []): Token[] {
  for (const t of tokens) {
    out.push(t)
    const nested = (t as { tokens?: Token[] }).tokens
    if (nested) walk(nested, out)
  }
  return out
}

describe('every table and <details> parses (marked, GitHub-flavoured)', () => {
  for (const [file, text] of renderings()) {
    it(file, () => {
      const tokens = walk(marked.lexer(text, { gfm: true }))
      const tables = tokens.filter((t): t is Tokens.Table => t.type === 'table')
      // As many tables as delimiter rows in the source: none fell apart into a paragraph.
      const delimiters = text.split('\n').filter(l => /^\|(\s*:?-+:?\s*\|)+$/.test(l))
      expect(tables.length).toBe(delimiters.length)
      for (const t of tables) {
        // Every source row became a row of as many cells as the header: no stray pipe split a cell.
        const sourceRows = t.raw.trim().split('\n').length - 2
        expect(t.rows.length).toBe(sourceRows)
        for (const [i, line] of t.raw.trim().split('\n').entries()) {
          if (i === 1) continue
          const cells = line.replace(/\\\|/g, '').split('|').length - 2
          expect(cells, line).toBe(t.header.length)
        }
      }
      // Each <details> opens and closes in an HTML block of its own, never inside a paragraph or a cell.
      const html = tokens.filter(t => t.type === 'html').map(t => t.raw)
      const opens = html.join('\n').match(/<details>/g)?.length ?? 0
      const closes = html.join('\n').match(/<\/details>/g)?.length ?? 0
      expect(opens).toBe(text.match(/<details>/g)?.length ?? 0)
      expect(closes).toBe(opens)
      // Mermaid charts are fenced code blocks of their own.
      const mermaid = tokens.filter(t => t.type === 'code' && (t as Tokens.Code).lang === 'mermaid')
      expect(mermaid.length).toBe(text.match(/```mermaid/g)?.length ?? 0)
    })
  }
})

describe('the headline sentence', () => {
  const c = cases()
  const comment = (name: string): string => renderComment(c[name].results, c[name].comparison, LINKS)
  const headline = (text: string): string => text.split('\n').find(l => l.startsWith('### '))!

  it('names the slowed benchmark, its change and p, and how many more', () => {
    expect(headline(comment('duet-one-regression'))).toMatch(
      /^### Merging #5 will slow `communication\.inter-agent-latency` by 2\d\.\d% \(p < 0\.001\)$/
    )
    expect(headline(comment('duet-many-changes'))).toMatch(
      /^### Merging #5 will slow `communication\.inter-agent-latency` by 10\d\.\d% \(p < 0\.001\) and [4-6] more$/
    )
  })

  it('without a change: the benchmarks counted, never a fixed number, and the smallest detectable change', () => {
    expect(headline(comment('duet-no-change'))).toMatch(
      /^### No measurable change across 17 benchmarks \(smallest detectable change \d+–\d+%\)$/
    )
    // Two benchmarks only: the count follows the run.
    const few = duetRun()
    const keep = new Set(['trading.consensus', LAT])
    few.benchmarks = few.benchmarks.filter(b => keep.has(b.id))
    few.duet!.benchmarks = few.duet!.benchmarks.filter(b => keep.has(b.id))
    expect(headline(renderComment(few, compareDuet(few), LINKS))).toMatch(/across 2 benchmarks/)
  })

  it('says accepted by label and who applied it', () => {
    const text = comment('accepted-by-label')
    expect(headline(text)).toMatch(/, accepted by label `swarm-bench:accept`$/)
    expect(text).toContain('**Accepted by label** `swarm-bench:accept` (applied by @\u200dalice)')
    expect(text).toMatch(/☑️ accepted by label/)
  })

  it('falls back to the artifact, and says so when neither exists', () => {
    expect(comment('artifact-fallback')).toContain('Against the baseline artifact: run `bbbbbbbbbbbb`')
    expect(headline(comment('neither-available'))).toMatch(
      new RegExp(
        `^### Not compared \\(no successful run of workflow benchmark\\.yml on main has an unexpired artifact\\): ${BENCHMARK_IDS.length} benchmarks measured$`
      )
    )
  })
})

describe('the table', () => {
  it('one row per benchmark from its primary headline, regressions first, a verdict of another metric on its row', () => {
    const r = duetRun({ [`${LAT}/multi_hop_ms`]: 2, 'trading.consensus/decision_ms': 1.3 })
    const rows = benchmarkRows(r, compareDuet(r))
    expect(rows).toHaveLength(BENCHMARK_IDS.length)
    expect(rows.map(x => x.benchmarkId).slice(0, 2)).toEqual([LAT, 'trading.consensus'])
    // The latency row shows rtt_ms (its primary), unchanged, and carries multi_hop_ms's regression.
    expect(rows[0].metric).toBe('rtt_ms')
    expect(rows[0].status).toBe('regression')
    const body = renderComment(r, compareDuet(r), LINKS)
    expect(body).toMatch(
      /\| `communication\.inter-agent-latency` · rtt\\_ms \|[^\n]*✅ unchanged · ❌ multi\\_hop\\_ms \+100\.\d%/
    )
    // Unchanged rows are folded away.
    expect(body).toMatch(/<details><summary>✅ 15 unchanged benchmarks<\/summary>/)
  })

  it('an insufficient-data row says what would make it sufficient', () => {
    const text = renderComment(cases()['duet-no-change'].results, cases()['duet-no-change'].comparison, LINKS)
    expect(text).toMatch(/`resources\.cpu` · cpu\\_s\.agent[^\n]*❔ needs ≥ 3 pairs, had 2/)
    const a = cases()['artifact-fallback']
    expect(renderComment(a.results, a.comparison, LINKS)).not.toMatch(/insufficient-data/)
  })

  it('each regression has its evidence: a Mermaid chart of the pairs, a text fallback and one line of statistics', () => {
    const c = cases()['duet-one-regression']
    const text = renderComment(c.results, c.comparison, LINKS)
    expect(text).toMatch(
      /<details><summary>❌ communication\.inter-agent-latency · rtt\\_ms: \+2\d\.\d% — evidence<\/summary>/
    )
    expect(text).toMatch(/```mermaid\nxychart-beta\n {2}title "rtt_ms: base \(first line\) vs head"/)
    expect(text).toMatch(/Base → head, means of 2 consecutive pairs \(ms\): 0\.1\d+ → 0\.1\d+/)
    expect(text).toContain(`— trimmed t on the paired log ratios, [method](${LINKS.methodUrl}).`)
    // The method paragraph has left the comment.
    expect(text).not.toMatch(/every agent request paired with its twin|Holm-corrected together/)
  })

  it('a cost line with this run’s cost and the change in cost per operation', () => {
    const c = cases()['duet-many-changes']
    expect(renderComment(c.results, c.comparison, LINKS)).toMatch(
      /💰 This run cost \$0\.0003\d* \(estimated as if on E2B, both sides of the duet\) · cost per operation \+(19|20)\.\d% \(cost\\_per\\_decision: \$0\.0000021 → \$0\.0000025\d*\)\./
    )
  })
})

describe('overall impact (CodSpeed: geometric mean of the changed benchmarks, else of all)', () => {
  it('computes the geometric mean of ratios', () => {
    expect(geometricMean([2, 0.5])).toBeCloseTo(1, 12)
    expect(geometricMean([])).toBeUndefined()
    // CodSpeed's own example: impacts 0.1, 0.3, −0.2 average to about 0.0459.
    expect(geometricMean([1.1, 1.3, 0.8])! - 1).toBeCloseTo(0.0459, 4)
  })

  it('uses the changed benchmarks when any changed, else all; higher-is-better ratios are turned around', () => {
    expect(
      overallImpact([
        { ratio: 1.5, changed: true },
        { ratio: 0.6, changed: true },
        { ratio: 1.01, changed: false }
      ])
    ).toEqual({ pct: expect.closeTo((Math.sqrt(0.9) - 1) * 100, 9), over: 2, changedOnly: true })
    expect(overallImpact([{ ratio: 1.02, changed: false }])!.changedOnly).toBe(false)
    expect(worseRatio(50, 'higher')).toBeCloseTo(1 / 1.5, 12)
    expect(worseRatio(50, 'lower')).toBe(1.5)
  })
})

describe('size', () => {
  it('stays under 65,536 characters with every benchmark × every metric, escaped, everything regressed', () => {
    const r = duetRun()
    const hostile = '<b>x</b>|@team #12 `y`'
    const grow = (side: Results['benchmarks'], factor: number): void => {
      for (const b of side) {
        const base = MATRIX[b.id][0]
        for (let i = 0; i < 60; i++)
          b.metrics.push(
            makeMetric({
              name: `${base.name}.${'v'.repeat(40)}${i}${hostile}`,
              unit: 'ms',
              direction: 'lower',
              source: 'agent',
              gate: true,
              samples: Array.from(
                { length: 40 },
                (_, k) => (10 + (k % 7) * 0.1) * factor * (1 + (k % 3) * 0.001)
              )
            })
          )
      }
    }
    grow(r.duet!.benchmarks, 1)
    grow(r.benchmarks, 2)
    const c = compareDuet(r)
    expect(c.regressions.length).toBeGreaterThan(1000)
    const marker = '<!-- swarm-bench-action:sticky:swarm-bench-results -->'
    const body = renderComment(r, c, { ...LINKS, marker })
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS)
    expect(body.startsWith(`${marker}\n`)).toBe(true)
    expect(body).toMatch(/more regressions' evidence omitted/)
    expect(body).toMatch(/more rows omitted — see the report artifact/)
    expect(body).not.toContain('<b>x</b>')
    expect(body).not.toMatch(/@team/)
    const tokens = walk(marked.lexer(body, { gfm: true }))
    expect(tokens.filter(t => t.type === 'table').length).toBe(
      body.split('\n').filter(l => /^\|(\s*:?-+:?\s*\|)+$/.test(l)).length
    )
  })
})
