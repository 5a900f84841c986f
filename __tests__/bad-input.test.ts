// Bad input at the two entry points, as processes: the bundled CLI (dist/cli.js) and the bundled action
// (dist/index.js with INPUT_* variables). Every flag and every action input gets empty, wrong-type, out-of-range,
// unknown, huge and negative values; each must be refused before anything starts, with a message naming the flag
// or input, the value and what is accepted (CLI: exit 2; action: a failed step with one ::error::).
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runFlags } from '../src/cli/flags.js'
import {
  actionInputDefaults,
  annotations,
  DIST,
  ensureBundle,
  runAction,
  type ActionRun
} from './support/action-runner.js'
import { cleanEnv } from './support/faults/cli-process.js'

const dir = mkdtempSync(join(tmpdir(), 'bad-input-'))
const HUGE = '9'.repeat(400)
const LONG = 'x'.repeat(5000)

beforeAll(async () => {
  await ensureBundle()
}, 600_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Runs `fn` over the items with at most `limit` at once (each item spawns a process). */
async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await fn(items[i])
      }
    })
  )
  return out
}

interface Proc {
  code: number | null
  stdout: string
  stderr: string
}

function cliProcess(args: string[], env: Record<string, string> = {}, killAfterMs = 20_000): Promise<Proc> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [join(DIST, 'cli.js'), ...args], {
      cwd: dir,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => (stdout += d))
    child.stderr.on('data', d => (stderr += d))
    // Bad input must be refused at once; a run that started anyway is killed and shows up as a failure.
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
    child.on('close', code => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** The value as the message shows it: JSON-quoted, long values cut to 77 characters and `...`. */
const shown = (v: string): string =>
  JSON.stringify(v.trim().length > 80 ? `${v.trim().slice(0, 77)}...` : v.trim())
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

// flag → [bad value, what the message must say is accepted]
const RUN_CASES: Record<string, [string, RegExp][]> = {
  '--provider': [
    ['aws', /one of auto, local, e2b/],
    ['', /a non-empty value/],
    [LONG, /one of auto, local, e2b/]
  ],
  '--profile': [
    ['huge', /one of quick, full/],
    ['', /a non-empty value/],
    ['1', /one of quick, full/]
  ],
  '--topologies': [
    ['torus', /list of mesh, hierarchical, ring, star/],
    // A list error names the item that is wrong.
    [
      'mesh,torus',
      /"torus" for --topologies — expected a comma-separated list of mesh, hierarchical, ring, star/
    ],
    [',', /at least one of mesh, hierarchical, ring, star/],
    ['', /a non-empty value/]
  ],
  '--only': [
    ['nope.x', /list of creation\.swarm-init, .*costs\.scaling/],
    [
      'creation.swarm-init,communication.teleport',
      /"communication\.teleport" for --only — expected .*list of creation\.swarm-init/
    ],
    [',,,', /at least one of creation\.swarm-init/],
    ['', /a non-empty value/]
  ],
  '--out': [
    [LONG, /a string of at most 4096 characters/],
    ['', /a non-empty value/],
    // Node's recursive mkdir never returns on this path: it must be refused at once.
    ['/proc/forbidden', /a directory that can be created and written, not under \/proc or \/sys/]
  ],
  '--strategy-path': [
    [LONG, /a string of at most 4096 characters/],
    ['', /a non-empty value/]
  ],
  '--agent-hooks': [
    [LONG, /a string of at most 4096 characters/],
    ['', /a non-empty value/]
  ],
  '--hooks-config': [
    ['[1, 2]', /a JSON object such as \{"risk": 0\.5\}/],
    ['{"risk":', /a JSON object/],
    ['null', /a JSON object/],
    ['', /a non-empty value/]
  ],
  '--e2b-requirements': [
    [LONG, /a string of at most 4096 characters/],
    ['', /a non-empty value/]
  ],
  '--hooks-timeout-ms': [
    ['0', /an integer from 1 to 600000/],
    ['1.5', /an integer from 1 to 600000/],
    ['600001', /an integer from 1 to 600000/],
    ['soon', /an integer from 1 to 600000/],
    ['', /a non-empty value/]
  ],
  '--duet-pairs': [
    ['together', /one of auto, interleaved, concurrent/],
    ['', /a non-empty value/]
  ],
  '--cost-window-seconds': [
    ['-5', /a number from 0 to 3600/],
    ['3601', /a number from 0 to 3600/],
    ['abc', /a number from 0 to 3600/],
    ['1e309', /a number from 0 to 3600/],
    ['NaN', /a number from 0 to 3600/],
    ['0x10', /a number from 0 to 3600/],
    [HUGE, /a number from 0 to 3600/],
    ['', /a non-empty value/]
  ],
  '--price-vcpu-second': [
    ['-0.1', /a number from 0 to 1/],
    ['2', /a number from 0 to 1/],
    ['Infinity', /a number from 0 to 1/],
    ['0,5', /a number from 0 to 1/]
  ],
  '--price-gib-second': [
    ['-1', /a number from 0 to 1/],
    ['cheap', /a number from 0 to 1/],
    [HUGE, /a number from 0 to 1/]
  ],
  '--run-tag': [
    ['has space', /up to 64 letters, digits, - _ \./],
    ['x'.repeat(65), /up to 64 letters, digits/],
    ['../../etc', /up to 64 letters, digits/],
    ['$(reboot)', /up to 64 letters, digits/],
    ['', /a non-empty value/]
  ],
  '--e2b-api-key': [['', /a non-empty value/]],
  '--e2b-template': [
    ['a;b', /an E2B template name or id/],
    ['$(id)', /an E2B template name or id/],
    ['x'.repeat(200), /an E2B template name or id/]
  ],
  '--e2b-plan': [
    ['enterprise', /one of hobby, pro/],
    ['', /a non-empty value/]
  ],
  '--e2b-max-concurrency': [
    ['0', /an integer from 1 to 1000/],
    ['-1', /an integer from 1 to 1000/],
    ['1001', /an integer from 1 to 1000/],
    ['1.5', /an integer from 1 to 1000/],
    ['many', /an integer from 1 to 1000/],
    [HUGE, /an integer from 1 to 1000/]
  ],
  '--e2b-create-rate': [
    ['0', /a number from 0\.01 to 100/],
    ['101', /a number from 0\.01 to 100/],
    ['-1', /a number from 0\.01 to 100/],
    ['fast', /a number from 0\.01 to 100/]
  ],
  '--e2b-sandbox-timeout-seconds': [
    ['59', /an integer from 60 to 86400/],
    ['86401', /an integer from 60 to 86400/],
    ['60.5', /an integer from 60 to 86400/],
    ['-60', /an integer from 60 to 86400/],
    ['forever', /an integer from 60 to 86400/]
  ],
  '--e2b-api-url': [
    ['ftp://example.com', /an http:\/\/ or https:\/\/ URL/],
    ['not a url', /an http:\/\/ or https:\/\/ URL/],
    ['javascript:alert(1)', /an http:\/\/ or https:\/\/ URL/]
  ],
  '--e2b-sandbox-url': [
    ['file:///etc/passwd', /an http:\/\/ or https:\/\/ URL/],
    ['127.0.0.1:3000', /an http:\/\/ or https:\/\/ URL/]
  ],
  '--e2b-domain': [
    ['a_b', /a domain name such as e2b\.app/],
    ['e2b.app/evil', /a domain name such as e2b\.app/],
    ['x y', /a domain name such as e2b\.app/]
  ]
}

describe('swarm-bench run: every flag refuses bad values (exit 2, flag + value + accepted values named)', () => {
  it('the table covers every value-taking flag of `run`', () => {
    const valued = runFlags()
      .filter(f => !f.boolean)
      .map(f => f.flag.split(' ')[0])
    expect(Object.keys(RUN_CASES).sort()).toEqual(valued.sort())
  })

  it('every case', async () => {
    const cases = Object.entries(RUN_CASES).flatMap(([flag, list]) =>
      list.map(([value, accepted]) => ({ flag, value, accepted }))
    )
    const results = await mapLimit(cases, 4, async c => {
      const out = join(dir, `run-${Math.random().toString(36).slice(2)}`)
      const args = ['run', '--provider', 'local', '--out', out, `${c.flag}=${c.value}`]
      // The flag under test comes last, so it overrides the defaults above (--provider, --out).
      return { c, out, r: await cliProcess(args) }
    })
    const problems: string[] = []
    for (const { c, out, r } of results) {
      const item = c.value.includes(',') && c.value.replace(/,/g, '') !== '' // a list with a bad item
      const message = item
        ? new RegExp(`invalid value ".+" for ${esc(c.flag)} — expected`)
        : new RegExp(`invalid value ${esc(shown(c.value))} for ${esc(c.flag)} — expected`)
      const ok =
        r.code === 2 &&
        message.test(r.stderr) &&
        c.accepted.test(r.stderr) &&
        !/benchmark\(s\), provider/.test(r.stderr) &&
        (c.flag === '--out' || !existsSync(out))
      if (!ok)
        problems.push(
          `${c.flag}=${JSON.stringify(c.value.slice(0, 40))} → exit ${r.code}: ${r.stderr.slice(0, 300)}`
        )
    }
    expect(problems, problems.join('\n')).toEqual([])
    // The message never dumps a huge value whole.
    for (const { r } of results) expect(r.stderr.length).toBeLessThan(3000)
  }, 180_000)

  it('paths that cannot be used, a boolean given a value, an unknown flag, e2b without a key', async () => {
    writeFileSync(join(dir, 'a-file'), 'x')
    const cases: [string[], RegExp][] = [
      [
        ['--strategy-path', '/no/such/strategy.py'],
        /cannot read --strategy-path \/no\/such\/strategy\.py: ENOENT/
      ],
      [['--strategy-path', dir], /cannot read --strategy-path .*EISDIR/],
      [
        ['--e2b-requirements', '/no/such/requirements.txt'],
        /cannot read --e2b-requirements \/no\/such\/requirements\.txt: ENOENT/
      ],
      [['--agent-hooks', '/no/such/hooks.py'], /--agent-hooks \/no\/such\/hooks\.py: cannot read it: ENOENT/],
      [['--agent-hooks', dir], /--agent-hooks .*: a package folder needs an __init__\.py/],
      [
        ['--agent-hooks', join(dir, 'a-file')],
        /--agent-hooks .*a-file: not a \.py file nor a package folder/
      ],
      [['--out', join(dir, 'a-file', 'sub')], /for --out — expected a directory .*a-file is not a directory/],
      [['--fail-on-target=maybe'], /unknown option '--fail-on-target=maybe'/],
      [['--concurrency', '4'], /unknown option '--concurrency'/],
      [['--provider', 'e2b'], /for --e2b-api-key — expected an E2B API key when provider is e2b/]
    ]
    const results = await mapLimit(cases, 4, ([args]) => cliProcess(['run', ...args]))
    results.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toMatch(cases[i][1])
      expect(r.stderr).not.toMatch(/benchmark\(s\), provider/)
    })
  }, 60_000)
})

