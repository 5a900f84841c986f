// Neutralising strings that come from results files before they reach Markdown, HTML or a terminal.
// A results file is data from a pull request: a benchmark title must not be able to ping a team, close an issue,
// inject HTML, break a table or spoof terminal output.

/** C0/C1 controls (incl. newlines and ESC) and bidi overrides: they break tables and can disguise text. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

export const DEFAULT_MAX_LENGTH = 200

/** Replaces control characters with spaces and collapses the runs they leave. */
export function stripControl(text: string): string {
  return text.replace(CONTROL, ' ').replace(/ {2,}/g, ' ')
}

/** Caps to `max` characters (code points, so no surrogate pair is split), ending in `…` when cut. */
export function capLength(text: string, max: number): string {
  if (text.length <= max) return text
  const chars = Array.from(text)
  if (chars.length <= max) return text
  return chars.slice(0, Math.max(0, max - 1)).join('') + '…'
}

/**
 * Safe inline Markdown/HTML text for one table cell or sentence: controls stripped, length capped (before escaping,
 * so no entity is cut), Markdown and HTML metacharacters escaped, `@mentions` and `#123` / `GH-123` references
 * broken with a zero-width joiner so GitHub neither notifies nor links; URLs are broken the same way so they do
 * not become links.
 */
export function escapeMd(value: unknown, max = DEFAULT_MAX_LENGTH): string {
  const text = capLength(stripControl(String(value ?? '')).trim(), max)
  return (
    text
      .replace(/\\/g, '\\\\')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/\|/g, '\\|')
      .replace(/`/g, '&#96;')
      .replace(/\[/g, '\\[')
      .replace(/\]/g, '\\]')
      .replace(/\*/g, '\\*')
      .replace(/_/g, '\\_')
      .replace(/~/g, '\\~')
      .replace(/\$/g, '\\$')
      .replace(/@/g, '@\u200d')
      .replace(/(?<!&)#(?=\d)/g, '#\u200d')
      .replace(/\bGH-(?=\d)/gi, m => `${m.slice(0, 2)}\u200d-`)
      // No autolinks from result text: a PR must not plant a clickable link in the comment.
      .replace(/:\/\//g, ':\u200d//')
      .replace(/\bwww\./gi, m => `${m.slice(0, 3)}\u200d.`)
  )
}

/** Text for a Mermaid chart title or axis label: only characters Mermaid's grammar cannot misread. */
export function mermaidText(value: unknown, max = 60): string {
  const text = stripControl(String(value ?? ''))
    .replace(/[^A-Za-z0-9 _.,:/()%+=-]/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim()
  return capLength(text, max) || '-'
}

/** Plain text for a terminal: controls (including ESC sequences' lead byte) stripped, length capped. */
export function consoleText(value: unknown, max = DEFAULT_MAX_LENGTH): string {
  return capLength(stripControl(String(value ?? '')).trim(), max)
}

/** An inline code span for identifiers (ids, shas, commands); anything outside a safe alphabet is escaped text. */
export function code(value: unknown, max = DEFAULT_MAX_LENGTH): string {
  const text = String(value ?? '')
  return /^[A-Za-z0-9._:/=+-]+$/.test(text) && text.length <= max ? `\`${text}\`` : escapeMd(text, max)
}

/** A plain http(s) URL safe to put in a Markdown link, else undefined (no spaces, brackets or other schemes). */
export const safeUrl = (url: string | undefined): string | undefined =>
  url && /^https?:\/\/[^\s()<>]+$/.test(url) ? url : undefined
