// Builds an agent folder for SWARM_BENCH_AGENT_DIR: a copy of the real `agent/swarm_agent` package whose
// `__main__.py` is `fault_main.py`, with the fault baked into `_fault_config.py`. The agent is the real one, so
// everything around the fault (ready event, init, link, counters) behaves exactly as in production; both providers
// upload it like the real package (collectAgentFiles reads `swarm_agent/**/*.py`).
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = dirname(fileURLToPath(import.meta.url))
export const REPO_ROOT = join(HERE, '..', '..', '..')

export type AgentFaultMode =
  | 'crash'
  | 'hang'
  | 'garbage'
  | 'huge-line'
  | 'peer-refuse'
  | 'peer-slow'
  | 'wrong-token'
  | 'exit-at-start'
  /** No fault: each agent logs the token, neighbour headers and environment it got (see `spied`). */
  | 'spy'

export interface AgentFault {
  mode: AgentFaultMode
  /** Which agent misbehaves (default 1). */
  agent?: number
  /** The control op the fault hits (crash, hang; default execute_strategy). */
  op?: string
  /** peer-slow: added to every /ping the target answers. */
  delayMs?: number
  /** huge-line: length of the line. */
  bytes?: number
  /** Host file each fired fault appends a line to (set by faultAgentDir). */
  log?: string
}

export interface FaultAgent {
  /** Pass as SWARM_BENCH_AGENT_DIR. */
  dir: string
  /** Every time the fault fired (wall-clock ms, agent pid, what); empty when it never fired. */
  fired(): Fired[]
}

/** What a `spy` agent recorded: `init` → {token, env}, `link` → {headers: [...]}. */
export function spied(agent: FaultAgent, kind: 'init' | 'link'): Record<string, unknown>[] {
  return agent
    .fired()
    .filter(f => f.what.startsWith(`${kind} `))
    .map(f => JSON.parse(f.what.slice(kind.length + 1)) as Record<string, unknown>)
}

export interface Fired {
  atMs: number
  pid: number
  what: string
}

const made: string[] = []

/** A temp folder holding `swarm_agent/` with the fault; removed by `removeFaultAgentDirs`. */
export function faultAgent(fault: AgentFault): FaultAgent {
  const dir = mkdtempSync(join(tmpdir(), `fault-agent-${fault.mode}-`))
  made.push(dir)
  const pkg = join(dir, 'swarm_agent')
  cpSync(join(REPO_ROOT, 'agent', 'swarm_agent'), pkg, {
    recursive: true,
    filter: src => !src.includes('__pycache__')
  })
  writeFileSync(join(pkg, '__main__.py'), readFileSync(join(HERE, 'fault_main.py')))
  const log = join(dir, 'fired.log')
  // JSON text inside a raw Python string: json.loads keeps true/false/null right.
  writeFileSync(
    join(pkg, '_fault_config.py'),
    `import json\n\nFAULT = json.loads(r'''${JSON.stringify({ ...fault, log })}''')\n`
  )
  return {
    dir,
    fired: () =>
      (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []).map(l => {
        const [at, pid, ...what] = l.split(' ')
        return { atMs: Number(at), pid: Number(pid), what: what.join(' ') }
      })
  }
}

export function removeFaultAgentDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true })
}
