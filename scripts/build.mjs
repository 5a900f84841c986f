#!/usr/bin/env node
// Bundles the three entry points with ncc into dist/: index.js (action main), post.js (action post step:
// sweep leaked sandboxes), cli.js (the swarm-bench CLI). ncc builds one entry per call, so each goes to a
// staging folder and its index.js is moved into place.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const entries = [
  ['src/index.ts', 'index.js'],
  ['src/post.ts', 'post.js'],
  ['src/cli.ts', 'cli.js']
]
const stage = '.tmp/ncc'
rmSync('dist', { recursive: true, force: true })
rmSync(stage, { recursive: true, force: true })
mkdirSync('dist', { recursive: true })
for (const [src, out] of entries) {
  if (!existsSync(src)) throw new Error(`missing entry ${src}`)
  const dir = join(stage, out.replace('.js', ''))
  execFileSync('npx', ['ncc', 'build', src, '-o', dir, '--license', 'licenses.txt', '-q'], { stdio: 'inherit' })
  for (const f of readdirSync(dir)) {
    if (f === 'index.js') renameSync(join(dir, f), join('dist', out))
    else if (f === 'licenses.txt' || f === 'package.json') renameSync(join(dir, f), join('dist', f))
    else throw new Error(`ncc emitted an unexpected file ${f} for ${src}: teach scripts/build.mjs about it`)
  }
}
// ncc marks the bundle as ESM with this file; keep it explicit so dist/ is stable.
writeFileSync('dist/package.json', '{\n  "type": "module"\n}\n')
rmSync(stage, { recursive: true, force: true })
