// `swarm-bench init` in a fresh git repository: it writes the hooks module and the workflow, refuses to overwrite
// either, and the module it wrote runs as is: init, then one run, is a newcomer's first local benchmark.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { HOOKS_FILE, WORKFLOW_FILE } from '../src/cli/init.js'
import { ROOT } from './support/action-runner.js'

const repo = mkdtempSync(join(tmpdir(), 'swarm-bench-init-'))
execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo })
afterAll(() => rmSync(repo, { recursive: true, force: true }))

function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise(done => {
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'src', 'cli.ts'), ...args], {
      cwd: repo
    })
    let out = ''
    let err = ''
    child.stdout.on('data', d => (out += d))
    child.stderr.on('data', d => (err += d))
    child.on('close', code => done({ code: code ?? 1, out, err }))
  })
}

describe('swarm-bench init', () => {
  it('writes the hooks module and the workflow, which the next run uses as they are', async () => {
    const r = await cli(['init'])
    expect(r.code, r.err).toBe(0)
    expect(r.out).toContain(`wrote ${HOOKS_FILE} and ${WORKFLOW_FILE}`)
    expect(r.out).toContain(`npx swarm-bench run --provider local --agent-hooks ${HOOKS_FILE}`)
    const workflow = readFileSync(join(repo, WORKFLOW_FILE), 'utf8')
    expect(workflow).toMatch(/agent-hooks: swarm_hooks\.py\n/)
    expect(workflow).toMatch(/pull_request:/)
    const hooks = readFileSync(join(repo, HOOKS_FILE), 'utf8')
    for (const name of ['vote', 'tally', 'merge_state', 'run_task']) expect(hooks).toContain(`# def ${name}(`)

    const run = await cli([
      'run',
      '--provider',
      'local',
      '--agent-hooks',
      HOOKS_FILE,
      '--only',
      'communication.message-throughput,trading.strategy-execution',
      '--out',
      'bench'
    ])
    expect(run.code, run.err).toBe(0)
    const results = JSON.parse(readFileSync(join(repo, 'bench', 'swarm-bench-results.json'), 'utf8'))
    expect(results.benchmarks.map((b: { status: string }) => b.status)).toEqual(['passed', 'passed'])
    expect(results.run.environment.hooks).toEqual({
      module: HOOKS_FILE,
      user: ['setup', 'decide', 'on_message']
    })
  }, 120_000)

  it('refuses to overwrite: with either file present nothing is written (exit 2)', async () => {
    writeFileSync(join(repo, HOOKS_FILE), '# mine\n')
    rmSync(join(repo, WORKFLOW_FILE))
    const r = await cli(['init'])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(
      /swarm_hooks\.py already exist\(s\) in .*; nothing was written \(init never overwrites\)/
    )
    expect(readFileSync(join(repo, HOOKS_FILE), 'utf8')).toBe('# mine\n')
    expect(() => readFileSync(join(repo, WORKFLOW_FILE))).toThrow(/ENOENT/)
    const missing = await cli(['init', '--dir', join(repo, 'nope')])
    expect(missing.code).toBe(2)
    expect(missing.err).toMatch(/--dir .*nope: no such directory/)
  }, 60_000)
})
