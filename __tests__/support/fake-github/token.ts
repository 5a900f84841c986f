// Runtime tokens as the runner hands them out: a JWT whose `scp` claim carries the results-service backend ids.
// `@actions/artifact` only decodes it (jwt-decode), so the fake signs nothing; it validates by remembering what it
// issued.

const b64url = (s: string): string => Buffer.from(s, 'utf8').toString('base64url')

export interface RuntimeTokenClaims {
  runBackendId: string
  jobBackendId: string
}

export function craftRuntimeToken(runBackendId: string, jobBackendId: string, ttlSeconds = 6 * 3600): string {
  const now = Math.floor(Date.now() / 1000)
  const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'none' }))
  const payload = b64url(
    JSON.stringify({
      scp: `Actions.ExampleScope Actions.Results:${runBackendId}:${jobBackendId}`,
      iat: now,
      exp: now + ttlSeconds,
      iss: 'fake-github'
    })
  )
  return `${header}.${payload}.unsigned`
}

/** Decodes the `Actions.Results` scope of a runtime token; undefined when the token is malformed. */
export function decodeRuntimeToken(token: string): RuntimeTokenClaims | undefined {
  const part = token.split('.')[1]
  if (!part) return undefined
  try {
    const claims = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { scp?: unknown }
    if (typeof claims.scp !== 'string') return undefined
    for (const scope of claims.scp.split(' ')) {
      const [kind, run, job, ...rest] = scope.split(':')
      if (kind === 'Actions.Results' && run && job && rest.length === 0)
        return { runBackendId: run, jobBackendId: job }
    }
  } catch {
    return undefined
  }
  return undefined
}
