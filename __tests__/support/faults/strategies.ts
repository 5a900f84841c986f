// User strategy modules (`--strategy-path`) that misbehave the ways user code does.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const STRATEGIES = {
  raises: `
def decide(bars, state):
    raise ValueError("boom: the model file is missing")
`,
  loops: `
def decide(bars, state):
    n = 0
    while True:
        n += 1
`,
  syntaxError: `
def decide(bars, state)
    return {"signal": "hold", "confidence": 0.5}
`,
  killsAgent: `
import os

def decide(bars, state):
    os._exit(9)
`,
  wrongShape: `
def decide(bars, state):
    return "buy everything"
`
} as const

/** Writes the module to a fresh temp file and returns its path. */
export function strategyFile(name: keyof typeof STRATEGIES): string {
  const dir = mkdtempSync(join(tmpdir(), `strategy-${name}-`))
  const path = join(dir, `${name}.py`)
  writeFileSync(path, STRATEGIES[name])
  return path
}
