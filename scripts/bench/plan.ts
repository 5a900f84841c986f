// bench:plan — cost and wall time of the whole matrix, per profile, by running it:
//   local      the local provider (allocation nominal: costs are "as if on E2B")
//   emulator   the e2b provider on the real SDK against the local E2B emulator with E2B-like latencies injected
//              (a latency profile, below) at the Hobby limits (20 concurrent sandboxes, 1 creation per second),
//              enforced by the provider and by the emulator.
// Two flows on the same engine:
//   project    the runner as shipped (swarms pooled and reused, parallel deploys up to the limits)
//   seed       the seed's flow as written: every benchmark creates its own swarms (the runner with a pool of size 0)
//              and costs.by-topology runs each topology for a 60 s window. This is a mode of the runner, RUN, not
//              a computed schedule. `nopool` is the seed flow without the window (separates the two effects).
//              The seed also leaked its sandboxes until E2B's 300 s default timeout; that
//              extra is COMPUTED from the measured per-sandbox lifetimes and printed in its own column.
// Two latency profiles for the emulator (`--latency hobby|realistic|both`, LATENCY_PROFILES below, each figure
// with its source): `hobby`, the fixed latencies this plan always used, and `realistic` (issue #14), drawn per
// request from seeded distributions (creation at E2B's published p50/p95, 70–250 ms round trips).
// Every figure is the run's own: the provider's per-sandbox lifetimes × allocation × default E2B prices.
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { runBenchmarks } from '../../src/bench/runner.js'
import { collectAgentFiles } from '../../src/sandbox/agent-files.js'
import { BENCHMARK_IDS } from '../../src/bench/catalog.js'
import { PROFILES } from '../../src/bench/profiles.js'
import { parseRunConfig, type RunConfig } from '../../src/config/config.js'
import { usdPerSecond } from '../../src/cost/pricing.js'
import { E2B_DEFAULT_PRICING } from '../../src/sandbox/e2b/pricing.js'
import type { Results } from '../../src/results/schema.js'
import { createProvider } from '../../src/sandbox/factory.js'
import { installExitCleanup } from '../../src/sandbox/local/provider.js'
import { startE2BEmulator, type E2BEmulator } from '../../__tests__/support/e2b-emulator/index.js'
import {
  describeLatency,
  latencyDraw,
  type LatencySpec
} from '../../__tests__/support/e2b-emulator/latency.js'
import { attribute, sumById, TracingProvider, type Interval, type IntervalCost } from './trace.js'
import {
  flags,
  fmt,
  intFlag,
  machine,
  machineLine,
  numFlag,
  quantile,
  table,
  usd,
  writeJson
} from './common.js'

const API_KEY = 'e2b_bench_plan_emulated_0000000000'
/** E2B's default lifetime of a sandbox nobody kills (the seed's cleanup called a method the SDK no longer has). */
const SEED_LEAK_SECONDS = 300
const TARGETS = { quick: { usd: 0.02, wallS: 180 }, full: { usd: 0.25 } } as const
/** Duet targets (issue #13): sandbox-seconds ≤ 1.5× the single run's under the same latencies; ≤ 4 min under Hobby. */
const DUET_TARGETS = { sandboxSecondsRatio: 1.5, wallS: 240 } as const

export type LatencyName = 'hobby' | 'realistic'

export interface LatencyProfile {
  title: string
  create: LatencySpec
  /** Every control-plane and envd (in-sandbox daemon) call: a control request to an agent is one envd call. */
  call: LatencySpec
  /** Every proxied peer request (one hop between two agents). */
  hop: LatencySpec
  /** Where each figure comes from, printed beside it. */
  sources: { create: string; call: string; hop: string }
}

/**
 * The emulator adds one draw per request before serving it and answers at once: a draw is the round trip the
 * caller sees. A creation's draw is its whole time from arrival, its control-plane latency included.
 */
