// Agent processes of a run, found by the SWARM_BENCH_RUN tag in their environment (Linux /proc). The local
// provider kills its process groups when its host exits; the post step checks that it did, and it and
// `swarm-bench cleanup` kill any straggler.
import { readdirSync, readFileSync } from 'node:fs'
import { RUN_TAG_ENV } from '../agent-files.js'

export interface Leftovers {
  /** False where /proc is not available (macOS, Windows runners): nothing could be checked. */
  checked: boolean
  pids: number[]
}

const isZombie = (procDir: string, pid: number): boolean => {
  try {
    const stat = readFileSync(`${procDir}/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
  } catch {
    return true
  }
}

export function findTaggedProcesses(tag: string, procDir = '/proc'): Leftovers {
  let entries: string[]
  try {
    entries = readdirSync(procDir)
  } catch {
    return { checked: false, pids: [] }
  }
  const needle = `${RUN_TAG_ENV}=${tag}`
  const pids: number[] = []
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue
    let env: string
    try {
      env = readFileSync(`${procDir}/${e}/environ`, 'latin1')
    } catch {
      continue // gone, or another user's
    }
    if (env.split('\0').includes(needle) && !isZombie(procDir, Number(e))) pids.push(Number(e))
  }
  return { checked: true, pids }
}

/** SIGKILL each pid; returns how many signals were delivered. */
export function killPids(pids: readonly number[]): number {
  let killed = 0
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
      killed++
    } catch {
      // already gone
    }
  }
  return killed
}
