#!/usr/bin/env node
// The `swarm-bench` command: runs the bundled CLI (dist/cli.js, built by `npm run build`); in a checkout without
// a build it runs the TypeScript source through tsx instead, in this same process (signals reach one process).
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const bundled = new URL('../dist/cli.js', import.meta.url)

if (existsSync(fileURLToPath(bundled))) {
  await import(bundled.href)
} else {
  const source = new URL('../src/cli.ts', import.meta.url)
  if (!existsSync(fileURLToPath(source))) {
    process.stderr.write(`swarm-bench: neither dist/cli.js nor src/cli.ts found under ${root}\n`)
    process.exit(1)
  }
  let register
  try {
    ;({ register } = await import('tsx/esm/api'))
  } catch {
    process.stderr.write('swarm-bench: dist/cli.js is missing and tsx is not installed: run `npm run build` or `npm ci`\n')
    process.exit(1)
  }
  register()
  await import(pathToFileURL(fileURLToPath(source)).href)
}
