// Unit level, the gate options of issue 16 §3: the confirm-runs decision (a regression the re-measurement does not
// repeat is cleared and no longer fails the gate), the cost regression (a usd/op headline of a duet rising beyond
// the threshold is called out as one), the budget and the sticky comment's on-regression mode against the GitHub
// fake (no Octokit mocked away).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyConfirmation, benchmarksToConfirm, confirmRegressions } from '../src/action/confirm.js'
import {
  budgetMessage,
  costBudget,
  gateFailure,
  outputsOf,
  regressionAnnotation
} from '../src/action/outcome.js'
import { compareDuet } from '../src/duet/verdict.js'
import { createGitHubClient, upsertStickyComment } from '../src/github/index.js'
import { renderComment, resolvedNotice } from '../src/report/index.js'
import { makeMetric } from '../src/results/metric.js'
import type { Results } from '../src/results/schema.js'
import { mulberry32 } from '../src/stats/bootstrap.js'
import {
  SHIFT_KEY,
  costRegressions,
  noComparison,
  DEFAULT_COMPARE_OPTIONS,
  type Comparison,
  type MetricVerdict
} from '../src/stats/compare.js'
import { benchOf, resultsOf } from './support/results.js'
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js'

function verdict(key: string, kind: MetricVerdict['verdict'], unit = 'ms'): MetricVerdict {
  const [benchmarkId, metric] = key.split('/')
  return {
    key,
    benchmarkId,
    metric,
    unit,
    direction: 'lower',
    headline: 'median',
    verdict: kind,
    baseline: 1,
    head: kind === 'regression' ? 2 : 1,
    changePct: kind === 'regression' ? 100 : 0,
    nBaseline: 20,
    nHead: 20,
    reason: `${kind} by test`
  }
}

function comparison(verdicts: MetricVerdict[]): Comparison {
  const c = noComparison('', DEFAULT_COMPARE_OPTIONS)
  const regressions = verdicts.filter(v => v.verdict === 'regression')
  for (const v of verdicts) c.counts[v.verdict]++
  return {
    ...c,
    status: 'compared',
    reason: `${regressions.length} regression(s)`,
    verdicts,
    regressions,
    improvements: [],
    tested: verdicts.length
  }
}

const A = 'trading.strategy-execution/compute_ms'
const B = 'communication.inter-agent-latency/rtt_ms'

