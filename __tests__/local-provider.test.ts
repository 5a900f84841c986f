import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  agentStartCommand,
  collectAgentFiles,
  peerBindHost,
  USER_STRATEGY_PATH
} from '../src/sandbox/agent-files.js'
import { LocalProvider, TEMP_PREFIX } from '../src/sandbox/local/provider.js'
import { providerTraits } from '../src/sandbox/registry.js'
import type { AgentProcess } from '../src/sandbox/types.js'
import { agentDir } from '../src/paths.js'
import { isAlive, newRunTag, processesWithTag, waitForNoProcesses } from './support/processes.js'

const RUN = newRunTag('local-provider')
const provider = new LocalProvider({ runTag: RUN, killGraceMs: 400 })

afterAll(async () => {
  await provider.killAll()
  expect(await waitForNoProcesses(RUN)).toEqual([])
})

function nextLines(p: AgentProcess, count: number): Promise<string[]> {
  const got: string[] = []
  return new Promise(ok =>
    p.onLine(l => {
      got.push(l)
      if (got.length === count) ok(got)
    })
  )
}

describe('LocalProvider sandboxes', () => {
  it('writes files into a temp dir, runs a command there, and removes the dir on kill', async () => {
    const sb = await provider.create({ label: 'files' })
    expect(sb.workdir.startsWith(join(tmpdir(), TEMP_PREFIX))).toBe(true)
    expect(sb.allocation).toEqual({ vcpu: 2, memoryMiB: 512 })
    await sb.writeFiles([
      { path: 'pkg/data.txt', data: 'hello from a file' },
      {
        path: 'pkg/run.py',
        data: Buffer.from(
          'import os,sys\nprint(open("data.txt").read())\nprint(os.environ["SWARM_BENCH_RUN"])\n'
        )
      }
    ])
    const p = await sb.start({ command: 'python3', args: ['run.py'], cwd: 'pkg' })
    const lines = nextLines(p, 2)
    expect(await lines).toEqual(['hello from a file', RUN])
    expect(await p.exited).toEqual({ code: 0, signal: null })
    expect(provider.live()).toContain(sb)
    await sb.kill()
    await sb.kill() // idempotent
    expect(sb.alive).toBe(false)
    expect(existsSync(sb.workdir)).toBe(false)
    expect(provider.live()).not.toContain(sb)
    await expect(sb.writeFiles([{ path: 'x', data: 'y' }])).rejects.toThrow(/killed sandbox/)
  })

  it('a kill during an upload leaves no temp folder behind', async () => {
    const sb = await provider.create({ label: 'kill-mid-upload' })
    const files = Array.from({ length: 200 }, (_, i) => ({ path: `d${i}/f.txt`, data: 'x'.repeat(1000) }))
    const upload = sb.writeFiles(files).then(
      () => undefined,
      (err: Error) => err
    )
    await sb.kill()
    expect((await upload)?.message).toMatch(/killed during the upload/)
    expect(existsSync(sb.workdir)).toBe(false)
  })

  it('refuses paths that escape the workdir', async () => {
    const sb = await provider.create({ label: 'escape' })
    await expect(sb.writeFiles([{ path: '../outside.txt', data: 'x' }])).rejects.toThrow(
      /escapes the sandbox/
    )
    await expect(sb.writeFiles([{ path: '/etc/passwd', data: 'x' }])).rejects.toThrow(/escapes the sandbox/)
    await sb.kill()
  })

  it('kill reaches the whole process group (a grandchild dies too), SIGTERM first', async () => {
    const sb = await provider.create({ label: 'group' })
    const script = [
      'import subprocess, sys, time',
      'c = subprocess.Popen(["sleep", "300"])',
      'print(c.pid, flush=True)',
      'time.sleep(300)'
    ].join('\n')
    const p = await sb.start({ command: 'python3', args: ['-c', script] })
    const [childPid] = await nextLines(p, 1)
    const grandchild = Number(childPid)
    expect(isAlive(p.pid!)).toBe(true)
    expect(isAlive(grandchild)).toBe(true)
    // A just-exec'd process's /proc/<pid>/environ can briefly refuse reading: look again for up to 2 s.
    let tagged = processesWithTag(RUN)
    for (let i = 0; i < 40 && !(tagged.includes(p.pid!) && tagged.includes(grandchild)); i++) {
      await new Promise(r => setTimeout(r, 50))
      tagged = processesWithTag(RUN)
    }
    expect(tagged).toEqual(expect.arrayContaining([p.pid, grandchild]))
    await sb.kill()
    expect((await p.exited).signal).toBe('SIGTERM')
    expect(await waitForNoProcesses(RUN, 5000)).toEqual([])
    expect(isAlive(grandchild)).toBe(false)
  })

  it('escalates to SIGKILL when the process ignores SIGTERM', async () => {
    const sb = await provider.create({ label: 'stubborn' })
    const script =
      'import signal,time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint("armed", flush=True)\ntime.sleep(300)'
    const p = await sb.start({ command: 'python3', args: ['-c', script] })
    await nextLines(p, 1)
    await sb.kill()
    expect((await p.exited).signal).toBe('SIGKILL')
  })

  it('keeps a bounded stderr tail, reports exit codes, and rejects writes to a dead process', async () => {
    const sb = await provider.create({ label: 'stderr' })
    const script = 'import sys\nsys.stderr.write("x" * 20000 + "\\nthe end\\n")\nsys.exit(3)'
    const p = await sb.start({ command: 'python3', args: ['-c', script] })
    expect(await p.exited).toEqual({ code: 3, signal: null })
    expect(p.stderrTail().length).toBeLessThanOrEqual(8192)
    expect(p.stderrTail()).toMatch(/the end\n$/)
    await expect(p.writeLine('{}')).rejects.toThrow(/not running|failed/)
    await sb.kill()
  })

  it('echoes stdin lines back (write path) and a missing executable is a clear start error', async () => {
    const sb = await provider.create({ label: 'stdin' })
    const p = await sb.start({
      command: 'python3',
      args: ['-c', 'import sys\nfor l in sys.stdin:\n  print("got " + l.strip(), flush=True)']
    })
    const lines = nextLines(p, 2)
    await p.writeLine('one')
    await p.writeLine('two')
    expect(await lines).toEqual(['got one', 'got two'])
    await expect(sb.start({ command: 'no-such-binary-xyz', args: [] })).rejects.toThrow(
      /cannot start no-such-binary-xyz.*ENOENT/
    )
    await sb.kill()
  })

  it('accounts lifetime: alive seconds grow until kill and then freeze; usage lists every sandbox', async () => {
    const sb = await provider.create({ label: 'lifetime' })
    await new Promise(r => setTimeout(r, 150))
    const during = sb.aliveSeconds()
    expect(during).toBeGreaterThanOrEqual(0.14)
    await sb.kill()
    const after = sb.aliveSeconds()
    await new Promise(r => setTimeout(r, 100))
    expect(sb.aliveSeconds()).toBe(after)
    const u = provider.usage().find(x => x.label === 'lifetime')
    expect(u).toEqual({ label: 'lifetime', allocation: { vcpu: 2, memoryMiB: 512 }, seconds: after })
    expect((await sb.peerEndpoint(4567)).url).toBe('http://127.0.0.1:4567')
    expect(await sb.metrics()).toBeUndefined()
  })

  it('the safety lifetime (timeoutMs) kills a forgotten sandbox', async () => {
    const sb = await provider.create({ label: 'lifetime-limit', timeoutMs: 300 })
    const p = await sb.start({ command: 'sleep', args: ['300'] })
    const exit = await p.exited
    expect(exit.signal).toBe('SIGTERM')
    expect(sb.alive).toBe(false)
  })
})

