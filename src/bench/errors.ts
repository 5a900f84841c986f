// Errors the runner and its scheduler share.
import { SwarmBenchError } from '../errors.js'

/** Thrown inside a benchmark when the run was interrupted. */
export class InterruptedError extends SwarmBenchError {
  constructor(reason: string) {
    super(`interrupted (${reason}) before this benchmark finished`)
    this.name = 'InterruptedError'
  }
}

/** The abort's reason as text. */
export function reasonOf(signal: AbortSignal): string {
  const r: unknown = signal.reason
  if (typeof r === 'string') return r
  if (r instanceof Error && r.name !== 'AbortError') return r.message
  return 'aborted'
}
