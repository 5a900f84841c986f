// A sandbox provider as a plug-in: everything the rest of the code needs from one provider (its inputs, settings,
// creation, leftovers, secrets, prices, what the report says of it), so nothing outside src/sandbox/ asks for a
// provider by name. Each provider is a folder, src/sandbox/<name>/, and one line in registry.ts.
import type { InputReader } from '../config/input-table.js'
import type { Environment, Pricing } from '../results/schema.js'
import type { Provider } from './types.js'

/** What the rest of the code asks of a provider instead of its name. */
export interface ProviderTraits {
  /** Sandboxes are billed by their allocation; false: the allocation is nominal, costs are estimates. */
  billed: boolean
  /** Peers reach an agent from outside its loopback (a proxy), so its peer server listens on every interface. */
  proxiedPeers: boolean
  /** The user's pip requirements (`e2b-requirements`) are installed in each sandbox before its agent starts. */
  installsRequirements: boolean
  /**
   * `duet-pairs: auto` runs a duet's paired requests at the same time: each is a network round trip that dominates
   * its timing and is billed by the second, so back to back would pay every one twice.
   */
  concurrentDuetPairs: boolean
  /**
   * Every agent runs on the runner's own CPUs: work on several agents at once competes for them, and the CPU time
   * a fixed piece of work takes rises with the competition (resources.cpu then runs the agents one at a time).
   */
  agentsShareCpus: boolean
}

/** An input the provider owns: the action input (action.yml `with:`) and the `swarm-bench run` flag. */
export interface ProviderInput {
  /** Input name, prefixed with the provider's name (`e2b-template`). */
  input: string
  /** Commander flag spec, e.g. `--e2b-template <name>`. */
  flag: string
  help: string
  /** Older input names that still work, with a deprecation warning naming the new one. */
  deprecated?: string[]
}

/** A flag of `swarm-bench cleanup` (read as commander's attribute, e.g. `--e2b-api-key` → `e2bApiKey`). */
export interface CleanupFlag {
  flag: string
  help: string
}

export interface CreateContext {
  runTag: string
  /** Tags every sandbox of the run carries, so a sweep finds them. */
  metadata: Record<string, string>
  log?: (message: string) => void
}

/** `swarm-bench cleanup` for one provider; lines go to the CLI's stdout and stderr as written. */
export interface CliCleanupContext {
  runTag: string
  /** Commander's parsed options of `swarm-bench cleanup`. */
  opts: Record<string, unknown>
  env: NodeJS.ProcessEnv
  /** True when `--provider` named this provider; false when it is swept as part of `all`. */
  named: boolean
  stdout(text: string): void
  stderr(text: string): void
}

/** The action's post step for the provider the main step ran on. */
export interface PostStepContext {
  runTag: string
  /** The action's inputs (`core.getInput`). */
  read: InputReader
  env: NodeJS.ProcessEnv
  /** Values the main step saved with `state()`. */
  state(name: string): string
  /** Log lines, secrets already removed. */
  info(message: string): void
  warning(message: string): void
}

export interface ProviderPlugin<S = unknown> {
  /** The `provider` input's value, the results' `run.provider`, the prefix of its inputs and flags. */
  readonly name: string
  readonly traits: ProviderTraits
  readonly inputs: readonly ProviderInput[]
  /** Prices its sandboxes are billed at (the `price-*` inputs' defaults when it runs). */
  readonly pricing: Pricing
  /** Settings from the shared input reader; an InputError names the input, the value and what is accepted. */
  parse(read: InputReader, env: NodeJS.ProcessEnv): S
  /**
   * `provider: auto`: whether to run here, and why (`an E2B API key is set, running on E2B`). A provider without it
   * is the fallback; the reasons of the others say why it was chosen.
   */
  auto?(settings: S): { chosen: boolean; reason: string }
  /** Checks that apply only when the run uses this provider (a key it cannot run without). */
  validateChosen?(settings: S): void
  create(settings: S, ctx: CreateContext): Provider
  /** Most agents the run keeps alive at once (the swarm pool's size). */
  poolAgents(settings: S): number
  /** Raw secrets among its inputs and environment, masked before anything is parsed or printed. */
  rawSecrets(read: InputReader, env: NodeJS.ProcessEnv): (string | undefined)[]
  /** Secrets among its parsed settings. */
  secrets(settings: S): string[]
  /** What the results' environment records of it beyond name, description and allocation. */
  describe(settings: S): Partial<Environment['providerDetails']>
  /** Values the action's post step needs to sweep (saved as step state); never a secret. */
  state?(settings: S): Record<string, string>
  /** Flags of `swarm-bench cleanup` it reads. */
  readonly cleanupFlags: readonly CleanupFlag[]
  /** Kill what a run left, by its tag; resolves to the CLI's exit code (0 ok, 1 failed, 2 usage). */
  cleanup(ctx: CliCleanupContext): Promise<number>
  /** The post step's sweep; never throws for a cleanup problem (a warning instead). */
  postStep(ctx: PostStepContext): Promise<void>
  /** Process-wide cleanup when the host exits (local agents must not outlive it). */
  installExitCleanup?(opts: { exitOnSignal: boolean }): void
  /** What the report says of a run on it. */
  readonly notes: {
    /** Beside the targets, when a run on it cannot judge them. */
    targets?: string
    /** Under "How to reproduce": what it needs. */
    reproduce: string
  }
}
