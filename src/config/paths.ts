// Path inputs checked on the file system before anything runs. A strategy module is copied into every sandbox, so
// it must be a file of the workspace, not any file the runner can read; the output folder is created one level at
// a time, because Node's recursive mkdir loops forever on paths such as /proc/x that can never exist.
import { existsSync, mkdirSync, realpathSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { InputError } from './input-table.js'

export const STRATEGY_ACCEPTED = 'the path of a Python file in the workspace'
export const HOOKS_ACCEPTED =
  'the path of a Python file (.py) or of a package folder with an __init__.py, in the workspace'
export const REQUIREMENTS_ACCEPTED = 'the path of a pip requirements file in the workspace'
export const OUT_ACCEPTED = 'a directory that can be created and written, not under /proc or /sys'

/** True when the absolute `path` is `root` or lies below it (compare real paths to count symlinks). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel === '' || (!isAbsolute(rel) && rel.split(sep)[0] !== '..')
}

/** The real path of a regular file, or undefined when it is missing or not a file. */
function realFile(path: string): string | undefined {
  try {
    const real = realpathSync(path)
    return statSync(real).isFile() ? real : undefined
  } catch {
    return undefined
  }
}

/**
 * The real path of the strategy file `raw` (relative to `workspace`), refused unless it is a regular file whose
 * real path, symlinks resolved, stays inside the workspace: `/etc/passwd` or `../../etc/shadow` is not a strategy.
 */
export function workspaceStrategyPath(raw: string, workspace: string, input = 'strategy-path'): string {
  const real = realFile(resolve(workspace, raw))
  if (real === undefined || !isInside(realpathSync(workspace), real)) {
    throw new InputError(input, raw, STRATEGY_ACCEPTED)
  }
  return real
}

/**
 * Why `path` cannot be a hooks module (a `.py` file or a folder with `__init__.py`), or undefined when it can. Its
 * real path is returned too, symlinks resolved.
 */
export function hooksModuleProblem(path: string): { real?: string; problem?: string } {
  let real: string
  try {
    real = realpathSync(path)
  } catch (err) {
    return { problem: `cannot read it: ${codeOf(err)}` }
  }
  const st = statSync(real)
  if (st.isDirectory()) {
    return existsSync(join(real, '__init__.py'))
      ? { real }
      : { problem: 'a package folder needs an __init__.py' }
  }
  if (!st.isFile() || !real.endsWith('.py')) return { problem: 'not a .py file nor a package folder' }
  return { real }
}

/** The real path of the requirements file `raw`, refused unless it is a regular file inside the workspace. */
export function workspaceRequirementsPath(
  raw: string,
  workspace: string,
  input = 'e2b-requirements'
): string {
  const real = realFile(resolve(workspace, raw))
  if (real === undefined || !isInside(realpathSync(workspace), real)) {
    throw new InputError(input, raw, REQUIREMENTS_ACCEPTED)
  }
  return real
}

/** The real path of the hooks module `raw`, refused unless it is one and stays inside the workspace. */
export function workspaceHooksPath(raw: string, workspace: string, input = 'agent-hooks'): string {
  const { real } = hooksModuleProblem(resolve(workspace, raw))
  if (real === undefined || !isInside(realpathSync(workspace), real)) {
    throw new InputError(input, raw, HOOKS_ACCEPTED)
  }
  return real
}

/** The nearest existing ancestor of the absolute `path` and the missing names below it, top-down. */
export function splitAtExisting(
  path: string,
  exists: (p: string) => boolean = existsSync
): { base: string; missing: string[] } {
  const missing: string[] = []
  let base = path
  while (!exists(base) && dirname(base) !== base) {
    missing.unshift(base.slice(dirname(base).length).replace(/^[/\\]+/, ''))
    base = dirname(base)
  }
  return { base, missing }
}

// Kernel pseudo-filesystems (statfs f_type): proc, sysfs, cgroup, cgroup2. Their "directories" are not storage,
// and as root a mkdir in cgroupfs would even create a cgroup.
const PSEUDO_FS_TYPES = new Set([0x9fa0, 0x62656572, 0x27e0eb, 0x63677270])

/** True for /proc, /sys and anything mounted as one of their file systems elsewhere. */
export function onPseudoFilesystem(realDir: string): boolean {
  if (isInside('/proc', realDir) || isInside('/sys', realDir)) return true
  try {
    return PSEUDO_FS_TYPES.has(statfsSync(realDir).type)
  } catch {
    return false
  }
}

const codeOf = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? (err as Error).message

/**
 * Creates the output folder `raw` (relative to `cwd`) and proves a file can be written in it; returns its absolute
 * path. Refuses, naming the input, a path under a pseudo-filesystem, below a file, or not creatable or writable.
 */
export function prepareOutDir(raw: string, cwd: string, input = 'out'): string {
  const abs = resolve(cwd, raw)
  const refuse = (why: string): InputError => new InputError(input, raw, `${OUT_ACCEPTED} (${why})`)
  const { base, missing } = splitAtExisting(abs)
  let real: string
  try {
    real = realpathSync(base)
  } catch (err) {
    throw refuse(`cannot read ${base}: ${codeOf(err)}`)
  }
  if (onPseudoFilesystem(real)) throw refuse(`${real} is a kernel pseudo-filesystem`)
  if (!statSync(real).isDirectory()) throw refuse(`${base} is not a directory`)
  let dir = real
  try {
    for (const name of missing) {
      dir = join(dir, name)
      mkdirSync(dir) // one level: fails at once where a recursive mkdir could loop
    }
  } catch (err) {
    throw refuse(`cannot create ${dir}: ${codeOf(err)}`)
  }
  const probe = join(dir, `.swarm-bench-write-check-${process.pid}`)
  try {
    writeFileSync(probe, '')
    rmSync(probe, { force: true })
  } catch (err) {
    throw refuse(`cannot write in ${dir}: ${codeOf(err)}`)
  }
  return abs
}
