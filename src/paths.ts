// Where the Python agent lives on the host. The same code runs from src/ (tsx, vitest) and from the ncc bundle in
// dist/, so the folder is found by walking up from this module rather than by a fixed relative path.
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const MARKER = ['swarm_agent', '__main__.py']

function isAgentDir(dir: string): boolean {
  return existsSync(join(dir, ...MARKER))
}

let cached: string | undefined

/**
 * The host folder holding `swarm_agent/__main__.py` (normally `<repo>/agent`). `SWARM_BENCH_AGENT_DIR` overrides
 * the search; it may name the agent folder itself or the folder above it.
 */
export function agentDir(): string {
  const fromEnv = process.env.SWARM_BENCH_AGENT_DIR
  if (fromEnv) {
    const dir = resolve(fromEnv)
    if (isAgentDir(dir)) return dir
    if (isAgentDir(join(dir, 'agent'))) return join(dir, 'agent')
    throw new Error(
      `SWARM_BENCH_AGENT_DIR=${fromEnv} holds no swarm_agent/__main__.py (nor agent/swarm_agent/__main__.py)`
    )
  }
  if (cached) return cached
  const start = dirname(fileURLToPath(import.meta.url))
  let dir = start
  for (;;) {
    const candidate = join(dir, 'agent')
    if (isAgentDir(candidate)) return (cached = candidate)
    const up = dirname(dir)
    if (up === dir) break
    dir = up
  }
  throw new Error(
    `cannot find the Python agent: no agent/swarm_agent/__main__.py in ${start} or any folder above it; ` +
      'set SWARM_BENCH_AGENT_DIR to the agent folder'
  )
}

/** The project root: the folder that holds `agent/`. */
export function projectRoot(): string {
  return dirname(agentDir())
}
