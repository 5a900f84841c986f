// The fault suite's report: one row per injected fault (what was injected, what the run did, how long it took to
// recover, what was left alive). Each test file records rows and prints its table in afterAll; rows also go to a
// file shared by the vitest workers of one run, so the file that finishes last prints the whole suite's table.
import { appendFileSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT } from './fault-agent.js'

export interface FaultRow {
  /** What was injected, e.g. `agent crash mid-op`. */
  fault: string
  /** Where: `cli/local`, `cli/e2b`, `action`, `runner/e2b`... */
  layer: string
  /** What the run did about it, e.g. `error: agent 1 crashed during execute_strategy`. */
  outcome: string
  /** From the injection to the run having completed or stopped (measured). */
  recoverSeconds: number
  leakedProcesses: number
  leakedSandboxes: number
}

const rows: FaultRow[] = []
// Workers are forks of one vitest process: its pid names the shared file of this run.
const sharedFile = join(tmpdir(), `swarm-bench-fault-table-${process.ppid}.jsonl`)

export function recordFault(row: FaultRow): void {
  const clean = { ...row, outcome: row.outcome.replace(/\s+/g, ' ').slice(0, 100) }
  rows.push(clean)
  appendFileSync(sharedFile, JSON.stringify(clean) + '\n')
}

export function formatTable(list: FaultRow[]): string {
  const head = ['fault', 'layer', 'outcome', 'recover s', 'leaked procs', 'leaked sandboxes']
  const body = list.map(r => [
    r.fault,
    r.layer,
    r.outcome,
    r.recoverSeconds.toFixed(1),
    String(r.leakedProcesses),
    String(r.leakedSandboxes)
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map(b => b[i].length)))
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join(' | ')
  return [line(head), widths.map(w => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n')
}

/** Prints this file's rows; the last fault-suite file to finish in this vitest run also prints the whole table. */
export function printFaultTable(title: string): void {
  if (rows.length > 0) console.log(`\nFault injection — ${title}\n${formatTable(rows)}`)
  appendFileSync(sharedFile, JSON.stringify({ done: title }) + '\n')
  let lines: Record<string, unknown>[]
  try {
    lines = readFileSync(sharedFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(l => JSON.parse(l) as Record<string, unknown>)
  } catch {
    return
  }
  const files = readdirSync(join(REPO_ROOT, '__tests__', 'faults')).filter(f => f.endsWith('.test.ts')).length
  if (lines.filter(l => 'done' in l).length !== files) return
  const all = lines.filter((l): l is FaultRow & Record<string, unknown> => 'fault' in l)
  const leaks = all.reduce((n, r) => n + r.leakedProcesses + r.leakedSandboxes, 0)
  rmSync(sharedFile, { force: true })
  console.log(
    `\nFault injection — whole suite: ${all.length} faults, ${leaks} leaked processes/sandboxes\n${formatTable(all)}`
  )
}
export const secondsSince = (t0: number): number => (performance.now() - t0) / 1000
