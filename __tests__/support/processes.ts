// Finds live processes by the SWARM_BENCH_RUN tag in /proc/<pid>/environ: the tests' proof that nothing leaked.
import { readdirSync, readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'

export function newRunTag(prefix = 'test'): string {
  return `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`
}

function isZombie(pid: number): boolean {
  try {
    // Field 3 of /proc/<pid>/stat is the state; the command name before it may contain spaces, so cut after ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
  } catch {
    return true
  }
}

/** Pids of live (non-zombie) processes whose environment has SWARM_BENCH_RUN=<tag>. */
export function processesWithTag(tag: string): number[] {
  const needle = `SWARM_BENCH_RUN=${tag}`
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    let env: string
    try {
      env = readFileSync(`/proc/${pid}/environ`, 'latin1')
    } catch {
      continue // gone, or not ours to read
    }
    if (env.split('\0').includes(needle) && !isZombie(pid)) found.push(pid)
  }
  return found
}

/** Polls until no tagged process is alive or the deadline passes; returns what is still alive. */
export async function waitForNoProcesses(tag: string, timeoutMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const left = processesWithTag(tag)
    if (left.length === 0 || Date.now() > deadline) return left
    await new Promise(r => setTimeout(r, 100))
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return !isZombie(pid)
  } catch {
    return false
  }
}

/** "0100007F" (little-endian hex, as /proc/net/tcp writes IPv4) → "127.0.0.1". */
export function ipv4FromProcHex(hex: string): string {
  const bytes = hex.match(/../g) ?? []
  return bytes
    .reverse()
    .map(b => String(parseInt(b, 16)))
    .join('.')
}

/** The local IPv4 addresses of every socket listening on `port`, read from /proc/net/tcp (what `ss -ltn` shows). */
export function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  const found: string[] = []
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/)
    // cols[1] = local address "HEXIP:HEXPORT", cols[3] = state (0A = LISTEN)
    if (cols.length < 4 || cols[3] !== '0A') continue
    const [ip, p] = cols[1].split(':')
    if (p === hexPort) found.push(ipv4FromProcHex(ip))
  }
  return found
}
