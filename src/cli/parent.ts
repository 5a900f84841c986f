// Notices that the process which started the CLI died. A signal sent to `npm run bench` alone kills npm and its
// shell; the CLI is then re-parented and, unwatched, would keep running the matrix and starting agents.

/** True once the parent we started with is gone (we were re-parented to init or a subreaper). */
export function parentGone(startPpid: number, nowPpid: number): boolean {
  return nowPpid !== startPpid
}

/**
 * Calls `onGone` once, within `everyMs`, after the parent process dies; returns a function that stops watching.
 * The timer is unref'd, so watching never keeps the process alive.
 */
export function watchParent(
  onGone: () => void,
  everyMs = 500,
  ppid = (): number => process.ppid
): () => void {
  const start = ppid()
  const timer = setInterval(() => {
    if (!parentGone(start, ppid())) return
    clearInterval(timer)
    onGone()
  }, everyMs)
  timer.unref()
  return () => clearInterval(timer)
}
