// The GitHub layer: the only code that talks to GitHub.
export { createGitHubClient, type GitHubClient, type ClientOptions } from './octokit.js'
export { describeApiError, type ApiProblem } from './errors.js'
export * from './context.js'
export * from './baseline-artifact.js'
export * from './artifact.js'
export * from './sticky-comment.js'
export * from './labels.js'
