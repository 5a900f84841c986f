// SIGINT/SIGTERM (a cancelled workflow: the runner sends SIGINT, then SIGTERM 7.5 s later, then kills) stop the
// run through its AbortSignal: sandboxes are killed and the partial results are still written. A third signal
// means the host really wants us gone: exit at once (the local provider's exit hook still kills its agents).

const EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 }

export function abortOnSignals(controller: AbortController, log: (message: string) => void): () => void {
  let received = 0
  const handler = (signal: NodeJS.Signals): void => {
    received++
    if (received === 1) {
      log(`Received ${signal}: stopping the run, killing sandboxes, writing partial results`)
      controller.abort(`received ${signal}`)
    } else if (received === 2) {
      log(`Received ${signal} again: still writing partial results; a third signal exits immediately`)
    } else {
      process.exit(EXIT_CODES[signal] ?? 1)
    }
  }
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']
  for (const s of signals) process.on(s, handler)
  return () => {
    for (const s of signals) process.off(s, handler)
  }
}