export const LATENCY_PROFILES: Record<LatencyName, LatencyProfile> = {
  hobby: {
    title: 'emulated Hobby, fixed latencies',
    create: { kind: 'fixed', ms: 450 },
    call: { kind: 'fixed', ms: 30 },
    hop: { kind: 'fixed', ms: 5 },
    sources: {
      create: "this plan's earlier choice, near E2B's published p50 (not measured on E2B)",
      call: "this plan's earlier choice (not measured on E2B; optimistic for a runner-to-E2B round trip)",
      hop: "this plan's earlier choice (not measured on E2B)"
    }
  },
  realistic: {
    title: 'emulated Hobby, realistic latencies (issue #14)',
    create: {
      kind: 'lognormal',
      q: [
        [0.5, 440],
        [0.95, 850]
      ]
    },
    call: {
      kind: 'lognormal',
      q: [
        [0.05, 70],
        [0.95, 250]
      ]
    },
    hop: {
      kind: 'lognormal',
      q: [
        [0.05, 70],
        [0.95, 250]
      ]
    },
    sources: {
      create: "E2B's published sandbox start time (create → first command): median ≈ 0.44 s, p95 ≈ 0.85 s",
      call:
        "issue #14's assumption for a GitHub-hosted runner to E2B: round trips of 70–250 ms (E2B quotes " +
        '0.07–0.25 s for a later command round trip "for orientation"), taken as the 5th–95th percentiles; ' +
        'not measured from a runner',
      hop:
        "issue #14's assumption: the same 70–250 ms round trip per proxied agent-to-agent request (E2B " +
        'publishes no sandbox-to-sandbox figure we know of); not measured'
    }
  }
}

type Env = 'local' | 'emulator'
type Flow = 'project' | 'seed' | 'nopool' | 'duet'
type ProfileName = 'quick' | 'full'

export interface PlanRow {
  profile: ProfileName
  env: Env
  flow: Flow
  /** The emulator's latency profile (emulator rows only). */
  latency?: LatencyName
  /** Duet rows: how each pair of requests ran (`--duet-pairs`; auto: concurrent on the emulator, as on E2B). */
  pairing?: string
  wallS: number
  sandboxes: number
  sandboxSeconds: number
  usd: number
  /** Seed flow only: every sandbox billed at least SEED_LEAK_SECONDS (computed, not run). */
  usdIfLeaked?: number
  swarmsDeployed: number
  swarmsReused: number
  benchmarks: { passed: number; failed: number; error: number; skipped: number }
  errors: string[]
  /** Host-measured sandbox creation (ms) from the agent-deploy phases: shows the injected latency landed. */
  createMsP50?: number
  emulator?: { peakLive: number; rejected429: number; createRequests: number; peerRequests: number }
  /** Per benchmark: its wall time, the sandboxes created in it, the sandbox-seconds billed while it ran. */
  perBenchmark: (IntervalCost & { status: string; swarmsDeployed: number; swarmsReused: number })[]
  /** Sandbox-seconds billed outside every benchmark's turns (hand-overs, final drain). */
  betweenSandboxSeconds: number
  /** Benchmarks in the order they held the turn (a repeat = it came back for its next swarm). */
  turnOrder: string[]
  /** Targets that apply to this row (project flow under emulated Hobby). */
  targets?: { usdMax: number; usdMet: boolean; wallMaxS?: number; wallMet?: boolean }
  /** Duet rows: sandbox-seconds ÷ the single (project) run's under the same latencies, and the duet's targets. */
  duetTargets?: {
    single?: { wallS: number; sandboxSeconds: number }
    ratio?: number
    ratioMax: number
    ratioMet?: boolean
    wallMaxS?: number
    wallMet?: boolean
  }
}