describe('confirm-runs: the decision', () => {
  const first = comparison([
    verdict(A, 'regression'),
    verdict(B, 'regression'),
    verdict('x.y/z', 'unchanged')
  ])

  it('a regression the re-measurement does not repeat is cleared, says why, and no longer fails the gate', () => {
    const rerun = comparison([verdict(A, 'unchanged'), verdict(B, 'regression')])
    const c = applyConfirmation(first, [rerun], 0.0042)
    expect(c.regressions.map(v => v.key)).toEqual([B])
    expect(c.counts.regression).toBe(1)
    expect(c.counts.unchanged).toBe(2)
    expect(c.confirm).toEqual({ runs: 1, stood: [B], cleared: [A], usd: 0.0042 })
    const cleared = c.verdicts.find(v => v.key === A)!
    expect(cleared.verdict).toBe('unchanged')
    expect(cleared.reason).toMatch(
      /^a regression in the first measurement, cleared by the confirm run\(s\): re-measurement 1: unchanged/
    )
    expect(c.verdicts.find(v => v.key === B)!.reason).toMatch(/confirmed by 1 of 1 re-measurement/)
    const gate = { results: undefined, failOnRegression: true, failOnTarget: false }
    expect(gateFailure({ ...gate, comparison: c })).toMatch(
      /^1 regression\(s\) found, confirmed by 1 confirm run/
    )
    // Both cleared: the gate passes, and the comment says what the confirm run cleared.
    const none = applyConfirmation(first, [comparison([verdict(A, 'unchanged'), verdict(B, 'improvement')])])
    expect(none.regressions).toEqual([])
    expect(gateFailure({ ...gate, comparison: none })).toBeUndefined()
    const body = renderComment(resultsOf([]), none)
    expect(body).toContain(
      `🔁 1 confirm run re-measured 2 regressions; cleared \`${A}\`, \`${B}\` (not repeated: not counted)`
    )
    // Without confirmation the same first comparison fails.
    expect(gateFailure({ ...gate, comparison: first })).toMatch(/2 regression\(s\) found/)
  })

  it('a regression stands only when a strict majority of the re-measurements repeat it; settled runs stop early', async () => {
    const say = (a: MetricVerdict['verdict']): Comparison => comparison([verdict(A, a)])
    const one = comparison([verdict(A, 'regression')])
    const queue = [say('regression'), say('unchanged'), say('regression')]
    const asked: string[][] = []
    const c = await confirmRegressions({
      comparison: one,
      runs: 3,
      only: [A.split('/')[0], 'trading.consensus'],
      measure: async ids => {
        asked.push(ids)
        return { comparison: queue.shift()!, usd: 0.001 }
      }
    })
    expect(asked).toEqual([
      ['trading.strategy-execution'],
      ['trading.strategy-execution'],
      ['trading.strategy-execution']
    ])
    expect(c.confirm?.stood).toEqual([A])
    expect(c.confirm?.usd).toBeCloseTo(0.003, 10)
    // Two of three said "unchanged" first: settled after two, cleared.
    const q2 = [say('unchanged'), say('insufficient-data'), say('regression')]
    let calls = 0
    const d = await confirmRegressions({
      comparison: one,
      runs: 3,
      only: ['trading.strategy-execution'],
      measure: async () => ({ comparison: q2[calls++], usd: 0 })
    })
    expect(calls).toBe(2)
    expect(d.confirm?.cleared).toEqual([A])
    expect(d.regressions).toEqual([])
  })

  it('re-measures only the regressed benchmarks, or all of them for the run-wide shift', () => {
    const only = ['trading.strategy-execution', 'communication.inter-agent-latency', 'trading.consensus']
    expect(benchmarksToConfirm([verdict(A, 'regression'), verdict(B, 'regression')], only)).toEqual([
      'trading.strategy-execution',
      'communication.inter-agent-latency'
    ])
    expect(benchmarksToConfirm([{ ...verdict('run/x', 'regression'), key: SHIFT_KEY }], only)).toEqual(only)
  })
})

