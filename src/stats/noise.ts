// Between-run noise: how much a metric's headline value moves from one run of unchanged code to the next.
// One run's samples cannot show it (a slower runner shifts every sample together), so it is estimated from the
// baseline's history of earlier default-branch runs.
import { median } from 'simple-statistics'

/** MAD → σ for normally distributed data. */
const MAD_TO_SIGMA = 1.4826

export interface NoiseBand {
  /** Half-width of the band on the log scale: |ln(head ÷ base)| inside it is run-to-run noise. */
  halfWidthLog: number
  /** The band as percent changes (asymmetric because it is symmetric on the log scale). */
  lowPct: number
  highPct: number
  /** Robust run-to-run σ of one run's headline value, as a percent (0 when not estimated). */
  sigmaPct: number
  /** Runs the estimate used (baseline + history values). */
  runs: number
  /** `history`: estimated from runs; `samples`: from the runs' own samples; `floor`: the estimate was below the floor or there were too few runs. */
  source: 'history' | 'samples' | 'floor'
}

export interface NoiseOptions {
  /** Smallest band half-width, percent: no history can claim a run-to-run noise below this. */
  minNoisePct: number
  /** Band half-width in σ of the difference of two runs. */
  noiseSigmas: number
  /** Fewest runs for an estimate; fewer and the floor is used. */
  minHistoryRuns: number
}

/**
 * Noise band for comparing one head run against one baseline run, from the headline values of earlier runs
 * (baseline first, then its history). Robust: the MAD of log values, so one outlier run does not widen the band
 * much. The difference of two runs has √2 times the σ of one.
 */
export function noiseBand(values: readonly number[], opts: NoiseOptions): NoiseBand {
  const floorLog = Math.log1p(Math.max(0, opts.minNoisePct) / 100)
  const logs = values.filter(v => v > 0 && Number.isFinite(v)).map(v => Math.log(v))
  let sigma = 0
  if (logs.length >= Math.max(2, opts.minHistoryRuns)) {
    const m = median(logs)
    sigma = MAD_TO_SIGMA * median(logs.map(l => Math.abs(l - m)))
  }
  const estimated = opts.noiseSigmas * sigma * Math.SQRT2
  const halfWidthLog = Math.max(estimated, floorLog)
  return {
    halfWidthLog,
    lowPct: Math.expm1(-halfWidthLog) * 100,
    highPct: Math.expm1(halfWidthLog) * 100,
    sigmaPct: Math.expm1(sigma) * 100,
    runs: logs.length,
    source: estimated > floorLog ? 'history' : 'floor'
  }
}