export interface PlanFigures {
  machine: ReturnType<typeof machine>
  params: {
    profiles: ProfileName[]
    envs: Env[]
    flows: Flow[]
    only: string[]
    /** Profile parameters changed for this run (`--set`), e.g. quick.consensus.rounds=60. */
    overrides: string[]
    costWindowSeconds: number
    /** The Hobby profile's fixed latencies (`--create-ms`, `--call-ms`, `--hop-ms`). */
    latency: { createMs: number; callMs: number; hopMs: number }
    /** Whether swarms were deployed ahead of their borrowers (`--prefetch`). */
    prefetch: boolean
    /** The latency profiles run, with their sources; the first drawn seed (`--seed`). */
    latencyProfiles: Partial<Record<LatencyName, LatencyProfile>>
    seed: number
    hobby: { maxConcurrency: number; createPerSecond: number }
    pricing: typeof E2B_DEFAULT_PRICING
    usdPerSandboxSecond: number
  }
  rows: PlanRow[]
}

function list<T extends string>(name: string, raw: string, allowed: readonly T[]): T[] {
  const out = raw
    .split(',')
    .map(s => s.trim())
    .filter(Boolean)
  for (const v of out) {
    if (!(allowed as readonly string[]).includes(v)) {
      process.stderr.write(`--${name}: ${JSON.stringify(v)} is not one of ${allowed.join(', ')}\n`)
      process.exit(2)
    }
  }
  return out as T[]
}

