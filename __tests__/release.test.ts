// The release process's scripts, as the release workflow runs them: the floating tags (vX, vX.Y) moved and pushed
// to a local bare repository standing in for GitHub, and the release notes cut from CHANGELOG.md.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { git } from './support/git.js'
import { ROOT } from './support/action-runner.js'
// @ts-expect-error a plain .mjs script without types
import { floatingTags } from '../scripts/release/tags.mjs'
// @ts-expect-error a plain .mjs script without types
import { changelogSection } from '../scripts/release/notes.mjs'

const dir = mkdtempSync(join(tmpdir(), 'swarm-bench-release-'))
const origin = join(dir, 'origin.git')
const work = join(dir, 'work')

/** The script as the workflow runs it, in the work clone. */
function tags(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'release', 'tags.mjs'), ...args], {
    cwd: work,
    encoding: 'utf8'
  })
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr }
}

/** Where each tag points in the bare repository (what users' `uses: …@v1` resolves). */
function remoteTags(): Record<string, string> {
  const out = git(dir, 'ls-remote', '--tags', origin)
  return Object.fromEntries(
    out
      .split('\n')
      .filter(l => l && !l.endsWith('^{}'))
      .map(l => {
        const [sha, ref] = l.split('\t')
        return [ref.replace('refs/tags/', ''), sha]
      })
  )
}

/** A commit released as `version`: tagged and pushed, as a maintainer does before the workflow runs. */
function release(version: string, from?: string): string {
  if (from) git(work, 'checkout', '-q', from)
  writeFileSync(join(work, 'file.txt'), `${version}\n`)
  git(work, 'commit', '-qam', version)
  git(work, 'tag', '-a', version, '-m', version)
  git(work, 'push', '-q', 'origin', `refs/tags/${version}`)
  return git(work, 'rev-parse', 'HEAD')
}

beforeAll(() => {
  git(dir, 'init', '-q', '--bare', '-b', 'main', origin)
  git(dir, 'init', '-q', '-b', 'main', work)
  writeFileSync(join(work, 'file.txt'), 'start\n')
  git(work, 'add', '-A')
  git(work, 'commit', '-qm', 'start')
  git(work, 'remote', 'add', 'origin', origin)
  git(work, 'push', '-q', 'origin', 'main')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('floating tags against a bare repository', () => {
  it('creates, moves forward and never backward the vX and vX.Y tags, and pushes them', () => {
    const v100 = release('v1.0.0')
    let r = tags('v1.0.0', '--push')
    expect(r.code, r.err).toBe(0)
    expect(r.out).toContain(`v1 -> ${v100} (created)`)
    expect(r.out).toContain(`v1.0 -> ${v100} (created)`)
    expect(remoteTags()).toMatchObject({ v1: v100, 'v1.0': v100 })

    // Idempotent: run again, nothing moves.
    r = tags('v1.0.0', '--push')
    expect(r.out).toContain(`v1 -> ${v100} (already there)`)

    // A minor release: v1 moves, v1.1 is created, v1.0 stays.
    const v110 = release('v1.1.0')
    r = tags('v1.1.0', '--push')
    expect(r.code, r.err).toBe(0)
    expect(r.out).toContain(`v1 -> ${v110} (moved from ${v100})`)
    expect(remoteTags()).toMatchObject({ v1: v110, 'v1.1': v110, 'v1.0': v100 })

    // A patch of the older line (on a branch from v1.0.0): v1.0 moves, v1 stays at the newer v1.1.0.
    git(work, 'checkout', '-q', '-b', 'release-1.0', 'v1.0.0')
    const v101 = release('v1.0.1')
    r = tags('v1.0.1', '--push')
    expect(r.code, r.err).toBe(0)
    expect(r.out).toContain(`v1 stays at ${v110}: a newer release of that line exists`)
    expect(remoteTags()).toMatchObject({ v1: v110, 'v1.1': v110, 'v1.0': v101 })

    // A pre-release moves nothing; a new major leaves v1 alone.
    const rc = release('v2.0.0-rc.1', 'main')
    r = tags('v2.0.0-rc.1', '--push')
    expect(r.code, r.err).toBe(0)
    expect(r.out).toMatch(/pre-release: no floating tag moves/)
    expect(remoteTags().v2).toBeUndefined()
    const v200 = release('v2.0.0')
    expect(v200).not.toBe(rc)
    r = tags('v2.0.0', '--push')
    expect(r.out).toContain(`v2 -> ${v200} (created)`)
    expect(remoteTags()).toMatchObject({ v2: v200, 'v2.0': v200, v1: v110 })

    // --dry-run says what it would do and changes nothing.
    const v201 = release('v2.0.1')
    r = tags('v2.0.1', '--dry-run')
    expect(r.out).toContain(`v2 -> ${v201} (moved from ${v200})`)
    expect(remoteTags().v2).toBe(v200)
  })

  it('refuses a malformed version and a release tag that does not exist (exit 2)', () => {
    for (const bad of ['1.2.3', 'v1.2', 'v01.2.3', 'latest']) {
      const r = tags(bad)
      expect(r.code, bad).toBe(2)
      expect(r.err).toMatch(/usage: tags\.mjs vX\.Y\.Z/)
    }
    const r = tags('v9.9.9', '--push')
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/the release tag v9\.9\.9 does not exist/)
  })

  it('the rule alone: the newest final release of a line takes its tag', () => {
    expect(floatingTags('v1.2.3', ['v1.2.2', 'v1.1.0'])).toEqual(['v1', 'v1.2'])
    expect(floatingTags('v1.2.4', ['v1.3.0', 'v1.2.3'])).toEqual(['v1.2'])
    expect(floatingTags('v1.2.4', ['v1.3.0-rc.1', 'v1.2.3'])).toEqual(['v1', 'v1.2'])
    expect(floatingTags('v1.3.0-rc.1', [])).toEqual([])
    expect(() => floatingTags('v1', [])).toThrow(/not a release tag/)
  })
})

describe('release notes from CHANGELOG.md', () => {
  const changelog = [
    '# Changelog',
    '',
    '## [Unreleased]',
    '',
    '- next',
    '',
    '## [1.2.0] - 2026-12-01',
    '',
    '### Added',
    '',
    '- `merge` command',
    '',
    '## [1.1.0] - 2026-11-01',
    '',
    '- older',
    '',
    '[1.2.0]: https://example.invalid/compare/v1.1.0...v1.2.0'
  ].join('\n')

  it('cuts the version section, without its heading or the link references', () => {
    expect(changelogSection(changelog, 'v1.2.0')).toBe('### Added\n\n- `merge` command')
    expect(changelogSection(changelog, '1.1.0')).toBe('- older')
    expect(changelogSection(changelog, 'v1.0.0')).toBeUndefined()
  })

  it('the CLI fails without notes, so no release goes out without them', () => {
    const file = join(dir, 'CHANGELOG.md')
    writeFileSync(file, changelog)
    const run = (v: string) =>
      spawnSync(process.execPath, [join(ROOT, 'scripts', 'release', 'notes.mjs'), v, '--changelog', file], {
        encoding: 'utf8'
      })
    const ok = run('v1.2.0')
    expect(ok.status).toBe(0)
    expect(ok.stdout).toBe('### Added\n\n- `merge` command\n')
    const missing = run('v3.0.0')
    expect(missing.status).toBe(2)
    expect(missing.stderr).toMatch(/has no section "## \[3\.0\.0\]" with notes/)
    // The repository's own changelog has the section the next release cuts from.
    expect(readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8')).toMatch(/^## \[Unreleased\]$/m)
  })
})
