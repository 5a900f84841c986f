// Per-benchmark thresholds: parsed from YAML or JSON with errors naming the input and the key, and applied by the
// duet verdict and the artifact comparison alike (the most specific key wins).
import { describe, expect, it } from 'vitest'
import { InputError } from '../src/config/input-table.js'
import { parseThresholds } from '../src/config/thresholds.js'
import { compareDuet } from '../src/duet/verdict.js'
import { compareResults, thresholdFor } from '../src/stats/compare.js'
import { artifactRuns, duetRun } from './support/digest-fixtures.js'

describe('parseThresholds', () => {
  it('reads YAML and JSON mappings of benchmark ids, metrics and benchmark/metric to percents', () => {
    expect(parseThresholds('trading.consensus: 25\nrtt_ms: "15%"\n')).toEqual({
      'trading.consensus': 25,
      rtt_ms: 15
    })
    expect(parseThresholds('{"communication.inter-agent-latency/multi_hop_ms": 40}')).toEqual({
      'communication.inter-agent-latency/multi_hop_ms': 40
    })
    expect(parseThresholds('  ')).toEqual({})
  })

  it('refuses with an error naming the input, the key and what is valid', () => {
    const error = (raw: string): InputError => {
      try {
        parseThresholds(raw)
      } catch (e) {
        return e as InputError
      }
      throw new Error(`accepted ${raw}`)
    }
    const typo = error('trading.consensu: 25')
    expect(typo.message).toMatch(
      /^Invalid input 'thresholds': "trading.consensu: 25" — expected key "trading.consensu"/
    )
    expect(typo.message).toMatch(/to be a benchmark id \(one of creation\.swarm-init, .*trading\.consensus/)
    expect(error('nope.bench/x: 5').message).toMatch(/key "nope.bench\/x" to start with a benchmark id/)
    expect(error('rtt_ms: 2000').message).toMatch(
      /"rtt_ms: 2000" — expected a percent from 0 to 1000 for rtt_ms, not 2000/
    )
    expect(error('rtt_ms: -1').message).toMatch(/for rtt_ms/)
    expect(error('- 1\n- 2').message).toMatch(/a YAML or JSON mapping/)
    expect(error('{ unclosed').message).toMatch(/it does not parse/)
  })

  it('the most specific key decides: benchmark/metric, then metric, then benchmark', () => {
    const o = {
      thresholdPct: 10,
      thresholds: { 'trading.consensus': 30, decision_ms: 20, 'trading.consensus/decision_ms': 5 }
    }
    expect(thresholdFor(o, 'trading.consensus', 'decision_ms')).toBe(5)
    expect(thresholdFor(o, 'trading.other', 'decision_ms')).toBe(20)
    expect(thresholdFor(o, 'trading.consensus', 'other_ms')).toBe(30)
    expect(thresholdFor(o, 'x', 'y')).toBe(10)
  })
})

// A +50 % slower round trip: a regression at the default 10 %, not with a 60 % threshold for its benchmark.
const SLOW = { 'communication.inter-agent-latency/rtt_ms': 1.5 }

describe('thresholds override regression-threshold in both comparisons', () => {
  it('in the duet verdict', () => {
    const r = duetRun(SLOW)
    expect(compareDuet(r).regressions.map(v => v.key)).toEqual(['communication.inter-agent-latency/rtt_ms'])
    const lenient = compareDuet(r, { thresholds: { 'communication.inter-agent-latency': 60 } })
    expect(lenient.regressions).toEqual([])
    const v = lenient.verdicts.find(x => x.key === 'communication.inter-agent-latency/rtt_ms')!
    expect(v.thresholdPct).toBe(60)
    expect(v.reason).toMatch(/within 60%/)
  })

  it('in the artifact comparison', () => {
    const { baseline, head } = artifactRuns({ 'trading.consensus/decision_ms': 1.5 })
    const sharp = { noHistoryNoisePct: 2, removeShift: false }
    expect(compareResults(baseline, head, sharp).regressions.map(v => v.key)).toContain(
      'trading.consensus/decision_ms'
    )
    const lenient = compareResults(baseline, head, { ...sharp, thresholds: { decision_ms: 60 } })
    expect(lenient.regressions.map(v => v.key)).not.toContain('trading.consensus/decision_ms')
    expect(lenient.verdicts.find(v => v.key === 'trading.consensus/decision_ms')!.thresholdPct).toBe(60)
  })
})
