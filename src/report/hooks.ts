// What of the measured swarm was the user's: the agent hooks module, which hooks it defined (the rest ran built
// in), and the hook-time metrics that say how much of a message or a consensus round was spent in the user's code.
import type { Results } from '../results/schema.js'
import { median } from '../bench/measure.js'
import { code, escapeMd } from './escape.js'
import { fmtNum } from './format.js'

/** Every hook an agent may take from the user's module, in the contract's order. */
export const HOOK_NAMES = [
  'setup',
  'decide',
  'on_message',
  'vote',
  'tally',
  'merge_state',
  'run_task'
] as const

/** Metrics that time the user's hooks apart, and the agent figure each is a part of. */
const HOOK_METRICS: Record<string, { benchmark: string; whole: string }> = {
  message_hook_ms: { benchmark: 'communication.message-throughput', whole: 'message_ms' },
  user_hooks_ms: { benchmark: 'trading.consensus', whole: 'decision_ms' }
}

/** "on_message, vote (hooks.py); built in: the rest" — or undefined when the run had no hooks. */
export function hooksLine(results: Results): string | undefined {
  const h = results.run.environment.hooks
  if (!h) return undefined
  const user = h.user.filter(n => (HOOK_NAMES as readonly string[]).includes(n))
  const builtIn = HOOK_NAMES.filter(n => !user.includes(n))
  return (
    `Your hooks (${code(h.module, 80)}): ${user.length ? user.map(n => code(n)).join(', ') : 'none defined'}; ` +
    `built in: ${builtIn.length ? builtIn.map(n => code(n)).join(', ') : 'nothing'}.`
  )
}

/** The report section: which hooks were the user's, and their share of the figures they are part of. */
export function hooksSection(results: Results): string | undefined {
  const line = hooksLine(results)
  if (!line) return undefined
  const rows: string[] = []
  for (const [name, { benchmark, whole }] of Object.entries(HOOK_METRICS)) {
    const b = results.benchmarks.find(x => x.id === benchmark)
    const part = b?.metrics.find(m => m.name === name)
    const all = b?.metrics.find(m => m.name === whole)
    if (!part || !all) continue
    const p = median(part.samples)
    const w = median(all.samples)
    const share = w > 0 ? `${fmtNum((p / w) * 100)} %` : '–'
    rows.push(`| ${code(benchmark)} | ${code(whole)} | ${fmtNum(w)} ms | ${fmtNum(p)} ms | ${share} |`)
  }
  const out = ['## Your swarm', '', line, '']
  if (rows.length) {
    out.push(
      'Time inside your hooks, measured in the agents apart from the transport (medians):',
      '',
      '| benchmark | figure | whole | in your hooks | share |',
      '|---|---|---|---|---|',
      ...rows
    )
  } else {
    out.push(escapeMd('No benchmark of this run timed a hook apart (on_message, vote and tally are timed).'))
  }
  return out.join('\n').trimEnd()
}
