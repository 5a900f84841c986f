// An HTTP proxy in front of a local fake that can cut a response midway: the status line and headers (with the
// full Content-Length) go out, then part of the body, then the connection is destroyed — what a dropped download
// looks like to a client. Redirects are rewritten to come back through the proxy, so a download that starts at the
// REST API and continues at the blob store passes through it all the way.
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface CutRule {
  method?: string
  /** Tested against the request's path (with the query). */
  path: RegExp
  /** Fraction of the body sent before the cut (default 0.5). */
  fraction?: number
  /** How many matching responses to cut (default: all). */
  times?: number
}

export interface CuttingProxy {
  url: string
  /** Responses cut so far. */
  readonly cuts: number
  close(): Promise<void>
}

export async function startCuttingProxy(target: string, rules: CutRule[]): Promise<CuttingProxy> {
  const targetUrl = new URL(target)
  let cuts = 0
  let origin = ''
  const remaining = rules.map(r => r.times ?? Infinity)
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const ruleIndex = rules.findIndex(
      (r, i) => remaining[i] > 0 && (!r.method || r.method === req.method) && r.path.test(req.url ?? '')
    )
    const upstream = http.request(
      {
        host: targetUrl.hostname,
        port: targetUrl.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: targetUrl.host }
      },
      up => {
        const headers = { ...up.headers }
        if (typeof headers.location === 'string')
          headers.location = headers.location.replace(targetUrl.origin, origin)
        res.writeHead(up.statusCode ?? 502, headers)
        if (ruleIndex < 0 || (up.statusCode ?? 0) !== 200) {
          up.pipe(res)
          return
        }
        remaining[ruleIndex]--
        const chunks: Buffer[] = []
        up.on('data', (c: Buffer) => chunks.push(c))
        up.on('end', () => {
          const body = Buffer.concat(chunks)
          const keep = Math.floor(body.length * (rules[ruleIndex].fraction ?? 0.5))
          cuts++
          res.write(body.subarray(0, keep), () => setTimeout(() => res.socket?.destroy(), 20))
        })
      }
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: origin,
    get cuts() {
      return cuts
    },
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
