// One writer for every output file, used by the action and by the CLI (run and report).
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { FileOutput } from '../action/outcome.js'
import { writeFileAtomic } from '../results/io.js'
import { EXPORTERS } from './registry.js'
import type { ExportInput, Exporter } from './types.js'
import { SwarmBenchError } from '../errors.js'

export interface WrittenOutput {
  id: string
  output: FileOutput
  path: string
}

export interface WriteOutputsOptions {
  exporters?: readonly Exporter[]
  /** Exporter ids not to write (the CLI's `report` does not rewrite the results it read). */
  skip?: readonly string[]
  /** A path other than `<dir>/<fileName>` for an exporter, by id. */
  paths?: Readonly<Record<string, string>>
}

export class WriteOutputsError extends SwarmBenchError {
  constructor(
    readonly written: WrittenOutput[],
    readonly failures: { id: string; path: string; error: unknown }[]
  ) {
    super(
      failures
        .map(f => `cannot write ${f.path}: ${f.error instanceof Error ? f.error.message : String(f.error)}`)
        .join('; ')
    )
    this.name = 'WriteOutputsError'
  }
}

/**
 * Renders and writes each exporter's file into `dir` (atomically); an exporter with nothing to say this run leaves
 * no file. One failing format does not stop the others: all are tried, then a WriteOutputsError lists what failed.
 */
export function writeOutputs(
  dir: string,
  input: ExportInput,
  opts: WriteOutputsOptions = {}
): WrittenOutput[] {
  const written: WrittenOutput[] = []
  const failures: WriteOutputsError['failures'] = []
  for (const e of opts.exporters ?? EXPORTERS) {
    if (opts.skip?.includes(e.id)) continue
    const path = opts.paths?.[e.id] ?? join(dir, e.fileName)
    try {
      const text = e.render(input)
      if (text === undefined) {
        // Nothing this run: a file left by an earlier run in the same folder must not pass for this run's.
        rmSync(path, { force: true })
        continue
      }
      writeFileAtomic(path, text)
      written.push({ id: e.id, output: e.output, path })
    } catch (error) {
      failures.push({ id: e.id, path, error })
    }
  }
  if (failures.length > 0) throw new WriteOutputsError(written, failures)
  return written
}

/** The action outputs naming the written files. */
export const outputPaths = (written: readonly WrittenOutput[]): Partial<Record<FileOutput, string>> =>
  Object.fromEntries(written.map(w => [w.output, w.path]))
