// Runs the real CLI (`src/cli.ts` through tsx, as `npm run bench` does) as a child process, with an environment
// scrubbed of anything of the test process that could change its behaviour (keys, GitHub variables).
import { spawn, type ChildProcess } from 'node:child_process'
import { REPO_ROOT } from './fault-agent.js'

export interface CliRun {
  child: ChildProcess
  /** Resolves when the process has exited, with everything it printed. */
  done: Promise<CliResult>
  stderr(): string
  stdout(): string
  /** Resolves once stderr matches (rejects if the process exits first or the timeout passes). */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<void>
}

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** Wall time of the process, seconds. */
  seconds: number
}

export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(E2B_|GITHUB_|ACTIONS_|INPUT_|RUNNER_|SWARM_)/.test(k)) continue
    env[k] = v
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v
  return env
}

export function startCli(args: string[], env: Record<string, string | undefined> = {}): CliRun {
  const t0 = performance.now()
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: REPO_ROOT,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  let err = ''
  const watchers: { pattern: RegExp; resolve: () => void }[] = []
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString()
    for (const w of [...watchers]) {
      if (w.pattern.test(err)) {
        watchers.splice(watchers.indexOf(w), 1)
        w.resolve()
      }
    }
  })
  const done = new Promise<CliResult>(resolve => {
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout: out, stderr: err, seconds: (performance.now() - t0) / 1000 })
    )
  })
  return {
    child,
    done,
    stderr: () => err,
    stdout: () => out,
    waitForStderr(pattern, timeoutMs = 60_000) {
      if (pattern.test(err)) return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`stderr never matched ${pattern}:\n${err}`)),
          timeoutMs
        )
        const w = {
          pattern,
          resolve: () => {
            clearTimeout(timer)
            resolve()
          }
        }
        watchers.push(w)
        void done.then(() => {
          clearTimeout(timer)
          if (watchers.includes(w))
            reject(new Error(`the CLI exited before stderr matched ${pattern}:\n${err}`))
        })
      })
    }
  }
}

/** Runs the CLI to the end. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return startCli(args, env).done
}