async function main(): Promise<void> {
  const f = flags(
    'bench:plan',
    'cost and wall time of the matrix per profile, locally and under emulated E2B Hobby',
    {
      profiles: { type: 'string', default: 'quick,full', help: 'profiles to run (quick, full)' },
      envs: { type: 'string', default: 'local,emulator', help: 'where to run (local, emulator)' },
      flows: {
        type: 'string',
        default: 'project,seed',
        help: 'project (runner as shipped), seed (seed flow), nopool (no swarm reuse, no window: a diagnosis), duet (the project flow as an A/A duet: both sides, paired)'
      },
      only: { type: 'string', default: '', help: 'comma-separated benchmark ids (default: every benchmark)' },
      set: {
        type: 'string',
        default: '',
        help: 'change profile parameters for this run, e.g. quick.consensus.rounds=60,quick.linear.sizes=2/4/6 (what would it cost)'
      },
      'cost-window': {
        type: 'string',
        default: '60',
        help: 'seconds of the seed flow costs.by-topology window'
      },
      'create-ms': { type: 'string', default: '450', help: 'emulated sandbox creation time' },
      'call-ms': {
        type: 'string',
        default: '30',
        help: 'emulated latency of each control-plane and daemon call'
      },
      'hop-ms': { type: 'string', default: '5', help: 'emulated latency of each proxied peer request' },
      prefetch: {
        type: 'boolean',
        help: "deploy the next borrower's swarm while a benchmark measures (off as shipped: it overlaps timed phases)"
      },
      latency: {
        type: 'string',
        default: 'both',
        help: 'emulator latency profile: hobby (fixed: --create-ms, --call-ms, --hop-ms), realistic (issue #14: creation p50 440 / p95 850 ms, 70–250 ms round trips, seeded draws), or both'
      },
      seed: { type: 'string', default: '1', help: "seed of the realistic profile's draws" },
      'duet-pairs': {
        type: 'string',
        default: 'auto',
        help: "the duet flow's pairing: auto (concurrent on the emulator, as on E2B; interleaved locally), interleaved, concurrent"
      },
      json: { type: 'string', help: 'write the figures as JSON to this file' }
    }
  )
  const profiles = list('profiles', f.profiles, ['quick', 'full'] as const)
  const envs = list('envs', f.envs, ['local', 'emulator'] as const)
  const flows = list('flows', f.flows, ['project', 'seed', 'nopool', 'duet'] as const)
  const only = f.only ? list('only', f.only, BENCHMARK_IDS) : [...BENCHMARK_IDS]
  const overrides = applyOverrides(f.set)
  const costWindowSeconds = numFlag('cost-window', f['cost-window'], 0, 3600)
  const latency = {
    createMs: intFlag('create-ms', f['create-ms'], 0),
    callMs: intFlag('call-ms', f['call-ms'], 0),
    hopMs: intFlag('hop-ms', f['hop-ms'], 0)
  }
  const latencyNames: LatencyName[] =
    f.latency === 'both'
      ? ['hobby', 'realistic']
      : list('latency', f.latency, ['hobby', 'realistic'] as const)
  const seed = intFlag('seed', f.seed, 0)
  const profilesUsed: Record<LatencyName, LatencyProfile> = {
    hobby: {
      ...LATENCY_PROFILES.hobby,
      create: { kind: 'fixed', ms: latency.createMs },
      call: { kind: 'fixed', ms: latency.callMs },
      hop: { kind: 'fixed', ms: latency.hopMs }
    },
    realistic: LATENCY_PROFILES.realistic
  }
  const hobby = { maxConcurrency: 20, createPerSecond: 1 }
  const m = machine()
  console.log(`bench:plan · ${machineLine(m)}`)
  installExitCleanup()

  const rows: PlanRow[] = []
  for (const profile of profiles) {
    for (const env of envs) {
      for (const lat of env === 'emulator' ? latencyNames : [undefined]) {
        for (const flow of flows) {
          process.stderr.write(`running ${profile} / ${env}${lat ? ` (${lat})` : ''} / ${flow}…\n`)
          const row = await runOne({
            profile,
            env,
            flow,
            only,
            costWindowSeconds,
            latency: lat ? { name: lat, profile: profilesUsed[lat], seed } : undefined,
            prefetch: f.prefetch === true,
            duetPairs: f['duet-pairs']
          })
          rows.push(row)
          process.stderr.write(
            `  ${fmt(row.wallS)} s, ${row.sandboxes} sandboxes, ${fmt(row.sandboxSeconds)} sandbox-s, ${usd(row.usd)}` +
              `${row.errors.length ? `, ${row.errors.length} benchmark error(s)` : ''}\n`
          )
        }
      }
    }
  }
  for (const r of rows.filter(x => x.flow === 'duet' && x.profile === 'quick' && x.env === 'emulator')) {
    const single = rows.find(
      x => x.flow === 'project' && x.profile === r.profile && x.env === r.env && x.latency === r.latency
    )
    const ratio = single ? r.sandboxSeconds / single.sandboxSeconds : undefined
    r.duetTargets = {
      single: single ? { wallS: single.wallS, sandboxSeconds: single.sandboxSeconds } : undefined,
      ratio,
      ratioMax: DUET_TARGETS.sandboxSecondsRatio,
      ratioMet: ratio === undefined ? undefined : ratio <= DUET_TARGETS.sandboxSecondsRatio
    }
    if (r.latency === 'hobby')
      Object.assign(r.duetTargets, { wallMaxS: DUET_TARGETS.wallS, wallMet: r.wallS <= DUET_TARGETS.wallS })
  }
  const figures: PlanFigures = {
    machine: m,
    params: {
      profiles,
      envs,
      flows,
      only,
      overrides,
      costWindowSeconds,
      latency,
      prefetch: f.prefetch === true,
      latencyProfiles: Object.fromEntries(latencyNames.map(n => [n, profilesUsed[n]])),
      seed,
      hobby,
      pricing: E2B_DEFAULT_PRICING,
      usdPerSandboxSecond: usdPerSecond({ vcpu: 2, memoryMiB: 512 }, E2B_DEFAULT_PRICING)
    },
    rows
  }
  print(figures)
  writeJson(f.json, figures)
}