// A bad hooks module: each case fails what uses the bad hook, naming the hook and the cause, never hangs, and leaves
// the other benchmark running. Real agents on the local provider, through the bundled CLI.
const MSG = 'communication.message-throughput'
const VOTE = 'trading.consensus'
const HOOK_CASES: { name: string; hooks: string; errored: Record<string, RegExp> }[] = [
  {
    name: 'import error',
    hooks: 'import no_such_module_xyz\n',
    errored: {
      [MSG]: /hooks module hooks\.py failed to import: .*No module named 'no_such_module_xyz'/,
      [VOTE]: /failed to import/
    }
  },
  {
    name: 'raise',
    hooks: 'def on_message(message, ctx):\n    return 1 / 0\n',
    errored: { [MSG]: /hook on_message raised ZeroDivisionError: division by zero/ }
  },
  {
    name: 'wrong shape',
    hooks: 'def vote(round, state):\n    return "buy"\n',
    errored: {
      [VOTE]: /hook vote returned 'buy'; expected \{"decision": "buy"\|"sell"\|"hold", "weight": number\}/
    }
  },
  {
    name: 'overrun',
    hooks: 'def on_message(message, ctx):\n    while True:\n        pass\n',
    errored: { [MSG]: /hook on_message: exceeded its time budget of 200 ms \(hooks-timeout-ms\)/ }
  },
  {
    name: 'writes to stdout',
    hooks:
      'import os\nprint("{\\"id\\": 1, \\"ok\\": true}")\n' +
      'def on_message(message, ctx):\n    print("hello from on_message")\n    os.write(1, b"raw\\n")\n' +
      'def vote(round, state):\n    print("voting")\n    return {"decision": "hold", "weight": 1}\n',
    errored: {}
  }
]

