// What gets uploaded into every sandbox: the agent package and, optionally, the user's strategy module, plus the
// command that starts the agent. Shared by every provider so local and E2B run exactly the same files.
import { readdir, readFile } from 'node:fs/promises'
import { stat } from 'node:fs/promises'
import { basename, join, posix, relative, sep } from 'node:path'
import { agentDir } from '../paths.js'
import type { ProviderTraits } from './plugin.js'
import type { SandboxFile, StartCommand } from './types.js'

/** Folder (relative to the sandbox workdir) the agent package is uploaded into; the agent runs from it. */
export const AGENT_UPLOAD_DIR = 'agent'
/** Fixed place of the user's strategy module inside the sandbox, relative to the workdir. */
export const USER_STRATEGY_PATH = 'user_strategy/strategy.py'
/** Folder (relative to the workdir) the user's agent hooks module or package is uploaded into. */
export const USER_HOOKS_DIR = 'user_hooks'
/** Where the E2B requirements file is uploaded, and the folder (beside `agent/`) pip installs it into. */
export const USER_REQUIREMENTS_PATH = 'user_requirements/requirements.txt'
export const PYDEPS_DIR = 'pydeps'
/** Env var every agent process carries, so sweeps and tests can find the processes of one run. */
export const RUN_TAG_ENV = 'SWARM_BENCH_RUN'
/** Sandbox metadata key carrying the run tag (E2B metadata; the post-step sweep filters on it). */
export const RUN_TAG_METADATA = 'swarm-bench-run'

export interface AgentFiles {
  files: SandboxFile[]
  /** Total bytes uploaded per sandbox. */
  bytes: number
  /** Workdir-relative path of the user strategy when one was given (pass `workdir + '/' + this` to `init`). */
  strategyPath?: string
  /** The user's agent hooks when given: what `init` needs to load them in every agent. */
  hooks?: AgentHooks
  /** Workdir-relative path of the uploaded requirements file (E2B installs it before the agent starts). */
  requirements?: string
  /**
   * In a duet, on the head side: the base's strategy code uploaded beside the head's agent (src/duet/twin.ts),
   * workdir-relative. The agent loads it as its twin and times both strategies pair by pair. Its files are not in
   * `files`: the benchmark that uses them uploads them (Swarm.uploadTwin), so the head's deploy is the base's work.
   */
  twin?: { agentDir?: string; strategyPath?: string; files: SandboxFile[] }
}

export interface AgentHooks {
  /** Workdir-relative path of the uploaded module or package folder. */
  path: string
  /** The module's name as the user knows it (`hooks.py`, `my_swarm`). */
  module: string
  config: Record<string, unknown>
  timeoutMs: number
}

/** The user's hooks as given on the host: a `.py` file or a package folder, with its settings. */
export interface HooksSource {
  path: string
  config?: Record<string, unknown>
  timeoutMs?: number
}

async function listPython(root: string, dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true })
  for (const e of entries) {
    const full = join(dir, e.name)
    if (e.isDirectory()) {
      if (e.name !== '__pycache__' && !e.name.startsWith('.')) await listPython(root, full, out)
    } else if (e.isFile() && e.name.endsWith('.py')) {
      out.push(relative(root, full))
    }
  }
}

