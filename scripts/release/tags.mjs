#!/usr/bin/env node
// Moves the floating tags of a release: `vX` and `vX.Y` to the commit of the release tag `vX.Y.Z`, so
// `uses: org/swarm-bench-action@v1` (or `@v1.2`) gets the release. A floating tag only moves forward: a patch of an
// older line (v1.2.4 after v1.3.0) moves `v1.2` but leaves `v1` at v1.3.0. Pre-releases (v1.3.0-rc.1) move
// nothing. Idempotent: a tag already at the commit is left alone.
//
//   node scripts/release/tags.mjs v1.2.3 [--repo DIR] [--push [--remote origin]] [--dry-run]
//
// Prints one line per floating tag (`v1 -> <sha> (moved from <sha>)`, `v1.2 -> <sha> (created)`, `v1 stays at
// ...`); exits 2 on a malformed version or a missing release tag.
import { execFileSync } from 'node:child_process'
import { pathToFileURL } from 'node:url'

export const RELEASE = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?$/

/** `v1.2.3` → {major, minor, patch, pre}; undefined when it is not a release tag. */
export function parseVersion(tag) {
  const m = RELEASE.exec(tag)
  if (!m) return undefined
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] }
}

const cmp = (a, b) => a.major - b.major || a.minor - b.minor || a.patch - b.patch

/**
 * The floating tags `version` should take, given every tag of the repository: `vX` when it is the newest final
 * release of major X, `vX.Y` when it is the newest of X.Y. A pre-release takes none.
 */
export function floatingTags(version, tags) {
  const v = parseVersion(version)
  if (!v) throw new Error(`not a release tag: ${JSON.stringify(version)} (expected vX.Y.Z)`)
  if (v.pre) return []
  const finals = tags.map(parseVersion).filter(t => t && !t.pre)
  const newest = same => finals.filter(same).every(t => cmp(t, v) <= 0)
  const out = []
  if (newest(t => t.major === v.major)) out.push(`v${v.major}`)
  if (newest(t => t.major === v.major && t.minor === v.minor)) out.push(`v${v.major}.${v.minor}`)
  return out
}

function git(repo, ...args) {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
}

function commitOf(repo, ref) {
  try {
    return git(repo, 'rev-parse', '--verify', '--quiet', `refs/tags/${ref}^{commit}`)
  } catch {
    return undefined
  }
}

/** Moves (and with `push`, force-pushes) the floating tags; returns the lines it printed. */
export function moveTags({ repo = process.cwd(), version, push = false, remote = 'origin', dryRun = false }) {
  const sha = commitOf(repo, version)
  if (!sha) throw new Error(`the release tag ${version} does not exist in ${repo}: create and push it first`)
  const tags = git(repo, 'tag', '--list', 'v*').split('\n').filter(Boolean)
  const want = floatingTags(version, tags)
  const lines = []
  const moved = []
  const v = parseVersion(version)
  if (v.pre) lines.push(`${version} is a pre-release: no floating tag moves`)
  for (const name of [`v${v.major}`, `v${v.major}.${v.minor}`]) {
    const at = commitOf(repo, name)
    if (!want.includes(name)) {
      if (!v.pre) lines.push(`${name} stays at ${at ?? '(none)'}: a newer release of that line exists`)
      continue
    }
    if (at === sha) {
      lines.push(`${name} -> ${sha} (already there)`)
      continue
    }
    if (!dryRun) git(repo, 'tag', '--force', name, sha)
    lines.push(`${name} -> ${sha} (${at ? `moved from ${at}` : 'created'})`)
    moved.push(name)
  }
  if (push && moved.length > 0 && !dryRun)
    git(repo, 'push', '--force', remote, ...moved.map(t => `refs/tags/${t}:refs/tags/${t}`))
  return lines
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2)
  const flag = name => args.includes(name)
  const value = name => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined)
  const version = args.find(a => !a.startsWith('--') && a !== value('--repo') && a !== value('--remote'))
  try {
    if (!version || !parseVersion(version))
      throw new Error(
        `usage: tags.mjs vX.Y.Z [--repo DIR] [--push [--remote NAME]] [--dry-run]; got ${JSON.stringify(version ?? '')}`
      )
    const lines = moveTags({
      repo: value('--repo') ?? process.cwd(),
      version,
      push: flag('--push'),
      remote: value('--remote') ?? 'origin',
      dryRun: flag('--dry-run')
    })
    for (const l of lines) process.stdout.write(`${l}\n`)
  } catch (err) {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(2)
  }
}
