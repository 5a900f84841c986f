// `swarm-bench merge`: the results files of matrix jobs (shards) that ran disjoint `only` sets, made into one
// results file as if one job had run them all. The samples each shard kept are kept as they are, both sides of a
// duet included, so the verdicts are recomputed from them in one Holm family (the caller compares the merged file).
// Shards that cannot belong to one run are refused with a message naming the files and what differs.
import type { BenchmarkResult, Results } from './schema.js'

export class MergeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MergeError'
  }
}

export interface Shard {
  /** Where the shard came from (a file path), for the messages. */
  name: string
  results: Results
}

const same = <T>(shards: readonly Shard[], what: string, of: (r: Results) => T): T => {
  const first = of(shards[0].results)
  for (const s of shards.slice(1)) {
    const v = of(s.results)
    if (JSON.stringify(v) !== JSON.stringify(first))
      throw new MergeError(
        `${shards[0].name} and ${s.name} differ in ${what} (${JSON.stringify(first)} vs ${JSON.stringify(v)}): ` +
          'shards of one merge must come from the same run configuration'
      )
  }
  return first
}

/** Benchmarks that ran (not skipped) in a shard: the ids another shard must not have run too. */
const ran = (benchmarks: readonly BenchmarkResult[]): BenchmarkResult[] =>
  benchmarks.filter(b => b.status !== 'skipped')

export function mergeResults(shards: readonly Shard[]): Results {
  if (shards.length < 2) throw new MergeError(`merge needs at least two results files, got ${shards.length}`)
  same(shards, 'provider', r => r.run.provider)
  same(shards, 'profile', r => r.run.profile)
  same(shards, 'pricing', r => r.cost.pricing)
  same(shards, 'commit', r => r.run.git?.sha ?? null)
  same(shards, 'duet (one shard ran base and head side by side, another did not)', r => r.duet !== undefined)
  same(shards, 'duet base commit', r => r.duet?.base.sha ?? r.duet?.base.ref ?? null)

  // Disjoint: a benchmark measured by two shards would count twice in the Holm family (and which would win?).
  const owner = new Map<string, number>()
  shards.forEach((s, i) => {
    for (const id of new Set(
      [...ran(s.results.benchmarks), ...ran(s.results.duet?.benchmarks ?? [])].map(b => b.id)
    )) {
      const other = owner.get(id)
      if (other !== undefined)
        throw new MergeError(
          `${shards[other].name} and ${s.name} both ran ${id}: shards must run disjoint benchmark sets (input only)`
        )
      owner.set(id, i)
    }
  })

  const pick = (list: (r: Results) => readonly BenchmarkResult[]): BenchmarkResult[] => {
    const byId = new Map<string, BenchmarkResult>()
    for (const s of shards)
      for (const b of list(s.results)) {
        // A benchmark one shard skipped and another ran: the run wins.
        const had = byId.get(b.id)
        if (!had || (had.status === 'skipped' && b.status !== 'skipped')) byId.set(b.id, b)
      }
    return [...byId.values()]
  }

  const runs = shards.map(s => s.results.run)
  const startedAt = runs.map(r => r.startedAt).sort()[0]
  const endedAt = runs
    .map(r => r.endedAt)
    .sort()
    .at(-1)!
  const first = shards[0].results
  const sum = (of: (r: Results) => number): number => shards.reduce((a, s) => a + of(s.results), 0)
  // The shards of a default-branch run each carry the same baseline's history: the longest is kept.
  const history = shards.map(s => s.results.history).sort((a, b) => b.length - a.length)[0]
  const merged: Results = {
    ...first,
    run: {
      ...first.run,
      startedAt,
      endedAt,
      // The jobs ran in parallel: the wall time of the slowest.
      durationMs: Math.max(...runs.map(r => r.durationMs)),
      complete: runs.every(r => r.complete),
      environment: {
        ...first.run.environment,
        providerDetails: { ...first.run.environment.providerDetails, shards: shards.length }
      }
    },
    benchmarks: pick(r => r.benchmarks),
    cost: {
      pricing: first.cost.pricing,
      sandboxes: sum(r => r.cost.sandboxes),
      sandboxSeconds: sum(r => r.cost.sandboxSeconds),
      vcpuSeconds: sum(r => r.cost.vcpuSeconds),
      gibSeconds: sum(r => r.cost.gibSeconds),
      usd: sum(r => r.cost.usd),
      estimated: shards.some(s => s.results.cost.estimated)
    },
    history
  }
  if (first.duet) {
    merged.duet = {
      base: {
        ...first.duet.base,
        changed: [...new Set(shards.flatMap(s => s.results.duet?.base.changed ?? []))],
        notes: [...new Set(shards.flatMap(s => s.results.duet?.base.notes ?? []))]
      },
      ...(first.duet.pairing ? { pairing: first.duet.pairing } : {}),
      benchmarks: pick(r => r.duet?.benchmarks ?? [])
    }
  }
  return merged
}