/** Read `swarm_agent/**\/*.py` (and the user strategy, if any) into upload-ready files with POSIX paths. */
export async function collectAgentFiles(
  opts: { strategyPath?: string; agentDir?: string; hooks?: HooksSource; requirements?: string } = {}
): Promise<AgentFiles> {
  const root = opts.agentDir ?? agentDir()
  const rel: string[] = []
  await listPython(root, join(root, 'swarm_agent'), rel)
  rel.sort()
  const files: SandboxFile[] = []
  for (const r of rel) {
    files.push({ path: posix.join(AGENT_UPLOAD_DIR, ...r.split(sep)), data: await readFile(join(root, r)) })
  }
  let strategyPath: string | undefined
  if (opts.strategyPath) {
    let data: Buffer
    try {
      data = await readFile(opts.strategyPath)
    } catch (err) {
      throw new Error(`cannot read strategy module ${opts.strategyPath}: ${(err as Error).message}`, {
        cause: err
      })
    }
    files.push({ path: USER_STRATEGY_PATH, data })
    strategyPath = USER_STRATEGY_PATH
  }
  const hooks = opts.hooks ? await addHooks(opts.hooks, files) : undefined
  if (opts.requirements) {
    try {
      files.push({ path: USER_REQUIREMENTS_PATH, data: await readFile(opts.requirements) })
    } catch (err) {
      throw new Error(`cannot read requirements ${opts.requirements}: ${(err as Error).message}`, {
        cause: err
      })
    }
  }
  const bytes = files.reduce((s, f) => s + Buffer.byteLength(f.data), 0)
  return {
    files,
    bytes,
    strategyPath,
    ...(hooks ? { hooks } : {}),
    ...(opts.requirements ? { requirements: USER_REQUIREMENTS_PATH } : {})
  }
}

/** Adds the hooks module (or every .py file of the package) under user_hooks/, keeping its name. */
async function addHooks(src: HooksSource, files: SandboxFile[]): Promise<AgentHooks> {
  const module = basename(src.path)
  const target = posix.join(USER_HOOKS_DIR, module)
  try {
    if ((await stat(src.path)).isDirectory()) {
      const rel: string[] = []
      await listPython(src.path, src.path, rel)
      for (const r of rel.sort()) {
        files.push({ path: posix.join(target, ...r.split(sep)), data: await readFile(join(src.path, r)) })
      }
    } else {
      files.push({ path: target, data: await readFile(src.path) })
    }
  } catch (err) {
    throw new Error(`cannot read agent hooks ${src.path}: ${(err as Error).message}`, { cause: err })
  }
  return { path: target, module, config: src.config ?? {}, timeoutMs: src.timeoutMs ?? 1000 }
}

/** The hooks of a run's config, in the shape collectAgentFiles takes. */
export function hooksSource(config: {
  agentHooks?: string
  hooksConfig?: Record<string, unknown>
  hooksTimeoutMs?: number
}): HooksSource | undefined {
  return config.agentHooks
    ? { path: config.agentHooks, config: config.hooksConfig, timeoutMs: config.hooksTimeoutMs }
    : undefined
}

/**
 * Address the agent's peer server binds. Peers on one machine all dial 127.0.0.1, so nothing else may reach the
 * server; a proxy (E2B's) reaches the sandbox from outside its loopback, so there it must listen on every interface.
 */
export function peerBindHost(traits: Pick<ProviderTraits, 'proxiedPeers'>): string {
  return traits.proxiedPeers ? '0.0.0.0' : '127.0.0.1'
}

/**
 * pip installing the uploaded requirements into `pydeps/` beside the agent folder (run from the agent folder, like
 * the agent): nothing outside the sandbox's workdir is touched, and the agent finds it through PYTHONPATH.
 */
export function requirementsInstallCommand(requirements: string, python = 'python3'): StartCommand {
  return {
    command: python,
    args: [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-input',
      '--target',
      posix.join('..', PYDEPS_DIR),
      '-r',
      posix.relative(AGENT_UPLOAD_DIR, requirements)
    ],
    cwd: AGENT_UPLOAD_DIR,
    env: { PYTHONDONTWRITEBYTECODE: '1' }
  }
}

/** The agent's start command: unbuffered, run as a module from the uploaded agent folder, tagged with the run. */
export function agentStartCommand(runTag: string, python = 'python3', host = '127.0.0.1'): StartCommand {
  return {
    command: python,
    args: ['-u', '-m', 'swarm_agent', '--host', host],
    cwd: AGENT_UPLOAD_DIR,
    env: { [RUN_TAG_ENV]: runTag, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' }
  }
}
