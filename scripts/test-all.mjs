#!/usr/bin/env node
// Runs every test suite (TypeScript via Vitest, the Python agent via unittest) and ends with one
// plain `N passed, N failed` line, the total CI reads. Exits non-zero when any suite fails.
import { spawn } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'

const jsonOut = '.vitest-results.json'

function run(cmd, args, capture) {
  return new Promise(resolve => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', capture ? 'pipe' : 'inherit'] })
    let err = ''
    if (capture) {
      child.stderr.on('data', d => {
        err += d
        process.stderr.write(d)
      })
    }
    child.on('close', code => resolve({ code: code ?? 1, err }))
  })
}

const extra = process.argv.slice(2)
rmSync(jsonOut, { force: true })
const ts = await run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${jsonOut}`, ...extra], false)
let tsPassed = 0
let tsFailed
try {
  const r = JSON.parse(readFileSync(jsonOut, 'utf8'))
  tsPassed = r.numPassedTests
  tsFailed = r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0)
  if (ts.code !== 0 && tsFailed === 0) tsFailed = 1
} catch {
  tsFailed = ts.code === 0 ? 0 : 1
}

let pyPassed = 0
let pyFailed = 0
if (extra.length === 0) {
  const py = await run('python3', ['-m', 'unittest', 'discover', '-s', 'agent/tests', '-t', 'agent'], true)
  const ran = /Ran (\d+) tests?/.exec(py.err)
  const total = ran ? Number(ran[1]) : 0
  const bad = /FAILED \(([^)]*)\)/.exec(py.err)
  let failures = 0
  let skipped = 0
  if (bad) {
    for (const m of bad[1].matchAll(/(failures|errors|skipped|unexpected successes)=(\d+)/g)) {
      if (m[1] === 'skipped') skipped += Number(m[2])
      else failures += Number(m[2])
    }
  }
  const sk = /OK \(skipped=(\d+)\)/.exec(py.err)
  if (sk) skipped += Number(sk[1])
  pyFailed = failures || (py.code !== 0 ? Math.max(1, failures) : 0)
  pyPassed = Math.max(0, total - failures - skipped)
  if (total === 0) pyFailed = Math.max(pyFailed, 1)
}

console.log(`\nTypeScript: ${tsPassed} passed, ${tsFailed} failed; Python: ${pyPassed} passed, ${pyFailed} failed`)
console.log(`${tsPassed + pyPassed} passed, ${tsFailed + pyFailed} failed`)
process.exit(tsFailed + pyFailed > 0 ? 1 : 0)
