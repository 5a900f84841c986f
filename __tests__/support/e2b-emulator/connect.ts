// Connect protocol (JSON codec) framing, as spoken by @connectrpc/connect-web 2.x inside the e2b SDK.
// Streaming bodies are envelopes: 1 flag byte + 4-byte big-endian length + JSON; flag 0x02 marks the end frame.
import type { ServerResponse } from 'node:http'

export const END_STREAM_FLAG = 0x02

export type ConnectCode =
  | 'canceled'
  | 'unknown'
  | 'invalid_argument'
  | 'deadline_exceeded'
  | 'not_found'
  | 'permission_denied'
  | 'resource_exhausted'
  | 'failed_precondition'
  | 'unimplemented'
  | 'internal'
  | 'unavailable'
  | 'unauthenticated'

/** HTTP status for a Connect error code (connectrpc.com/docs/protocol#error-codes). */
const HTTP_STATUS: Record<ConnectCode, number> = {
  canceled: 499,
  unknown: 500,
  invalid_argument: 400,
  deadline_exceeded: 504,
  not_found: 404,
  permission_denied: 403,
  resource_exhausted: 429,
  failed_precondition: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  unauthenticated: 401
}

export class ConnectFailure extends Error {
  constructor(
    readonly code: ConnectCode,
    message: string
  ) {
    super(message)
  }
}

export function encodeEnvelope(flags: number, json: unknown): Buffer {
  const data = Buffer.from(JSON.stringify(json), 'utf8')
  const head = Buffer.alloc(5)
  head.writeUInt8(flags, 0)
  head.writeUInt32BE(data.length, 1)
  return Buffer.concat([head, data])
}

/** Parses every complete envelope in a request body (a server-streaming request carries exactly one). */
export function decodeEnvelopes(body: Buffer): { flags: number; json: unknown }[] {
  const out: { flags: number; json: unknown }[] = []
  let at = 0
  while (at + 5 <= body.length) {
    const flags = body.readUInt8(at)
    const len = body.readUInt32BE(at + 1)
    if (at + 5 + len > body.length) throw new ConnectFailure('invalid_argument', 'truncated envelope')
    out.push({ flags, json: JSON.parse(body.subarray(at + 5, at + 5 + len).toString('utf8')) })
    at += 5 + len
  }
  if (at !== body.length) throw new ConnectFailure('invalid_argument', 'trailing bytes after envelope')
  return out
}

export function sendUnary(res: ServerResponse, message: unknown): void {
  const body = JSON.stringify(message)
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

export function sendUnaryError(res: ServerResponse, code: ConnectCode, message: string): void {
  const body = JSON.stringify({ code, message })
  res.writeHead(HTTP_STATUS[code], {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body)
  })
  res.end(body)
}

/** Ends a server stream with the end frame, carrying an error when given. */
export function endStream(res: ServerResponse, error?: { code: ConnectCode; message: string }): void {
  if (res.destroyed || res.writableEnded) return
  res.end(encodeEnvelope(END_STREAM_FLAG, error ? { error } : {}))
}

/** A server-streaming call that fails before any message: HTTP 200 and an end frame carrying the error. */
export function streamError(res: ServerResponse, code: ConnectCode, message: string): void {
  if (res.headersSent) {
    endStream(res, { code, message })
    return
  }
  res.writeHead(200, { 'content-type': 'application/connect+json' })
  endStream(res, { code, message })
}
