// Progress lines for stderr: one line when a benchmark starts, its steps indented, one line when it ends.
import type { ProgressEvent } from '../bench/types.js'

export function progressLine(e: ProgressEvent): string | undefined {
  switch (e.type) {
    case 'run-start':
      return `swarm-bench: ${e.ids.length} benchmark(s), provider ${e.provider}, profile ${e.profile}`
    case 'start': {
      const w = String(e.total).length
      return `[${String(e.index + 1).padStart(w)}/${e.total}] ${e.id} — ${e.title}`
    }
    case 'step':
      return `      ${e.id}: ${e.message}`
    case 'done': {
      const base = `      ${e.id}: ${e.status} in ${e.seconds.toFixed(1)} s`
      return e.error ? `${base} — ${oneLine(e.error)}` : base
    }
    case 'run-done':
      return `swarm-bench: ${e.complete ? 'run complete' : 'run INCOMPLETE (partial results)'} in ${e.seconds.toFixed(1)} s`
  }
}

const oneLine = (s: string): string => {
  const l = s.replace(/\s+/g, ' ').trim()
  return l.length > 300 ? `${l.slice(0, 297)}...` : l
}
