import { describe, expect, it } from 'vitest'
import { LineSplitter, LineTooLongError } from '../src/sandbox/lines.js'

function collect(max?: number) {
  const lines: string[] = []
  const errors: LineTooLongError[] = []
  const s = new LineSplitter({ maxLineLength: max, onLine: l => lines.push(l), onError: e => errors.push(e) })
  return { s, lines, errors }
}

describe('LineSplitter', () => {
  it('re-assembles lines split across chunks and emits several lines from one chunk', () => {
    const { s, lines } = collect()
    s.push('{"a":')
    s.push('1}\n{"b"')
    expect(lines).toEqual(['{"a":1}'])
    s.push(':2}\n{"c":3}\n{"d":4}\n')
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}', '{"d":4}'])
  })

  it('strips \\r\\n endings, also when \\r and \\n arrive in different chunks', () => {
    const { s, lines } = collect()
    s.push('one\r\ntwo\r')
    s.push('\nthree\n')
    expect(lines).toEqual(['one', 'two', 'three'])
  })

  it('keeps empty lines and a lone \\r inside a line', () => {
    const { s, lines } = collect()
    s.push('\na\rb\n\n')
    expect(lines).toEqual(['', 'a\rb', ''])
  })

  it('decodes UTF-8 characters cut in half between Buffer chunks', () => {
    const { s, lines } = collect()
    const bytes = Buffer.from('prix 12€ ok\n', 'utf8')
    const cut = bytes.indexOf(0xe2) + 1 // inside the 3-byte euro sign
    s.push(bytes.subarray(0, cut))
    s.push(bytes.subarray(cut))
    expect(lines).toEqual(['prix 12€ ok'])
  })

  it('flush() emits a trailing partial line once and nothing when the buffer is empty', () => {
    const { s, lines } = collect()
    s.push('done\ntail')
    s.flush()
    s.flush()
    expect(lines).toEqual(['done', 'tail'])
  })

  it('drops an over-long line with one error as soon as it crosses the limit, then recovers', () => {
    const { s, lines, errors } = collect(10)
    s.push('short\n0123456')
    expect(errors).toHaveLength(0)
    s.push('789abc') // crosses 10 before any newline
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(LineTooLongError)
    expect(errors[0].message).toMatch(/exceeds 10/)
    s.push('x'.repeat(100)) // still the same line: no new error, no buffering
    s.push('yy\nnext\n')
    expect(errors).toHaveLength(1)
    expect(lines).toEqual(['short', 'next'])
  })

  it('accepts a line exactly at the limit', () => {
    const { s, lines, errors } = collect(4)
    s.push('abcd\n')
    expect(lines).toEqual(['abcd'])
    expect(errors).toHaveLength(0)
  })

  it('rejects a bad limit with the value in the message', () => {
    expect(() => new LineSplitter({ maxLineLength: 0, onLine: () => {} })).toThrow(/got 0/)
  })
})
