// A RunConfig for tests, built through the same input table as the CLI and the action.
import { parseRunConfig, type RunConfig } from '../../src/config/config.js'

export function benchConfig(inputs: Record<string, string>): RunConfig {
  return parseRunConfig(name => inputs[name] ?? '', {})
}
