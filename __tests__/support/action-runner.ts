// Runs the bundled action (dist/index.js, dist/post.js) the way a GitHub runner does: a child process with the
// runner's environment (GITHUB_*, INPUT_*, runtime token, command files), spawned asynchronously so in-process
// fakes keep serving. Also reads what a runner reads back: the output, state and summary files.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { inflateRawSync } from 'node:zlib'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const DIST = join(ROOT, 'dist')

function newestMtime(dir: string): number {
  let newest = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }
  return newest
}

/** Builds dist/ when a bundle is missing or older than src/ (serialised with other builders by a lock). */
export async function ensureBundle(): Promise<'fresh' | 'rebuilt'> {
  const bundles = ['index.js', 'post.js'].map(f => join(DIST, f))
  const stale = (): boolean =>
    bundles.some(b => !existsSync(b)) ||
    Math.min(...bundles.map(b => statSync(b).mtimeMs)) < newestMtime(join(ROOT, 'src'))
  if (!stale()) return 'fresh'
  const res = await spawnAndWait('flock', ['/tmp/build.lock', 'npm', 'run', 'build'], {
    cwd: ROOT,
    env: process.env
  })
  if (res.code !== 0) throw new Error(`npm run build failed (${res.code}):\n${res.stdout}\n${res.stderr}`)
  return 'rebuilt'
}

export interface Finished {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function spawnAndWait(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; onSpawn?: (child: ChildProcess) => void; timeoutMs?: number }
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => (stdout += d))
    child.stderr.on('data', d => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000)
    child.on('error', err => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
    opts.onSpawn?.(child)
  })
}

/** `name<<DELIM\nvalue\nDELIM` (and plain `name=value`) entries of a runner command file (GITHUB_OUTPUT, ...). */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line)
    if (heredoc) {
      const [, name, delim] = heredoc
      const value: string[] = []
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i])
      out[name] = value.join('\n')
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1)
    }
  }
  return out
}

/** action.yml input defaults, as the runner passes them (`${{ github.token }}` resolved by the caller). */
export function actionInputDefaults(): Record<string, string> {
  const yml = readFileSync(join(ROOT, 'action.yml'), 'utf8')
  const inputs = yml.slice(yml.indexOf('\ninputs:'), yml.indexOf('\noutputs:'))
  const out: Record<string, string> = {}
  let current: string | undefined
  for (const line of inputs.split('\n')) {
    const name = /^ {2}([a-z0-9-]+):\s*$/.exec(line)
    if (name) current = name[1]
    const dflt = /^ {4}default:\s*(.*)$/.exec(line)
    if (dflt && current) {
      let v = dflt[1].trim()
      if (v.startsWith("'") && v.endsWith("'")) v = v.slice(1, -1).replace(/''/g, "'")
      out[current] = v
    }
  }
  return out
}

/** The runner's environment variable for an input: `INPUT_` + name upper-cased, spaces → `_`, dashes kept. */
export const inputEnv = (name: string): string => `INPUT_${name.replace(/ /g, '_').toUpperCase()}`

export interface ActionRun extends Finished {
  outputs: Record<string, string>
  state: Record<string, string>
  summary: string
  /** The files the runner gave the step. */
  files: { output: string; state: string; summary: string; event: string }
}

export interface RunActionOptions {
  entry: 'index' | 'post'
  /** Step working directory (GITHUB_WORKSPACE). */
  workspace: string
  inputs: Record<string, string>
  env: Record<string, string>
  /** The event payload written to GITHUB_EVENT_PATH. */
  event?: unknown
  onSpawn?: (child: ChildProcess) => void
  timeoutMs?: number
}

/** Environment every step gets, without anything of the test process (no stray E2B_API_KEY, no GITHUB_TOKEN). */
function baseEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'SYSTEMROOT']
  return Object.fromEntries(keep.filter(k => process.env[k]).map(k => [k, process.env[k] as string]))
}

export async function runAction(opts: RunActionOptions): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-bench-step-'))
  const files = {
    output: join(dir, 'output'),
    state: join(dir, 'state'),
    summary: join(dir, 'summary.md'),
    event: join(dir, 'event.json')
  }
  for (const f of [files.output, files.state, files.summary]) writeFileSync(f, '')
  writeFileSync(files.event, JSON.stringify(opts.event ?? {}))
  const env: Record<string, string> = {
    ...baseEnv(),
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: opts.workspace,
    RUNNER_TEMP: dir,
    RUNNER_OS: 'Linux',
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_EVENT_PATH: files.event,
    ...opts.env
  }
  for (const [k, v] of Object.entries(opts.inputs)) env[inputEnv(k)] = v
  const res = await spawnAndWait(process.execPath, [join(DIST, `${opts.entry}.js`)], {
    cwd: opts.workspace,
    env,
    onSpawn: opts.onSpawn,
    timeoutMs: opts.timeoutMs
  })
  return {
    ...res,
    outputs: parseCommandFile(readFileSync(files.output, 'utf8')),
    state: parseCommandFile(readFileSync(files.state, 'utf8')),
    summary: readFileSync(files.summary, 'utf8'),
    files
  }
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice'
  title?: string
  message: string
}

/** `::error title=...::message` workflow commands in a step's stdout (data and properties unescaped). */
export function annotations(stdout: string): Annotation[] {
  const out: Annotation[] = []
  const unescape = (s: string): string =>
    s
      .replace(/%0D/g, '\r')
      .replace(/%0A/g, '\n')
      .replace(/%3A/g, ':')
      .replace(/%2C/g, ',')
      .replace(/%25/g, '%')
  for (const line of stdout.split('\n')) {
    const m = /^::(error|warning|notice)( [^:]*)?::(.*)$/.exec(line)
    if (!m) continue
    const title = /title=([^,]*)/.exec(m[2] ?? '')?.[1]
    out.push({
      level: m[1] as Annotation['level'],
      title: title ? unescape(title) : undefined,
      message: unescape(m[3])
    })
  }
  return out
}

/** Files of a ZIP archive (stored or deflated entries, read through the central directory). */
export function unzip(zip: Buffer): Record<string, Buffer> {
  let eocd = -1
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i
      break
    }
  }
  if (eocd < 0) throw new Error('not a zip: no end of central directory')
  const count = zip.readUInt16LE(eocd + 10)
  let p = zip.readUInt32LE(eocd + 16)
  const files: Record<string, Buffer> = {}
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('bad central directory entry')
    const method = zip.readUInt16LE(p + 10)
    const size = zip.readUInt32LE(p + 20)
    const nameLen = zip.readUInt16LE(p + 28)
    const extraLen = zip.readUInt16LE(p + 30)
    const commentLen = zip.readUInt16LE(p + 32)
    const local = zip.readUInt32LE(p + 42)
    const name = zip.toString('utf8', p + 46, p + 46 + nameLen)
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28)
    const data = zip.subarray(start, start + size)
    if (!name.endsWith('/')) files[name] = method === 0 ? Buffer.from(data) : inflateRawSync(data)
    p += 46 + nameLen + extraLen + commentLen
  }
  return files
}
