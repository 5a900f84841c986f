// Renderers: pure functions from Results (and a Comparison) to text.
export { renderReport, defaultReproduceCommand, type ReportOptions } from './markdown.js'
export { renderComment, resolvedNotice, MAX_COMMENT_CHARS, type CommentOptions } from './comment-body.js'
export { renderJobSummary, type JobSummaryOptions } from './job-summary.js'
export { renderConsoleSummary, type ConsoleOptions } from './console.js'
export { escapeMd, stripControl, consoleText, mermaidText } from './escape.js'
export { verdictLine } from './verdicts.js'
