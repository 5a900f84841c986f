#!/usr/bin/env node
// Entry of the `swarm-bench` CLI (bundled to dist/cli.js; `npm run bench` runs it with tsx).
import { main } from './cli/main.js'

const code = await main(process.argv.slice(2))
// Exit explicitly: an idle keep-alive socket or timer must not keep a finished CLI alive.
process.exit(code)
