// The strategy twin: in a duet, each head agent also holds the base's strategy code (the base commit's agent
// package, and its strategy module when the run has one) and decides with both on the same bars, in a random order
// per pair, timing each inside the agent (agent/swarm_agent/twin.py). The paired ratio head ÷ base then comes from
// one process on one set of bars microseconds apart: no floor, no pairing across processes.
import { posix } from 'node:path'
import { AGENT_UPLOAD_DIR, type AgentFiles } from '../sandbox/agent-files.js'

/** Folder (relative to the head's workdir) the base's strategy code is uploaded into. */
export const TWIN_DIR = 'twin'

/**
 * The head's files with, as its twin, the base's strategy module when the run has one, else the base's agent
 * package (its built-in strategies, with the helpers they import), to go under `twin/`. The twin's files are kept
 * apart from the head's own: uploaded with them, they made the head's deploy phases slower than the base's in
 * every A/A duet (docs/performance.md).
 */
export function withTwin(head: AgentFiles, base: AgentFiles): AgentFiles {
  const wanted = (path: string): boolean =>
    base.strategyPath ? path === base.strategyPath : path.startsWith(`${AGENT_UPLOAD_DIR}/`)
  const files = base.files.flatMap(f =>
    wanted(f.path) ? [{ ...f, path: posix.join(TWIN_DIR, f.path) }] : []
  )
  return {
    ...head,
    twin: base.strategyPath
      ? { strategyPath: posix.join(TWIN_DIR, base.strategyPath), files }
      : { agentDir: posix.join(TWIN_DIR, AGENT_UPLOAD_DIR), files }
  }
}

/**
 * Whether the head's agents can twin the strategy: not when agent hooks without a strategy module may decide
 * (the hooks' decide() has no twin), where the duet pairs the two sides' own decisions instead.
 */
export const canTwin = (config: { strategyPath?: string; agentHooks?: string }): boolean =>
  config.strategyPath !== undefined || config.agentHooks === undefined
