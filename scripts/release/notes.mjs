#!/usr/bin/env node
// The release notes of a version: its section of CHANGELOG.md (Keep a Changelog form, `## [1.2.3] - 2026-12-03`),
// without the heading. Fails (exit 2) when the section is missing or empty, so a release never goes out without
// notes.
//
//   node scripts/release/notes.mjs v1.2.3 [--changelog CHANGELOG.md] > notes.md
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

/** The body of `## [X.Y.Z]` (a leading `v` is dropped); undefined when there is no such section or it is empty. */
export function changelogSection(text, version) {
  const v = version.replace(/^v/, '')
  const lines = text.split(/\r?\n/)
  const heading = new RegExp(`^## \\[${v.replace(/[.+-]/g, c => `\\${c}`)}\\](\\s|$)`)
  const start = lines.findIndex(l => heading.test(l))
  if (start < 0) return undefined
  let end = lines.findIndex((l, i) => i > start && /^## /.test(l))
  if (end < 0) end = lines.length
  // Link reference definitions at the end of the file (`[1.2.3]: https://...`) are not part of the notes.
  const body = lines
    .slice(start + 1, end)
    .filter(l => !/^\[[^\]]+\]:\s*\S+/.test(l))
    .join('\n')
    .trim()
  return body === '' ? undefined : body
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2)
  const at = args.indexOf('--changelog')
  const file = at >= 0 ? args[at + 1] : 'CHANGELOG.md'
  const version = args.find((a, i) => !a.startsWith('--') && i !== at + 1)
  try {
    if (!version) throw new Error('usage: notes.mjs vX.Y.Z [--changelog FILE]')
    const notes = changelogSection(readFileSync(file, 'utf8'), version)
    if (!notes) throw new Error(`${file} has no section "## [${version.replace(/^v/, '')}]" with notes`)
    process.stdout.write(`${notes}\n`)
  } catch (err) {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(2)
  }
}
