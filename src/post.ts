// Entry point of the action's post step (bundled to dist/post.js): sweep what the main step may have left.
import { runPost } from './action/post-step.js'

await runPost()