async function runOne(o: {
  profile: ProfileName
  env: Env
  flow: Flow
  only: string[]
  costWindowSeconds: number
  latency?: { name: LatencyName; profile: LatencyProfile; seed: number }
  prefetch: boolean
  duetPairs: string
}): Promise<PlanRow> {
  let emu: E2BEmulator | undefined
  const inputs: Record<string, string> = {
    profile: o.profile,
    only: o.only.join(','),
    'run-tag': `bench-plan-${randomBytes(3).toString('hex')}`,
    'cost-window-seconds': o.flow === 'seed' ? String(o.costWindowSeconds) : '0',
    'duet-pairs': o.duetPairs
  }
  if (o.env === 'emulator') {
    emu = await startE2BEmulator({ apiKey: API_KEY, maxConcurrent: 20 })
    // A create answers after its drawn creation time in total, its own control-plane latency included. Each kind
    // of call has its own seeded stream, so a row's draws repeat with the seed whatever the other kinds did.
    const l = o.latency!
    emu.faults.draws = {
      create: latencyDraw(l.profile.create, l.seed),
      control: latencyDraw(l.profile.call, l.seed + 1),
      envd: latencyDraw(l.profile.call, l.seed + 2),
      peer: latencyDraw(l.profile.hop, l.seed + 3)
    }
    Object.assign(inputs, {
      provider: 'e2b',
      'e2b-api-key': API_KEY,
      'e2b-api-url': emu.url,
      'e2b-sandbox-url': emu.url,
      'e2b-plan': 'hobby'
    })
  } else {
    inputs.provider = 'local'
  }
  const config: RunConfig = parseRunConfig(name => inputs[name] ?? '', {})
  const provider = new TracingProvider(createProvider(config))
  const t0 = performance.now()
  // The runner hands the turn from benchmark to benchmark (never two at once): every turn is one interval, and a
  // benchmark's share is the sum over its turns.
  const turns: Interval[] = []
  let results: Results
  try {
    results = await runBenchmarks(config, {
      provider,
      prefetch: o.prefetch,
      onTurn: (id, holding) => {
        if (holding) turns.push({ id, start: performance.now(), end: Number.NaN })
        else {
          const iv = turns.findLast(i => i.id === id && Number.isNaN(i.end))
          if (iv) iv.end = performance.now()
        }
      },
      // The seed's flow: nothing is kept between benchmarks, so every swarm a benchmark uses is created for it.
      poolMaxAgents: o.flow === 'project' || o.flow === 'duet' ? undefined : 0,
      // A duet's cost: the same code on both sides, every request paired, as a pull request's run does.
      ...(o.flow === 'duet'
        ? {
            duet: {
              files: () => collectAgentFiles({ strategyPath: config.strategyPath }),
              base: { ref: 'A/A (the same code)', changed: [], notes: [] }
            }
          }
        : {})
    })
  } finally {
    await provider.killAll()
  }
  const t1 = performance.now()
  const wallS = (t1 - t0) / 1000
  const perBench = sumById(
    attribute(
      provider.spans,
      turns.filter(i => Number.isFinite(i.end))
    ),
    results.benchmarks.map(b => b.id)
  )
  const whole = attribute(provider.spans, [{ id: 'run', start: t0, end: t1 + 3_600_000 }])[0]
  const usage = provider.usage()
  const counts = { passed: 0, failed: 0, error: 0, skipped: 0 }
  for (const b of results.benchmarks) counts[b.status]++
  const details = results.run.environment.providerDetails
  const createMs = results.benchmarks
    .find(b => b.id === 'creation.agent-deploy')
    ?.metrics.find(x => x.name === 'create_ms')?.samples
  const row: PlanRow = {
    profile: o.profile,
    env: o.env,
    flow: o.flow,
    latency: o.latency?.name,
    ...(results.duet ? { pairing: results.duet.pairing ?? 'interleaved' } : {}),
    wallS,
    sandboxes: results.cost.sandboxes,
    sandboxSeconds: results.cost.sandboxSeconds,
    usd: results.cost.usd,
    swarmsDeployed: Number(details.swarmsDeployed ?? 0),
    swarmsReused: Number(details.swarmsReused ?? 0),
    benchmarks: counts,
    errors: results.benchmarks
      .filter(b => b.status === 'error')
      .map(b => `${b.id}: ${b.error ?? ''}`.slice(0, 300)),
    createMsP50: createMs?.length ? quantile(createMs, 0.5) : undefined,
    perBenchmark: perBench.map(c => {
      const b = results.benchmarks.find(x => x.id === c.id)
      return {
        ...c,
        status: b?.status ?? 'unknown',
        swarmsDeployed: Number(b?.params.swarmsDeployed ?? 0),
        swarmsReused: Number(b?.params.swarmsReused ?? 0)
      }
    }),
    betweenSandboxSeconds: whole.sandboxSeconds - perBench.reduce((s, c) => s + c.sandboxSeconds, 0),
    turnOrder: turns.map(t => t.id)
  }
  if (o.flow === 'seed') {
    row.usdIfLeaked = usage.reduce(
      (s, u) => s + usdPerSecond(u.allocation, results.cost.pricing) * Math.max(u.seconds, SEED_LEAK_SECONDS),
      0
    )
  }
  if (emu) {
    const st = emu.stats()
    row.emulator = {
      peakLive: st.peakLive,
      rejected429: st.rejected429,
      createRequests: st.createRequests,
      peerRequests: st.peerRequests
    }
    await emu.close()
  }
  if (o.flow === 'project' && o.env === 'emulator') {
    const t = TARGETS[o.profile]
    row.targets = { usdMax: t.usd, usdMet: row.usd <= t.usd }
    if ('wallS' in t) Object.assign(row.targets, { wallMaxS: t.wallS, wallMet: row.wallS <= t.wallS })
  }
  return row
}

