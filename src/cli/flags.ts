// CLI flags of `swarm-bench run` ↔ the shared input table (src/config/config.ts and each provider's inputs,
// src/sandbox/<name>/). The CLI only maps flag names to input names; every value is validated by parseRunConfig,
// and its InputError is re-worded to name the flag.
import { InputError, type InputReader } from '../config/input-table.js'
import { providerPlugins } from '../sandbox/registry.js'

export interface RunFlag {
  /** Input name in src/config (and action.yml). */
  input: string
  /** Commander flag spec. */
  flag: string
  help: string
  boolean?: boolean
}

/** The flags every run has; each provider adds its own (`runFlags`). */
const CORE_FLAGS: RunFlag[] = [
  { input: 'provider', flag: '--provider <name>', help: 'local | e2b | auto (e2b when an API key is set)' },
  { input: 'profile', flag: '--profile <name>', help: 'quick | full' },
  {
    input: 'topologies',
    flag: '--topologies <list>',
    help: 'comma-separated: mesh, hierarchical, ring, star, or all'
  },
  { input: 'only', flag: '--only <ids>', help: 'comma-separated benchmark ids (default: every benchmark)' },
  { input: 'out', flag: '--out <dir>', help: 'directory for the results file and the report (default: .)' },
  { input: 'strategy-path', flag: '--strategy-path <file>', help: 'Python module with decide(bars, state)' },
  {
    input: 'agent-hooks',
    flag: '--agent-hooks <path>',
    help: 'your swarm: Python module or package with any of setup, decide, on_message, vote, tally, merge_state, run_task'
  },
  {
    input: 'hooks-config',
    flag: '--hooks-config <json>',
    help: 'JSON object passed to the hooks setup(config)'
  },
  {
    input: 'hooks-timeout-ms',
    flag: '--hooks-timeout-ms <ms>',
    help: 'time budget of each hook call (default 1000)'
  },
  {
    input: 'fail-on-target',
    flag: '--fail-on-target',
    help: 'exit 1 when a benchmark misses a target',
    boolean: true
  },
  {
    input: 'duet-pairs',
    flag: '--duet-pairs <mode>',
    help: 'with --against: interleaved | concurrent | auto (concurrent on E2B, interleaved locally)'
  },
  {
    input: 'cost-window-seconds',
    flag: '--cost-window-seconds <s>',
    help: 'window for costs.by-topology (0: workload)'
  },
  {
    input: 'price-vcpu-second',
    flag: '--price-vcpu-second <usd>',
    help: 'USD per vCPU-second of allocation'
  },
  { input: 'price-gib-second', flag: '--price-gib-second <usd>', help: 'USD per GiB-second of allocation' },
  { input: 'run-tag', flag: '--run-tag <tag>', help: 'tag on every sandbox and agent process of this run' },
  {
    input: 'e2b-requirements',
    flag: '--e2b-requirements <file>',
    help: 'pip requirements installed once per E2B sandbox before its agent starts (timed apart)'
  }
]

/** The flags of `swarm-bench run`: the core ones, then each registered provider's. */
export function runFlags(): RunFlag[] {
  return [...CORE_FLAGS, ...providerPlugins().flatMap(p => p.inputs)]
}

/** `--e2b-max-concurrency <n>` → `e2bMaxConcurrency`, commander's attribute name. */
export function attributeName(flag: string): string {
  const long = flag.split(/[ ,]/)[0].replace(/^--/, '')
  return long.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

export function flagName(input: string): string {
  const f = runFlags().find(x => x.input === input)
  return f ? f.flag.split(' ')[0] : `--${input}`
}

/** An InputReader over commander's parsed options. */
export function readerFromOptions(opts: Record<string, unknown>): InputReader {
  return (input: string) => {
    const f = runFlags().find(x => x.input === input)
    if (!f) return ''
    const v = opts[attributeName(f.flag)]
    if (v === undefined || v === false) return ''
    if (v === true) return 'true'
    const s = String(v)
    // An explicitly empty value (`--profile ""`) must not silently become the default.
    if (s.trim() === '')
      throw new InputError(input, s, `a non-empty value (omit ${flagName(input)} for the default)`)
    return s
  }
}

/** The config layer's message, re-worded with the flag the user typed. */
export function flagError(err: InputError): string {
  const shown = err.value.length > 80 ? `${err.value.slice(0, 77)}...` : err.value
  return `error: invalid value ${JSON.stringify(shown)} for ${flagName(err.input)} — expected ${err.accepted}`
}
