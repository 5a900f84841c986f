// Re-assembles complete lines from stream chunks that are not line-aligned (child stdout, E2B command output).
// Shared by every provider so the swarm always sees whole JSON lines.
import { StringDecoder } from 'node:string_decoder'
import { SwarmBenchError } from '../errors.js'

export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024

export class LineTooLongError extends SwarmBenchError {
  constructor(
    readonly limit: number,
    readonly seen: number
  ) {
    super(
      `line exceeds ${limit} characters (saw ${seen} without a newline); it is dropped up to the next newline`
    )
    this.name = 'LineTooLongError'
  }
}

export interface LineSplitterOptions {
  /** Longest line kept, in characters (UTF-16 units after decoding); longer lines are dropped with an error. */
  maxLineLength?: number
  onLine: (line: string) => void
  /** Called once per over-long line, as soon as it crosses the limit; the splitter then skips to the next newline. */
  onError?: (err: LineTooLongError) => void
}

export class LineSplitter {
  private readonly max: number
  private readonly onLine: (line: string) => void
  private readonly onError: (err: LineTooLongError) => void
  // A decoder keeps multi-byte UTF-8 characters intact when a Buffer chunk cuts one in half.
  private readonly decoder = new StringDecoder('utf8')
  private parts: string[] = []
  private pending = 0
  /** True while discarding the remainder of an over-long line. */
  private skipping = false

  constructor(opts: LineSplitterOptions) {
    this.max = opts.maxLineLength ?? DEFAULT_MAX_LINE_BYTES
    if (!Number.isInteger(this.max) || this.max <= 0) {
      throw new RangeError(`maxLineLength must be a positive integer, got ${String(opts.maxLineLength)}`)
    }
    this.onLine = opts.onLine
    this.onError = opts.onError ?? (() => {})
  }

  /** Feed a chunk (Buffer bytes are decoded as UTF-8). */
  push(chunk: string | Buffer | Uint8Array): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(Buffer.from(chunk))
    let start = 0
    while (start <= text.length) {
      const nl = text.indexOf('\n', start)
      if (nl === -1) {
        this.append(text.slice(start))
        return
      }
      this.append(text.slice(start, nl))
      this.endLine()
      start = nl + 1
    }
  }

  /** Emit whatever is buffered as a final line (stream ended without a newline). */
  flush(): void {
    const rest = this.decoder.end()
    if (rest) this.append(rest)
    if (this.pending > 0) this.endLine()
    this.skipping = false
  }

  private append(s: string): void {
    if (s.length === 0 || this.skipping) return
    if (this.pending + s.length > this.max) {
      const seen = this.pending + s.length
      this.skipping = true
      this.parts = []
      this.pending = 0
      this.onError(new LineTooLongError(this.max, seen))
      return
    }
    this.parts.push(s)
    this.pending += s.length
  }

  private endLine(): void {
    if (this.skipping) {
      this.skipping = false
      return
    }
    let line = this.parts.length === 1 ? this.parts[0] : this.parts.join('')
    this.parts = []
    this.pending = 0
    if (line.endsWith('\r')) line = line.slice(0, -1)
    this.onLine(line)
  }
}