describe('no orphans when the host goes away', () => {
  const localTs = resolve('src/sandbox/local/provider.ts')
  const dir = mkdtempSync(join(tmpdir(), 'swarm-bench-host-test-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  async function runHost(
    how: 'exit' | 'sigterm'
  ): Promise<{ code: number | null; pids: number[]; tag: string }> {
    const tag = newRunTag(`host-${how}`)
    const script = join(dir, `host-${how}.mts`)
    writeFileSync(
      script,
      `import { LocalProvider, installExitCleanup } from ${JSON.stringify(localTs)}
installExitCleanup()
const p = new LocalProvider({ runTag: ${JSON.stringify(tag)} })
const pids = []
for (let i = 0; i < 2; i++) {
  const sb = await p.create({ label: 'h' + i })
  // sh -c keeps a child of its own: the group kill must reach it
  const proc = await sb.start({ command: 'sh', args: ['-c', 'sleep 300 & sleep 300; wait'] })
  pids.push(proc.pid)
}
console.log(JSON.stringify(pids))
${how === 'exit' ? 'setTimeout(() => process.exit(0), 300)' : 'setInterval(() => {}, 1000)'}
`
    )
    const host = spawn(process.execPath, [resolve('node_modules/tsx/dist/cli.mjs'), script], {
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let out = ''
    let err = ''
    host.stderr.on('data', d => (err += d))
    const pids = await new Promise<number[]>((ok, fail) => {
      host.stdout.on('data', d => {
        out += d
        if (out.includes('\n')) ok(JSON.parse(out.split('\n')[0]))
      })
      host.on('exit', () => fail(new Error(`host exited early: ${err}`)))
    })
    // the grandchildren (sleep under sh) must be up before the host goes
    for (let i = 0; i < 50 && processesWithTag(tag).length < 6; i++) await new Promise(r => setTimeout(r, 50))
    expect(processesWithTag(tag).length).toBe(6)
    if (how === 'sigterm') host.kill('SIGTERM')
    const code = await new Promise<number | null>(ok => host.on('exit', c => ok(c)))
    return { code, pids, tag }
  }

  it('process.exit kills every agent group synchronously', async () => {
    const { code, tag } = await runHost('exit')
    expect(code).toBe(0)
    expect(await waitForNoProcesses(tag, 5000)).toEqual([])
  })

  it('SIGTERM kills every agent group and exits 143', async () => {
    const { code, tag } = await runHost('sigterm')
    expect(code).toBe(143)
    expect(await waitForNoProcesses(tag, 5000)).toEqual([])
  })
})

describe('agent files', () => {
  it('finds the agent folder and collects swarm_agent/**/*.py plus the user strategy at its fixed path', async () => {
    const root = agentDir()
    expect(existsSync(join(root, 'swarm_agent', '__main__.py'))).toBe(true)
    const dir = mkdtempSync(join(tmpdir(), 'swarm-bench-strategy-'))
    const strat = join(dir, 'mine.py')
    writeFileSync(strat, 'def decide(bars, state):\n    return {"signal": "hold", "confidence": 0.5}\n')
    try {
      const a = await collectAgentFiles({ strategyPath: strat })
      const paths = a.files.map(f => f.path)
      expect(paths).toContain('agent/swarm_agent/__main__.py')
      expect(paths.every(p => p.endsWith('.py'))).toBe(true)
      expect(paths.some(p => p.includes('__pycache__') || p.includes('/tests/'))).toBe(false)
      expect(paths).toContain(USER_STRATEGY_PATH)
      expect(a.strategyPath).toBe(USER_STRATEGY_PATH)
      const main = a.files.find(f => f.path === 'agent/swarm_agent/__main__.py')!
      expect(main.data.toString()).toBe(readFileSync(join(root, 'swarm_agent', '__main__.py'), 'utf8'))
      expect(a.bytes).toBe(a.files.reduce((s, f) => s + Buffer.byteLength(f.data), 0))
      await expect(collectAgentFiles({ strategyPath: join(dir, 'missing.py') })).rejects.toThrow(
        /cannot read strategy module .*missing\.py/
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('honours SWARM_BENCH_AGENT_DIR and names it when it is wrong', async () => {
    const before = process.env.SWARM_BENCH_AGENT_DIR
    try {
      process.env.SWARM_BENCH_AGENT_DIR = resolve('.')
      expect(agentDir()).toBe(resolve('agent'))
      process.env.SWARM_BENCH_AGENT_DIR = tmpdir()
      expect(() => agentDir()).toThrow(/SWARM_BENCH_AGENT_DIR=.* holds no swarm_agent/)
    } finally {
      if (before === undefined) delete process.env.SWARM_BENCH_AGENT_DIR
      else process.env.SWARM_BENCH_AGENT_DIR = before
    }
  })

  it('start command runs the module unbuffered from the agent folder with the run tag', () => {
    const c = agentStartCommand('tag-1')
    expect(c).toMatchObject({
      command: 'python3',
      args: ['-u', '-m', 'swarm_agent', '--host', '127.0.0.1'],
      cwd: 'agent'
    })
    expect(c.env?.SWARM_BENCH_RUN).toBe('tag-1')
  })

  it('binds the peer server to loopback locally and to every interface only on E2B, whose proxy needs it', () => {
    expect(peerBindHost(providerTraits('local'))).toBe('127.0.0.1')
    expect(peerBindHost(providerTraits('e2b'))).toBe('0.0.0.0')
    expect(agentStartCommand('t', 'python3', peerBindHost(providerTraits('e2b'))).args.slice(-2)).toEqual([
      '--host',
      '0.0.0.0'
    ])
  })
})

describe('agent environment', () => {
  it('passes what Python needs and never the host credentials', async () => {
    const { agentBaseEnv } = await import('../src/sandbox/local/provider.js')
    const env = agentBaseEnv({
      PATH: '/usr/bin',
      HOME: '/root',
      LC_ALL: 'C.UTF-8',
      SWARM_MAX_BODY_BYTES: '100',
      'INPUT_E2B-API-KEY': 'e2b_secret',
      'INPUT_GITHUB-TOKEN': 'ghs_secret',
      ACTIONS_RUNTIME_TOKEN: 'jwt',
      E2B_API_KEY: 'e2b_secret',
      GITHUB_TOKEN: 'ghs_secret'
    })
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/root', LC_ALL: 'C.UTF-8', SWARM_MAX_BODY_BYTES: '100' })
  })

  it('a started process does not see a credential the host holds', async () => {
    process.env.E2B_API_KEY_FOR_TEST_ONLY = 'should-not-leak'
    const hadToken = 'GITHUB_TOKEN' in process.env
    process.env.GITHUB_TOKEN ??= 'ghs_should_not_leak'
    const sb = await provider.create({ label: 'env' })
    try {
      const p = await sb.start({
        command: 'python3',
        args: ['-c', 'import os; print(sorted(k for k in os.environ if "TOKEN" in k or "KEY" in k))']
      })
      const line = await new Promise<string>(ok => p.onLine(ok))
      expect(line).toBe('[]')
    } finally {
      delete process.env.E2B_API_KEY_FOR_TEST_ONLY
      if (!hadToken) delete process.env.GITHUB_TOKEN
      await sb.kill()
    }
  })
})

describe('interpreter resolution', () => {
  it('resolves python3 once to the interpreter it runs, and leaves other commands alone', async () => {
    const { resolveInterpreter } = await import('../src/sandbox/local/provider.js')
    const py = resolveInterpreter('python3')
    expect(isAbsolute(py)).toBe(true)
    expect(existsSync(py)).toBe(true)
    expect(resolveInterpreter('python3')).toBe(py)
    expect(resolveInterpreter('/bin/sh')).toBe('/bin/sh')
    expect(resolveInterpreter('definitely-not-a-command')).toBe('definitely-not-a-command')
  })
})
