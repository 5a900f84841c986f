// In-memory state of the fake GitHub: everything a test may seed or inspect lives here, as plain data.

export interface FakeRepo {
  id: number
  owner: string
  name: string
  defaultBranch: string
  private: boolean
}

export interface FakeRun {
  id: number
  /** `owner/name` */
  repo: string
  workflowId: number
  /** `.github/workflows/x.yml`; the runs listing accepts it (or its file name) in place of the numeric id. */
  workflowPath: string
  name: string
  headBranch: string
  headSha: string
  event: string
  status: 'queued' | 'in_progress' | 'completed'
  conclusion: 'success' | 'failure' | 'cancelled' | 'skipped' | null
  runNumber: number
  runAttempt: number
  createdAt: string
  /** Results-service id of the run (the `scp` claim of its runtime token). */
  backendId: string
  pullRequests: number[]
}

export interface FakeArtifact {
  id: number
  repo: string
  runId: number
  backendRunId: string
  backendJobId: string
  name: string
  /** Key of the blob in `blobs` (its URL path). */
  blobPath: string
  size: number
  /** `sha256:<hex>` of the stored archive, as GitHub reports it. */
  digest: string | null
  mimeType: string
  createdAt: string
  expiresAt: string
  /** Created by CreateArtifact but not finalized yet: invisible to listings. */
  finalized: boolean
  expired: boolean
}

export interface FakeBlob {
  data: Buffer
  contentType: string
  committed: boolean
  /** Put Block staging area (block id → bytes), consumed by Put Block List. */
  blocks: Map<string, Buffer>
  lastModified: string
  etag: string
}

export interface FakeComment {
  id: number
  repo: string
  issueNumber: number
  body: string
  user: string
  createdAt: string
  updatedAt: string
}

/** One entry of an issue's timeline events (`labeled` and the like), as the issue events API lists it. */
export interface FakeIssueEvent {
  id: number
  repo: string
  issueNumber: number
  event: string
  actor: string
  label?: string
  createdAt: string
}

export type FaultKind =
  /** 403 "Resource not accessible by integration" (read-only token, e.g. a fork pull request). */
  | 'forbidden'
  /** 403 primary rate limit (`x-ratelimit-remaining: 0`). */
  | 'rate-limit'
  /** 429 secondary rate limit with `retry-after`. */
  | 'rate-limit-429'
  /** 5xx (status 502 unless given). */
  | 'server-error'
  | 'not-found'

export interface FakeFault {
  id: number
  method?: string
  /** Exact pathname, a prefix ending in `*`, or a regular expression tested against the pathname. */
  path: string | RegExp
  kind: FaultKind
  status: number
  /** How many more requests it answers; Infinity until cleared. */
  remaining: number
  hits: number
}

export interface RequestRecord {
  method: string
  path: string
  query: string
  status: number
  /** Which surface answered: the REST API, the results service, the blob store or the control API. */
  surface: 'rest' | 'twirp' | 'blob' | 'control' | 'unknown'
}

export interface FakeGitHubState {
  repos: Map<string, FakeRepo>
  runs: FakeRun[]
  artifacts: FakeArtifact[]
  blobs: Map<string, FakeBlob>
  comments: FakeComment[]
  issueEvents: FakeIssueEvent[]
  /** REST tokens and what they may do: `read` tokens get 403 on every write (fork pull requests). */
  tokens: Map<string, 'write' | 'read'>
  /** Runtime tokens the results service accepts. */
  runtimeTokens: Set<string>
  faults: FakeFault[]
  requests: RequestRecord[]
  /** Secret for the blob store's SAS signatures. */
  sasKey: Buffer
  seq: {
    run: number
    artifact: number
    comment: number
    fault: number
    repo: number
    runNumber: number
    issueEvent: number
  }
}

export function createState(sasKey: Buffer): FakeGitHubState {
  return {
    repos: new Map(),
    runs: [],
    artifacts: [],
    blobs: new Map(),
    comments: [],
    issueEvents: [],
    tokens: new Map(),
    runtimeTokens: new Set(),
    faults: [],
    requests: [],
    sasKey,
    seq: { run: 9000, artifact: 500, comment: 70000, fault: 0, repo: 100, runNumber: 0, issueEvent: 3000 }
  }
}