/**
 * `profile.block.field=value` pairs (arrays as a/b/c) written into the profile table for this process: the plan
 * can show what other sample counts would cost. Exits on an unknown name or a value of the wrong kind.
 */
function applyOverrides(raw: string): string[] {
  const out: string[] = []
  for (const item of raw
    .split(',')
    .map(x => x.trim())
    .filter(Boolean)) {
    const m = /^(quick|full)\.(\w+)\.(\w+)=([\d./]+)$/.exec(item)
    const block = m
      ? (PROFILES[m[1] as ProfileName] as unknown as Record<string, Record<string, unknown>>)[m[2]]
      : undefined
    const old = m && block ? block[m[3]] : undefined
    const value = m
      ? m[4].includes('/') || Array.isArray(old)
        ? m[4].split('/').map(Number)
        : Number(m[4])
      : NaN
    const ok =
      old !== undefined &&
      (Array.isArray(old)
        ? Array.isArray(value) && value.length > 0 && value.every(v => Number.isInteger(v) && v > 0)
        : typeof old === 'number' && typeof value === 'number' && Number.isFinite(value) && value > 0)
    if (!m || !block || !ok) {
      process.stderr.write(
        `--set: cannot apply ${JSON.stringify(item)} (profile.block.field=number or a/b/c)\n`
      )
      process.exit(2)
    }
    block[m[3]] = value
    out.push(
      `${m[1]}.${m[2]}.${m[3]}=${Array.isArray(value) ? value.join('/') : value} (was ${Array.isArray(old) ? old.join('/') : String(old)})`
    )
  }
  return out
}

/** Consecutive repeats collapsed: a1,a1,b → a1,b (shown as the order benchmarks held the turn). */
function collapse(ids: readonly string[]): string[] {
  return ids.filter((id, i) => i === 0 || ids[i - 1] !== id)
}

/** "emulated Hobby, realistic" / "emulated Hobby, hobby latencies" / "local". */
function where(r: PlanRow): string {
  return r.env === 'emulator' ? `emulated Hobby${r.latency ? ` (${r.latency})` : ''}` : 'local'
}

