// Entry point of the action's main step (bundled to dist/index.js).
import { run } from './main.js'

await run()