describe('bad agent hooks fail what they touch, with the hook and the cause named', () => {
  it('import error, raise, wrong shape, overrun, and a hook writing to stdout', async () => {
    const results = await mapLimit(HOOK_CASES, 2, async c => {
      const ws = mkdtempSync(join(dir, 'hooks-'))
      writeFileSync(join(ws, 'hooks.py'), c.hooks)
      const out = join(ws, 'out')
      const args = ['run', '--provider', 'local', '--only', `${MSG},${VOTE}`, '--out', out]
      const r = await cliProcess(
        [...args, '--agent-hooks', join(ws, 'hooks.py'), '--hooks-timeout-ms', '200'],
        {},
        240_000
      )
      return { c, r, out }
    })
    const problems: string[] = []
    for (const { c, r, out } of results) {
      const file = join(out, 'swarm-bench-results.json')
      if (!existsSync(file)) {
        problems.push(`${c.name}: no results (exit ${r.code}): ${r.stderr.slice(-400)}`)
        continue
      }
      const res = JSON.parse(readFileSync(file, 'utf8')) as {
        benchmarks: { id: string; status: string; error?: string }[]
      }
      for (const b of res.benchmarks) {
        const want = c.errored[b.id]
        if (want ? b.status !== 'error' || !want.test(b.error ?? '') : b.status === 'error')
          problems.push(`${c.name}: ${b.id} ${b.status}: ${b.error ?? ''}`)
      }
    }
    expect(problems, problems.join('\n')).toEqual([])
  }, 600_000)
})

