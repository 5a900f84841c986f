// Standalone emulator: `npx tsx __tests__/support/e2b-emulator/cli.ts [--port 3000] [--api-key KEY]`.
// Point the SDK (or the action) at it with E2B_API_URL and E2B_SANDBOX_URL set to the printed URL.
// Faults and state: POST /_emulator/faults {"rateLimitNext": 2}, GET /_emulator/state (same X-API-KEY).
import { startE2BEmulator } from './index.js'

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

const apiKey = arg('api-key') ?? process.env.E2B_API_KEY ?? 'e2b_emulator_key'
const emu = await startE2BEmulator({
  apiKey,
  port: Number(arg('port') ?? 0),
  maxConcurrent: arg('max-concurrent') ? Number(arg('max-concurrent')) : undefined,
  log: line => console.error(line)
})
console.log(`E2B emulator listening: E2B_API_URL=${emu.url} E2B_SANDBOX_URL=${emu.url}`)
const stop = async () => {
  await emu.close()
  process.exit(0)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
