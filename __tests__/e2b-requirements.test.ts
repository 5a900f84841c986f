// e2b-requirements: a pip requirements file installed once per E2B sandbox before its agent starts, offline from a
// wheel built here (pip install --no-index --find-links). The hooks import the installed package; the install is
// timed apart (environment details) and left out of the deploy figures; a failed install names pip's error.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBenchmarks } from '../src/bench/runner.js'
import { benchConfig } from './support/bench-config.js'
import { startE2BEmulator, type E2BEmulator } from './support/e2b-emulator/index.js'

const API_KEY = 'e2b_requirements_key_51515151'
const dir = mkdtempSync(join(tmpdir(), 'swarm-bench-reqs-'))
let emu: E2BEmulator

// A minimal, valid wheel (zip with the package, METADATA, WHEEL and a hashed RECORD), built with the stdlib.
const BUILD_WHEEL = `
import base64, hashlib, sys, zipfile
out = sys.argv[1]
files = {
    "swarmsig/__init__.py": b"def score(x):\\n    return x * 2\\n",
    "swarmsig-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\\nName: swarmsig\\nVersion: 1.0\\n",
    "swarmsig-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = []
for name, data in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record.append("%s,sha256=%s,%d" % (name, digest, len(data)))
record.append("swarmsig-1.0.dist-info/RECORD,,")
files["swarmsig-1.0.dist-info/RECORD"] = ("\\n".join(record) + "\\n").encode()
with zipfile.ZipFile(out + "/swarmsig-1.0-py3-none-any.whl", "w") as z:
    for name, data in files.items():
        z.writestr(name, data)
`

beforeAll(async () => {
  mkdirSync(join(dir, 'wheels'))
  execFileSync('python3', ['-c', BUILD_WHEEL, join(dir, 'wheels')])
  writeFileSync(
    join(dir, 'hooks.py'),
    'import swarmsig\n\ndef on_message(message, ctx):\n    return {"score": swarmsig.score(message["seq"])}\n'
  )
  writeFileSync(join(dir, 'good.txt'), `--no-index\n--find-links ${join(dir, 'wheels')}\nswarmsig==1.0\n`)
  writeFileSync(
    join(dir, 'bad.txt'),
    `--no-index\n--find-links ${join(dir, 'wheels')}\nno-such-package-xyz\n`
  )
  emu = await startE2BEmulator({ apiKey: API_KEY })
})
afterAll(async () => {
  await emu.close()
  rmSync(dir, { recursive: true, force: true })
})

const emulated = (): Record<string, string> => ({
  provider: 'e2b',
  'e2b-api-key': API_KEY,
  'e2b-api-url': emu.url,
  'e2b-sandbox-url': emu.url,
  'e2b-plan': 'pro',
  'create-rate': '20'
})

const config = (requirements: string, tag: string) =>
  benchConfig({
    ...emulated(),
    only: 'creation.swarm-init,communication.message-throughput',
    'agent-hooks': join(dir, 'hooks.py'),
    'e2b-requirements': join(dir, requirements),
    'run-tag': tag
  })

describe('e2b-requirements on the e2b provider (emulator)', () => {
  it('installs the package in every sandbox before its agent starts, timed apart from every figure', async () => {
    const results = await runBenchmarks(config('good.txt', 'reqs-good'))
    for (const b of results.benchmarks)
      expect(['passed', 'failed'], `${b.id}: ${b.error ?? ''}`).toContain(b.status)
    const details = results.run.environment.providerDetails
    expect(details.requirementsInstalls).toBeGreaterThan(0)
    expect(details.requirementsInstallMsMax).toBeGreaterThan(0)
    // Each swarm-init deploy ran pip in every sandbox, several seconds of wall time per deploy; init_ms leaves it
    // out, so it stays near the figure of the same deploys without requirements (counted, it would be ×5 and more).
    const initMs = (r: typeof results) =>
      r.benchmarks.find(b => b.id === 'creation.swarm-init')!.metrics.find(m => m.name === 'init_ms')!.summary
        .median
    const plain = await runBenchmarks(
      benchConfig({ ...emulated(), only: 'creation.swarm-init', 'run-tag': 'reqs-none' })
    )
    expect(initMs(results)).toBeLessThan(3 * initMs(plain))
  }, 300_000)

  it("a requirement pip cannot install fails the deploys with pip's error; nothing hangs", async () => {
    const results = await runBenchmarks(config('bad.txt', 'reqs-bad'))
    for (const b of results.benchmarks) {
      expect(b.status).toBe('error')
      expect(b.error).toMatch(/installing e2b-requirements in .* failed \(pip exited 1\)/)
      expect(b.error).toMatch(/no-such-package-xyz/)
    }
  }, 300_000)
})