describe('compare, report and cleanup refuse bad input', () => {
  it('every case', async () => {
    const notJson = join(dir, 'not.json')
    writeFileSync(notJson, 'hello')
    writeFileSync(join(dir, 'a-file'), 'x')
    const cases: [string[], number, RegExp][] = [
      [
        ['compare', notJson, notJson, '--threshold', '-1'],
        2,
        /"-1" for --threshold — expected a number from 0 to 1000/
      ],
      [['compare', notJson, notJson, '--threshold', 'ten'], 2, /"ten" for --threshold/],
      [
        ['compare', notJson, notJson, '--threshold', HUGE],
        2,
        /for --threshold — expected a number from 0 to 1000/
      ],
      [
        ['compare', notJson, notJson, '--alpha', '0'],
        2,
        /"0" for --alpha — expected a number from 0\.0001 to 0\.5/
      ],
      [['compare', notJson, notJson, '--alpha', '0.9'], 2, /for --alpha/],
      // An explicitly empty value is refused, as for `run` flags: an unset shell variable must not pass silently.
      [['compare', notJson, notJson, '--alpha', ''], 2, /invalid value "" for --alpha/],
      [['compare', notJson, join(dir, 'missing.json')], 2, /BASE .*not\.json: not valid JSON/],
      [['compare', join(dir, 'missing.json'), join(dir, 'missing.json')], 2, /missing\.json does not exist/],
      [['compare', dir, dir], 2, /is not a file/],
      [['compare', notJson], 2, /missing required argument 'head'/],
      [['compare', notJson, notJson, 'third'], 2, /too many arguments|unexpected/],
      [['report', notJson], 2, /RESULTS .*not valid JSON/],
      [['report', join(dir, 'missing.json')], 2, /does not exist/],
      [['report'], 2, /missing required argument 'results'/],
      [['cleanup'], 2, /required option '--run-tag <tag>' not specified/],
      [['cleanup', '--run-tag', ''], 2, /invalid value "" for --run-tag/],
      [['cleanup', '--run-tag', 'a b'], 2, /invalid value "a b" for --run-tag/],
      [['cleanup', '--run-tag', 'x'.repeat(65)], 2, /for --run-tag — expected up to 64/],
      [
        ['cleanup', '--run-tag', 'ok', '--provider', 'gcp'],
        2,
        /"gcp" for --provider — expected one of e2b, local, all/
      ],
      [
        ['cleanup', '--run-tag', 'ok', '--provider', 'e2b'],
        2,
        /--e2b-api-key \(or env E2B_API_KEY\) is required/
      ]
    ]
    const results = await mapLimit(cases, 4, ([args]) => cliProcess(args))
    results.forEach((r, i) => {
      const [args, code, message] = cases[i]
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(code)
      expect(r.stderr, args.join(' ')).toMatch(message)
      expect(r.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/) // never a stack trace
    })
  }, 120_000)
})

