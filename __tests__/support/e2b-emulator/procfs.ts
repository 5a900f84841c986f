// Real readings from /proc for the emulator: which processes belong to a sandbox (by process group), their CPU
// ticks and RSS, and which of them owns a listening TCP port. Linux only, like E2B's own sandboxes.
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync, readlinkSync } from 'node:fs'

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()
const PAGE_SIZE = (() => {
  try {
    return Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) || 4096
  } catch {
    return 4096
  }
})()

export interface ProcStat {
  pid: number
  pgrp: number
  /** utime + stime, in seconds. */
  cpuSeconds: number
  rssBytes: number
}

function parseStat(pid: number): ProcStat | undefined {
  let raw: string
  try {
    raw = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const rest = raw.slice(raw.lastIndexOf(')') + 2).split(' ')
  // rest[0] is field 3 (state); field n is rest[n - 3].
  const state = rest[0]
  if (state === 'Z' || state === 'X') return undefined
  return {
    pid,
    pgrp: Number(rest[5 - 3]),
    cpuSeconds: (Number(rest[14 - 3]) + Number(rest[15 - 3])) / CLK_TCK,
    rssBytes: Number(rest[24 - 3]) * PAGE_SIZE
  }
}

/** Live (non-zombie) processes whose process group is one of `groups`. */
export function processesInGroups(groups: Set<number>): ProcStat[] {
  if (groups.size === 0) return []
  const out: ProcStat[] = []
  for (const name of readdirSync('/proc')) {
    const pid = Number(name)
    if (!Number.isInteger(pid)) continue
    const st = parseStat(pid)
    if (st && groups.has(st.pgrp)) out.push(st)
  }
  return out
}

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>()
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length < 10) continue
      // cols[1] = local address "HEXIP:HEXPORT", cols[3] = state (0A = LISTEN), cols[9] = inode
      if (cols[3] === '0A' && cols[1].endsWith(`:${hexPort}`)) inodes.add(cols[9])
    }
  }
  return inodes
}

/** True when one of `pids` holds a socket listening on `port`: a sandbox can only expose its own ports. */
export function ownsListeningPort(pids: number[], port: number): boolean {
  const inodes = listeningInodes(port)
  if (inodes.size === 0) return false
  for (const pid of pids) {
    let fds: string[]
    try {
      fds = readdirSync(`/proc/${pid}/fd`)
    } catch {
      continue
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
        if (m && inodes.has(m[1])) return true
      } catch {
        // fd closed while scanning
      }
    }
  }
  return false
}