describe('cost regression and the budget', () => {
  /** A duet of costs.per-operation whose head costs `factor` × the base per strategy execution. */
  function costDuet(factor: number): Results {
    const rand = mulberry32(7)
    const base: number[] = []
    const head: number[] = []
    for (let i = 0; i < 12; i++) {
      const c = 2e-7 * (1 + 0.2 * Math.sin(i))
      base.push(c * (1 + 0.03 * rand()))
      head.push(c * factor * (1 + 0.03 * rand()))
    }
    const m = (samples: number[]) =>
      makeMetric({
        name: 'cost_per_strategy_execution',
        unit: 'usd/op',
        direction: 'lower',
        source: 'derived',
        samples,
        gate: false
      })
    return resultsOf([benchOf('costs.per-operation', [m(head)], { category: 'costs' })], {
      duet: {
        base: { ref: 'main', sha: 'b'.repeat(40), changed: ['strategy'], notes: [] },
        benchmarks: [benchOf('costs.per-operation', [m(base)], { category: 'costs' })]
      }
    })
  }

  it('a usd/op headline rising ×3 in a duet is a cost regression: annotated, counted, called out in the comment', () => {
    const results = costDuet(3)
    const c = compareDuet(results, { thresholdPct: 10 })
    expect(costRegressions(c).map(v => v.key)).toEqual(['costs.per-operation/cost_per_strategy_execution'])
    const v = costRegressions(c)[0]
    expect(regressionAnnotation(v).title).toBe(
      'Cost regression: costs.per-operation/cost_per_strategy_execution'
    )
    expect(outputsOf({ comparison: c })['cost-regressions']).toBe('1')
    expect(gateFailure({ results, comparison: c, failOnRegression: true, failOnTarget: false })).toMatch(
      /1 regression\(s\) found, 1 of them cost regression\(s\)/
    )
    expect(renderComment(results, c)).toMatch(
      /💸 1 cost regression: the cost per operation rose beyond the threshold: `costs\.per-operation\/cost_per_strategy_execution` \+\d+/
    )
    // The same costs unchanged: no cost regression, no line.
    const same = compareDuet(costDuet(1), { thresholdPct: 10 })
    expect(costRegressions(same)).toEqual([])
    expect(renderComment(costDuet(1), same)).not.toContain('💸')
    // A timing regression is not a cost regression.
    expect(regressionAnnotation(verdict(A, 'regression')).title).toBe(`Regression: ${A}`)
  })

  it('max-cost-usd: over the budget fails even with the accept label or fail-on-regression off; confirm runs count', () => {
    const results = resultsOf([])
    const usd = results.cost.usd
    expect(costBudget(results, undefined)).toBeUndefined()
    const under = costBudget(results, usd * 2)!
    expect(under.exceeded).toBe(false)
    // The confirm runs' cost is added: the same budget is exceeded when they cost enough.
    const over = costBudget(results, usd * 2, usd * 1.5)!
    expect(over).toMatchObject({ exceeded: true, estimated: true, maxUsd: usd * 2 })
    expect(over.usd).toBeCloseTo(usd * 2.5, 12)
    const c = { ...comparison([verdict(A, 'regression')]), budget: over, accepted: { label: 'ok' } }
    expect(gateFailure({ results, comparison: c, failOnRegression: false, failOnTarget: false })).toBe(
      budgetMessage(over)
    )
    expect(budgetMessage(over)).toMatch(
      /^the run cost \$.* \(estimated as if on E2B: the local provider\), over max-cost-usd \$/
    )
  })
})

describe('comment mode on-regression against the GitHub fake', () => {
  let gh: FakeGitHub
  beforeAll(async () => {
    gh = await startFakeGitHub()
  })
  afterAll(async () => {
    await gh?.close()
  })

  it('posts nothing without a regression, comments on one, and marks it resolved once it is gone', async () => {
    const octokit = createGitHubClient(gh.token, { baseUrl: gh.url })
    const [owner, repo] = gh.repo.split('/')
    const base = { owner, repo, issueNumber: 9, marker: '<!-- m -->', mode: 'on-regression' as const }
    const resolved = `${resolvedNotice('a'.repeat(40))}\n\nlatest`
    const quiet = await upsertStickyComment(octokit, {
      ...base,
      body: 'fine',
      changed: false,
      resolvedBody: resolved
    })
    expect(quiet).toMatchObject({
      action: 'skipped',
      reason: "comment mode is 'on-regression' and no regression was found"
    })
    expect(gh.comments(9)).toHaveLength(0)
    const created = await upsertStickyComment(octokit, {
      ...base,
      body: 'regressed',
      changed: true,
      resolvedBody: resolved
    })
    expect(created.action).toBe('created')
    const fixed = await upsertStickyComment(octokit, {
      ...base,
      body: 'fine',
      changed: false,
      resolvedBody: resolved
    })
    expect(fixed.action).toBe('updated')
    expect(gh.comments(9)).toHaveLength(1)
    expect(gh.comments(9)[0].body).toBe(`<!-- m -->\n${resolved}`)
    expect(gh.comments(9)[0].body).toContain(
      '✅ **Resolved**: the regression this comment reported earlier is gone as of `aaaaaaaaaaaa`'
    )
    // Said once: the same resolved body is not posted again.
    const again = await upsertStickyComment(octokit, {
      ...base,
      body: 'fine',
      changed: false,
      resolvedBody: resolved
    })
    expect(again).toMatchObject({ action: 'skipped', reason: 'the comment already says this' })
  })
})
