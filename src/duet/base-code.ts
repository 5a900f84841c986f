// The base side's code under test: the agent package (where the repository under test ships it) and the user's
// strategy module, as of the base commit, taken from a `git worktree` of that commit. Thin adapter over git.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join, relative, resolve } from 'node:path'
import type { DuetBase } from '../results/schema.js'
import { collectAgentFiles, type AgentFiles, type HooksSource } from '../sandbox/agent-files.js'
import { SwarmBenchError } from '../errors.js'

export class BaseCodeError extends SwarmBenchError {
  override name = 'BaseCodeError'
}

export interface BaseCodeRequest {
  /** A git ref or SHA of the base; ignored when `basePath` is given. */
  ref?: string
  /** A folder holding the base's checkout, prepared by the workflow (no git needed). */
  basePath?: string
  /** The working tree of the head (the repository under test). */
  repoDir: string
  /** The head's agent folder (`<repo>/agent` in this repository; the tool's own agent elsewhere). */
  headAgentDir: string
  /** The head's strategy module, if any. */
  strategyPath?: string
  /** The head's agent hooks (module or package folder), if any; the base runs them as committed there. */
  hooks?: HooksSource
  /** The head's e2b-requirements: both sides share one environment, built from the head's (a note if they differ). */
  requirements?: string
  /** Fetch a commit the clone does not have (a shallow checkout), with the clone's own credentials. */
  fetch?: boolean
}

export interface BaseCode {
  base: DuetBase
  files: () => Promise<AgentFiles>
  /** Removes the worktree (idempotent). */
  dispose(): void
}

const git = (cwd: string, args: string[]): string =>
  execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()

function tryGit(cwd: string, args: string[]): string | undefined {
  try {
    return git(cwd, args)
  } catch {
    return undefined
  }
}

const inside = (dir: string, root: string): boolean => {
  const rel = relative(root, dir)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

/** Resolves `ref` to a commit, fetching it from `origin` when the clone lacks it (shallow checkouts do). */
export function resolveCommit(repoDir: string, ref: string, fetch = true): string {
  const verify = (): string | undefined =>
    tryGit(repoDir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])
  let sha = verify()
  if (!sha && fetch && tryGit(repoDir, ['remote', 'get-url', 'origin'])) {
    tryGit(repoDir, ['fetch', '--no-tags', '--depth=1', 'origin', ref])
    sha = verify() ?? tryGit(repoDir, ['rev-parse', '--verify', '--quiet', 'FETCH_HEAD^{commit}'])
  }
  if (!sha)
    throw new BaseCodeError(`cannot find the base commit '${ref}' in ${repoDir} (nor fetch it from origin)`)
  return sha
}

const sameFiles = (a: AgentFiles, b: AgentFiles, prefix: string): boolean => {
  const pick = (f: AgentFiles) =>
    f.files
      .filter(x => x.path.startsWith(prefix))
      .map(x => `${x.path}\0${Buffer.from(x.data).toString('base64')}`)
      .sort()
      .join('\n')
  return pick(a) === pick(b)
}

/** The base's code under test, ready to upload; throws BaseCodeError when it cannot be had. */
export async function prepareBaseCode(req: BaseCodeRequest): Promise<BaseCode> {
  const repoDir = realpathSync(resolve(req.repoDir))
  let root: string
  let sha: string | undefined
  let dispose = (): void => {}
  const ref = req.basePath ? `path:${req.basePath}` : (req.ref ?? '')
  if (req.basePath) {
    root = realpathSync(resolve(req.basePath))
    sha = tryGit(root, ['rev-parse', 'HEAD'])
  } else {
    if (!req.ref) throw new BaseCodeError('no base ref given')
    if (!tryGit(repoDir, ['rev-parse', '--git-dir']))
      throw new BaseCodeError(`${repoDir} is not a git repository: the base cannot be checked out`)
    sha = resolveCommit(repoDir, req.ref, req.fetch ?? true)
    root = mkdtempSync(join(tmpdir(), 'swarm-bench-base-'))
    try {
      git(repoDir, ['worktree', 'add', '--detach', '--force', root, sha])
    } catch (err) {
      rmSync(root, { recursive: true, force: true })
      throw new BaseCodeError(`git worktree add of ${sha} failed: ${(err as Error).message}`)
    }
    const wt = root
    dispose = () => {
      tryGit(repoDir, ['worktree', 'remove', '--force', wt])
      rmSync(wt, { recursive: true, force: true })
      tryGit(repoDir, ['worktree', 'prune'])
    }
  }
  const notes: string[] = []
  const headAgent = realpathSync(req.headAgentDir)
  // The agent is code under test only where the repository ships it; otherwise both sides run the tool's own.
  let baseAgent = headAgent
  if (inside(headAgent, repoDir)) {
    const candidate = join(root, relative(repoDir, headAgent))
    if (existsSync(join(candidate, 'swarm_agent', '__main__.py'))) baseAgent = candidate
    else notes.push('the base ships no agent: both sides run the head agent')
  }
  let baseStrategy: string | undefined
  if (req.strategyPath) {
    const head = realpathSync(resolve(req.strategyPath))
    const candidate = inside(head, repoDir) ? join(root, relative(repoDir, head)) : undefined
    if (candidate && existsSync(candidate)) baseStrategy = candidate
    else {
      baseStrategy = head
      notes.push('the strategy module is new in the head: both sides run the head strategy')
    }
    // Read now: the worktree is removed once the run ends.
    readFileSync(baseStrategy)
  }
  let baseHooks: HooksSource | undefined
  if (req.hooks) {
    const head = realpathSync(resolve(req.hooks.path))
    const candidate = inside(head, repoDir) ? join(root, relative(repoDir, head)) : undefined
    const found = candidate && existsSync(candidate) ? candidate : undefined
    if (!found) notes.push('the hooks module is new in the head: both sides run the head hooks')
    baseHooks = { ...req.hooks, path: found ?? head }
  }
  if (req.requirements) {
    const head = realpathSync(resolve(req.requirements))
    const candidate = inside(head, repoDir) ? join(root, relative(repoDir, head)) : undefined
    const base = candidate && existsSync(candidate) ? readFileSync(candidate, 'utf8') : undefined
    if (base !== readFileSync(head, 'utf8'))
      notes.push("the base's e2b-requirements differ from the head's: both sides ran with the head's")
  }
  const headFiles = await collectAgentFiles({
    strategyPath: req.strategyPath,
    agentDir: headAgent,
    hooks: req.hooks,
    requirements: req.requirements
  })
  // Read now, like the strategy: the worktree is removed once the run ends.
  const baseFiles = await collectAgentFiles({
    strategyPath: baseStrategy,
    agentDir: baseAgent,
    hooks: baseHooks,
    requirements: req.requirements
  })
  const changed: string[] = []
  if (!sameFiles(headFiles, baseFiles, 'agent/')) changed.push('agent')
  if (!sameFiles(headFiles, baseFiles, 'user_strategy/')) changed.push('strategy')
  if (!sameFiles(headFiles, baseFiles, 'user_hooks/')) changed.push('hooks')
  return { base: { ref, sha, changed, notes }, files: async () => baseFiles, dispose }
}
