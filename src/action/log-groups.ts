// Progress events of the runner → log lines, one collapsible log group per benchmark category. The runner goes
// through the catalog in order, so a category's benchmarks are consecutive and a group closes when the next opens.
import type { ProgressEvent } from '../bench/types.js'

export interface LogSink {
  info(line: string): void
  startGroup(name: string): void
  endGroup(): void
}

export interface ProgressLogger {
  onProgress(e: ProgressEvent): void
  /** Closes a group left open (the run threw or was interrupted mid-category). */
  close(): void
}

const categoryOf = (id: string): string => id.split('.')[0] ?? id
const secs = (s: number): string => `${s.toFixed(1)} s`

export function createProgressLogger(log: LogSink): ProgressLogger {
  let group: string | undefined
  let total = 0
  let finished = 0
  const perCategory = new Map<string, number>()
  const close = (): void => {
    if (group !== undefined) log.endGroup()
    group = undefined
  }
  const open = (category: string): void => {
    if (group === category) return
    close()
    const n = perCategory.get(category) ?? 0
    log.startGroup(`${category} (${n} benchmark${n === 1 ? '' : 's'})`)
    group = category
  }
  return {
    close,
    onProgress(e) {
      switch (e.type) {
        case 'run-start':
          total = e.ids.length
          for (const id of e.ids) perCategory.set(categoryOf(id), (perCategory.get(categoryOf(id)) ?? 0) + 1)
          log.info(`Running ${total} benchmark(s) on the ${e.provider} provider, profile ${e.profile}`)
          break
        case 'start':
          open(categoryOf(e.id))
          log.info(`[${e.index + 1}/${e.total}] ${e.id}: ${e.title}`)
          break
        case 'step':
          log.info(`  ${e.id}: ${e.message}`)
          break
        case 'done': {
          finished++
          open(categoryOf(e.id))
          const tail = e.error ? `: ${e.error.split('\n')[0]}` : ''
          log.info(`[${finished}/${total || finished}] ${e.id} ${e.status} in ${secs(e.seconds)}${tail}`)
          break
        }
        case 'run-done':
          close()
          log.info(`${e.complete ? 'Run complete' : 'Run interrupted'} after ${secs(e.seconds)}`)
          break
      }
    }
  }
}
