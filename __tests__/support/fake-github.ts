// A local fake of GitHub for tests: REST API, Actions results service (Twirp) and blob store on one port.
// In-process: `const gh = await startFakeGitHub()`. As its own process:
//   npx tsx __tests__/support/fake-github.ts [--port N] [--repo owner/name]
// prints one JSON line `{"url","port","token","readOnlyToken","repo"}` and serves until SIGTERM; seed it through
// `POST /_fake/call {"method": "addRun", "args": [{...}]}` and inspect it with `GET /_fake/state`.
import { pathToFileURL } from 'node:url'
import { startFakeGitHub } from './fake-github/server.js'

export {
  FakeGitHub,
  startFakeGitHub,
  DEFAULT_REPO,
  DEFAULT_WORKFLOW_ID,
  DEFAULT_WORKFLOW_PATH,
  type FakeGitHubOptions,
  type AddRunOptions,
  type AddArtifactOptions,
  type FaultOptions
} from './fake-github/server.js'
export type * from './fake-github/state.js'
export { craftRuntimeToken, decodeRuntimeToken } from './fake-github/token.js'
export { makeZip } from './fake-github/zip.js'
export { MAX_COMMENT_BODY } from './fake-github/rest.js'

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const gh = await startFakeGitHub({ port: Number(arg('port') ?? 0), repo: arg('repo') })
  process.stdout.write(
    `${JSON.stringify({ url: gh.url, port: gh.port, token: gh.token, readOnlyToken: gh.readOnlyToken, repo: gh.repo })}\n`
  )
  const stop = (): void => void gh.close().then(() => process.exit(0))
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}
