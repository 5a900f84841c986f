// Every temp file of a test run (sandbox folders, fake runner folders, workspaces) goes under one folder that is
// removed when the run ends, so test runs leave nothing in the machine's temp directory even when a test kills a
// host process before it could clean up.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-bench-tests-'))
  process.env.TMPDIR = dir
  return () => rmSync(dir, { recursive: true, force: true })
}
