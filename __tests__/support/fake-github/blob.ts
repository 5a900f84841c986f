// The blob store: the subset of Azure Block Blob the artifact toolkit uses, at path-style URLs
// (`/account/container/blob?<sas>`), with SAS signatures the fake issues and checks.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FakeBlob, FakeGitHubState } from './state.js'
import { readBody, sendEmpty } from './http.js'

const API_VERSION = '2024-11-04'

function sign(state: FakeGitHubState, path: string, expiry: string, perms: string): string {
  return createHmac('sha256', state.sasKey).update(`${path}\n${expiry}\n${perms}`).digest('base64')
}

/** A signed URL for `path` (`/account/container/blob`), valid for `ttlMs`, with `r`ead and/or `cw` (write) rights. */
export function signBlobUrl(
  state: FakeGitHubState,
  origin: string,
  path: string,
  perms: 'r' | 'cw',
  ttlMs = 3600_000
): string {
  const se = new Date(Date.now() + ttlMs).toISOString().replace(/\.\d{3}Z$/, 'Z')
  const q = new URLSearchParams({
    sv: API_VERSION,
    se,
    sr: 'b',
    sp: perms,
    sig: sign(state, path, se, perms)
  })
  return `${origin}${path}?${q.toString()}`
}

function azureError(res: ServerResponse, status: number, code: string, message: string): void {
  const xml = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`
  res.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(xml),
    'x-ms-error-code': code,
    'x-ms-version': API_VERSION
  })
  res.end(xml)
}

function checkSas(state: FakeGitHubState, url: URL, need: 'r' | 'w'): string | undefined {
  const sig = url.searchParams.get('sig')
  const se = url.searchParams.get('se')
  const sp = url.searchParams.get('sp')
  if (!sig || !se || !sp) return 'missing SAS parameters'
  const expected = Buffer.from(sign(state, url.pathname, se, sp))
  const given = Buffer.from(sig)
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'signature mismatch'
  if (Date.parse(se) < Date.now()) return 'signature expired'
  if (!sp.includes(need)) return `permission '${need}' not granted`
  return undefined
}

function commonHeaders(blob?: FakeBlob): Record<string, string> {
  const h: Record<string, string> = {
    'x-ms-version': API_VERSION,
    'x-ms-request-id': createHash('md5').update(String(Math.random())).digest('hex'),
    date: new Date().toUTCString()
  }
  if (blob) {
    h.etag = blob.etag
    h['last-modified'] = blob.lastModified
  }
  return h
}

function touch(blob: FakeBlob): void {
  blob.lastModified = new Date().toUTCString()
  blob.etag = `"0x${createHash('sha1').update(blob.data).update(blob.lastModified).digest('hex').slice(0, 15).toUpperCase()}"`
}

export function newBlob(data: Buffer, contentType: string, committed: boolean): FakeBlob {
  const blob: FakeBlob = { data, contentType, committed, blocks: new Map(), lastModified: '', etag: '' }
  touch(blob)
  return blob
}

export async function handleBlob(
  state: FakeGitHubState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL
): Promise<number> {
  const method = req.method ?? 'GET'
  const need = method === 'GET' || method === 'HEAD' ? 'r' : 'w'
  const sasProblem = checkSas(state, url, need)
  if (sasProblem) {
    azureError(res, 403, 'AuthenticationFailed', `Server failed to authenticate the request: ${sasProblem}.`)
    return 403
  }
  const key = url.pathname
  const comp = url.searchParams.get('comp')

  if (method === 'PUT' && comp === 'block') {
    const blockId = url.searchParams.get('blockid')
    if (!blockId) {
      azureError(res, 400, 'InvalidQueryParameterValue', 'blockid is required')
      return 400
    }
    const data = await readBody(req)
    const blob = state.blobs.get(key) ?? newBlob(Buffer.alloc(0), 'application/octet-stream', false)
    blob.blocks.set(blockId, data)
    state.blobs.set(key, blob)
    sendEmpty(res, 201, { ...commonHeaders(), 'x-ms-request-server-encrypted': 'true' })
    return 201
  }

  if (method === 'PUT' && comp === 'blocklist') {
    const xml = (await readBody(req)).toString('utf8')
    const blob = state.blobs.get(key) ?? newBlob(Buffer.alloc(0), 'application/octet-stream', false)
    const parts: Buffer[] = []
    for (const m of xml.matchAll(/<(Latest|Committed|Uncommitted)>([^<]*)<\/\1>/g)) {
      const data = blob.blocks.get(m[2])
      if (!data) {
        azureError(
          res,
          400,
          'InvalidBlockList',
          `The specified block list is invalid: unknown block ${m[2]}.`
        )
        return 400
      }
      parts.push(data)
    }
    blob.data = Buffer.concat(parts)
    blob.blocks.clear()
    blob.committed = true
    const ct = req.headers['x-ms-blob-content-type']
    if (typeof ct === 'string' && ct) blob.contentType = ct
    touch(blob)
    state.blobs.set(key, blob)
    sendEmpty(res, 201, { ...commonHeaders(blob), 'x-ms-request-server-encrypted': 'true' })
    return 201
  }

  if (method === 'PUT' && !comp) {
    if (req.headers['x-ms-blob-type'] !== 'BlockBlob') {
      azureError(res, 400, 'MissingRequiredHeader', 'x-ms-blob-type must be BlockBlob')
      return 400
    }
    const data = await readBody(req)
    const ct = req.headers['x-ms-blob-content-type'] ?? req.headers['content-type']
    const blob = newBlob(data, typeof ct === 'string' && ct ? ct : 'application/octet-stream', true)
    state.blobs.set(key, blob)
    sendEmpty(res, 201, { ...commonHeaders(blob), 'x-ms-request-server-encrypted': 'true' })
    return 201
  }

  if ((method === 'GET' || method === 'HEAD') && !comp) {
    const blob = state.blobs.get(key)
    if (!blob || !blob.committed) {
      azureError(res, 404, 'BlobNotFound', 'The specified blob does not exist.')
      return 404
    }
    res.writeHead(200, {
      ...commonHeaders(blob),
      'content-type': blob.contentType,
      'content-length': String(blob.data.length),
      'x-ms-blob-type': 'BlockBlob',
      'accept-ranges': 'bytes'
    })
    res.end(method === 'HEAD' ? undefined : blob.data)
    return 200
  }

  azureError(res, 400, 'UnsupportedHttpVerb', `The fake blob store does not support ${method} comp=${comp}`)
  return 400
}
