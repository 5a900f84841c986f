// What a faulted run must still leave behind: a valid results file (written atomically: no temp file left next to
// it) and the report. Returns them for the test's own assertions.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'
import { readResults } from '../../../src/results/io.js'
import { REPORT_FILE, RESULTS_FILE, type BenchmarkResult, type Results } from '../../../src/results/schema.js'

export interface RunOutputs {
  results: Results
  report: string
  byId: (id: string) => BenchmarkResult
}

export function expectOutputs(outDir: string, context = ''): RunOutputs {
  const read = readResults(join(outDir, RESULTS_FILE))
  expect(read.ok, `${read.ok ? '' : read.reason}\n${context}`).toBe(true)
  if (!read.ok) throw new Error(read.reason)
  expect(existsSync(join(outDir, REPORT_FILE)), `no report in ${outDir}\n${context}`).toBe(true)
  // Atomic writes: a temp file next to the results would mean a write was cut short.
  expect(readdirSync(outDir).filter(f => f.endsWith('.tmp'))).toEqual([])
  const results = read.results
  return {
    results,
    report: readFileSync(join(outDir, REPORT_FILE), 'utf8'),
    byId: id => {
      const b = results.benchmarks.find(x => x.id === id)
      if (!b) throw new Error(`no benchmark ${id} in the results: ${results.benchmarks.map(x => x.id)}`)
      return b
    }
  }
}

/** The first line of an error (the part a user reads first), without the stderr tail. */
export const headline = (error: string | undefined): string => (error ?? '').split('\n')[0]
