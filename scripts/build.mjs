#!/usr/bin/env node
// Bundles the three entry points with ncc into dist/: index.js (action main), post.js (action post step:
// sweep leaked sandboxes), cli.js (the swarm-bench CLI). ncc builds one entry per call, so each goes to a
// staging folder and its index.js is moved into place.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const entries = [
  ['src/index.ts', 'index.js'],
  ['src/post.ts', 'post.js'],
  ['src/cli.ts', 'cli.js']
]
const stage = '.tmp/ncc'
// Build aside and swap at the end, so a test that runs dist/ while someone rebuilds never finds it missing.
const next = '.tmp/dist-next'
rmSync(stage, { recursive: true, force: true })
rmSync(next, { recursive: true, force: true })
mkdirSync(next, { recursive: true })
const licenses = []
for (const [src, out] of entries) {
  if (!existsSync(src)) throw new Error(`missing entry ${src}`)
  const dir = join(stage, out.replace('.js', ''))
  execFileSync('npx', ['ncc', 'build', src, '-o', dir, '--license', 'licenses.txt', '-q'], { stdio: 'inherit' })
  for (const f of readdirSync(dir)) {
    if (f === 'index.js') renameSync(join(dir, f), join(next, out))
    else if (f === 'licenses.txt') licenses.push(readFileSync(join(dir, f), 'utf8'))
    else if (f === 'package.json') continue
    else throw new Error(`ncc emitted an unexpected file ${f} for ${src}: teach scripts/build.mjs about it`)
  }
}
// One licenses file for the three bundles: each package's notice once, in first-seen order.
const notices = new Set(licenses.flatMap(l => l.split(/\n\n(?=\S+\n)/)).map(s => s.trim()).filter(Boolean))
writeFileSync(join(next, 'licenses.txt'), [...notices].join('\n\n') + '\n')
// ncc marks the bundle as ESM with this file; keep it explicit so dist/ is stable.
writeFileSync(join(next, 'package.json'), '{\n  "type": "module"\n}\n')
rmSync(stage, { recursive: true, force: true })
rmSync('dist', { recursive: true, force: true })
renameSync(next, 'dist')