function verdict(r: PlanRow): string {
  const out: string[] = []
  if (r.targets) {
    out.push(`${r.targets.usdMet ? 'ok' : 'MISS'} ≤ ${usd(r.targets.usdMax)}`)
    if (r.targets.wallMaxS !== undefined)
      out.push(`${r.targets.wallMet ? 'ok' : 'MISS'} ≤ ${r.targets.wallMaxS} s`)
  }
  const d = r.duetTargets
  if (d) {
    if (d.ratio !== undefined)
      out.push(`${d.ratioMet ? 'ok' : 'MISS'} ${d.ratio.toFixed(2)}× ≤ ${d.ratioMax}× single sandbox-s`)
    if (d.wallMaxS !== undefined) out.push(`${d.wallMet ? 'ok' : 'MISS'} ≤ ${d.wallMaxS} s`)
  }
  return out.join(', ')
}

function print(x: PlanFigures): void {
  console.log(
    `\nMatrix cost and wall time (${x.params.only.length === BENCHMARK_IDS.length ? `all ${BENCHMARK_IDS.length} benchmarks` : x.params.only.join(', ')})` +
      `\n  emulator: Hobby limits ${x.params.hobby.maxConcurrency} concurrent / ${x.params.hobby.createPerSecond} create/s; ` +
      'one latency per request, added before it is served (a draw is the whole round trip the caller sees)' +
      Object.entries(x.params.latencyProfiles)
        .map(
          ([name, lp]) =>
            `\n  latency ${name}: ${lp.title}${lp.create.kind === 'fixed' ? '' : ` (seeded, seed ${x.params.seed})`}` +
            `\n    creation          ${describeLatency(lp.create)} — ${lp.sources.create}` +
            `\n    control/envd call ${describeLatency(lp.call)} — ${lp.sources.call}` +
            `\n    peer hop          ${describeLatency(lp.hop)} — ${lp.sources.hop}`
        )
        .join('') +
      `\n  price: ${x.params.pricing.usdPerVcpuSecond} $/vCPU-s + ${x.params.pricing.usdPerGibSecond} $/GiB-s → ` +
      `${x.params.usdPerSandboxSecond.toExponential(3)} $/s per 2 vCPU / 512 MiB sandbox (E2B public pricing)` +
      `\n  targets: quick ≤ ${TARGETS.quick.wallS} s and ≤ ${usd(TARGETS.quick.usd)} (project flow), full ≤ ${usd(TARGETS.full.usd)}; ` +
      `duet ≤ ${DUET_TARGETS.sandboxSecondsRatio}× the single run's sandbox-s under the same latencies, ≤ ${DUET_TARGETS.wallS} s under hobby` +
      `\n  seed flow: run with no swarm reuse and a ${x.params.costWindowSeconds} s costs.by-topology window; ` +
      `"if leaked" is computed: each sandbox billed ≥ ${SEED_LEAK_SECONDS} s as the seed's broken cleanup did` +
      (x.params.overrides.length
        ? `\n  profile parameters changed for this run: ${x.params.overrides.join(', ')}`
        : '') +
      '\n'
  )
  // One table per latency profile, the realistic one (the headline figures) first, then local runs.
  const groups: { title: string; rows: PlanRow[] }[] = []
  for (const name of ['realistic', 'hobby'] as const) {
    const rows = x.rows.filter(r => r.env === 'emulator' && r.latency === name)
    if (rows.length)
      groups.push({ title: `latency ${name}: ${x.params.latencyProfiles[name]?.title ?? ''}`, rows })
  }
  const local = x.rows.filter(r => r.env === 'local')
  if (local.length) groups.push({ title: 'local provider (no emulated latency)', rows: local })
  for (const g of groups) {
    console.log(`${g.title}`)
    console.log(
      table(
        [
          'profile',
          'where',
          'flow',
          'wall s',
          'sandboxes',
          'sandbox-s',
          'cost',
          'if leaked',
          'swarms new/reused',
          'create p50 ms',
          'bench ok/fail/err',
          'target'
        ],
        g.rows.map(r => [
          r.profile,
          where(r),
          r.pairing ? `${r.flow} (${r.pairing})` : r.flow,
          fmt(r.wallS),
          r.sandboxes,
          fmt(r.sandboxSeconds),
          usd(r.usd),
          r.usdIfLeaked === undefined ? '' : usd(r.usdIfLeaked),
          `${r.swarmsDeployed}/${r.swarmsReused}`,
          r.createMsP50 === undefined ? '' : fmt(r.createMsP50),
          `${r.benchmarks.passed}/${r.benchmarks.failed}/${r.benchmarks.error}`,
          verdict(r)
        ])
      ) + '\n'
    )
  }
  // Ratios seed ÷ project for each profile and place, so the saving is visible.
  const ratios: (string | number)[][] = []
  for (const p of x.params.profiles) {
    for (const e of x.params.envs) {
      for (const lat of e === 'emulator' ? (['realistic', 'hobby'] as const) : [undefined]) {
        const a = x.rows.find(
          r => r.profile === p && r.env === e && r.latency === lat && r.flow === 'project'
        )
        const b = x.rows.find(r => r.profile === p && r.env === e && r.latency === lat && r.flow === 'seed')
        if (a && b) {
          ratios.push([
            p,
            where(a),
            `${(b.sandboxes / a.sandboxes).toFixed(2)}×`,
            `${(b.sandboxSeconds / a.sandboxSeconds).toFixed(2)}×`,
            `${(b.usd / a.usd).toFixed(2)}×`,
            b.usdIfLeaked ? `${(b.usdIfLeaked / a.usd).toFixed(1)}×` : '',
            `${(b.wallS / a.wallS).toFixed(2)}×`
          ])
        }
      }
    }
  }
  if (ratios.length) {
    console.log('\nSeed flow ÷ project flow')
    console.log(
      table(['profile', 'where', 'sandboxes', 'sandbox-s', 'cost', 'cost if leaked', 'wall'], ratios)
    )
  }
  for (const r of x.rows) {
    console.log(`\n${r.profile} / ${where(r)} / ${r.flow}: where the time and money go`)
    const total = r.sandboxSeconds || 1
    console.log(
      table(
        ['benchmark', 'status', 'wall s', 'created', 'swarms new/reused', 'peak live', 'sandbox-s', 'share'],
        [
          ...r.perBenchmark.map(c => [
            c.id,
            c.status,
            fmt(c.wallS),
            c.created,
            `${c.swarmsDeployed}/${c.swarmsReused}`,
            c.peakLive,
            fmt(c.sandboxSeconds),
            `${((100 * c.sandboxSeconds) / total).toFixed(1)}%`
          ]),
          [
            '(between turns)',
            '',
            '',
            '',
            '',
            '',
            fmt(r.betweenSandboxSeconds),
            `${((100 * r.betweenSandboxSeconds) / total).toFixed(1)}%`
          ]
        ]
      )
    )
    console.log(`  turn order: ${collapse(r.turnOrder).join(' → ')}`)
  }
  for (const r of x.rows.filter(r => r.errors.length)) {
    console.log(`\n${r.profile}/${where(r)}/${r.flow}: benchmark errors`)
    for (const e of r.errors) console.log(`  ${e}`)
  }
  for (const r of x.rows.filter(r => r.emulator)) {
    const e = r.emulator!
    console.log(
      `emulator ${r.profile}/${r.latency ?? ''}/${r.flow}: peak ${e.peakLive} live sandboxes, ${e.createRequests} create requests, ` +
        `${e.rejected429} refused 429, ${e.peerRequests} proxied peer requests`
    )
  }
}

main().catch(err => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err))
  process.exitCode = 1
})
