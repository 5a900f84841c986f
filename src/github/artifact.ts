// Uploading this run's outputs as an artifact through the Actions results service. A failure comes back as a
// reason so the caller still writes the job summary and outputs: the results are never lost to an upload error.
import { existsSync } from 'node:fs'
import { DefaultArtifactClient } from '@actions/artifact'
import { errorText } from '../errors.js'

export interface UploadRunArtifactOptions {
  name: string
  /** Absolute paths under `rootDirectory`; missing ones are left out and reported. */
  files: string[]
  rootDirectory: string
  /** 1..90 days; GitHub caps it at the repository's own setting. */
  retentionDays?: number
  compressionLevel?: number
}

export type UploadedArtifact =
  { id: number; size: number; digest?: string; missing: string[] } | { reason: string }

export async function uploadRunArtifact(opts: UploadRunArtifactOptions): Promise<UploadedArtifact> {
  if (!process.env.ACTIONS_RUNTIME_TOKEN || !process.env.ACTIONS_RESULTS_URL) {
    return {
      reason:
        'artifact upload skipped: not inside a GitHub Actions job (ACTIONS_RUNTIME_TOKEN or ACTIONS_RESULTS_URL unset)'
    }
  }
  const present = opts.files.filter(f => existsSync(f))
  const missing = opts.files.filter(f => !existsSync(f))
  if (present.length === 0)
    return { reason: `artifact upload skipped: none of the files exist (${opts.files.join(', ')})` }
  try {
    const res = await new DefaultArtifactClient().uploadArtifact(opts.name, present, opts.rootDirectory, {
      ...(opts.retentionDays !== undefined ? { retentionDays: opts.retentionDays } : {}),
      ...(opts.compressionLevel !== undefined ? { compressionLevel: opts.compressionLevel } : {})
    })
    if (res.id === undefined)
      return { reason: `artifact '${opts.name}' upload finished without an artifact id` }
    return {
      id: res.id,
      size: res.size ?? 0,
      ...(res.digest ? { digest: `sha256:${res.digest}` } : {}),
      missing
    }
  } catch (err) {
    return {
      reason: `artifact '${opts.name}' upload failed: ${errorText(err)}`
    }
  }
}