// input → [bad value, what the message must say is accepted]; run with the action's defaults for everything else.
const ACTION_CASES: Record<string, [string, RegExp][]> = {
  provider: [['aws', /one of auto, local, e2b/]],
  'e2b-api-key': [['', /an E2B API key when provider is e2b/]], // with provider: e2b
  'e2b-template': [['a;b', /an E2B template name or id/]],
  // The names before the e2b- prefix: still read (the error names the one that was set).
  template: [['a;b', /an E2B template name or id/]],
  'e2b-plan': [['enterprise', /one of hobby, pro/]],
  'e2b-max-concurrency': [['0', /an integer from 1 to 1000/]],
  'e2b-create-rate': [['fast', /a number from 0\.01 to 100/]],
  'max-concurrency': [
    ['0', /an integer from 1 to 1000/],
    ['2.5', /an integer from 1 to 1000/],
    [HUGE, /an integer from 1 to 1000/]
  ],
  'create-rate': [
    ['0', /a number from 0\.01 to 100/],
    ['fast', /a number from 0\.01 to 100/]
  ],
  profile: [['fastest', /one of quick, full/]],
  topologies: [
    ['torus', /list of mesh, hierarchical, ring, star/],
    [',', /at least one of mesh/]
  ],
  only: [['trading.nope', /list of creation\.swarm-init/]],
  'strategy-path': [
    ['no/such/strategy.py', /the path of a Python file in the workspace/],
    ['.', /the path of a Python file in the workspace/],
    // Readable files outside the workspace would be copied into every sandbox.
    ['/etc/passwd', /the path of a Python file in the workspace/],
    ['../../../../etc/shadow', /the path of a Python file in the workspace/]
  ],
  'agent-hooks': [
    [
      'no/such/hooks.py',
      /a Python file \(\.py\) or of a package folder with an __init__\.py, in the workspace/
    ],
    // The workspace itself is no package; files outside it would be copied into every sandbox.
    ['.', /a package folder with an __init__\.py, in the workspace/],
    ['/etc/passwd', /a package folder with an __init__\.py, in the workspace/],
    ['../../../../etc/shadow', /in the workspace/]
  ],
  'hooks-config': [
    ['[1]', /a JSON object such as/],
    ['{"a": }', /a JSON object such as/]
  ],
  'e2b-requirements': [
    ['no/such/requirements.txt', /the path of a pip requirements file in the workspace/],
    ['/etc/passwd', /the path of a pip requirements file in the workspace/]
  ],
  'hooks-timeout-ms': [
    ['0', /an integer from 1 to 600000/],
    ['slow', /an integer from 1 to 600000/]
  ],
  'baseline-artifact': [
    ['a/b', /an artifact name without/],
    ['x'.repeat(201), /an artifact name without/]
  ],
  'baseline-branch': [
    ['has space', /a git branch name/],
    ['x~1', /a git branch name/]
  ],
  'regression-threshold': [
    ['-1', /a number from 0 to 1000/],
    ['10%', /a number from 0 to 1000/],
    ['1e309', /a number from 0 to 1000/]
  ],
  thresholds: [
    ['{"trading.nope": 5}', /key "trading\.nope" to be a benchmark id \(one of creation\.swarm-init/],
    ['rtt_ms: fast', /a percent from 0 to 1000 for rtt_ms, not "fast"/],
    ['[1, 2]', /a YAML or JSON mapping of a benchmark id, a metric name or benchmark\/metric/]
  ],
  'accept-label': [['a,b', /a pull request label name/]],
  'fail-on-regression': [['maybe', /true or false/]],
  'fail-on-target': [['sometimes', /true or false/]],
  comment: [['sometimes', /one of always, on-change, on-regression, never/]],
  'max-cost-usd': [
    ['-1', /a number from 0 to 100000/],
    ['$5', /a number from 0 to 100000/],
    ['100001', /a number from 0 to 100000/]
  ],
  'confirm-runs': [
    ['-1', /an integer from 0 to 5/],
    ['6', /an integer from 0 to 5/],
    ['1.5', /an integer from 0 to 5/]
  ],
  duet: [['always', /one of auto, off/]],
  'base-path': [['x'.repeat(4097), /at most 4096 characters/]],
  'duet-pairs': [['parallel', /one of auto, interleaved, concurrent/]],
  'artifact-name': [['a"b', /an artifact name without/]],
  'retention-days': [
    ['0', /an integer from 1 to 90/],
    ['91', /an integer from 1 to 90/],
    ['week', /an integer from 1 to 90/]
  ],
  'history-runs': [
    ['-1', /an integer from 0 to 500/],
    ['501', /an integer from 0 to 500/],
    ['all', /an integer from 0 to 500/]
  ],
  'price-vcpu-second': [['-1', /a number from 0 to 1/]],
  'price-gib-second': [['free', /a number from 0 to 1/]],
  'cost-window-seconds': [['3601', /a number from 0 to 3600/]],
  out: [
    [LONG, /a string of at most 4096 characters/],
    ['/proc/forbidden', /a directory that can be created and written, not under \/proc or \/sys/]
  ]
}
/** Free-form secrets: any value is passed on as given (a wrong token shows up as a GitHub error, tested there). */
const FREE_FORM = ['github-token']

describe('the bundled action refuses bad inputs before anything runs', () => {
  it('the table covers every input of action.yml', () => {
    const inputs = Object.keys(actionInputDefaults())
    expect([...Object.keys(ACTION_CASES), ...FREE_FORM].sort()).toEqual(inputs.sort())
  })

  it('every case fails the step with one error naming input, value and accepted values', async () => {
    const cases = Object.entries(ACTION_CASES).flatMap(([input, list]) =>
      list.map(([value, accepted]) => ({ input, value, accepted }))
    )
    const defaults = actionInputDefaults()
    const results = await mapLimit(cases, 4, async c => {
      const ws = mkdtempSync(join(dir, 'ws-'))
      const inputs = { ...defaults, 'github-token': '', provider: 'local', [c.input]: c.value }
      if (c.input === 'e2b-api-key') inputs.provider = 'e2b'
      const run = await runAction({ entry: 'index', workspace: ws, inputs, env: {}, timeoutMs: 30_000 })
      return { c, run, ws }
    })
    const problems: string[] = []
    for (const { c, run, ws } of results) {
      const errors = annotations(run.stdout).filter(a => a.level === 'error')
      const named = new RegExp(`^Invalid input '${esc(c.input)}': ${esc(shown(c.value))} — expected`)
      const ok =
        run.code === 1 &&
        errors.length === 1 &&
        named.test(errors[0].message) &&
        c.accepted.test(errors[0].message) &&
        !run.stdout.includes('::group::') &&
        !existsSync(join(ws, 'swarm-bench'))
      if (!ok) problems.push(`${c.input}=${JSON.stringify(c.value.slice(0, 40))} → ${summarize(run)}`)
    }
    expect(problems, problems.join('\n')).toEqual([])
  }, 240_000)
})

function summarize(run: ActionRun): string {
  return `exit ${run.code}: ${run.stdout.slice(0, 400)} ${run.stderr.slice(0, 300)}`
}
